"""StepPanel: the current step of the selected layer as colour strips — every gate, then c and h before → after —
with a caption that reads the selected unit's real numbers aloud."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QImage, QPainter, QPixmap, QStaticText
from PySide6.QtWidgets import QVBoxLayout, QWidget

from gatescope.engine.phases import layer_state_before
from gatescope.engine.trace import LayerTrace
from gatescope.presentation import scales
from gatescope.presentation.captions import step_caption, step_heading
from gatescope.presentation.text import scale_text, signed, title, unit_name, where
from gatescope.ui.views.binding import SessionView
from gatescope.ui.views.canvas import edges
from gatescope.ui.views.colors import Ink, colour_rows, strip_tables
from gatescope.ui.views.live_label import LiveLabel

#: The strips each kind of layer shows, top to bottom: gates in the order the equations use them, then the states.
STRIPS_BY_KIND: dict[str, tuple[str, ...]] = {
    "lstm": ("input", "forget", "candidate", "output", "cell_before", "cell_state", "hidden_before", "hidden_state"),
    "gru": ("update", "reset", "candidate", "hidden_before", "hidden_state"),
    "rnn": ("hidden_before", "hidden_state"),
}
#: The strips of the states after the step are titled "…, after (t)"; those before it share the after-scale.
AFTER = {"cell_state": "cell_after", "hidden_state": "hidden_after"}
SAME_SCALE = {"cell_before": "cell_state", "hidden_before": "hidden_state"}
SESSION_SLOTS = (
    ("trace_changed", "_on_trace_changed"),
    ("layer_changed", "_on_layer_changed"),
    ("step_changed", "_on_step_changed"),
    ("position_changed", "_on_position_changed"),
    ("unit_changed", "_on_unit_changed"),
    ("unit_order_changed", "_on_unit_order_changed"),
    ("colour_scheme_changed", "_on_colour_scheme_changed"),
)


class StepStrips(QWidget):
    """Labelled colour strips painted directly: one image row per strip, scaled to the widget, the selected column
    outlined on every strip. Plain QPainter — a step repaints one small image, with no scene to update."""

    clicked = Signal(int, int)  # strip, column
    hovered = Signal(int, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMouseTracking(True)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)  # paintEvent fills every pixel
        self._titles: list[QStaticText] = []
        self._colours = np.zeros((0, 0, 4), dtype=np.ubyte)  # (strips, columns, 4) B, G, R, A premultiplied
        self._image = QImage()
        self._marker: int | None = None
        self._separator: int | None = None  # a line between forward and reverse units, when shown in index order
        self._label_width = 14.0
        self._background: QPixmap | None = None  # the static layer (see _static_layer)
        self._ink = Ink.of(self.palette())

    def set_titles(self, titles: list[str], separator: int | None = None) -> None:
        self._titles = [QStaticText(title) for title in titles]
        self._separator = separator
        self._measure_titles()
        self._invalidate_static_layer()

    def _measure_titles(self) -> None:
        metrics = self.fontMetrics()
        self._label_width = max((metrics.horizontalAdvance(title.text()) for title in self._titles), default=0) + 14.0

    def set_colours(self, colours: np.ndarray) -> None:
        """(strips, columns, 4) uint8 in Qt's premultiplied ARGB32 byte order; kept alive for the QImage on top."""
        self._colours = np.ascontiguousarray(colours)
        strips, columns = self._colours.shape[:2]
        pixel_format = QImage.Format.Format_ARGB32_Premultiplied
        self._image = QImage(self._colours.data, columns, strips, 4 * columns, pixel_format)
        self.update()

    def set_marker(self, column: int | None) -> None:
        self._marker = column
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(560, 300)

    def minimumSizeHint(self) -> QSize:
        return QSize(260, 90)

    def image(self) -> QImage:
        """The strip colours as shown: pixel (column, strip)."""
        return self._image.copy()

    @property
    def marker(self) -> int | None:
        """The outlined display column."""
        return self._marker

    # --- geometry ---------------------------------------------------------------------------------------------------
    def strip_rect(self, strip: int) -> QRectF:
        """Where strip ``strip`` is painted, in widget coordinates."""
        count = max(1, len(self._titles))
        left, pitch = self._label_width, (self.height() - 8.0) / count
        return QRectF(left, 4.0 + strip * pitch + 0.14 * pitch, self.width() - left - 6.0, 0.72 * pitch)

    def cell_rect(self, strip: int, column: int) -> QRectF:
        rect, columns = self.strip_rect(strip), max(1, self._colours.shape[1])
        width = rect.width() / columns
        return QRectF(rect.left() + column * width, rect.top(), width, rect.height())

    def hit(self, point: QPointF) -> tuple[int, int] | None:
        """(strip, column) under a widget point — the margins around a strip count as the strip."""
        count, columns = len(self._titles), self._colours.shape[1]
        if not count or not columns:
            return None
        first = self.strip_rect(0)
        pitch = (self.height() - 8.0) / count
        strip = int((point.y() - 4.0) // pitch)
        column = int((point.x() - first.left()) // (first.width() / columns))
        return (strip, column) if 0 <= strip < count and 0 <= column < columns else None

    # --- painting and mouse ---------------------------------------------------------------------------------------
    def _static_layer(self) -> QPixmap:
        """Background, titles and frames: drawn once per size, palette and set of titles."""
        ratio = self.devicePixelRatioF()
        if self._background is not None and self._background.size() == self.size() * ratio:
            return self._background
        pixmap = QPixmap(self.size() * ratio)
        pixmap.setDevicePixelRatio(ratio)
        ink = self._ink
        pixmap.fill(ink.window)
        painter = QPainter(pixmap)
        painter.setPen(ink.text)
        frame = ink.mid
        strips = [self.strip_rect(strip) for strip in range(len(self._titles))]
        for strip_title, rect in zip(self._titles, strips, strict=True):
            size = strip_title.size()
            painter.drawStaticText(
                QPointF(self._label_width - 8.0 - size.width(), rect.center().y() - size.height() / 2), strip_title
            )
            # A hairline frame (values near 0 are near the background colour), as a fill: much cheaper than a pen.
            painter.fillRect(rect.adjusted(-1.0, -1.0, 1.0, 1.0), frame)
        painter.end()
        self._background = pixmap
        return pixmap

    def _invalidate_static_layer(self) -> None:
        self._background = None
        self.update()

    def paintEvent(self, _event) -> None:
        ink = self._ink
        painter = QPainter(self)
        painter.drawPixmap(0, 0, self._static_layer())
        strips = [self.strip_rect(strip) for strip in range(len(self._titles))]
        for strip, rect in enumerate(strips):
            if strip < self._image.height():
                painter.drawImage(rect, self._image, QRectF(0, strip, self._image.width(), 1))
        if self._separator is not None and strips and self._colours.shape[1]:
            x = self.cell_rect(0, self._separator).left()
            painter.fillRect(QRectF(x - 0.5, 2.0, 1.0, self.height() - 4.0), ink.mid)
        if self._marker is not None and self._colours.shape[1] and strips:
            width = strips[0].width() / self._colours.shape[1]
            left = strips[0].left() + self._marker * width
            # Dark under light, as fills (a stroked pen goes through the path rasteriser): shows on any colour.
            for rect in strips:
                cell = QRectF(left - 1.5, rect.top() - 4.0, width + 3.0, rect.height() + 8.0)
                for band_width, colour in ((3.0, ink.text), (1.0, ink.window)):
                    for band in edges(cell, band_width):
                        painter.fillRect(band, colour)
        painter.end()

    def resizeEvent(self, event) -> None:
        self._background = None
        super().resizeEvent(event)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.FontChange:
            self._measure_titles()
        if event.type() == QEvent.Type.PaletteChange:
            self._ink = Ink.of(self.palette())
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.PaletteChange, QEvent.Type.StyleChange):
            self._background = None
        super().changeEvent(event)

    def mousePressEvent(self, event) -> None:
        hit = self.hit(event.position())
        if hit is not None and event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit(*hit)

    def mouseMoveEvent(self, event) -> None:
        hit = self.hit(event.position())
        if hit is not None:
            self.hovered.emit(*hit)


class StepPanel(SessionView):
    """The selected layer at the current (tweened) position: gate vectors, c and h before → after, one caption."""

    status_message = Signal(str)

    def __init__(self, session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._session = session
        self._layer: LayerTrace | None = None
        self._quantities: tuple[str, ...] = ()
        self._sources: list[np.ndarray] = []  # per strip (T, units), set on trace/layer change
        self._levels = np.zeros((0, 2), dtype=np.float32)
        self._tables = np.zeros((0, 256, 4), dtype=np.ubyte)
        self._permutation = np.zeros(0, dtype=int)
        self._column_of = np.zeros(0, dtype=int)
        self._rows = np.zeros((0, 0), dtype=np.float32)  # (strips, units) values at the shown position, unit order

        # LiveLabels: new text each step must never re-lay out (and so fully repaint) this or any other view.
        self.heading = LiveLabel(lines=1, point_scale=1.3, bold=True)
        self.strips = StepStrips()
        self.caption = LiveLabel(lines=2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.heading)
        layout.addWidget(self.strips, 1)
        layout.addWidget(self.caption)

        self.strips.clicked.connect(self._on_strip_clicked)
        self.strips.hovered.connect(self._on_strip_hovered)
        self.bind(session, SESSION_SLOTS)
        self._load_layer()

    @property
    def quantities(self) -> tuple[str, ...]:
        """The strips shown, top to bottom (gate names, then cell_before, cell_state, hidden_before, hidden_state)."""
        return self._quantities

    def strip_values(self, quantity: str) -> np.ndarray:
        """(units,) the values a strip shows now, left to right (unit_permutation order)."""
        return self._rows[self._quantities.index(quantity)][self._permutation]

    def cell_rect(self, quantity: str, column: int) -> QRectF:
        """Where one display column of a strip is, in the strips widget's coordinates."""
        return self.strips.cell_rect(self._quantities.index(quantity), column)

    # --- session -> view ------------------------------------------------------------------------------------------
    def _on_trace_changed(self, _trace) -> None:
        self._load_layer()

    def _on_layer_changed(self, _layer: int) -> None:
        self._load_layer()

    def _on_unit_order_changed(self, _order: str) -> None:
        self._load_order()
        self._show_position(self._session.position)
        self._show_unit()

    def _on_colour_scheme_changed(self, _scheme: str) -> None:
        self._load_tables()
        self._show_position(self._session.position)

    def _on_step_changed(self, step: int) -> None:
        trace = self._session.trace
        if trace is None:
            self.heading.setText("type a sentence to see the network read it")
            return
        self.heading.setText(step_heading(trace.tokens, step, self._session.layer, len(trace.layers)))

    def _on_position_changed(self, position: float) -> None:
        self._show_position(position)
        self._show_caption()

    def _on_unit_changed(self, _unit: int) -> None:
        self._show_unit()

    # --- data work: only on trace, layer, order and scheme changes ----------------------------------------------
    def _load_layer(self) -> None:
        """Pick the strips this kind of layer has, their (T, units) sources and fixed levels."""
        layer = self._layer = self._session.layer_trace
        if layer is None:
            self._quantities, self._sources = (), []
            self._on_step_changed(0)
            return
        self._quantities = STRIPS_BY_KIND.get(layer.kind, STRIPS_BY_KIND["rnn"])
        sources = {"hidden_state": layer.h, "hidden_before": layer_state_before(layer, layer.h, layer.h0)}
        if layer.c is not None and layer.c0 is not None:
            sources["cell_state"] = layer.c
            sources["cell_before"] = layer_state_before(layer, layer.c, layer.c0)
        sources.update(layer.gates)
        self._sources = [sources[quantity] for quantity in self._quantities]
        self._levels = np.array(
            [scales.levels(SAME_SCALE.get(quantity, quantity), layer) for quantity in self._quantities],
            dtype=np.float32,
        )
        self._load_tables()
        self._load_order()
        self._on_step_changed(self._session.step)
        self._show_position(self._session.position)
        self._show_unit()

    def _load_tables(self) -> None:
        """Each strip's 256-entry table, in the bytes of the strips' QImage."""
        gates = tuple(scales.is_gate(quantity) for quantity in self._quantities)
        self._tables = strip_tables(self._session.colour_scheme, gates)

    def _load_order(self) -> None:
        self._permutation = np.asarray(self._session.unit_permutation(), dtype=int)
        self._column_of = np.empty_like(self._permutation)
        self._column_of[self._permutation] = np.arange(self._permutation.size)
        layer = self._layer
        by_index = np.array_equal(self._permutation, np.arange(self._permutation.size))
        separator = layer.units if layer is not None and layer.bidirectional and by_index else None
        titles = [self._strip_title(quantity, layer) for quantity in self._quantities] if layer else []
        self.strips.set_titles(titles, separator)

    @staticmethod
    def _strip_title(quantity: str, layer: LayerTrace) -> str:
        low, high = scales.levels(SAME_SCALE.get(quantity, quantity), layer)
        return f"{StepPanel._title(quantity, layer)}  {scale_text(low, high)}"

    @staticmethod
    def _title(quantity: str, layer: LayerTrace) -> str:
        return title(AFTER.get(quantity, quantity), layer.kind)

    # --- per frame: one small image and one caption -------------------------------------------------------------
    def _show_position(self, position: float) -> None:
        if not self._sources:
            return
        rows = np.stack([scales.interpolate_rows(source, position) for source in self._sources])
        rows[np.isnan(rows)] = 0.0  # a NaN must not become a wild table index
        self._rows = rows
        self.strips.set_colours(colour_rows(self._rows[:, self._permutation], self._levels, self._tables))

    def _show_unit(self) -> None:
        if self._layer is None or not self._quantities:
            return
        self.strips.set_marker(int(self._column_of[self._session.unit]))
        self._show_caption()

    def _value(self, quantity: str, unit: int) -> float:
        return float(self._rows[self._quantities.index(quantity), unit])

    def _show_caption(self) -> None:
        layer = self._layer
        if layer is None or self._rows.size == 0:
            self.caption.setText("")
            return
        unit = self._session.unit
        values = {quantity: self._value(quantity, unit) for quantity in self._quantities}
        nonlinearity = "tanh"
        if layer.kind == "rnn":
            nonlinearity = getattr(self._session.model.layers[self._session.layer], "nonlinearity", "tanh")
            values["preactivation"] = (
                np.nan
                if layer.hidden_preactivation is None
                else float(scales.interpolate_rows(layer.hidden_preactivation, self._session.position)[unit])
            )
        text = step_caption(
            layer.kind, values, unit_name(unit, layer), nonlinearity, reverse=layer.reads_right_to_left(unit)
        )
        if text != self.caption.text():
            self.caption.setText(text)

    # --- view -> session ------------------------------------------------------------------------------------------
    def _on_strip_clicked(self, _strip: int, column: int) -> None:
        self._session.set_unit(int(self._permutation[column]))

    def _on_strip_hovered(self, strip: int, column: int) -> None:
        trace, layer = self._session.trace, self._layer
        if trace is None or layer is None:
            return
        quantity, unit = self._quantities[strip], int(self._permutation[column])
        self.status_message.emit(
            f"{self._title(quantity, layer)} · {unit_name(unit, layer)} = {signed(self._value(quantity, unit), 4)} "
            f"{where(trace.tokens, self._session.position)}"
        )

    # --- theme -----------------------------------------------------------------------------------------------
    def palette_changed(self) -> None:
        self.strips.update()  # the strips read the palette as they paint
