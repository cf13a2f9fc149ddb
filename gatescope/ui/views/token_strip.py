"""Token chips: one per token, the current one highlighted, unknown ones dashed; click a chip to go there.

Painted by hand and only for the chips that fit, so a 5,000-token text costs the same per repaint as a short one.
The plain chips are kept in a pixmap until the strip scrolls, resizes or restyles; a step repaints only the old and
the new current chip: a piece of that pixmap and the highlighted chip on top.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFontMetricsF, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QSizePolicy, QWidget

from gatescope.presentation.text import quoted, step_text, token_text
from gatescope.ui.session import SessionModel
from gatescope.ui.views.binding import SessionView

PADDING = 7.0
GAP = 4.0
HEIGHT = 30.0
SESSION_SLOTS = (("trace_changed", "_on_trace_changed"), ("step_changed", "_on_step_changed"))


class TokenStrip(SessionView):
    """A row of chips scrolled so the current token stays in view."""

    status_message = Signal(str)

    def __init__(self, session: SessionModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMinimumHeight(int(HEIGHT) + 8)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)  # the cached pixmap covers every pixel
        self._labels: list[str] = []
        self._left = np.zeros(0)
        self._right = np.zeros(0)
        self._offset = 0.0
        self._chips: QPixmap | None = None  # the background and every plain chip in view at the current offset
        self._shown_step: int | None = None  # the chip last painted as current
        self.bind(session, SESSION_SLOTS)
        self._on_trace_changed(session.trace)

    def sizeHint(self) -> QSize:
        return QSize(600, int(HEIGHT) + 8)

    def _on_trace_changed(self, trace) -> None:
        self._labels = [] if trace is None else [token_text(token) for token in trace.tokens]
        metrics = QFontMetricsF(self.font())
        widths = np.array([metrics.horizontalAdvance(label) + 2 * PADDING for label in self._labels])
        self._right = np.cumsum(widths + GAP) - GAP if len(widths) else np.zeros(0)
        self._left = self._right - widths
        self._offset = 0.0
        self._scroll_to_current()
        self._invalidate()

    def _on_step_changed(self, _step: int) -> None:
        offset, shown = self._offset, self._shown_step
        self._scroll_to_current()
        if self._offset != offset or shown is None or shown >= len(self._labels):
            self._invalidate()
            return
        for index in (shown, self.session.step):  # unhighlight the old chip, highlight the new one
            self.update(self.chip_rect(index).adjusted(-2, -2, 2, 2).toAlignedRect())

    def _invalidate(self) -> None:
        self._chips = None
        self.update()

    def _scroll_to_current(self) -> None:
        if not len(self._labels):
            return
        step = self.session.step
        width = max(1.0, float(self.width()) - 8)
        left, right = self._left[step], self._right[step]
        if left - self._offset < 0 or right - self._offset > width:
            self._offset = (left + right) / 2 - width / 2
        self._offset = min(max(0.0, self._offset), max(0.0, float(self._right[-1]) - width))

    def resizeEvent(self, event) -> None:
        self._scroll_to_current()
        self._chips = None
        super().resizeEvent(event)

    def changeEvent(self, event) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._chips = None
            self.update()
        super().changeEvent(event)

    def chip_at(self, x: float) -> int | None:
        """Index of the chip under widget x, or None."""
        if not len(self._labels):
            return None
        position = x - 4 + self._offset
        index = int(np.searchsorted(self._right, position))
        if index < len(self._labels) and self._left[index] <= position <= self._right[index]:
            return index
        return None

    def chip_rect(self, index: int) -> QRectF:
        """Where chip ``index`` is drawn now (widget coordinates)."""
        return QRectF(4 + self._left[index] - self._offset, 4, self._right[index] - self._left[index], HEIGHT)

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        if self._chips is None:
            self._chips = self._paint_chips()
        painter.drawPixmap(event.rect(), self._chips, event.rect())
        trace = self.session.trace
        self._shown_step = None
        if trace is not None and self._labels:
            step = self.session.step
            rect = self.chip_rect(step)
            if rect.right() >= 0 and rect.left() <= self.width():
                painter.setRenderHint(QPainter.RenderHint.Antialiasing)
                self._paint_chip(painter, step, bool(trace.unknown[step]), current=True)
            self._shown_step = step
        painter.end()

    def _paint_chips(self) -> QPixmap:
        """The background and the plain (not current) chips in view, at the current offset."""
        ratio = self.devicePixelRatioF()
        pixmap = QPixmap(self.size() * ratio)
        pixmap.setDevicePixelRatio(ratio)
        pixmap.fill(self.palette().window().color())
        trace = self.session.trace
        if trace is None or not self._labels:
            return pixmap
        painter = QPainter(pixmap)
        painter.setFont(self.font())
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        first = int(np.searchsorted(self._right, self._offset))
        last = int(np.searchsorted(self._left, self._offset + self.width()))
        for index in range(first, min(last, len(self._labels))):
            self._paint_chip(painter, index, bool(trace.unknown[index]), current=False)
        painter.end()
        return pixmap

    def _paint_chip(self, painter: QPainter, index: int, unknown: bool, current: bool) -> None:
        palette = self.palette()
        highlight, text = palette.highlight().color(), palette.text().color()
        muted = QColor(text)
        muted.setAlpha(120)
        pen = QPen(highlight if current else muted, 2.0 if current else 1.0)
        if unknown:
            pen.setStyle(Qt.PenStyle.DashLine)
        rect = self.chip_rect(index)
        painter.setPen(pen)
        painter.setBrush(highlight if current else palette.base().color())
        painter.drawRoundedRect(rect, 6, 6)
        painter.setPen(palette.highlightedText().color() if current else (muted if unknown else text))
        font = painter.font()
        font.setItalic(unknown)
        painter.setFont(font)
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, self._labels[index])

    def mousePressEvent(self, event) -> None:
        index = self.chip_at(event.position().x())
        if index is not None:
            self.session.set_step(index)

    def mouseMoveEvent(self, event) -> None:
        index = self.chip_at(event.position().x())
        trace = self.session.trace
        if index is None or trace is None:
            return
        note = " — unknown to this model (read as <unk>)" if trace.unknown[index] else ""
        self.status_message.emit(f"{quoted(trace.tokens[index])} ({step_text(index, trace.steps)}){note}")
