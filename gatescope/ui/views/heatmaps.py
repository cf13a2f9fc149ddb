"""Units × tokens heatmaps of every gate, the cell state and the hidden state of the selected layer.

Images are built when the data changes (trace, layer, unit order, colour scheme); a step or a tween only moves the
column marker. Long texts show a window of at most ``WINDOW_COLUMNS`` tokens around the current step, so a repaint
costs the same for 60 tokens as for 5,000. More units than the plot has pixels (1,024 in 90 pixels) are shown a block
of units per pixel, each pixel the block's most extreme value (``presentation.downsample``); hovering still reports
the exact value of the one unit under the pointer, read from the trace.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyqtgraph as pg
from PySide6.QtCore import QLineF, QPointF, QRectF, Qt, Signal
from PySide6.QtWidgets import QGraphicsItem, QGraphicsLineItem, QVBoxLayout, QWidget

from gatescope.engine.trace import LayerTrace
from gatescope.presentation import scales
from gatescope.presentation.downsample import most_extreme
from gatescope.presentation.text import scale_text, signed, title, unit_label, unit_name, where
from gatescope.ui.session import SessionModel
from gatescope.ui.views import colors, plots
from gatescope.ui.views.binding import SessionView
from gatescope.ui.views.canvas import RectOutline, TokenAxis, tune_for_live_updates
from gatescope.ui.views.colors import Ink, cosmetic_pen

#: Most token columns an image holds; longer texts show a window of this many around the step.
WINDOW_COLUMNS = 160
#: The window shifts when the step comes within this many columns of its edge.
WINDOW_MARGIN = 16
#: Session signal -> handler; kept as names so the panel holds no reference cycle to itself.
SESSION_SLOTS = (
    ("trace_changed", "_on_trace_changed"),
    ("layer_changed", "_on_layer_changed"),
    ("position_changed", "_on_position_changed"),
    ("unit_changed", "_on_unit_changed"),
    ("unit_order_changed", "_on_unit_order_changed"),
    ("colour_scheme_changed", "_on_colour_scheme_changed"),
)
NICE_STRIDES = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000)


def shown_quantities(layer: LayerTrace) -> list[str]:
    """Gates, then cell state (LSTM), then hidden state — the pre-activations stay out of the heatmaps."""
    return [name for name in layer.quantities() if not name.endswith("preactivation")]


def display_rows(permutation: npt.NDArray[np.integer], layer: LayerTrace) -> npt.NDArray[np.intp]:
    """Unit shown on each row: the session's order, forward units above reverse ones on a bidirectional layer."""
    permutation = np.asarray(permutation, dtype=np.intp)
    if not layer.bidirectional:
        return permutation
    per_direction = layer.h.shape[1] // 2
    forward = permutation < per_direction
    return np.concatenate([permutation[forward], permutation[~forward]])


def _stride(pixels_per_item: float, pixels_per_label: float) -> int:
    for stride in NICE_STRIDES:
        if stride * pixels_per_item >= pixels_per_label:
            return stride
    return NICE_STRIDES[-1]


class UnitAxis(pg.AxisItem):
    """y axis labelled with the unit each row shows (rows follow the unit order, so labels are not monotonic)."""

    def __init__(self, orientation: str = "left") -> None:
        super().__init__(orientation)
        self.enableAutoSIPrefix(False)
        self.labels: list[str] = []
        self.section = 0  # first row of the reverse direction (0: one direction)

    def tickValues(self, minVal, maxVal, size):
        minVal, maxVal = sorted((minVal, maxVal))
        rows = len(self.labels)
        if rows == 0 or size <= 0:
            return []
        stride = _stride(size / max(maxVal - minVal, 1e-9), 14.0)
        if self.section:  # label each direction from its own first row; keep clear of the divider
            ticks = [*range(0, self.section - stride + 1, stride), *range(self.section, rows, stride)] or [0]
        else:
            ticks = list(range(0, rows, stride))
        return [(float(stride), [float(row) for row in ticks if minVal <= row <= maxVal])]

    def tickStrings(self, values, scale, spacing):
        return [self.labels[int(round(value))] for value in values]


@dataclass
class Heatmap:
    """One quantity's plot, image and markers (created once per layout, updated in place).

    The column and row markers live in the ViewBox's pixel coordinates (x = ``pixels_per_token`` * position), so
    their outlines pad their bounding rects by pixels, not by token widths, and are painted as fills: a step repaints
    a strip a column wide and never strokes the row outline's path. The direction divider lives in data coordinates
    (rows × tokens) with the image.
    """

    quantity: str
    plot: pg.PlotItem
    image: pg.ImageItem
    column_marker: RectOutline
    row_marker: RectOutline
    divider: QGraphicsLineItem
    pixels_per_token: float = 0.0
    title: tuple[str, str] = ("", "")  # text and colour shown
    pixels: tuple[int, int] = (0, 0)  # device pixels (high, wide) the image was reduced to; 0: not laid out yet


class HeatmapPanel(SessionView):
    """Every gate, the cell state and the hidden state of the selected layer as units × tokens heatmaps."""

    status_message = Signal(str)

    def __init__(self, session: SessionModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._session = session
        self._canvas = pg.GraphicsLayoutWidget(parent=self)
        tune_for_live_updates(self._canvas)
        self._canvas.ci.layout.setSpacing(2)
        self._canvas.ci.setContentsMargins(2, 2, 6, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._canvas)
        self._heatmaps: list[Heatmap] = []
        self._kind = ""
        self._rows = np.zeros(0, dtype=np.intp)
        self._row_of_unit = np.zeros(0, dtype=np.intp)
        self._window = (0, 0)
        self._levels: dict[str, tuple[float, float]] = {}
        self._last_message = ""
        self._canvas.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self._canvas.scene().sigMouseClicked.connect(self._on_mouse_clicked)
        self.bind(session, SESSION_SLOTS)
        self._reload()

    # --- read-only views for callers and tests -------------------------------------------------------------------
    @property
    def quantities(self) -> tuple[str, ...]:
        return tuple(heatmap.quantity for heatmap in self._heatmaps)

    @property
    def window(self) -> tuple[int, int]:
        """Token columns [start, end) the images currently hold."""
        return self._window

    @property
    def rows(self) -> npt.NDArray[np.intp]:
        """Unit index shown on each row, top to bottom."""
        return self._rows

    def heatmap(self, quantity: str) -> Heatmap:
        for heatmap in self._heatmaps:
            if heatmap.quantity == quantity:
                return heatmap
        raise KeyError(f"no heatmap for {quantity!r}; showing {', '.join(self.quantities) or 'nothing'}")

    def canvas(self) -> pg.GraphicsLayoutWidget:
        return self._canvas

    # --- session signals -----------------------------------------------------------------------------------------
    def _on_trace_changed(self, trace) -> None:
        self._reload()

    def _on_layer_changed(self, layer: int) -> None:
        self._reload()

    def _on_unit_order_changed(self, order: str) -> None:
        self._reload()

    def _on_colour_scheme_changed(self, scheme: str) -> None:
        self._apply_colour_maps()

    def _on_position_changed(self, position: float) -> None:
        """Cheap: shift the window only near its edge, otherwise just move one marker per heatmap."""
        start, end = self._window
        step = int(round(position))
        if (step < start + WINDOW_MARGIN and start > 0) or (step >= end - WINDOW_MARGIN and end < self._session.steps):
            self._fill_window(self._shifted_window(step))
        for heatmap in self._heatmaps:
            heatmap.column_marker.setPos(heatmap.pixels_per_token * position, 0.0)

    def _on_view_transform_changed(self, view_box: pg.ViewBox) -> None:
        """The view was resized or its range moved: re-place the pixel-space column marker of that plot, and rebuild
        its image when it now has room for a different number of rows or columns."""
        for heatmap in self._heatmaps:
            if heatmap.plot.vb is view_box:
                if self._session.layer_trace is not None and self._pixels(heatmap) != heatmap.pixels:
                    self._fill_image(heatmap, self._session.layer_trace.quantities())
                self._place_column_marker(heatmap)

    def _place_column_marker(self, heatmap: Heatmap) -> None:
        to_pixels = heatmap.plot.vb.childTransform()
        rows = max(1, len(self._rows))
        column = to_pixels.mapRect(QRectF(-0.5, -0.5, 1.0, rows)).normalized()
        heatmap.pixels_per_token = to_pixels.m11()
        heatmap.column_marker.setRect(column)
        heatmap.column_marker.setPos(heatmap.pixels_per_token * self._session.position, 0.0)
        self._place_row_marker(heatmap)

    def _place_row_marker(self, heatmap: Heatmap) -> None:
        """Outline the selected unit's row across the window's tokens (in the ViewBox's pixels)."""
        unit = self._session.unit
        if not 0 <= unit < len(self._row_of_unit):
            heatmap.row_marker.setRect(QRectF())
            return
        start, end = self._window
        row = float(self._row_of_unit[unit])
        to_pixels = heatmap.plot.vb.childTransform()
        heatmap.row_marker.setRect(to_pixels.mapRect(QRectF(start - 0.5, row - 0.5, end - start, 1.0)).normalized())

    @property
    def marked_row(self) -> int | None:
        """The display row the row outline marks (None when no unit is selected)."""
        unit = self._session.unit
        return int(self._row_of_unit[unit]) if 0 <= unit < len(self._row_of_unit) else None

    def _on_unit_changed(self, unit: int) -> None:
        for heatmap in self._heatmaps:
            self._place_row_marker(heatmap)

    # --- data work: only when the data itself changes ------------------------------------------------------------
    def _reload(self) -> None:
        layer = self._session.layer_trace
        if layer is None:
            self._levels = {}
            self._build([], "")
            self._window = (0, 0)
            return
        quantities = shown_quantities(layer)
        self._levels = {quantity: scales.levels(quantity, layer) for quantity in quantities}  # fixed per layer
        self._build(quantities, layer.kind)
        self._rows = display_rows(self._session.unit_permutation(), layer)
        self._row_of_unit = np.empty_like(self._rows)
        self._row_of_unit[self._rows] = np.arange(len(self._rows))
        section = layer.h.shape[1] // 2 if layer.bidirectional else 0
        labels = [unit_label(int(unit), layer) for unit in self._rows]
        tokens = self._session.trace.tokens
        for heatmap in self._heatmaps:
            left, bottom = heatmap.plot.getAxis("left"), heatmap.plot.getAxis("bottom")
            if (left.labels, left.section) != (labels, section):  # same model and order: keep the drawn labels
                left.labels, left.section, left.picture = labels, section, None
            bottom.set_tokens(tokens)
            heatmap.plot.vb.setYRange(-0.5, len(self._rows) - 0.5, padding=0)
            heatmap.divider.setVisible(bool(section))
        self._apply_titles()
        self._apply_colour_maps()
        self._fill_window(self._window_around(int(round(self._session.position))))
        self._on_unit_changed(self._session.unit)

    def _window_around(self, step: int) -> tuple[int, int]:
        """A window centred on ``step`` (all tokens when they fit)."""
        return self._clamped_window(step - WINDOW_COLUMNS // 2)

    def _shifted_window(self, step: int) -> tuple[int, int]:
        """Reading on leaves the step near the window's left edge, reading back near its right; a jump centres it."""
        start, end = self._window
        if not start <= step < end:
            return self._window_around(step)
        if step >= end - WINDOW_MARGIN:
            return self._clamped_window(step - WINDOW_MARGIN)
        return self._clamped_window(step + WINDOW_MARGIN + 1 - WINDOW_COLUMNS)

    def _clamped_window(self, start: int) -> tuple[int, int]:
        steps = self._session.steps
        if steps <= WINDOW_COLUMNS:
            return 0, steps
        start = min(max(0, start), steps - WINDOW_COLUMNS)
        return start, start + WINDOW_COLUMNS

    def _fill_window(self, window: tuple[int, int]) -> None:
        """Slice the trace to the window, rows in display order, and place the images at their token indices."""
        self._window = start, end = window
        layer = self._session.layer_trace
        arrays = layer.quantities()
        section = layer.h.shape[1] // 2 if layer.bidirectional else 0
        for heatmap in self._heatmaps:
            self._fill_image(heatmap, arrays)
            heatmap.divider.setLine(QLineF(start - 0.5, section - 0.5, end - 0.5, section - 0.5))
        if self._heatmaps:
            self._heatmaps[0].plot.vb.setXRange(start - 0.5, end - 0.5, padding=0)  # the others are linked
        for heatmap in self._heatmaps:
            heatmap.plot.vb.updateMatrix()  # settle the range now so the marker lands in the right place
            self._place_column_marker(heatmap)

    def _fill_image(self, heatmap: Heatmap, arrays: dict[str, npt.NDArray[np.floating]]) -> None:
        """The window's tokens × rows of one quantity, reduced to at most one value per device pixel each way."""
        (start, end), rows = self._window, len(self._rows)
        values = np.ascontiguousarray(arrays[heatmap.quantity][start:end][:, self._rows].T, dtype=np.float32)
        heatmap.pixels = high, wide = self._pixels(heatmap)
        low, top = self._levels[heatmap.quantity]
        if high and wide:
            values = most_extreme(most_extreme(values, high, 0, (low + top) / 2), wide, 1, (low + top) / 2)
        heatmap.image.setImage(values, autoLevels=False, levels=(low, top))
        heatmap.image.setRect(QRectF(start - 0.5, -0.5, end - start, rows))

    def _pixels(self, heatmap: Heatmap) -> tuple[int, int]:
        """Device pixels (high, wide) of the plot's view box; (0, 0) before it is laid out."""
        size, ratio = heatmap.plot.vb.size(), self.devicePixelRatioF()
        if size.height() < 2 or size.width() < 2:
            return 0, 0
        return int(np.ceil(size.height() * ratio)), int(np.ceil(size.width() * ratio))

    def _apply_colour_maps(self) -> None:
        scheme = self._session.colour_scheme
        for heatmap in self._heatmaps:
            heatmap.image.setLookupTable(colors.lookup_table(scheme, scales.is_gate(heatmap.quantity)))

    # --- layout and theme ----------------------------------------------------------------------------------------
    def _build(self, quantities: list[str], kind: str) -> None:
        """(Re)create plots only when the set of quantities changes (a new model kind), never per step."""
        self._kind = kind
        if [heatmap.quantity for heatmap in self._heatmaps] == quantities:
            return
        self._canvas.ci.clear()
        self._heatmaps = []
        for index, quantity in enumerate(quantities):
            plot = pg.PlotItem(axisItems={"bottom": TokenAxis(pixels_per_label=64), "left": UnitAxis("left")})
            plots.still_plot(plot, grid=False)
            plot.vb.invertY(True)
            plot.vb.disableAutoRange()
            # The image always fills the view exactly, so clipping buys nothing and costs time on every repaint.
            plot.vb.setFlag(QGraphicsItem.GraphicsItemFlag.ItemClipsChildrenToShape, False)
            plot.getAxis("left").setWidth(54)
            plot.showAxis("bottom", index == len(quantities) - 1)
            plots.cache_static(plot.getAxis("left"), plot.getAxis("bottom"))  # static between texts
            if index:
                plot.setXLink(self._heatmaps[0].plot)
            image = pg.ImageItem(axisOrder="row-major")
            plot.addItem(image)
            column_marker, row_marker = RectOutline(3.0, 1.5, parent=plot.vb), RectOutline(2.0, 1.0, parent=plot.vb)
            column_marker.setZValue(10)
            row_marker.setZValue(9)
            divider = QGraphicsLineItem()
            divider.setZValue(5)
            plot.vb.addItem(divider, ignoreBounds=True)
            plot.vb.sigTransformChanged.connect(self._on_view_transform_changed)
            self._canvas.ci.addItem(plot, row=index, col=0)
            self._heatmaps.append(Heatmap(quantity, plot, image, column_marker, row_marker, divider))
        self._apply_theme()

    def _apply_titles(self) -> None:
        colour = Ink.of(self.palette()).text.name()
        for heatmap in self._heatmaps:
            low, high = self._levels[heatmap.quantity]
            text = f"{title(heatmap.quantity, self._kind)} ({scale_text(low, high)})"
            if heatmap.title != (text, colour):  # a new title re-lays out its plot
                heatmap.title = (text, colour)
                heatmap.plot.setTitle(text, color=colour, size="9pt")

    def _apply_theme(self) -> None:
        ink = Ink.of(self.palette())
        self._canvas.setBackground(ink.window)
        divider_pen = cosmetic_pen(ink.text, 2.0)
        for heatmap in self._heatmaps:
            plots.ink_axes(heatmap.plot, ink)
            heatmap.divider.setPen(divider_pen)
        if self._levels:
            self._apply_titles()

    def palette_changed(self) -> None:
        self._apply_theme()

    # --- mouse ---------------------------------------------------------------------------------------------------
    def _cell_at(self, scene_position: QPointF) -> tuple[Heatmap, int, int] | None:
        """(heatmap, token, unit) under a scene point, or None outside the images."""
        hit = plots.view_point((heatmap.plot.vb for heatmap in self._heatmaps), scene_position)
        if hit is None:
            return None
        view, point = hit
        (heatmap,) = (heatmap for heatmap in self._heatmaps if heatmap.plot.vb is view)
        (start, end), token, row = self._window, plots.nearest(point.x()), plots.nearest(point.y())
        if start <= token < end and 0 <= row < len(self._rows):
            return heatmap, token, int(self._rows[row])
        return None

    def _on_mouse_moved(self, scene_position: QPointF) -> None:
        cell = self._cell_at(scene_position)
        message = "" if cell is None else self.describe(*cell)
        if message != self._last_message:
            self._last_message = message
            self.status_message.emit(message)

    def _on_mouse_clicked(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        cell = self._cell_at(event.scenePos())
        if cell is not None:
            _, token, unit = cell
            self._session.set_unit(unit)
            self._session.set_step(token)

    def describe(self, heatmap: Heatmap, token: int, unit: int) -> str:
        """Status text for one cell, read straight from the trace: quantity · unit = value at token."""
        layer = self._session.layer_trace
        value = float(layer.quantities()[heatmap.quantity][token, unit])
        return (
            f"{title(heatmap.quantity, layer.kind)} · {unit_name(unit, layer)} = {signed(value, 4)} "
            f"{where(self._session.trace.tokens, token)}"
        )
