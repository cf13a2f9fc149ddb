"""The cell diagram's graphics items, one class per kind of part: gate blocks, pointwise operations, wires, vector
strips and the packets that carry a vector's colours along a wire. Each belongs to a phase and shows it: faint before
its phase runs, orange while it runs, plain afterwards. Made once per layout and updated in place.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPainterPath, QPen, QPolygonF
from PySide6.QtWidgets import QGraphicsItem

from gatescope.ui.views.cell.layouts import BLOCK_H, BLOCK_W, OP_R, STRIP_SIZE, BlockSpec, OpSpec, WireSpec
from gatescope.ui.views.colors import Ink

#: Okabe–Ito orange: the part of the cell that is working right now.
ACTIVE = QColor(230, 159, 0)
#: How faint a part is before its phase runs.
FUTURE_OPACITY = 0.22


class StateItem(QGraphicsItem):
    """An item that belongs to a phase: faint before it runs, highlighted while it runs, plain afterwards."""

    def __init__(self, ink: Ink, phase: int, parent: QGraphicsItem | None = None) -> None:
        super().__init__(parent)
        self.ink, self.phase, self.state = ink, phase, "done"
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)

    def set_ink(self, ink: Ink) -> None:
        """Paint with the theme's colours ``ink`` from now on."""
        self.ink = ink
        self.update()

    def set_state(self, state: str) -> None:
        """ "future", "active" or "done"."""
        if state != self.state:
            self.state = state
            self.setOpacity(FUTURE_OPACITY if state == "future" else 1.0)
            self.update()


class Block(StateItem):
    """A gate (or the RNN's tanh) block: a rounded box with its activation function and name."""

    def __init__(self, spec: BlockSpec, ink: Ink, font: QFont) -> None:
        super().__init__(ink, spec.phase)
        self.spec = spec
        self._rect = QRectF(-BLOCK_W / 2, -BLOCK_H / 2, BLOCK_W, BLOCK_H)
        self._font, self._big = QFont(font), QFont(font)
        self._big.setPointSizeF(font.pointSizeF() * 1.35)
        self._big.setBold(True)
        self.setPos(*spec.centre)

    def boundingRect(self) -> QRectF:
        return self._rect.adjusted(-3, -3, 3, 3)

    def paint(self, painter: QPainter, _option, _widget=None) -> None:
        active = self.state == "active"
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(ACTIVE if active else self.ink.text, 3.0 if active else 1.4))
        fill = QColor(ACTIVE) if active else QColor(self.ink.base)
        if active:
            fill.setAlpha(70)
        painter.setBrush(fill)
        painter.drawRoundedRect(self._rect, 8, 8)
        painter.setPen(self.ink.text)
        painter.setFont(self._big)
        centre = Qt.AlignmentFlag.AlignCenter
        painter.drawText(self._rect.adjusted(0, 2, 0, -BLOCK_H / 2 + 4), centre, self.spec.function)
        painter.setFont(self._font)
        painter.drawText(self._rect.adjusted(0, BLOCK_H / 2 - 2, 0, -2), centre, self.spec.label)


class Op(StateItem):
    """A pointwise operation: ×, +, 1− or tanh in a circle."""

    def __init__(self, spec: OpSpec, ink: Ink, font: QFont) -> None:
        super().__init__(ink, spec.phase)
        self.spec = spec
        self._font = QFont(font)
        if len(spec.symbol) > 1:
            self._font.setPointSizeF(font.pointSizeF() * 0.85)
        else:
            self._font.setPointSizeF(font.pointSizeF() * 1.3)
        self._radius = OP_R + (6 if spec.symbol == "tanh" else 0)
        self.setPos(*spec.centre)

    def boundingRect(self) -> QRectF:
        r = self._radius + 3
        return QRectF(-r, -r, 2 * r, 2 * r)

    def paint(self, painter: QPainter, _option, _widget=None) -> None:
        active = self.state == "active"
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(ACTIVE if active else self.ink.text, 2.6 if active else 1.4))
        painter.setBrush(self.ink.base)
        r = self._radius
        painter.drawEllipse(QRectF(-r, -r, 2 * r, 2 * r))
        painter.setFont(self._font)
        painter.setPen(self.ink.text)
        painter.drawText(QRectF(-r, -r, 2 * r, 2 * r), Qt.AlignmentFlag.AlignCenter, self.spec.symbol)


class Wire(StateItem):
    """A wire: a polyline with an arrow head at its end; thick and orange while its values travel."""

    def __init__(self, spec: WireSpec, ink: Ink) -> None:
        super().__init__(ink, spec.phase)
        self.spec = spec
        self._path = QPainterPath(QPointF(*spec.points[0]))
        for point in spec.points[1:]:
            self._path.lineTo(QPointF(*point))
        end, before = QPointF(*spec.points[-1]), QPointF(*spec.points[-2])
        direction = end - before
        length = max(1e-6, (direction.x() ** 2 + direction.y() ** 2) ** 0.5)
        unit = QPointF(direction.x() / length, direction.y() / length)
        normal = QPointF(-unit.y(), unit.x())
        self._arrow = (
            QPolygonF([end, end - unit * 10 + normal * 5, end - unit * 10 - normal * 5]) if spec.arrow else QPolygonF()
        )
        self._bounds = self._path.boundingRect().united(self._arrow.boundingRect()).adjusted(-4, -4, 4, 4)
        self.setZValue(-1)

    @property
    def path(self) -> QPainterPath:
        return self._path

    def boundingRect(self) -> QRectF:
        return self._bounds

    def paint(self, painter: QPainter, _option, _widget=None) -> None:
        active = self.state == "active"
        colour = ACTIVE if active else self.ink.text
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(colour, 3.2 if active else 1.5))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self._path)
        if not self._arrow.isEmpty():
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(colour)
            painter.drawPolygon(self._arrow)


class VectorStrip(StateItem):
    """A vector as a row of coloured cells (one per unit) with its name and scale above; the selected unit outlined.

    Future strips are drawn empty (the value is not computed yet); a strip fades in while its phase runs.
    """

    def __init__(self, wire: str, title: str, ink: Ink, font: QFont, phase: int, on_hover=None, on_click=None) -> None:
        super().__init__(ink, phase)
        self.wire = wire
        self._title = title
        self._font = QFont(font)
        self._font.setPointSizeF(font.pointSizeF() * 0.9)
        self._colours = np.zeros((1, 0, 4), dtype=np.ubyte)
        self._image = QImage()
        self._marker: int | None = None
        self._values = np.zeros(0)
        self._on_hover, self._on_click = on_hover, on_click
        self._rect = QRectF(0.0, 0.0, *STRIP_SIZE)
        self.setAcceptHoverEvents(on_hover is not None)
        self.setAcceptedMouseButtons(Qt.MouseButton.LeftButton if on_click else Qt.MouseButton.NoButton)
        self.setZValue(2)

    def set_title(self, title: str) -> None:
        if title != self._title:
            self._title = title
            self.update()

    @property
    def title(self) -> str:
        return self._title

    def set_values(self, values: np.ndarray, colours: np.ndarray) -> None:
        """(n,) values shown left to right and their (n, 4) premultiplied ARGB32 bytes."""
        self._values = values
        self._colours = np.ascontiguousarray(colours.reshape(1, -1, 4))
        columns = self._colours.shape[1]
        self._image = QImage(self._colours.data, columns, 1, 4 * columns, QImage.Format.Format_ARGB32_Premultiplied)
        self.update()

    @property
    def values(self) -> np.ndarray:
        """The values the strip shows, left to right."""
        return self._values

    def image(self) -> QImage:
        return self._image.copy()

    def set_marker(self, column: int | None) -> None:
        if column != self._marker:
            self._marker = column
            self.update()

    @property
    def marker(self) -> int | None:
        return self._marker

    def column_at(self, x: float) -> int | None:
        columns = self._colours.shape[1]
        column = int(x // (self._rect.width() / columns)) if columns else -1
        return column if 0 <= column < columns else None

    def boundingRect(self) -> QRectF:
        return self._rect.adjusted(-4, -20, 4, 5)

    def paint(self, painter: QPainter, _option, _widget=None) -> None:
        painter.setFont(self._font)
        painter.setPen(self.ink.text)
        painter.drawText(
            QRectF(0, -19, self._rect.width() + 4, 17),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom,
            self._title,
        )
        frame = QColor(ACTIVE) if self.state == "active" else self.ink.mid
        painter.fillRect(self._rect.adjusted(-1.5, -1.5, 1.5, 1.5), frame)
        if self.state == "future" or self._image.isNull():
            painter.fillRect(self._rect, self.ink.base)
            return
        painter.drawImage(self._rect, self._image, QRectF(0, 0, self._image.width(), 1))
        if self._marker is not None and self._image.width():
            width = self._rect.width() / self._image.width()
            cell = QRectF(self._marker * width - 1.5, -3.5, width + 3.0, self._rect.height() + 7.0)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.setPen(QPen(self.ink.text, 2.6))
            painter.drawRect(cell)
            painter.setPen(QPen(self.ink.base, 1.0))
            painter.drawRect(cell)

    def hoverEnterEvent(self, event) -> None:
        self.hoverMoveEvent(event)  # the pointer's first position over the strip already names a unit

    def hoverMoveEvent(self, event) -> None:
        column = self.column_at(event.pos().x())
        if column is not None and self._on_hover is not None and self._rect.contains(event.pos()):
            self._on_hover(self, column)

    def mousePressEvent(self, event) -> None:
        column = self.column_at(event.pos().x())
        if column is not None and self._on_click is not None:
            self._on_click(self, column)


class Packet(QGraphicsItem):
    """A short copy of a vector's colours travelling along a wire while its phase runs."""

    def __init__(self, wire: Wire) -> None:
        super().__init__()
        self.wire = wire
        self._image = QImage()
        self._rect = QRectF(-22.0, -6.0, 44.0, 12.0)
        self.setZValue(5)
        self.setVisible(False)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)

    def set_image(self, image: QImage) -> None:
        self._image = image
        self.update()

    def place(self, progress: float) -> None:
        self.setPos(self.wire.path.pointAtPercent(min(max(progress, 0.0), 1.0)))

    def boundingRect(self) -> QRectF:
        return self._rect.adjusted(-2, -2, 2, 2)

    def paint(self, painter: QPainter, _option, _widget=None) -> None:
        painter.fillRect(self._rect.adjusted(-1.5, -1.5, 1.5, 1.5), ACTIVE)
        if not self._image.isNull():
            painter.drawImage(self._rect, self._image, QRectF(0, 0, self._image.width(), 1))
