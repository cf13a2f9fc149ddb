"""PredictionPanel: what the model's head says after each token — a curve per label, the current step marked, and the
verdict in words, with a note where the network changed its mind."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtGui import QColor, QPainterPath
from PySide6.QtWidgets import QGraphicsEllipseItem, QGraphicsItem, QGraphicsPathItem, QVBoxLayout, QWidget

from gatescope.engine.trace import Trace
from gatescope.presentation import scales
from gatescope.presentation.text import percent, quoted, signed, step_text
from gatescope.ui.views import plots
from gatescope.ui.views.binding import SessionView
from gatescope.ui.views.canvas import TokenAxis, fit_step_line, tune_for_live_updates
from gatescope.ui.views.colors import Ink, cosmetic_pen
from gatescope.ui.views.live_label import LiveLabel

#: Okabe–Ito, a qualitative palette colour-blind readers can tell apart; one colour per output label.
LABEL_COLOURS = ("#D55E00", "#0072B2", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#999999")
NO_HEAD = (
    "this model has no output head: it reads its input and keeps a hidden state, but predicts nothing. "
    "The step and unit views still show every gate."
)


SESSION_SLOTS = (
    ("trace_changed", "_on_trace_changed"),
    ("step_changed", "_on_step_changed"),
    ("position_changed", "_on_position_changed"),
)


def decisions(outputs: np.ndarray) -> np.ndarray:
    """(T,) the label the head picks after each token: argmax, or for a single output whether it is ≥ 0.5."""
    if outputs.shape[1] == 1:
        return (outputs[:, 0] >= 0.5).astype(int)
    return np.argmax(outputs, axis=1)


class PredictionPanel(SessionView):
    """The head's output after every token as curves, with the verdict at the current step in words."""

    status_message = Signal(str)

    def __init__(self, session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._session = session
        self._trace: Trace | None = None
        self._decisions = np.zeros(0, dtype=int)
        self._flips = np.zeros(0, dtype=int)  # steps whose decision differs from the step before
        self._probabilities = True

        # LiveLabels: new words each step must never re-lay out (and so fully repaint) this or any other view.
        self.verdict = LiveLabel(lines=1, point_scale=1.6, bold=True)
        self.note = LiveLabel(lines=2)
        self.axis = TokenAxis()
        self.plot_widget = pg.PlotWidget(axisItems={"bottom": self.axis})
        tune_for_live_updates(self.plot_widget)
        self.plot = plots.still_plot(self.plot_widget.getPlotItem())
        self.legend = plots.add_legend(self.plot, offset=(-8, 8))
        plots.cache_static(self.plot.getAxis("left"), self.plot.getAxis("bottom"))
        self.curves: list[pg.PlotDataItem] = []
        # Per-frame items are plain Qt items (painted in C++); static ones are cached as pixmaps, so moving the step
        # line repaints a thin strip from caches instead of re-running pyqtgraph's Python paint code.
        self._line_span = (0.0, 1.0)  # data values the step line runs between
        self.step_line = plots.add_step_line(self.plot, self._fit_step_line)
        self.current_dots: list[QGraphicsEllipseItem] = []  # one dot per label where the step line meets its curve
        self.flip_marks: list[QGraphicsPathItem] = []  # per label: a rug of ticks under the plot where it took over
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.verdict)
        layout.addWidget(self.note)
        layout.addWidget(self.plot_widget, 1)

        self.pointer = plots.TokenPointer(self.plot_widget.scene(), self)
        self.pointer.views = (self.plot.getViewBox(),)
        self.pointer.clicked.connect(session.set_step)
        self.pointer.hovered.connect(self._on_token_hovered)
        self.bind(session, SESSION_SLOTS)
        self._apply_palette()
        self._on_trace_changed(session.trace)

    # --- data work: only when the trace changes -----------------------------------------------------------------
    def _on_trace_changed(self, trace: Trace | None) -> None:
        self._trace = trace
        has_head = trace is not None and trace.outputs is not None
        self.pointer.steps = trace.steps if has_head else 0
        self.plot_widget.setVisible(has_head)
        if trace is None:
            self.verdict.setText("")
            self.note.setText("type a sentence to see what the model predicts")
            return
        if not has_head:
            self.verdict.setText("")
            self.note.setText(NO_HEAD)
            return
        outputs = trace.outputs
        labels = self._labels()
        self._ensure_curves(len(labels))
        x = np.arange(trace.steps, dtype=np.float64)
        for index, curve in enumerate(self.curves):
            visible = index < len(labels)
            curve.setVisible(visible)
            self.current_dots[index].setVisible(visible)
            self.flip_marks[index].setVisible(visible)
            if visible:
                curve.setData(x, outputs[:, index].astype(np.float64))
        self._fill_legend()
        self._decisions = decisions(outputs)
        self._flips = np.flatnonzero(np.diff(self._decisions)) + 1
        self._probabilities = bool(outputs.min() >= 0.0 and outputs.max() <= 1.0)
        low, high = (0.0, 1.0) if self._probabilities else (float(outputs.min()), float(outputs.max()))
        rugs, span = [QPainterPath() for _ in labels], high - low
        for flip in self._flips:  # in the axis padding below the lowest value, so they never hide a curve
            rug = rugs[int(self._decisions[flip]) % len(rugs)]
            rug.moveTo(float(flip), low - 0.048 * span)
            rug.lineTo(float(flip), low - 0.004 * span)
        for marks, rug in zip(self.flip_marks, rugs, strict=False):
            marks.setPath(rug)
        self.plot.setXRange(-0.5, max(0.5, trace.steps - 0.5), padding=0.0)
        self.plot.setYRange(low, high, padding=0.05)
        self._line_span = (low, high)
        self._fit_step_line()
        ticks = [[(v, percent(v)) for v in (0.0, 0.25, 0.5, 0.75, 1.0)]]
        self.plot.getAxis("left").setTicks(ticks if self._probabilities else None)
        self.axis.set_tokens(trace.tokens)
        self.plot.setLabel("left", "probability" if self._probabilities else "score")
        self._on_step_changed(self._session.step)
        self._on_position_changed(self._session.position)

    def _labels(self) -> list[str]:
        trace = self._trace
        assert trace is not None and trace.outputs is not None
        count = trace.outputs.shape[1]
        if trace.output_labels and len(trace.output_labels) == count:
            return list(trace.output_labels)
        return [f"output {index}" for index in range(count)]

    def _ensure_curves(self, count: int) -> None:
        while len(self.curves) < count:
            colour = LABEL_COLOURS[len(self.curves) % len(LABEL_COLOURS)]
            self.curves.append(plots.add_curve(self.plot, colour))
            dot = QGraphicsEllipseItem(-4.5, -4.5, 9.0, 9.0)
            dot.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
            dot.setBrush(pg.mkBrush(colour))
            dot.setPen(self._outline)
            dot.setZValue(12)
            self.plot.addItem(dot, ignoreBounds=True)
            self.current_dots.append(dot)
            marks = QGraphicsPathItem()
            marks.setPen(cosmetic_pen(QColor(colour), 3))
            marks.setZValue(9)
            plots.cache_static(marks)
            self.plot.addItem(marks, ignoreBounds=True)
            self.flip_marks.append(marks)

    def _fill_legend(self) -> None:
        entries = tuple(self._labels()) if self._trace is not None and self._trace.outputs is not None else ()
        if entries == getattr(self, "_legend_entries", None):
            return  # same labels as before: rebuilding the legend costs milliseconds per retype
        self._legend_entries = entries
        self.legend.clear()
        for curve, label in zip(self.curves, entries, strict=False):
            self.legend.addItem(curve, label)

    def _decision_name(self, decision: int) -> str:
        labels = self._labels()
        if len(labels) == 1:
            return labels[0] if decision else f"not {labels[0]}"
        return labels[decision]

    def _amount(self, value: float) -> str:
        return percent(value) if self._probabilities else f"score {signed(value)}"

    # --- per step: words; per frame: one line and a few dots ----------------------------------------------------
    def _on_step_changed(self, step: int) -> None:
        trace = self._trace
        if trace is None or trace.outputs is None or step >= trace.steps:
            return
        row, decision = trace.outputs[step], int(self._decisions[step])
        value = float(row[decision if row.size > 1 else 0])
        if row.size == 1 and not decision and self._probabilities:
            value = 1.0 - value  # "not positive (80%)" reads better than "not positive (20%)"
        name = self._decision_name(decision)
        self.verdict.setText(f"after {quoted(trace.tokens[step])}: {name} ({self._amount(value)})")
        earlier = self._flips[self._flips <= step]
        if earlier.size == 0:
            self.note.setText(f"{name} from the first token on: no change of mind so far")
        elif earlier[-1] == step:
            before = self._decision_name(int(self._decisions[step - 1]))
            self.note.setText(f"⚑ flipped to {name} at {quoted(trace.tokens[step])} (was {before})")
        else:
            flip = int(earlier[-1])
            before = self._decision_name(int(self._decisions[flip - 1]))
            self.note.setText(
                f"{name} since {quoted(trace.tokens[flip])} ({step_text(flip, trace.steps)}), "
                f"where it flipped from {before}"
            )

    def _on_position_changed(self, position: float) -> None:
        trace = self._trace
        if trace is None or trace.outputs is None:
            return
        self.step_line.setPos(position, self._line_span[1])
        row = scales.interpolate_rows(trace.outputs, position)
        for dot, value in zip(self.current_dots, row, strict=False):
            dot.setPos(position, float(value))

    def _fit_step_line(self, *_view_box) -> None:
        fit_step_line(self.step_line, self.plot.vb.childTransform(), *self._line_span)

    # --- hover (a click sets the step: see the pointer in __init__) ---------------------------------------------------
    def _on_token_hovered(self, step: int) -> None:
        trace = self._trace
        row = trace.outputs[step]
        values = " · ".join(f"{label} {float(value):.4f}" for label, value in zip(self._labels(), row, strict=True))
        self.status_message.emit(f"after {quoted(trace.tokens[step])} ({step_text(step, trace.steps)}): {values}")

    # --- theme -----------------------------------------------------------------------------------------------
    def _apply_palette(self) -> None:
        ink = Ink.of(self.palette())
        self.plot_widget.setBackground(ink.base)
        plots.ink_axes(self.plot, ink)
        plots.ink_legend(self.legend, ink, alpha=150)
        plots.ink_step_line(self.step_line, ink)
        self._outline = cosmetic_pen(ink.text, 1)
        for dot in self.current_dots:
            dot.setPen(self._outline)
        self._fill_legend()

    def palette_changed(self) -> None:
        self._apply_palette()
