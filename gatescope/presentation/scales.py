"""Fixed colour scales, shared by every view: gates 0..1 (sequential), tanh quantities −1..1 (diverging), cell state
symmetric around 0 with a range calibrated per layer. Colour-blind-safe maps; never auto-levelled per frame."""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from gatescope.engine.phases import CELL_WIRES, GATE_WIRES, CellFlow
from gatescope.engine.trace import LayerTrace
from gatescope.presentation.text import scale_text

#: Colour schemes users can pick: name -> (sequential map for 0..1, diverging map for -1..1), by colour-map name.
SCHEMES: dict[str, tuple[str, str]] = {
    "viridis + blue-yellow": ("viridis", "CET-CBD1"),
    "cividis + blue-red": ("cividis", "CET-D1A"),
    "magma + blue-yellow": ("magma", "CET-CBD1"),
}
DEFAULT_SCHEME = "viridis + blue-yellow"

#: Sigmoid gates: they live in 0..1 and take the sequential map.
GATES = frozenset(("input", "forget", "output", "update", "reset"))


def is_gate(quantity: str) -> bool:
    """Sigmoid gates live in 0..1; everything else in this app is tanh-like or a cell state."""
    return quantity in GATES


def colour_maps(scheme: str) -> tuple[str, str]:
    """(sequential, diverging) colour-map names of a scheme; the default scheme's for an unknown name."""
    return SCHEMES.get(scheme, SCHEMES[DEFAULT_SCHEME])


def symmetric_limit(values: npt.NDArray[np.floating]) -> float:
    """A symmetric level for values that may leave −1..1: at least 1, else their largest |value| rounded up to a
    half; 1 when there are none or they are not finite."""
    if values.size == 0:
        return 1.0
    largest = float(np.max(np.abs(values)))
    if not np.isfinite(largest):
        return 1.0
    return max(1.0, float(np.ceil(largest * 2) / 2))


#: cell_state_limit per layer trace, for as long as the trace lives (an lru_cache kept the last eight traces alive:
#: 1.6 GB of a 2-layer bidirectional 512-unit LSTM over 5,000 tokens).
_CELL_STATE_LIMITS: weakref.WeakKeyDictionary[LayerTrace, float] = weakref.WeakKeyDictionary()


def cell_state_limit(layer: LayerTrace) -> float:
    """Symmetric level for a layer's cell state (1 for layers without one); computed once per layer trace."""
    limit = _CELL_STATE_LIMITS.get(layer)
    if limit is None:
        limit = _CELL_STATE_LIMITS[layer] = 1.0 if layer.c is None else symmetric_limit(layer.c)
    return limit


def levels(quantity: str, layer: LayerTrace) -> tuple[float, float]:
    """Fixed levels of a quantity on a layer: gates (0, 1), cell state (−m, m), the rest (−1, 1)."""
    if is_gate(quantity):
        return 0.0, 1.0
    if quantity == "cell_state":
        limit = cell_state_limit(layer)
        return -limit, limit
    return -1.0, 1.0


def interpolate_rows(values: npt.NDArray[np.floating], position: float) -> npt.NDArray[np.floating]:
    """Row at a fractional step: linear between the two neighbouring tokens (the tween views show)."""
    last = values.shape[0] - 1
    position = min(max(position, 0.0), float(last))
    low = int(np.floor(position))
    fraction = position - low
    if fraction == 0.0 or low >= last:
        return values[low]
    return values[low] * (1.0 - fraction) + values[low + 1] * fraction


#: Wires whose values are not bounded by an activation: their level is calibrated on the trace (symmetric_limit).
UNBOUNDED_WIRES = ("x", "reset_applied", "preactivation")


def wire_levels(flows: Sequence[CellFlow], layer: LayerTrace) -> dict[str, tuple[float, float]]:
    """Fixed levels of every wire of a layer's cell diagram: gates 0..1, cell-state wires on the layer's cell scale,
    the inputs and pre-activations on a symmetric level calibrated over every direction, the rest −1..1."""
    cell = cell_state_limit(layer)
    levels: dict[str, tuple[float, float]] = {}
    for wire in flows[0].wires:
        if wire in GATE_WIRES:
            levels[wire] = (0.0, 1.0)
        elif wire in CELL_WIRES:
            levels[wire] = (-cell, cell)
        elif wire in UNBOUNDED_WIRES:
            limit = symmetric_limit(np.concatenate([flow.wires[wire].ravel() for flow in flows]))
            levels[wire] = (-limit, limit)
        else:
            levels[wire] = (-1.0, 1.0)
    return levels


@dataclass(frozen=True)
class Scale:
    """One fixed colour scale as a legend shows it: its name, its levels and which colour map (sequential for gates)
    draws it."""

    name: str
    low: float
    high: float
    sequential: bool

    @property
    def caption(self) -> str:
        return f"{self.name} {scale_text(self.low, self.high)}"

    @property
    def ticks(self) -> tuple[float, float, float]:
        return self.low, (self.low + self.high) / 2, self.high


def legend_scales(layer: LayerTrace | None) -> list[Scale]:
    """The scales a layer's heatmaps use: gates (LSTM, GRU), tanh quantities, and the cell state (LSTM only)."""
    if layer is None:
        return []
    shown = []
    if layer.gates:
        shown.append(Scale("gates", 0.0, 1.0, sequential=True))
    tanh_name = "tanh (candidate, h)" if "candidate" in layer.gates else "tanh (h)"
    shown.append(Scale(tanh_name, -1.0, 1.0, sequential=False))
    if layer.c is not None:
        limit = cell_state_limit(layer)
        shown.append(Scale("cell state", -limit, limit, sequential=False))
    return shown
