"""The cell diagram: one LSTM, GRU or RNN step drawn the way explainers draw it — inputs x(t) and h(t−1), their
combination, the gate blocks with their activation, the pointwise operations, (LSTM) the cell-state line along the
top — with every wire's current vector as a colour strip on the app's fixed scales, animated phase by phase.

The items are made once per cell kind and updated in place: a step recolours a dozen small strips, a phase frame
moves a few packets and changes some opacities. Values come from :mod:`gatescope.engine.phases` (the trace), never
from maths done here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPainterPath, QPalette, QPen, QPolygonF
from PySide6.QtWidgets import (
    QButtonGroup,
    QGraphicsItem,
    QGraphicsScene,
    QGraphicsSimpleTextItem,
    QGraphicsView,
    QHBoxLayout,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from gatescope.engine.phases import GATE_WIRES, PHASES, CellFlow, trace_flows, wire_phase
from gatescope.engine.trace import LayerTrace
from gatescope.presentation import scales
from gatescope.presentation.captions import phase_caption, step_heading
from gatescope.presentation.text import phase_title, quoted, scale_text, signed, unit_name, wire_title
from gatescope.ui.views import colors
from gatescope.ui.views.binding import connect_session, disconnect_session
from gatescope.ui.views.colors import colour_rows
from gatescope.ui.views.live_label import LiveLabel

#: Okabe–Ito orange: the part of the cell that is working right now.
ACTIVE = QColor(230, 159, 0)
FUTURE_OPACITY = 0.22
STRIP_SIZE = (132.0, 16.0)
DIAGRAM_SIZE = (1160.0, 580.0)  # one direction's diagram in scene units

SESSION_SLOTS = (
    ("trace_changed", "_on_trace_changed"),
    ("layer_changed", "_on_layer_changed"),
    ("step_changed", "_on_step_changed"),
    ("position_changed", "_on_position_changed"),
    ("phase_changed", "_on_phase_changed"),
    ("phase_progress_changed", "_on_phase_progress_changed"),
    ("unit_changed", "_on_unit_changed"),
    ("unit_order_changed", "_on_unit_order_changed"),
    ("colour_scheme_changed", "_on_colour_scheme_changed"),
)


# --- layouts: where things go, per cell kind (scene units; y grows downwards) ----------------------------------------
@dataclass(frozen=True)
class BlockSpec:
    name: str
    label: str  # e.g. "forget gate"
    function: str  # "σ" | "tanh"
    centre: tuple[float, float]
    phase: int


@dataclass(frozen=True)
class OpSpec:
    name: str
    symbol: str  # "×" | "+" | "1−" | "tanh"
    centre: tuple[float, float]
    phase: int


@dataclass(frozen=True)
class WireSpec:
    points: tuple[tuple[float, float], ...]
    phase: int  # the phase during which values travel along it
    carries: str  # the wire (vector) whose colours travel along it
    arrow: bool = True


@dataclass(frozen=True)
class StripSpec:
    wire: str
    top_left: tuple[float, float]


@dataclass(frozen=True)
class Layout:
    blocks: tuple[BlockSpec, ...]
    ops: tuple[OpSpec, ...]
    wires: tuple[WireSpec, ...]
    strips: tuple[StripSpec, ...]
    labels: tuple[tuple[str, tuple[float, float]], ...]  # fixed texts: inputs, outputs, the combine node
    combine: tuple[float, float]


BLOCK_Y, BUS_Y, TOP_Y = 340.0, 450.0, 110.0
BLOCK_W, BLOCK_H, OP_R = 116.0, 48.0, 13.0


def _lstm_layout() -> Layout:
    f, i, g, o = 300.0, 470.0, 640.0, 850.0
    top, bus, block_top = TOP_Y, BUS_Y, BLOCK_Y - BLOCK_H / 2
    return Layout(
        blocks=(
            BlockSpec("forget", "forget gate", "σ", (f, BLOCK_Y), 1),
            BlockSpec("input", "input gate", "σ", (i, BLOCK_Y), 2),
            BlockSpec("candidate", "candidate", "tanh", (g, BLOCK_Y), 2),
            BlockSpec("output", "output gate", "σ", (o, BLOCK_Y), 4),
        ),
        ops=(
            OpSpec("kept", "×", (f, top), 3),
            OpSpec("cell", "+", (g, top), 3),
            OpSpec("written", "×", (g, 220.0), 3),
            OpSpec("cell_tanh", "tanh", (1000.0, 195.0), 5),
            OpSpec("hidden", "×", (1000.0, 300.0), 5),
        ),
        wires=(
            WireSpec(((20.0, top), (f - OP_R, top)), 3, "c_prev"),
            WireSpec(((f + OP_R, top), (g - OP_R, top)), 3, "kept"),
            WireSpec(((g + OP_R, top), (1140.0, top)), 3, "cell"),
            WireSpec(((20.0, bus), (200.0 - 6, bus)), 0, "h_prev", arrow=False),
            WireSpec(((200.0, 560.0), (200.0, bus + 6)), 0, "x", arrow=False),
            WireSpec(((200.0 + 6, bus), (f, bus), (f, block_top + BLOCK_H)), 1, "h_prev"),
            WireSpec(((f, bus), (i, bus), (i, block_top + BLOCK_H)), 2, "h_prev"),
            WireSpec(((i, bus), (g, bus), (g, block_top + BLOCK_H)), 2, "h_prev"),
            WireSpec(((g, bus), (o, bus), (o, block_top + BLOCK_H)), 4, "h_prev"),
            WireSpec(((f, block_top), (f, top + OP_R)), 3, "forget"),
            WireSpec(((i, block_top), (i, 220.0), (g - OP_R, 220.0)), 3, "input"),
            WireSpec(((g, block_top), (g, 220.0 + OP_R)), 3, "candidate"),
            WireSpec(((g, 220.0 - OP_R), (g, top + OP_R)), 3, "written"),
            WireSpec(((1000.0, top), (1000.0, 195.0 - OP_R - 4)), 5, "cell"),
            WireSpec(((1000.0, 195.0 + OP_R + 4), (1000.0, 300.0 - OP_R)), 5, "cell_tanh"),
            WireSpec(((o, block_top), (o, 300.0), (1000.0 - OP_R, 300.0)), 5, "output"),
            WireSpec(((1000.0 + OP_R, 300.0), (1140.0, 300.0)), 5, "hidden"),
        ),
        strips=(
            StripSpec("c_prev", (40.0, 78.0)),
            StripSpec("kept", (340.0, 78.0)),
            StripSpec("cell", (1008.0, 78.0)),
            StripSpec("h_prev", (40.0, 418.0)),
            StripSpec("x", (214.0, 512.0)),
            StripSpec("forget", (160.0, 215.0)),
            StripSpec("input", (330.0, 250.0)),
            StripSpec("candidate", (652.0, 262.0)),
            StripSpec("written", (652.0, 150.0)),
            StripSpec("output", (862.0, 262.0)),
            StripSpec("cell_tanh", (1012.0, 232.0)),
            StripSpec("hidden", (1012.0, 324.0)),
        ),
        labels=(
            ("c(t−1)", (20.0, 128.0)),
            ("h(t−1)", (20.0, 460.0)),
            ("x(t)", (150.0, 545.0)),
            ("c(t)", (1100.0, 128.0)),
            ("h(t)", (1100.0, 275.0)),
            ("cell state", (740.0, 84.0)),
        ),
        combine=(200.0, bus),
    )


def _gru_layout() -> Layout:
    r, z, n = 300.0, 470.0, 800.0
    top, bus, block_top = TOP_Y, BUS_Y, BLOCK_Y - BLOCK_H / 2
    product, mix = 262.0, 185.0  # rows of the reset product and of the (1 − z) ⊙ n mix
    return Layout(
        blocks=(
            BlockSpec("reset", "reset gate", "σ", (r, BLOCK_Y), 1),
            BlockSpec("update", "update gate", "σ", (z, BLOCK_Y), 2),
            BlockSpec("candidate", "candidate", "tanh", (n, BLOCK_Y), 3),
        ),
        ops=(
            OpSpec("reset_applied", "×", (640.0, product), 3),
            OpSpec("kept", "×", (560.0, top), 4),
            OpSpec("one_minus", "1−", (640.0, mix), 4),
            OpSpec("written", "×", (n + 30, mix), 4),
            OpSpec("hidden", "+", (n + 30, top), 4),
        ),
        wires=(
            WireSpec(((20.0, top), (120.0, top), (560.0 - OP_R, top)), 4, "h_prev"),
            WireSpec(((560.0 + OP_R, top), (n + 30 - OP_R, top)), 4, "kept"),
            WireSpec(((n + 30 + OP_R, top), (1140.0, top)), 4, "hidden"),
            WireSpec(((120.0, top), (120.0, bus), (200.0 - 6, bus)), 0, "h_prev", arrow=False),
            WireSpec(((200.0, 560.0), (200.0, bus + 6)), 0, "x", arrow=False),
            WireSpec(((200.0 + 6, bus), (r, bus), (r, block_top + BLOCK_H)), 1, "h_prev"),
            WireSpec(((r, bus), (z, bus), (z, block_top + BLOCK_H)), 2, "h_prev"),
            WireSpec(((z, bus), (n, bus), (n, block_top + BLOCK_H)), 3, "h_prev"),
            WireSpec(((640.0, bus), (640.0, product + OP_R)), 3, "h_prev"),
            WireSpec(((r, block_top), (r, product), (640.0 - OP_R, product)), 3, "reset"),
            WireSpec(((640.0 + OP_R, product), (n - 30, product), (n - 30, block_top)), 3, "reset_applied"),
            WireSpec(((z, block_top), (z, 150.0), (560.0, 150.0), (560.0, top + OP_R)), 4, "update"),
            WireSpec(((z, mix), (640.0 - OP_R - 2, mix)), 4, "update"),
            WireSpec(((640.0 + OP_R + 2, mix), (n + 30 - OP_R, mix)), 4, "update"),
            WireSpec(((n + 30, block_top), (n + 30, mix + OP_R)), 4, "candidate"),
            WireSpec(((n + 30, mix - OP_R), (n + 30, top + OP_R)), 4, "written"),
        ),
        strips=(
            StripSpec("h_prev", (40.0, 78.0)),
            StripSpec("kept", (600.0, 78.0)),
            StripSpec("hidden", (1000.0, 78.0)),
            StripSpec("x", (214.0, 512.0)),
            StripSpec("reset", (160.0, 222.0)),
            StripSpec("update", (330.0, 215.0)),
            StripSpec("reset_applied", (652.0, 226.0)),
            StripSpec("candidate", (842.0, 262.0)),
            StripSpec("written", (842.0, 140.0)),
        ),
        labels=(("h(t−1)", (20.0, 128.0)), ("x(t)", (150.0, 545.0)), ("h(t)", (1100.0, 128.0))),
        combine=(200.0, bus),
    )


def _rnn_layout() -> Layout:
    block_x, bus = 640.0, BUS_Y
    block_top = BLOCK_Y - BLOCK_H / 2
    return Layout(
        blocks=(BlockSpec("hidden_block", "W x + R h + b", "tanh", (block_x, BLOCK_Y), 1),),
        ops=(),
        wires=(
            WireSpec(((20.0, bus), (200.0 - 6, bus)), 0, "h_prev", arrow=False),
            WireSpec(((200.0, 560.0), (200.0, bus + 6)), 0, "x", arrow=False),
            WireSpec(((200.0 + 6, bus), (block_x, bus), (block_x, block_top + BLOCK_H)), 1, "h_prev"),
            WireSpec(((block_x, block_top), (block_x, 200.0), (1140.0, 200.0)), 1, "hidden"),
        ),
        strips=(
            StripSpec("h_prev", (40.0, 418.0)),
            StripSpec("x", (214.0, 512.0)),
            StripSpec("preactivation", (380.0, 418.0)),
            StripSpec("hidden", (860.0, 162.0)),
        ),
        labels=(("h(t−1)", (20.0, 460.0)), ("x(t)", (150.0, 545.0)), ("h(t)", (1100.0, 222.0))),
        combine=(200.0, bus),
    )


LAYOUTS = {"lstm": _lstm_layout(), "gru": _gru_layout(), "rnn": _rnn_layout()}


# --- items ------------------------------------------------------------------------------------------------------------
class Ink:
    """Colours every diagram item reads while it paints; updated when the theme changes."""

    def __init__(self) -> None:
        self.ink, self.paper, self.mid = QColor(20, 20, 20), QColor(255, 255, 255), QColor(150, 150, 150)

    def update_from(self, palette: QPalette) -> None:
        self.ink = palette.color(QPalette.ColorRole.WindowText)
        self.paper = palette.color(QPalette.ColorRole.Base)
        self.mid = palette.color(QPalette.ColorRole.Mid)


class StateItem(QGraphicsItem):
    """An item that belongs to a phase: faint before it runs, highlighted while it runs, plain afterwards."""

    def __init__(self, ink: Ink, phase: int, parent: QGraphicsItem | None = None) -> None:
        super().__init__(parent)
        self.ink, self.phase, self.state = ink, phase, "done"
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)

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
        painter.setPen(QPen(ACTIVE if active else self.ink.ink, 3.0 if active else 1.4))
        fill = QColor(ACTIVE) if active else QColor(self.ink.paper)
        if active:
            fill.setAlpha(70)
        painter.setBrush(fill)
        painter.drawRoundedRect(self._rect, 8, 8)
        painter.setPen(self.ink.ink)
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
        painter.setPen(QPen(ACTIVE if active else self.ink.ink, 2.6 if active else 1.4))
        painter.setBrush(self.ink.paper)
        r = self._radius
        painter.drawEllipse(QRectF(-r, -r, 2 * r, 2 * r))
        painter.setFont(self._font)
        painter.setPen(self.ink.ink)
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
        colour = ACTIVE if active else self.ink.ink
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
        painter.setPen(self.ink.ink)
        painter.drawText(
            QRectF(0, -19, self._rect.width() + 4, 17),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom,
            self._title,
        )
        frame = QColor(ACTIVE) if self.state == "active" else self.ink.mid
        painter.fillRect(self._rect.adjusted(-1.5, -1.5, 1.5, 1.5), frame)
        if self.state == "future" or self._image.isNull():
            painter.fillRect(self._rect, self.ink.paper)
            return
        painter.drawImage(self._rect, self._image, QRectF(0, 0, self._image.width(), 1))
        if self._marker is not None and self._image.width():
            width = self._rect.width() / self._image.width()
            cell = QRectF(self._marker * width - 1.5, -3.5, width + 3.0, self._rect.height() + 7.0)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.setPen(QPen(self.ink.ink, 2.6))
            painter.drawRect(cell)
            painter.setPen(QPen(self.ink.paper, 1.0))
            painter.drawRect(cell)

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

    def __init__(self, wire: Wire, ink: Ink) -> None:
        super().__init__()
        self.wire, self.ink = wire, ink
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


class Diagram:
    """One direction's diagram: the items of its layout, placed at ``origin`` in a shared scene."""

    def __init__(
        self, scene: QGraphicsScene, kind: str, origin: QPointF, ink: Ink, font: QFont, heading: str, on_hover, on_click
    ) -> None:
        self.kind, self.layout = kind, LAYOUTS[kind]
        self.blocks = [Block(spec, ink, font) for spec in self.layout.blocks]
        self.ops = [Op(spec, ink, font) for spec in self.layout.ops]
        self.wires = [Wire(spec, ink) for spec in self.layout.wires]
        produced = wire_phase(kind)
        self.strips = {
            spec.wire: VectorStrip(
                spec.wire, wire_title(spec.wire, kind), ink, font, produced[spec.wire], on_hover, on_click
            )
            for spec in self.layout.strips
        }
        self.packets = [Packet(wire, ink) for wire in self.wires]
        for item in (*self.blocks, *self.ops, *self.wires, *self.strips.values(), *self.packets):
            scene.addItem(item)
            item.moveBy(origin.x(), origin.y())
        for spec in self.layout.strips:
            self.strips[spec.wire].setPos(origin + QPointF(*spec.top_left))
        self.items: list[StateItem] = [*self.blocks, *self.ops, *self.wires, *self.strips.values()]
        self.texts = []
        for text, (x, y) in (*self.layout.labels, (heading, (20.0, 20.0))):
            item = QGraphicsSimpleTextItem(text)
            item.setFont(font)
            item.setPos(origin + QPointF(x, y))
            scene.addItem(item)
            self.texts.append(item)
        self.texts[-1].setFont(QFont(font.family(), int(font.pointSizeF() * 1.15), QFont.Weight.Bold))
        combine = QGraphicsSimpleTextItem("[h(t−1), x(t)]")
        combine.setFont(font)
        combine.setPos(origin + QPointF(self.layout.combine[0] - 60, self.layout.combine[1] + 10))
        scene.addItem(combine)
        self.texts.append(combine)
        self.combine_node = scene.addEllipse(QRectF(-6, -6, 12, 12))
        self.combine_node.setPos(origin + QPointF(*self.layout.combine))

    def set_ink(self, ink: Ink) -> None:
        for text in self.texts:
            text.setBrush(ink.ink)
        self.combine_node.setPen(QPen(ink.ink, 1.5))
        self.combine_node.setBrush(ink.ink)
        for item in self.items:
            item.update()

    def set_phase(self, phase: int, progress: float) -> None:
        """States and packets for ``phase`` at ``progress`` (0..1) of its run."""
        for item in self.items:
            state = "future" if item.phase > phase else ("active" if item.phase == phase else "done")
            item.set_state(state)
            if isinstance(item, VectorStrip) and item.phase == phase:
                item.setOpacity(max(FUTURE_OPACITY, progress) if progress < 1.0 else 1.0)
        for packet in self.packets:
            moving = packet.wire.phase == phase and progress < 1.0
            if moving and not packet.isVisible():
                packet.set_image(self.strips[packet.wire.spec.carries].image())
            packet.setVisible(moving)
            if moving:
                packet.place(progress)

    def refresh_packets(self) -> None:
        """Give the travelling packets the colours their wires carry now."""
        for packet in self.packets:
            if packet.isVisible():
                packet.set_image(self.strips[packet.wire.spec.carries].image())


# --- the view -----------------------------------------------------------------------------------------------------
class DiagramCanvas(QGraphicsView):
    """The scene, scaled to fit the widget."""

    def __init__(self, scene: QGraphicsScene, parent: QWidget | None = None) -> None:
        super().__init__(scene, parent)
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.MinimalViewportUpdate)
        self.setFrameShape(QGraphicsView.Shape.NoFrame)
        self.setMouseTracking(True)

    def fit(self) -> None:
        rect = self.scene().itemsBoundingRect().adjusted(-8, -8, 8, 8)
        if rect.isValid():
            self.fitInView(rect, Qt.AspectRatioMode.KeepAspectRatio)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.fit()

    def sizeHint(self) -> QSize:
        return QSize(900, 460)


class CellDiagram(QWidget):
    """The selected layer's cell at the current step and phase: heading, phase buttons, the diagram, a caption."""

    status_message = Signal(str)

    def __init__(self, session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._session = session
        self._ink = Ink()
        self._scene = QGraphicsScene(self)
        self._diagrams: list[Diagram] = []
        self._flows: list[CellFlow] = []
        self._kind: str | None = None
        self._bidirectional = False
        self._levels: dict[str, tuple[float, float]] = {}
        self._tables: dict[str, np.ndarray] = {}
        self._permutations: list[np.ndarray] = []
        self._stacked: dict[tuple, np.ndarray] = {}  # per-strip levels and colour tables, stacked for one gather
        self._dirty = True
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(0)
        self._refresh_timer.timeout.connect(self._refresh_if_dirty)

        self.heading = LiveLabel(lines=1, point_scale=1.2, bold=True)
        self.phase_bar = QWidget(self)
        self._phase_layout = QHBoxLayout(self.phase_bar)
        self._phase_layout.setContentsMargins(0, 0, 0, 0)
        self._phase_layout.setSpacing(2)
        self._phase_group = QButtonGroup(self)
        self._phase_group.idClicked.connect(self._on_phase_clicked)
        self.canvas = DiagramCanvas(self._scene, self)
        self.canvas.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.caption = LiveLabel(lines=2, point_scale=1.1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.heading)
        layout.addWidget(self.phase_bar)
        layout.addWidget(self.canvas, 1)
        layout.addWidget(self.caption)
        connect_session(self, session, SESSION_SLOTS)
        self._ink.update_from(self.palette())
        self._load_layer()

    # --- what tests and exports read ------------------------------------------------------------------------------
    @property
    def kind(self) -> str | None:
        return self._kind

    @property
    def diagrams(self) -> list[Diagram]:
        """One per direction (forward first)."""
        return self._diagrams

    @property
    def flows(self) -> list[CellFlow]:
        return self._flows

    def vector_strip(self, wire: str, direction: int = 0) -> VectorStrip:
        self._refresh_if_dirty()
        return self._diagrams[direction].strips[wire]

    def shown_values(self, direction: int = 0) -> dict[str, np.ndarray | None]:
        """Wire → the values its strip shows now, in unit order (None while its phase has not run yet)."""
        self._refresh_if_dirty()
        shown = {}
        for wire, strip in self._diagrams[direction].strips.items():
            if strip.state == "future":
                shown[wire] = None
                continue
            values = strip.values
            if wire != "x":
                values = values[np.argsort(self._permutations[direction])]
            shown[wire] = values
        return shown

    def phase_button_texts(self) -> list[str]:
        return [button.text() for button in self._phase_group.buttons()]

    # --- session -> view ------------------------------------------------------------------------------------------
    def _on_trace_changed(self, _trace) -> None:
        self._load_layer()

    def _on_layer_changed(self, _layer: int) -> None:
        self._load_layer()

    def _on_step_changed(self, _step: int) -> None:
        self._invalidate()

    def _on_position_changed(self, _position: float) -> None:
        if self._session.phase == self._session.last_phase:
            self._invalidate()

    def _on_phase_changed(self, _phase: int) -> None:
        self._invalidate()

    def _on_phase_progress_changed(self, progress: float) -> None:
        if self.isVisible() and not self._dirty:
            for diagram in self._diagrams:
                diagram.set_phase(self._session.phase, progress)
        else:
            self._invalidate()

    def _on_unit_changed(self, _unit: int) -> None:
        self._invalidate()

    def _on_unit_order_changed(self, _order: str) -> None:
        self._load_order()
        self._invalidate()

    def _on_colour_scheme_changed(self, _scheme: str) -> None:
        self._load_tables()
        self._invalidate()

    # --- building -------------------------------------------------------------------------------------------------
    def _load_layer(self) -> None:
        session = self._session
        trace, layer = session.trace, session.layer_trace
        if trace is None or layer is None or trace.layer_input(session.layer) is None:
            self._flows = []
            self.heading.setText("type a sentence to see the cell read it")
            return
        self._flows = trace_flows(session.model.layers, trace, session.layer)
        if (layer.kind, layer.bidirectional) != (self._kind, self._bidirectional):
            self._build(layer)
        self._load_levels(layer)
        self._load_tables()
        self._load_order()
        self._invalidate()

    def _build(self, layer: LayerTrace) -> None:
        self._scene.clear()
        self._kind, self._bidirectional = layer.kind, layer.bidirectional
        font = QFont(self.font())
        font.setPointSizeF(max(9.0, font.pointSizeF() * 1.15))
        self._diagrams = []
        for d, direction in enumerate(layer.directions):
            heading = f"{layer.kind.upper()} cell" + (
                ""
                if not layer.bidirectional
                else (
                    " — forward, reads left to right" if direction == "forward" else " — reverse, reads right to left"
                )
            )
            if self._flows and self._flows[0].peepholes:
                heading += " with peepholes (i and f also read c(t−1), o reads c(t))"
            elif self._flows and self._flows[0].gru_convention == "cho":
                heading += " (Cho 2014: the reset gate applies to h(t−1) before its weights)"
            origin = QPointF(0.0, d * (DIAGRAM_SIZE[1] + 30.0))
            self._diagrams.append(
                Diagram(
                    self._scene,
                    layer.kind,
                    origin,
                    self._ink,
                    font,
                    heading,
                    self._on_strip_hovered,
                    self._on_strip_clicked,
                )
            )
        for diagram in self._diagrams:
            diagram.set_ink(self._ink)
        self._scene.setSceneRect(self._scene.itemsBoundingRect())
        for button in self._phase_group.buttons():
            self._phase_group.removeButton(button)
            button.deleteLater()
        while self._phase_layout.count():
            self._phase_layout.takeAt(0)
        for index, phase in enumerate(PHASES[layer.kind]):
            button = QToolButton(self.phase_bar)
            button.setText(f"{index + 1} {phase_title(phase.key)}")
            button.setCheckable(True)
            button.setAutoRaise(True)
            button.setToolTip(f"Show the step up to: {phase_title(phase.key)} (Shift+Right / Shift+Left move by phase)")
            self._phase_layout.addWidget(button)
            self._phase_group.addButton(button, index)
        self._phase_layout.addStretch(1)
        self.canvas.fit()

    def _load_levels(self, layer: LayerTrace) -> None:
        levels = scales.wire_levels(self._flows, layer)
        self._levels = levels
        self._stacked.clear()
        for diagram in self._diagrams:
            for wire, strip in diagram.strips.items():
                strip.set_title(f"{wire_title(wire, self._kind)}   {scale_text(*levels[wire])}")

    def _load_tables(self) -> None:
        scheme = self._session.colour_scheme
        self._tables = {wire: colors.lookup_table(scheme, wire in GATE_WIRES)[:, [2, 1, 0, 3]] for wire in self._levels}
        self._stacked.clear()

    def _level_rows(self, names: list[str]) -> np.ndarray:
        key = ("levels", *names)
        if key not in self._stacked:
            self._stacked[key] = np.array([self._levels[name] for name in names], dtype=np.float32)
        return self._stacked[key]

    def _table_rows(self, names: list[str]) -> np.ndarray:
        key = ("tables", *names)
        if key not in self._stacked:
            self._stacked[key] = np.ascontiguousarray(np.stack([self._tables[name] for name in names]))
        return self._stacked[key]

    def _load_order(self) -> None:
        permutation = np.asarray(self._session.unit_permutation(), dtype=int)
        layer = self._session.layer_trace
        units = layer.units if layer is not None else permutation.size
        self._permutations = [permutation[d * units : (d + 1) * units] - d * units for d in range(len(self._flows))]

    # --- painting ---------------------------------------------------------------------------------------------------
    def _invalidate(self) -> None:
        """Mark the items stale; a visible diagram brings them up to date once, after the session has finished
        emitting (one step sends step, phase and position changes)."""
        self._dirty = True
        if self.isVisible() and not self._refresh_timer.isActive():
            self._refresh_timer.start()

    def _refresh_if_dirty(self) -> None:
        if not self._dirty or not self._flows:
            return
        self._dirty = False
        session = self._session
        step, phase, progress = session.step, session.phase, session.phase_progress
        whole = phase == session.last_phase
        layer = session.layer_trace
        for d, (diagram, flow) in enumerate(zip(self._diagrams, self._flows, strict=True)):
            permutation = self._permutations[d]
            unit_wires = [wire for wire in diagram.strips if wire != "x"]
            rows = np.empty((len(unit_wires), permutation.size), dtype=np.float32)
            for k, wire in enumerate(unit_wires):
                values = flow.wires[wire]
                rows[k] = (scales.interpolate_rows(values, session.position) if whole else values[step])[permutation]
            x = np.asarray(
                scales.interpolate_rows(flow.wires["x"], session.position) if whole else flow.wires["x"][step],
                dtype=np.float32,
            )[None, :]
            for block, names in ((rows, unit_wires), (x, ["x"])):
                if not np.isfinite(block).all():
                    np.nan_to_num(block, copy=False)
                colours = colour_rows(block, self._level_rows(names), self._table_rows(names))
                for k, wire in enumerate(names):
                    diagram.strips[wire].set_values(block[k], colours[k])
            diagram.set_phase(phase, progress)
            diagram.refresh_packets()
        self._show_unit(layer)
        self._show_heading()
        button = self._phase_group.button(phase)
        if button is not None and not button.isChecked():
            button.setChecked(True)

    def _show_unit(self, layer: LayerTrace | None) -> None:
        if layer is None:
            return
        unit = self._session.unit
        direction, local = divmod(unit, layer.units)
        for d, diagram in enumerate(self._diagrams):
            column = None
            if d == direction:
                column = int(np.flatnonzero(self._permutations[d] == local)[0])
            for wire, strip in diagram.strips.items():
                strip.set_marker(column if wire != "x" else None)
        flow = self._flows[min(direction, len(self._flows) - 1)]
        trace = self._session.trace
        text = phase_caption(
            flow, self._session.step, self._session.phase, local, trace.tokens, unit_label=unit_name(unit, layer)
        )
        if text != self.caption.text():
            self.caption.setText(text)

    def _show_heading(self) -> None:
        session = self._session
        trace = session.trace
        phase = (session.phase, session.phases[session.phase].key, len(session.phases))
        self.heading.setText(step_heading(trace.tokens, session.step, session.layer, len(trace.layers), phase))

    def settle(self) -> None:
        """Bring every item up to date now (exports call this before taking a frame)."""
        self._dirty = True
        self._refresh_if_dirty()

    # --- view -> session --------------------------------------------------------------------------------------------
    def _on_phase_clicked(self, index: int) -> None:
        if 0 <= index <= self._session.last_phase:
            self._session.set_phase(index)

    def _unit_of(self, strip: VectorStrip, column: int) -> int | None:
        for d, diagram in enumerate(self._diagrams):
            if strip in diagram.strips.values():
                layer = self._session.layer_trace
                return int(self._permutations[d][column]) + d * (layer.units if layer else 0)
        return None

    def _on_strip_clicked(self, strip: VectorStrip, column: int) -> None:
        if strip.wire == "x":
            return
        unit = self._unit_of(strip, column)
        if unit is not None:
            self._session.set_unit(unit)

    def _on_strip_hovered(self, strip: VectorStrip, column: int) -> None:
        trace, layer = self._session.trace, self._session.layer_trace
        if trace is None or layer is None or column >= strip.values.size:
            return
        value = signed(float(strip.values[column]), 4)
        name, token = wire_title(strip.wire, layer.kind), quoted(trace.tokens[self._session.step])
        if strip.wire == "x":
            self.status_message.emit(f"{name} · feature {column} = {value} at {token}")
            return
        self.status_message.emit(f"{name} · {unit_name(self._unit_of(strip, column), layer)} = {value} at {token}")

    # --- Qt events --------------------------------------------------------------------------------------------------
    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._refresh_if_dirty()
        self.canvas.fit()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            self._ink.update_from(self.palette())
            self.canvas.setBackgroundBrush(self._ink.paper)
            for diagram in self._diagrams:
                diagram.set_ink(self._ink)
        super().changeEvent(event)

    def closeEvent(self, event) -> None:
        disconnect_session(self, self._session, SESSION_SLOTS)
        super().closeEvent(event)
