"""Fixed colour scales, shared by every view: gates 0..1 (sequential), tanh quantities -1..1 (diverging),
cell state symmetric around 0. Colour-blind-safe maps; never auto-levelled per frame."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pyqtgraph as pg

from gatescope.engine.trace import LayerTrace

#: Colour schemes users can pick: name -> (sequential map for 0..1, diverging map for -1..1).
SCHEMES: dict[str, tuple[str, str]] = {
    "viridis + blue-yellow": ("viridis", "CET-CBD1"),
    "cividis + blue-red": ("cividis", "CET-D1A"),
    "magma + blue-yellow": ("magma", "CET-CBD1"),
}
DEFAULT_SCHEME = "viridis + blue-yellow"

GATES = ("input", "forget", "output", "update", "reset")
TITLES = {
    "input": "input gate i",
    "forget": "forget gate f",
    "candidate": "candidate g",
    "output": "output gate o",
    "update": "update gate z",
    "reset": "reset gate r",
    "cell_state": "cell state c",
    "hidden_state": "hidden state h",
}


def is_gate(quantity: str) -> bool:
    """Sigmoid gates live in 0..1; everything else in this app is tanh-like or a cell state."""
    return quantity in GATES


def title(quantity: str, kind: str = "lstm") -> str:
    if quantity == "candidate" and kind == "gru":
        return "candidate n"
    return TITLES.get(quantity, quantity.replace("_", " "))


@lru_cache(maxsize=16)
def lookup_table(scheme: str, sequential: bool) -> np.ndarray:
    """(256, 4) uint8 RGBA lookup table for ImageItem.setLookupTable."""
    names = SCHEMES.get(scheme, SCHEMES[DEFAULT_SCHEME])
    colormap = pg.colormap.get(names[0] if sequential else names[1])
    return colormap.getLookupTable(0.0, 1.0, 256, alpha=True).astype(np.ubyte)


@lru_cache(maxsize=8)
def cell_state_limit(layer: LayerTrace) -> float:
    """Symmetric level for the cell state: at least 1, else the trace's largest |c| rounded up to a half."""
    if layer.c is None or layer.c.size == 0:
        return 1.0
    largest = float(np.max(np.abs(layer.c)))
    return max(1.0, float(np.ceil(largest * 2) / 2))


def levels(quantity: str, layer: LayerTrace) -> tuple[float, float]:
    """Fixed levels of a quantity on a layer: gates (0, 1), cell state (-m, m), the rest (-1, 1)."""
    if is_gate(quantity):
        return 0.0, 1.0
    if quantity == "cell_state":
        limit = cell_state_limit(layer)
        return -limit, limit
    return -1.0, 1.0


def colour_at(value: float, low: float, high: float, scheme: str, sequential: bool):
    """A QColor for one value on a fixed scale (for bars, chips and legends)."""
    table = lookup_table(scheme, sequential)
    index = int(np.clip((value - low) / (high - low) * 255, 0, 255)) if high > low else 0
    red, green, blue, alpha = (int(v) for v in table[index])
    return pg.mkColor(red, green, blue, alpha)


def interpolate_rows(values: np.ndarray, position: float) -> np.ndarray:
    """Row at a fractional step: linear between the two neighbouring tokens (the tween views show)."""
    last = values.shape[0] - 1
    position = min(max(position, 0.0), float(last))
    low = int(np.floor(position))
    fraction = position - low
    if fraction == 0.0 or low >= last:
        return values[low]
    return values[low] * (1.0 - fraction) + values[low + 1] * fraction
