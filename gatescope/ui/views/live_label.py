"""A label for text that changes every step: fixed height, painted in place, never asks for a new layout.

A QLabel's setText posts a layout request that climbs to the main window, whose dock layout then queries every
view's size hints — several milliseconds per step. LiveLabel only repaints itself.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QFont, QPainter
from PySide6.QtWidgets import QSizePolicy, QWidget


class LiveLabel(QWidget):
    """Word-wrapped text in a fixed number of lines; text that does not fit is cut, with the full text as tooltip."""

    def __init__(
        self, lines: int = 1, point_scale: float = 1.0, bold: bool = False, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._text = ""
        self._lines = lines
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * point_scale)
        font.setBold(bold)
        self.setFont(font)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        # Opaque: Qt then repaints only this label, not the panel and dock (title bar, frame) behind it.
        self.setAutoFillBackground(True)
        self.setFixedHeight(lines * self.fontMetrics().lineSpacing() + 6)

    def text(self) -> str:
        return self._text

    def setText(self, text: str) -> None:
        if text != self._text:
            self._text = text
            self.setToolTip(text if len(text) > 60 else "")
            self.update()

    def sizeHint(self) -> QSize:
        return QSize(200, self.height())

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setPen(self.palette().windowText().color())
        flags = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop
        if self._lines > 1:
            flags |= Qt.TextFlag.TextWordWrap
            painter.drawText(QRectF(self.rect()).adjusted(2, 2, -2, -2), flags, self._text)
        else:
            elided = self.fontMetrics().elidedText(self._text, Qt.TextElideMode.ElideRight, self.width() - 4)
            painter.drawText(QRectF(self.rect()).adjusted(2, 2, -2, -2), flags, elided)
        painter.end()
