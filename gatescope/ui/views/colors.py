"""Colour tables for the fixed scales of :mod:`gatescope.presentation.scales`, from pyqtgraph's colour maps."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pyqtgraph as pg

from gatescope.presentation.scales import colour_maps


@lru_cache(maxsize=16)
def lookup_table(scheme: str, sequential: bool) -> np.ndarray:
    """(256, 4) uint8 RGBA lookup table for ImageItem.setLookupTable."""
    sequential_map, diverging_map = colour_maps(scheme)
    colormap = pg.colormap.get(sequential_map if sequential else diverging_map)
    return colormap.getLookupTable(0.0, 1.0, 256, alpha=True).astype(np.ubyte)


def colour_at(value: float, low: float, high: float, scheme: str, sequential: bool):
    """A QColor for one value on a fixed scale (for bars, chips and legends)."""
    table = lookup_table(scheme, sequential)
    index = int(np.clip((value - low) / (high - low) * 255, 0, 255)) if high > low else 0
    red, green, blue, alpha = (int(v) for v in table[index])
    return pg.mkColor(red, green, blue, alpha)


def colour_rows(rows: np.ndarray, levels: np.ndarray, tables: np.ndarray) -> np.ndarray:
    """(strips, units) values -> (strips, units, 4) colours through each strip's 256-entry table on its fixed levels.

    levels : (strips, 2) low, high; tables : (strips, 256, 4) uint8.
    """
    low, high = levels[:, :1], levels[:, 1:]
    scaled = (rows - low) * (255.0 / (high - low))
    index = scaled.clip(0, 255, out=scaled).astype(np.intp)
    index += np.arange(0, 256 * rows.shape[0], 256)[:, None]  # into the tables laid end to end
    pixels = np.ascontiguousarray(tables).view(np.uint32).reshape(-1)  # one 4-byte colour per entry: a fast gather
    return np.ascontiguousarray(pixels[index]).view(np.ubyte).reshape(*rows.shape, 4)
