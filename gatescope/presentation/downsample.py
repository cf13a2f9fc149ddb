"""Fewer rows or columns for display: each block of neighbours shows its most extreme value.

A heatmap of 1,024 units drawn 90 pixels high would otherwise show every eleventh unit (a scaled image samples rows)
and miss the one saturated gate that matters. Each displayed pixel instead shows, of the values it covers, the one
farthest from the middle of the colour scale: a closed or open gate, a large cell state, whichever sign. Hover and
click still read the exact value of one unit from the trace.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def block_starts(count: int, blocks: int) -> npt.NDArray[np.intp]:
    """First index of each of ``blocks`` nearly equal runs covering 0..count-1 (at most ``count`` runs)."""
    blocks = max(1, min(blocks, count))
    return np.floor(np.arange(blocks) * (count / blocks)).astype(np.intp)


def most_extreme(values: npt.NDArray[np.float32], blocks: int, axis: int, centre: float) -> npt.NDArray[np.float32]:
    """``values`` with ``axis`` cut into ``blocks`` runs of neighbours, each run replaced by its value farthest from
    ``centre`` (the middle of the colour scale; ties keep the larger). Nothing changes when blocks >= the length."""
    count = values.shape[axis]
    if blocks >= count:
        return values
    starts = block_starts(count, blocks)
    highest = np.maximum.reduceat(values, starts, axis=axis)
    lowest = np.minimum.reduceat(values, starts, axis=axis)
    return np.ascontiguousarray(np.where(highest - centre >= centre - lowest, highest, lowest), dtype=values.dtype)
