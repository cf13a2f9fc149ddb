"""The cell diagram view: one LSTM, GRU or RNN step drawn the way explainers draw it — inputs x(t) and h(t−1), their
combination, the gate blocks with their activation, the pointwise operations, (LSTM) the cell-state line along the
top — with every wire's current vector as a colour strip on the app's fixed scales, animated phase by phase.

The items are made once per cell kind and updated in place: a step recolours a dozen small strips, a phase frame
moves a few packets and changes some opacities. Values come from :mod:`gatescope.engine.phases` (the trace), never
from maths done here. Where the parts go is :mod:`.layouts`; how they look is :mod:`.items`.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QTimer, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QGraphicsScene, QSizePolicy, QVBoxLayout, QWidget

from gatescope.engine.phases import GATE_WIRES, PHASES, CellFlow, trace_flows
from gatescope.engine.trace import LayerTrace
from gatescope.presentation import scales
from gatescope.presentation.captions import diagram_heading, phase_caption, step_heading
from gatescope.presentation.text import quoted, scale_text, signed, unit_name, wire_title
from gatescope.ui.views.binding import SessionView
from gatescope.ui.views.cell.diagram import Diagram, DiagramCanvas
from gatescope.ui.views.cell.items import VectorStrip
from gatescope.ui.views.cell.layouts import DIAGRAM_SIZE, LAYOUTS
from gatescope.ui.views.cell.phase_bar import PhaseBar
from gatescope.ui.views.colors import Ink, colour_rows, strip_tables
from gatescope.ui.views.live_label import LiveLabel

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


class CellDiagram(SessionView):
    """The selected layer's cell at the current step and phase: heading, phase buttons, the diagram, a caption."""

    status_message = Signal(str)

    def __init__(self, session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._session = session
        self._ink = Ink.of(self.palette())
        self._scene = QGraphicsScene(self)
        self._diagrams: list[Diagram] = []
        self._flows: list[CellFlow] = []
        self._kind: str | None = None
        self._directions: tuple[str, ...] = ()
        self._permutations: list[np.ndarray] = []
        # The strips' wires (x apart: it has features, not units), with their fixed levels and colour tables.
        self._unit_wires: list[str] = []
        self._unit_levels = self._x_levels = np.zeros((0, 2), dtype=np.float32)
        self._unit_tables = self._x_tables = np.zeros((0, 256, 4), dtype=np.ubyte)
        self._dirty = True
        self._layer_stale = False  # a new trace or layer came while hidden: load it when shown (or asked)
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(0)
        self._refresh_timer.timeout.connect(self._refresh_if_dirty)

        self.heading = LiveLabel(lines=1, point_scale=1.2, bold=True)
        self.phase_bar = PhaseBar(self)
        self.phase_bar.chosen.connect(self._on_phase_chosen)
        self.canvas = DiagramCanvas(self._scene, self)
        self.canvas.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.caption = LiveLabel(lines=2, point_scale=1.1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.heading)
        layout.addWidget(self.phase_bar)
        layout.addWidget(self.canvas, 1)
        layout.addWidget(self.caption)
        self.bind(session, SESSION_SLOTS)
        self._load_layer()

    # --- what tests and exports read ------------------------------------------------------------------------------
    @property
    def kind(self) -> str | None:
        self._load_layer_if_stale()
        return self._kind

    @property
    def diagrams(self) -> list[Diagram]:
        """One per direction (forward first)."""
        self._load_layer_if_stale()
        return self._diagrams

    @property
    def flows(self) -> list[CellFlow]:
        self._load_layer_if_stale()
        return self._flows

    def vector_strip(self, wire: str, direction: int = 0) -> VectorStrip:
        self._load_layer_if_stale()
        self._refresh_if_dirty()
        return self._diagrams[direction].strips[wire]

    def shown_values(self, direction: int = 0) -> dict[str, np.ndarray | None]:
        """Wire → the values its strip shows now, in unit order (None while its phase has not run yet)."""
        self._load_layer_if_stale()
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
        self._load_layer_if_stale()
        return [button.text() for button in self.phase_bar.buttons()]

    def settle(self) -> None:
        """Bring every item up to date now (exports call this before taking a frame)."""
        self._load_layer_if_stale()
        self._dirty = True
        self._refresh_if_dirty()

    # --- session -> view ------------------------------------------------------------------------------------------
    def _on_trace_changed(self, _trace) -> None:
        self._load_layer_when_shown()

    def _on_layer_changed(self, _layer: int) -> None:
        self._load_layer_when_shown()

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

    # --- building: on a new trace, layer, order or colour scheme ---------------------------------------------------
    def _load_layer_when_shown(self) -> None:
        """Load a new trace's wires now if the diagram shows, else when it is next shown: behind the heatmaps, a
        5,000-token text through a 1,024-unit bidirectional layer would cost the GUI thread 0.1 s and 100 MB for
        wires nobody sees. The old trace's wires go at once."""
        if self.isVisible():
            self._load_layer()
            return
        self._flows, self._permutations, self._layer_stale = [], [], True

    def _load_layer_if_stale(self) -> None:
        if self._layer_stale:
            self._load_layer()

    def _load_layer(self) -> None:
        self._layer_stale = False
        session = self._session
        trace, layer = session.trace, session.layer_trace
        if trace is None or layer is None or trace.layer_input(session.layer) is None:
            self._flows = []
            self.heading.setText("type a sentence to see the cell read it")
            return
        self._flows = trace_flows(session.model.layers, trace, session.layer)
        if (layer.kind, layer.directions) != (self._kind, self._directions):
            self._build(layer)
        self._load_levels(layer)
        self._load_tables()
        self._load_order()
        self._invalidate()

    def _build(self, layer: LayerTrace) -> None:
        """The items of each direction's diagram (only when the kind of cell or its directions change)."""
        self._scene.clear()
        self._kind, self._directions = layer.kind, layer.directions
        font = QFont(self.font())
        font.setPointSizeF(max(9.0, font.pointSizeF() * 1.15))
        self._diagrams = []
        for d, flow in enumerate(self._flows):
            origin = QPointF(0.0, d * (DIAGRAM_SIZE[1] + 30.0))
            heading = diagram_heading(flow, layer.bidirectional)
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
        self._unit_wires = [spec.wire for spec in LAYOUTS[layer.kind].strips if spec.wire != "x"]
        self._scene.setSceneRect(self._scene.itemsBoundingRect())
        self.phase_bar.set_phases(PHASES[layer.kind])
        self.canvas.fit()

    def _load_levels(self, layer: LayerTrace) -> None:
        levels = scales.wire_levels(self._flows, layer)
        self._unit_levels = np.array([levels[wire] for wire in self._unit_wires], dtype=np.float32)
        self._x_levels = np.array([levels["x"]], dtype=np.float32)
        for diagram in self._diagrams:
            for wire, strip in diagram.strips.items():
                strip.set_title(f"{wire_title(wire, self._kind)}   {scale_text(*levels[wire])}")

    def _load_tables(self) -> None:
        scheme = self._session.colour_scheme
        self._unit_tables = strip_tables(scheme, tuple(wire in GATE_WIRES for wire in self._unit_wires))
        self._x_tables = strip_tables(scheme, ("x" in GATE_WIRES,))

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
        for diagram, flow, permutation in zip(self._diagrams, self._flows, self._permutations, strict=True):
            self._colour_strips(diagram, flow, permutation)
            diagram.set_phase(session.phase, session.phase_progress)
            diagram.refresh_packets()
        self._show_unit(session.layer_trace)
        self._show_heading()
        self.phase_bar.set_current(session.phase)

    def _now(self, values: np.ndarray) -> np.ndarray:
        """A wire's vector as shown now: the step's inside a step, tweened between steps when whole steps show."""
        session = self._session
        if session.phase == session.last_phase:
            return scales.interpolate_rows(values, session.position)
        return values[session.step]

    def _colour_strips(self, diagram: Diagram, flow: CellFlow, permutation: np.ndarray) -> None:
        """Every strip's values (units in display order) and their colours, in one gather per kind of strip."""
        rows = np.empty((len(self._unit_wires), permutation.size), dtype=np.float32)
        for k, wire in enumerate(self._unit_wires):
            rows[k] = self._now(flow.wires[wire])[permutation]
        x = np.array(self._now(flow.wires["x"]), dtype=np.float32)[None, :]
        for block, wires, levels, tables in (
            (rows, self._unit_wires, self._unit_levels, self._unit_tables),
            (x, ["x"], self._x_levels, self._x_tables),
        ):
            if not np.isfinite(block).all():
                np.nan_to_num(block, copy=False)
            colours = colour_rows(block, levels, tables)
            for k, wire in enumerate(wires):
                diagram.strips[wire].set_values(block[k], colours[k])

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
        self.caption.setText(
            phase_caption(
                flow, self._session.step, self._session.phase, local, trace.tokens, unit_label=unit_name(unit, layer)
            )
        )

    def _show_heading(self) -> None:
        session = self._session
        trace = session.trace
        phase = (session.phase, session.phases[session.phase].key, len(session.phases))
        self.heading.setText(step_heading(trace.tokens, session.step, session.layer, len(trace.layers), phase))

    # --- view -> session --------------------------------------------------------------------------------------------
    def _on_phase_chosen(self, index: int) -> None:
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
        self._load_layer_if_stale()
        self._refresh_if_dirty()
        self.canvas.fit()

    def palette_changed(self) -> None:
        self._ink = Ink.of(self.palette())
        self.canvas.setBackgroundBrush(self._ink.base)
        for diagram in self._diagrams:
            diagram.set_ink(self._ink)
