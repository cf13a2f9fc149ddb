"""A plain .npz of a PyTorch nn.LSTM / nn.GRU / nn.RNN state_dict, as
``numpy.savez(path, **{k: v.numpy() for k, v in module.state_dict().items()})`` writes it.

Kind, layer count, directions and sizes are inferred from the names and shapes. One common prefix
(``lstm.weight_ih_l0``) is accepted. nn.RNN's nonlinearity is not stored in a state_dict: tanh is assumed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from gatescope.engine.cells import layer_from_state_dict
from gatescope.errors import GatescopeError
from gatescope.model.formats.npzfile import NpzArchive, array_names, is_npz
from gatescope.model.model import Model
from gatescope.model.state_dict import weight_names

_NAME = re.compile(
    r"^(?P<prefix>(?:.*\.)?)(?P<what>weight_ih|weight_hh|bias_ih|bias_hh|weight_hr)_l(?P<layer>\d+)"
    r"(?P<reverse>_reverse)?$"
)
_KIND_BY_GATES = {4: "lstm", 3: "gru", 1: "rnn"}


def sniff(path: Path) -> bool:
    """True for an .npz whose array names look like a recurrent module's state_dict."""
    return is_npz(path) and any(_NAME.match(name) for name in array_names(path))


def load(path: Path, dtype: npt.DTypeLike = np.float32) -> Model:
    """Build a text-less Model (run it on float arrays) from a state_dict .npz. The names alone must describe one
    recurrent module before any array is inflated."""
    with NpzArchive(path) as archive:
        try:
            plan = _plan(archive.names)
            return _build(path, plan, archive.read(archive.names), np.dtype(dtype))
        except GatescopeError as error:
            message = str(error)
            raise GatescopeError(message if message.startswith(str(path)) else f"{path}: {message}") from None


@dataclass(frozen=True)
class _Plan:
    """What the array names say: the module's prefix, its number of layers and whether it is bidirectional."""

    prefix: str
    num_layers: int
    bidirectional: bool


def _plan(names: list[str]) -> _Plan:
    """The module the names describe, or a GatescopeError naming what does not fit (no data is needed)."""
    matches = {name: _NAME.match(name) for name in names}
    unknown = sorted(name for name, match in matches.items() if match is None)
    if unknown:
        raise GatescopeError(
            f"unexpected arrays {', '.join(unknown)}: expected only a recurrent module's "
            f"weight_ih_l*, weight_hh_l*, bias_ih_l*, bias_hh_l*; save just that module's "
            f"state_dict (e.g. net.lstm.state_dict())"
        )
    prefixes = {match.group("prefix") for match in matches.values() if match}
    if len(prefixes) != 1:
        raise GatescopeError(
            f"arrays come from several modules ({', '.join(sorted(p or '(none)' for p in prefixes))});"
            f" save one recurrent module's state_dict"
        )
    prefix = prefixes.pop()
    if any(match and match.group("what") == "weight_hr" for match in matches.values()):
        raise GatescopeError("LSTM with proj_size (weight_hr_l*) is not supported")
    num_layers = 1 + max(int(match.group("layer")) for match in matches.values() if match)
    bidirectional = any(match.group("reverse") for match in matches.values() if match)
    has_bias = any(match.group("what").startswith("bias") for match in matches.values() if match)
    expected = {prefix + name for name in weight_names(num_layers, bidirectional, has_bias, peepholes=False)}
    missing, extra = sorted(expected - set(names)), sorted(set(names) - expected)
    if missing:
        raise GatescopeError(f"missing arrays {', '.join(missing)}")
    if extra:
        raise GatescopeError(f"unexpected arrays {', '.join(extra)}")
    return _Plan(prefix, num_layers, bidirectional)


def _build(path: Path, plan: _Plan, arrays: dict[str, np.ndarray], dtype: np.dtype) -> Model:
    for name, array in arrays.items():
        if array.dtype.kind != "f":
            raise GatescopeError(f"array {name!r} is {array.dtype}; weights must be floating point")
    prefix, num_layers, bidirectional = plan.prefix, plan.num_layers, plan.bidirectional
    weight_ih, weight_hh = arrays[f"{prefix}weight_ih_l0"], arrays[f"{prefix}weight_hh_l0"]
    if weight_hh.ndim != 2 or weight_ih.ndim != 2 or weight_hh.shape[1] == 0:
        raise GatescopeError(f"weight_ih_l0 {weight_ih.shape} and weight_hh_l0 {weight_hh.shape} must be 2-D")
    units = weight_hh.shape[1]
    gates, remainder = divmod(weight_hh.shape[0], units)
    if remainder or gates not in _KIND_BY_GATES:
        raise GatescopeError(
            f"weight_hh_l0 has shape {weight_hh.shape}: rows must be 4×, 3× or 1× its {units} columns (LSTM, GRU, RNN)"
        )
    kind = _KIND_BY_GATES[gates]
    layers = [
        layer_from_state_dict(arrays, k, kind, bidirectional=bidirectional, dtype=dtype, prefix=prefix)
        for k in range(num_layers)
    ]
    description = (
        f"PyTorch nn.{kind.upper()} state_dict: {num_layers} layer{'s' if num_layers > 1 else ''}, "
        f"{units} units{', bidirectional' if bidirectional else ''}"
    )
    return Model(
        layers=layers,
        name=path.stem,
        description=description,
        provenance={"format": "pytorch state_dict npz", "file": path.name},
        source=path,
    )
