"""Pieces shared by the pyqtgraph canvases so that a step repaints only thin strips, cheaply."""

from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QGraphicsItem, QGraphicsLineItem, QGraphicsView

from gatescope.presentation.text import token_text

#: Dark halo under a light core: the outline shows on either theme and on any colour map.
HALO, CORE = QColor(0, 0, 0), QColor(255, 255, 255)


def tune_for_live_updates(view: QGraphicsView) -> None:
    """No background cache: filling an exposed strip with the plain background colour is cheaper than blitting a
    cached pixmap through a clip region (which Qt's raster engine hands to its thread pool for tall strips)."""
    view.setCacheMode(QGraphicsView.CacheModeFlag.CacheNone)


def step_line() -> QGraphicsLineItem:
    """A vertical line placed in data coordinates (``pos().x()`` is the step) but sized in pixels.

    Its bounding rect is then padded by its pen in pixels; a cosmetic pen on a line in data coordinates pads by pen
    width in data units — on a 0..1 axis a whole plot height above and below, so each step repainted axes and
    neighbouring plots. Size it with :func:`fit_step_line` whenever the view's transform changes.
    """
    line = QGraphicsLineItem(0.0, 0.0, 0.0, 0.0)
    line.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
    line.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
    line.setZValue(10)
    return line


def fit_step_line(line: QGraphicsLineItem, to_pixels, low: float, high: float) -> None:
    """Span ``line`` from data value ``high`` to ``low`` under the view's data-to-pixel transform ``to_pixels``."""
    top, bottom = (to_pixels.map(QPointF(0.0, value)).y() for value in (high, low))
    line.setLine(0.0, 0.0, 0.0, bottom - top)
    line.setPos(line.pos().x(), high)


class RectOutline(QGraphicsItem):
    """A rectangle's outline in its parent's pixel coordinates: a ``halo``-pixel dark band under a ``core``-pixel
    light one, each centred on the edges.

    Painted as opaque axis-aligned fills, which the raster engine writes straight into memory; a stroked pen of
    the same look goes through the path rasteriser and, for a tall rectangle, through Qt's painting thread pool.
    """

    def __init__(self, halo: float = 3.0, core: float = 1.5, parent: QGraphicsItem | None = None) -> None:
        super().__init__(parent)
        self._rect = QRectF()
        self._halo, self._core = halo, core
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setAcceptHoverEvents(False)

    def rect(self) -> QRectF:
        return QRectF(self._rect)

    def setRect(self, rect: QRectF) -> None:
        rect = QRectF(rect).normalized()
        if rect != self._rect:
            self.prepareGeometryChange()
            self._rect = rect

    def boundingRect(self) -> QRectF:
        pad = self._halo / 2 + 1.0
        return self._rect.adjusted(-pad, -pad, pad, pad)

    def paint(self, painter, _option, _widget=None) -> None:
        if self._rect.isEmpty():
            return
        for width, colour in ((self._halo, HALO), (self._core, CORE)):
            for band in edges(self._rect, width):
                painter.fillRect(band, colour)


def edges(rect: QRectF, width: float) -> tuple[QRectF, QRectF, QRectF, QRectF]:
    """Four bands ``width`` thick centred on the edges of ``rect``: top, bottom, left, right."""
    half = width / 2
    left, top, right, bottom = rect.left() - half, rect.top() - half, rect.right() + half, rect.bottom() + half
    return (
        QRectF(left, top, right - left, width),
        QRectF(left, bottom - width, right - left, width),
        QRectF(left, top, width, bottom - top),
        QRectF(right - width, top, width, bottom - top),
    )


class TokenAxis(pg.AxisItem):
    """A bottom axis of token positions that labels as many tokens as fit — never one label per token of a long text."""

    def __init__(self, pixels_per_label: int = 56) -> None:
        super().__init__("bottom")
        self.enableAutoSIPrefix(False)
        self._tokens: list[str] = []
        self._pixels_per_label = pixels_per_label

    def set_tokens(self, tokens: list[str]) -> None:
        self._tokens = list(tokens)
        self.picture = None
        self.update()

    def tickValues(self, minVal: float, maxVal: float, size: float):
        first, last = max(0, math.ceil(minVal)), min(len(self._tokens) - 1, math.floor(maxVal))
        if last < first:
            return []
        fits = max(1, int(size // self._pixels_per_label))
        spacing = 1
        for step in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000):
            spacing = step
            if (last - first) / step < fits:
                break
        start = first + (-first) % spacing
        return [(float(spacing), [float(v) for v in range(start, last + 1, spacing)])]

    def tickStrings(self, values, scale, spacing):
        labels = []
        for value in values:
            index = int(round(value))
            labels.append(token_text(self._tokens[index], limit=9) if 0 <= index < len(self._tokens) else "")
        return labels
