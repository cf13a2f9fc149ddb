"""Colours, looked up in one place: tables for the fixed scales of :mod:`gatescope.presentation.scales` (from
pyqtgraph's colour maps, as RGBA for pyqtgraph and as Qt's ARGB32 bytes for strips painted from a QImage), and the
palette colours every view paints its text, background and frames with."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor, QPalette, QPen

from gatescope.presentation.scales import colour_maps


@lru_cache(maxsize=16)
def lookup_table(scheme: str, sequential: bool) -> np.ndarray:
    """(256, 4) uint8 RGBA lookup table for ImageItem.setLookupTable."""
    sequential_map, diverging_map = colour_maps(scheme)
    colormap = pg.colormap.get(sequential_map if sequential else diverging_map)
    return colormap.getLookupTable(0.0, 1.0, 256, alpha=True).astype(np.ubyte)


@lru_cache(maxsize=64)
def strip_tables(scheme: str, sequential: tuple[bool, ...]) -> np.ndarray:
    """(strips, 256, 4) uint8: each strip's table in the byte order of Qt's premultiplied ARGB32 (B, G, R, A; the
    tables are opaque, so premultiplying changes nothing) — what :func:`colour_rows` turns values into. Read-only."""
    tables = np.zeros((len(sequential), 256, 4), dtype=np.ubyte)
    for strip, gate in enumerate(sequential):
        tables[strip] = lookup_table(scheme, gate)[:, [2, 1, 0, 3]]
    tables.flags.writeable = False
    return tables


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


@dataclass(frozen=True)
class Ink:
    """The theme's colours as the views use them: ``text`` for words, axes and outlines, ``base`` behind plots and
    the diagram, ``window`` behind panels, ``mid`` for frames."""

    text: QColor
    base: QColor
    window: QColor
    mid: QColor

    @classmethod
    def of(cls, palette: QPalette) -> Ink:
        role = QPalette.ColorRole
        return cls(
            palette.color(role.WindowText),
            palette.color(role.Base),
            palette.color(role.Window),
            palette.color(role.Mid),
        )

    def see_through(self, alpha: int) -> QColor:
        """The base colour at ``alpha`` (0..255): a legend's background that lets curves under it show."""
        colour = QColor(self.base)
        colour.setAlpha(alpha)
        return colour


def cosmetic_pen(colour: QColor, width: float) -> QPen:
    """A pen ``width`` pixels wide whatever the item's scale (step lines, dividers, outlines)."""
    pen = QPen(colour, width)
    pen.setCosmetic(True)
    return pen
