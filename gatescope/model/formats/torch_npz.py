"""A plain .npz of a PyTorch state_dict, as ``numpy.savez(path, **{k: v.numpy() for k, v in sd.items()})`` writes it:
a bare nn.LSTM / nn.GRU / nn.RNN, or a whole text model (nn.Embedding → recurrent module → nn.Linear).

The architecture is inferred from names and shapes by :mod:`state_dict_model`, as for .pt and safetensors files.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt

from gatescope.model.formats.npzfile import NpzArchive, array_names, is_npz
from gatescope.model.formats.state_dict_model import (
    RECURRENT_NAME,
    ModelSource,
    check_names,
    model_from_state_dict,
    naming_file,
)
from gatescope.model.model import Model


def sniff(path: Path) -> bool:
    """True for an .npz whose array names include a recurrent module's weights."""
    return is_npz(path) and any(RECURRENT_NAME.match(name) for name in array_names(path))


def load(path: Path, dtype: npt.DTypeLike = np.float32) -> Model:
    """Build a Model from a state_dict .npz. The names alone must hold one complete recurrent module before any
    array is inflated."""
    with naming_file(path), NpzArchive(path) as archive:
        check_names(archive.names)
        arrays = archive.read(archive.names)
        source = ModelSource(path, "PyTorch state_dict (.npz)", "pytorch")
        return model_from_state_dict({name: a.shape for name, a in arrays.items()}, lambda _: arrays, source, dtype)
