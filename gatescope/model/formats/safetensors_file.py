"""safetensors files (``safetensors.torch.save_file(model.state_dict(), "model.safetensors")``): a little-endian u64
header length, a JSON header ``{name: {dtype, shape, data_offsets}, "__metadata__": {str: str}}``, then the bytes.

The header is read first (cheaply, within the read budget) so that the architecture is inferred from names and
shapes (:mod:`state_dict_model`) before any tensor is read; then the ``safetensors`` package validates the file and
reads the tensors the model needs. Its NumPy API has no bfloat16, so BF16 tensors are read from their byte range
and widened to float32 here. ``__metadata__`` may carry a vocabulary and label names as JSON under the keys a
checkpoint would use (``vocab``, ``stoi``, ``itos``, ..., ``labels``).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from gatescope.errors import GatescopeError
from gatescope.model.formats.budget import ReadBudget, size_text
from gatescope.model.formats.npzfile import check_readable
from gatescope.model.formats.state_dict_model import ModelSource, model_from_state_dict, naming_file
from gatescope.model.formats.torch_checkpoint import LABEL_KEYS, VOCABULARY_KEYS, stored_labels, stored_vocabulary
from gatescope.model.model import Model

#: The largest header the safetensors format allows.
MAX_HEADER_BYTES = 100_000_000
#: safetensors dtype -> bytes per element (those gatescope can read; F8 and others are refused by name).
ITEM_SIZES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1}
FORMAT_NAME = "safetensors"


def sniff(path: Path) -> bool:
    """True when the file starts with a plausible header length followed by ``{``."""
    try:
        with path.open("rb") as stream:
            head = stream.read(9)
        if len(head) < 9 or head[8:9] != b"{":
            return False
        length = int.from_bytes(head[:8], "little")
        return 2 <= length <= MAX_HEADER_BYTES
    except OSError:
        return False


class _Entry:
    """One tensor as the header declares it."""

    __slots__ = ("dtype", "end", "shape", "start")

    def __init__(self, dtype: str, shape: tuple[int, ...], start: int, end: int) -> None:
        self.dtype, self.shape, self.start, self.end = dtype, shape, start, end


def load(path: Path, dtype: npt.DTypeLike = np.float32) -> Model:
    """The model in a safetensors file: the architecture from its names and shapes, the tensors it needs."""
    with naming_file(path):
        check_readable(path)
        header_length, entries, metadata = _read_header(path)
        stored = _metadata_values(metadata)
        source = ModelSource(path, FORMAT_NAME, "safetensors", {}, stored_vocabulary(stored), stored_labels(stored))

        def read(names: list[str]) -> dict[str, np.ndarray]:
            ReadBudget(path).reserve({name: entries[name].end - entries[name].start for name in names})
            return _read_tensors(path, header_length, {name: entries[name] for name in names})

        shapes = {name: entry.shape for name, entry in entries.items()}
        return model_from_state_dict(shapes, read, source, dtype)


def _read_header(path: Path) -> tuple[int, dict[str, _Entry], dict[str, str]]:
    """(header length, tensors by name, metadata) from the JSON header, every entry checked against the file."""
    size = path.stat().st_size
    with path.open("rb") as stream:
        length = int.from_bytes(stream.read(8), "little")
        if length > MAX_HEADER_BYTES or 8 + length > size:
            raise GatescopeError(
                f"damaged or truncated safetensors file: its header declares {size_text(length)} but the file holds "
                f"{size_text(size)}"
            )
        text = stream.read(length)
    try:
        header = json.loads(text.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise GatescopeError(f"damaged safetensors file: its header is not valid JSON ({error})") from None
    if not isinstance(header, dict):
        raise GatescopeError("damaged safetensors file: its header is not a JSON object")
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise GatescopeError("damaged safetensors file: __metadata__ must map names to strings")
    budget = ReadBudget(path)
    entries = {name: _entry(name, value, size - 8 - length, budget) for name, value in header.items()}
    return length, entries, metadata


def _entry(name: str, value: Any, data_bytes: int, budget: ReadBudget) -> _Entry:
    if not isinstance(value, dict) or not {"dtype", "shape", "data_offsets"} <= set(value):
        raise GatescopeError(f"damaged safetensors file: entry {name!r} lacks dtype, shape or data_offsets")
    dtype, shape, offsets = value["dtype"], value["shape"], value["data_offsets"]
    if not isinstance(shape, list) or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in shape):
        raise GatescopeError(f"damaged safetensors file: entry {name!r} has shape {shape!r}")
    if not (isinstance(offsets, list) and len(offsets) == 2 and all(isinstance(o, int) for o in offsets)):
        raise GatescopeError(f"damaged safetensors file: entry {name!r} has data_offsets {offsets!r}")
    if dtype not in ITEM_SIZES:
        raise GatescopeError(
            f"tensor {name!r} is {dtype}, which gatescope does not read; save the weights as float32: "
            f"{{k: v.float() for k, v in model.state_dict().items()}}"
        )
    nbytes = math.prod(shape) * ITEM_SIZES[dtype]
    budget.check_array(name, nbytes)
    start, end = offsets
    if not 0 <= start <= end <= data_bytes or end - start != nbytes:
        raise GatescopeError(
            f"damaged or truncated safetensors file: tensor {name!r} ({dtype} {tuple(shape)}, {nbytes:,} bytes) "
            f"has data_offsets {offsets} but the file holds {data_bytes:,} bytes of data"
        )
    return _Entry(dtype, tuple(shape), start, end)


def _read_tensors(path: Path, header_length: int, entries: dict[str, _Entry]) -> dict[str, np.ndarray]:
    """The tensors ``entries`` names, read by the safetensors package (which validates the whole header first);
    BF16 ones from their byte range, widened to float32."""
    from safetensors import SafetensorError, safe_open

    arrays: dict[str, np.ndarray] = {}
    try:
        with safe_open(str(path), framework="np") as opened:
            for name, entry in entries.items():
                if entry.dtype != "BF16":
                    arrays[name] = np.array(opened.get_tensor(name))
    except SafetensorError as error:
        raise GatescopeError(f"damaged safetensors file ({error})") from None
    with path.open("rb") as stream:
        for name, entry in entries.items():
            if entry.dtype == "BF16":
                stream.seek(8 + header_length + entry.start)
                raw = np.frombuffer(stream.read(entry.end - entry.start), dtype="<u2")
                arrays[name] = (raw.astype(np.uint32) << 16).view(np.float32).reshape(entry.shape)
    return arrays


def _metadata_values(metadata: dict[str, str]) -> dict[object, object]:
    """The metadata entries that may hold a vocabulary or labels, decoded from JSON (others are left out)."""
    values: dict[object, object] = {}
    for key in (*VOCABULARY_KEYS, *LABEL_KEYS):
        if key in metadata:
            try:
                values[key] = json.loads(metadata[key])
            except json.JSONDecodeError:
                continue
    return values
