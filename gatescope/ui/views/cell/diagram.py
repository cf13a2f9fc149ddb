"""One direction's cell diagram: the items of a layout, placed in a scene and moved through the phases together;
and the view that shows the scene scaled to fit."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QFont, QPainter, QPen
from PySide6.QtWidgets import QGraphicsScene, QGraphicsSimpleTextItem, QGraphicsView, QWidget

from gatescope.engine.phases import wire_phase
from gatescope.presentation.text import wire_title
from gatescope.ui.views.cell.items import FUTURE_OPACITY, Block, Op, Packet, StateItem, VectorStrip, Wire
from gatescope.ui.views.cell.layouts import LAYOUTS
from gatescope.ui.views.colors import Ink


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
        self.packets = [Packet(wire) for wire in self.wires]
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
        """Paint every part with the theme's colours ``ink``."""
        for text in self.texts:
            text.setBrush(ink.text)
        self.combine_node.setPen(QPen(ink.text, 1.5))
        self.combine_node.setBrush(ink.text)
        for item in self.items:
            item.set_ink(ink)

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
        """Scale the whole scene into the view, keeping its proportions."""
        rect = self.scene().itemsBoundingRect().adjusted(-8, -8, 8, 8)
        if rect.isValid():
            self.fitInView(rect, Qt.AspectRatioMode.KeepAspectRatio)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.fit()

    def sizeHint(self) -> QSize:
        return QSize(900, 460)
