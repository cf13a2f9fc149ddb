"""Model file formats. Each module offers ``sniff(path) -> bool`` and ``load(path, dtype) -> Model``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np
import numpy.typing as npt

from gatescope.errors import GatescopeError
from gatescope.model.formats import keras_file, native, onnx_graph, safetensors_file, torch_npz, torch_zip
from gatescope.model.formats.npzfile import check_readable, is_npz

if TYPE_CHECKING:
    from gatescope.model.model import Model


class FileFormat(Protocol):
    """What each format module offers."""

    def sniff(self, path: Path) -> bool: ...

    def load(self, path: Path, dtype: npt.DTypeLike = np.float32) -> Model: ...


#: Tried in order; the first whose sniff says yes loads the file.
FORMATS: tuple[FileFormat, ...] = (native, torch_npz, torch_zip, safetensors_file, keras_file, onnx_graph)
DESCRIPTIONS = (
    "a gatescope model (.npz), a PyTorch state_dict of an LSTM/GRU/RNN model saved with torch.save (.pt, .pth, "
    ".bin) or numpy.savez (.npz), a safetensors file (.safetensors), a Keras model (.keras, .h5) or an ONNX model "
    "(.onnx)"
)


def load_file(path: str | Path, dtype: npt.DTypeLike = np.float32) -> Model:
    """Load a model file of any supported format."""
    path = Path(path)
    check_readable(path)
    for module in FORMATS:
        if module.sniff(path):
            return module.load(path, dtype)
    if not is_npz(path):
        if onnx_graph.damaged(path):
            raise GatescopeError(
                f"{path}: damaged or truncated ONNX model (its protobuf fields end before the graph does or are "
                f"malformed); export or download it again"
            )
        with path.open("rb") as stream:
            if stream.read(4) == b"PK\x03\x04":
                raise GatescopeError(
                    f"{path}: damaged or truncated zip archive (.npz, .pt, .keras; the zip directory at its end is "
                    f"missing); download or save it again"
                )
        raise GatescopeError(
            f"{path}: not a model file gatescope can read (its content matches none of the formats); expected "
            f"{DESCRIPTIONS}"
        )
    raise GatescopeError(
        f"{path}: a .npz archive, but neither gatescope metadata nor PyTorch recurrent weights "
        f"(weight_ih_l0, ...) are in it; expected {DESCRIPTIONS}"
    )
