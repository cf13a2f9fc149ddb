"""UnitInspector: one unit of the selected layer across the whole text — every gate, c and h as curves on fixed
axes, the current step marked — to see what the unit keeps, writes and lets out, token by token."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QGraphicsLineItem, QVBoxLayout, QWidget

from gatescope.engine.trace import LayerTrace
from gatescope.presentation import scales
from gatescope.presentation.text import signed, symbol, title, unit_name, where
from gatescope.ui.views import plots
from gatescope.ui.views.binding import SessionView
from gatescope.ui.views.canvas import TokenAxis, fit_step_line, tune_for_live_updates
from gatescope.ui.views.colors import Ink

#: Curve colours (Okabe–Ito); h takes the theme's text colour so it stands out on light and dark backgrounds.
CURVE_COLOURS = {
    "input": "#0072B2",
    "forget": "#D55E00",
    "output": "#009E73",
    "update": "#CC79A7",
    "reset": "#E69F00",
    "candidate": "#56B4E9",
    "cell_state": "#E69F00",
}
#: Which plot each quantity lives on: sigmoid gates 0..1, tanh quantities −1..1, the cell state on its own ±limit.
PLOTS = ("gates", "tanh", "cell")
PLOT_TITLES = {"gates": "gates", "tanh": "g, h", "cell": "c"}  # short: the axes are short; ticks show the ranges
QUANTITIES_BY_KIND: dict[str, tuple[tuple[str, str], ...]] = {
    "lstm": (
        ("input", "gates"),
        ("forget", "gates"),
        ("output", "gates"),
        ("candidate", "tanh"),
        ("hidden_state", "tanh"),
        ("cell_state", "cell"),
    ),
    "gru": (("update", "gates"), ("reset", "gates"), ("candidate", "tanh"), ("hidden_state", "tanh")),
    "rnn": (("hidden_state", "tanh"),),
}
#: Curves the legend names by their symbol alone (c, h): the axes already say what they are.
BY_SYMBOL = ("cell_state", "hidden_state")


SESSION_SLOTS = (
    ("trace_changed", "_on_trace_changed"),
    ("layer_changed", "_on_layer_changed"),
    ("unit_changed", "_on_unit_changed"),
    ("position_changed", "_on_position_changed"),
)


class UnitInspector(SessionView):
    """The selected unit over every token: gate curves on 0..1, candidate and h on −1..1, c on a symmetric axis."""

    status_message = Signal(str)

    def __init__(self, session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._session = session
        self._layer: LayerTrace | None = None
        self._quantities: tuple[tuple[str, str], ...] = ()
        self._plots_shown: tuple[str, ...] = ()
        self._ink = Ink.of(self.palette())
        self._title = ("", "")  # the text and colour shown: a new title re-lays out the plots under it

        self.graphics = pg.GraphicsLayoutWidget()
        tune_for_live_updates(self.graphics)
        self.graphics.setMinimumHeight(300)  # three readable plots under the title
        self.graphics.ci.setContentsMargins(4, 4, 8, 4)
        self.title = pg.LabelItem(justify="left", size="13pt", bold=True)
        self.graphics.ci.addItem(self.title, row=0, col=0)
        self.plots: dict[str, pg.PlotItem] = {}
        self.axes: dict[str, TokenAxis] = {}
        self.step_lines: dict[str, QGraphicsLineItem] = {}
        self.legends: dict[str, pg.LegendItem] = {}
        for name in PLOTS:
            axis = TokenAxis()
            plot = plots.still_plot(pg.PlotItem(axisItems={"bottom": axis}))
            plot.setLabel("left", PLOT_TITLES[name])
            plot.getAxis("left").setWidth(64)
            line = plots.add_step_line(plot, self._fit_step_lines)
            self.legends[name] = plots.add_legend(plot, offset=(-6, 4), columns=3)
            plots.cache_static(plot.getAxis("left"), axis)
            self.plots[name], self.axes[name], self.step_lines[name] = plot, axis, line
        self.plots["gates"].setYRange(0.0, 1.0, padding=0.04)
        self.plots["tanh"].setYRange(-1.0, 1.0, padding=0.04)
        self.curves: dict[str, pg.PlotDataItem] = {}
        # Every quantity once, in a fixed order: curves drawn later lie on top, so the order must not vary.
        for quantity, plot_name in dict.fromkeys(pair for pairs in QUANTITIES_BY_KIND.values() for pair in pairs):
            self.curves[quantity] = plots.add_curve(self.plots[plot_name], CURVE_COLOURS.get(quantity, "#000000"))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.graphics)

        self.pointer = plots.TokenPointer(self.graphics.scene(), self)
        self.pointer.clicked.connect(session.set_step)
        self.pointer.hovered.connect(self._on_token_hovered)
        self.bind(session, SESSION_SLOTS)
        self._apply_palette()
        self._load_layer()

    # --- data work: trace, layer and unit changes ---------------------------------------------------------------
    def _on_trace_changed(self, _trace) -> None:
        self._load_layer()

    def _on_layer_changed(self, _layer: int) -> None:
        self._load_layer()

    def _on_unit_changed(self, _unit: int) -> None:
        self._load_unit()

    def _load_layer(self) -> None:
        """Fix the axes for this layer (c's symmetric limit, the tokens) and lay out the plots its kind needs."""
        trace, layer = self._session.trace, self._session.layer_trace
        self._layer = layer
        self.pointer.steps = trace.steps if trace is not None and layer is not None else 0
        if trace is None or layer is None:
            self._show_title("no text yet")
            self._show_plots(())
            return
        self._quantities = QUANTITIES_BY_KIND.get(layer.kind, QUANTITIES_BY_KIND["rnn"])
        self._show_plots(tuple(name for name in PLOTS if any(plot == name for _, plot in self._quantities)))
        limit = scales.cell_state_limit(layer)
        self.plots["cell"].setYRange(-limit, limit, padding=0.04)
        self.plots["tanh"].setLabel("left", {"lstm": "g, h", "gru": "n, h"}.get(layer.kind, "h"))
        for name in PLOTS:
            self.plots[name].setXRange(-0.5, max(0.5, trace.steps - 0.5), padding=0.0)
            self.axes[name].set_tokens(trace.tokens)
        entries = tuple(
            (quantity, plot_name, self._curve_name(quantity, layer)) for quantity, plot_name in self._quantities
        )
        if entries != getattr(self, "_legend_entries", None):  # rebuild only when the names change
            self._legend_entries = entries
            for name, legend in self.legends.items():
                legend.clear()
                for quantity, plot_name, title in entries:
                    if plot_name == name:
                        legend.addItem(self.curves[quantity], title)
        self._load_unit()
        self._fit_step_lines()
        self._on_position_changed(self._session.position)

    def _show_plots(self, names: tuple[str, ...]) -> None:
        """Stack the plots a kind needs under the title (only when the kind changes); only the last shows tokens."""
        if names == self._plots_shown:
            return
        for name in self._plots_shown:
            self.graphics.ci.removeItem(self.plots[name])
        for row, name in enumerate(names, start=1):
            self.graphics.ci.addItem(self.plots[name], row=row, col=0)
            # Only the last plot has a token axis: the others would redraw tick marks for every new text.
            self.plots[name].showAxis("bottom", name == names[-1])
        self._plots_shown = names
        self.pointer.views = tuple(self.plots[name].getViewBox() for name in names)

    @property
    def plots_shown(self) -> tuple[str, ...]:
        """The plots this kind of layer needs, top to bottom: gates, tanh (candidate and h), cell."""
        return self._plots_shown

    def _load_unit(self) -> None:
        trace, layer = self._session.trace, self._layer
        if trace is None or layer is None:
            return
        unit = self._session.unit
        text = unit_name(unit, layer, always_direction=True)
        if len(trace.layers) > 1:
            text += f" · layer {self._session.layer + 1} of {len(trace.layers)}"
        self._show_title(text)
        x = np.arange(trace.steps, dtype=np.float64)
        shown = {quantity for quantity, _ in self._quantities}
        for quantity, curve in self.curves.items():
            curve.setVisible(quantity in shown)
            if quantity in shown:
                curve.setData(x, self._values(quantity)[:, unit].astype(np.float64))

    def _values(self, quantity: str) -> np.ndarray:
        layer = self._layer
        assert layer is not None
        if quantity == "hidden_state":
            return layer.h
        if quantity == "cell_state":
            assert layer.c is not None
            return layer.c
        return layer.gates[quantity]

    @staticmethod
    def _curve_name(quantity: str, layer: LayerTrace) -> str:
        return symbol(quantity, layer.kind) if quantity in BY_SYMBOL else title(quantity, layer.kind)

    # --- per frame: just the step lines ---------------------------------------------------------------------------
    def _on_position_changed(self, position: float) -> None:
        for name in self._plots_shown:
            line = self.step_lines[name]
            line.setPos(position, line.y())

    def _fit_step_lines(self, *_view_box) -> None:
        """Each step line spans its plot's full height (sized in pixels, so it repaints only a thin strip)."""
        for name, line in self.step_lines.items():
            view = self.plots[name].vb
            low, high = view.viewRange()[1]
            fit_step_line(line, view.childTransform(), low, high)

    # --- hover (a click sets the step: see the pointer in __init__) ---------------------------------------------------
    def _on_token_hovered(self, step: int) -> None:
        layer, trace = self._layer, self._session.trace
        if layer is None or trace is None:
            return
        unit = self._session.unit
        values = " · ".join(
            f"{symbol(quantity, layer.kind)} {signed(float(self._values(quantity)[step, unit]), 4)}"
            for quantity, _ in self._quantities
        )
        self.status_message.emit(
            f"{unit_name(unit, layer, always_direction=True)} {where(trace.tokens, step)}: {values}"
        )

    # --- theme -----------------------------------------------------------------------------------------------
    def _show_title(self, text: str) -> None:
        """The title in the theme's text colour, set only when either changes."""
        title = (text, self._ink.text.name())
        if title != self._title:
            self._title = title
            self.title.setText(text, color=title[1])

    def _apply_palette(self) -> None:
        ink = self._ink = Ink.of(self.palette())
        self.graphics.setBackground(ink.base)
        for name, plot in self.plots.items():
            plots.ink_axes(plot, ink)
            plots.ink_step_line(self.step_lines[name], ink)
            plots.ink_legend(self.legends[name], ink, alpha=120)
        self.curves["hidden_state"].setPen(pg.mkPen(ink.text, width=2.5))
        self._show_title(self._title[0])
        if self._layer is not None:
            self._load_layer()

    def palette_changed(self) -> None:
        self._apply_palette()
