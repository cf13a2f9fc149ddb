"""SessionModel: the one place the app's state lives. It validates, stores, then emits — views only listen.

State: the model, its input (the source: a text, token ids or a number sequence), its trace, the selected layer,
the step (token index), the phase within a token, the selected unit, and the unit ordering. ``position`` is the
displayed step as a float while an animation tweens between two tokens (views interpolate the trace there); it equals
``step`` when nothing moves.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, Signal

from gatescope.engine.phases import PHASES, Phase
from gatescope.engine.trace import LayerTrace, Trace
from gatescope.errors import GatescopeError
from gatescope.model.model import Model
from gatescope.presentation.scales import DEFAULT_SCHEME, SCHEMES

UNIT_ORDERS = ("index", "variance", "correlation")


class SessionModel(QObject):
    """Model, text, trace, layer, step, phase, unit: validated setters that emit only on a real change."""

    model_changed = Signal(object)  # Model
    source_changed = Signal(object)  # str | np.ndarray: the text, the token ids (int) or the sequence (T, features)
    text_changed = Signal(str)  # the source, when it is a text
    trace_changed = Signal(object)  # Trace
    layer_changed = Signal(int)
    step_changed = Signal(int)
    position_changed = Signal(float)
    phase_changed = Signal(int)
    phase_progress_changed = Signal(float)
    unit_changed = Signal(int)
    unit_order_changed = Signal(str)
    colour_scheme_changed = Signal(str)
    error_raised = Signal(str)

    def __init__(self, model: Model, text: str | np.ndarray = "", parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._model = model
        self._source: str | np.ndarray = ""
        self._trace: Trace | None = None
        self._layer = 0
        self._step = 0
        self._position = 0.0
        self._phase = 0
        self._phase_progress = 1.0
        self._unit = 0
        self._unit_order = "index"
        self._colour_scheme = DEFAULT_SCHEME
        self._orders: dict[tuple[int, str], np.ndarray] = {}
        if _given(text):
            self.set_source(text)

    # --- read-only views of the state ---------------------------------------------------------------------------
    @property
    def model(self) -> Model:
        return self._model

    @property
    def source(self) -> str | np.ndarray:
        """What the model reads: a text, token ids (an integer array) or a float array (T, features)."""
        return self._source

    @property
    def text(self) -> str:
        """The source when it is a text; "" when the model reads token ids or numbers."""
        return self._source if isinstance(self._source, str) else ""

    @property
    def trace(self) -> Trace | None:
        return self._trace

    @property
    def layer(self) -> int:
        return self._layer

    @property
    def layer_trace(self) -> LayerTrace | None:
        return None if self._trace is None else self._trace.layers[self._layer]

    @property
    def step(self) -> int:
        return self._step

    @property
    def position(self) -> float:
        return self._position

    @property
    def phase(self) -> int:
        """Index into ``phases``: how far the computation of the current token has got (last = the whole step)."""
        return self._phase

    @property
    def phase_progress(self) -> float:
        """0..1 within the current phase while its values travel (1 = the phase is complete)."""
        return self._phase_progress

    @property
    def phases(self) -> tuple[Phase, ...]:
        """The phases of one step of the selected layer's cell, in the order the computation happens."""
        layer = self.layer_trace
        return PHASES[layer.kind] if layer is not None else PHASES["rnn"]

    @property
    def last_phase(self) -> int:
        return len(self.phases) - 1

    @property
    def unit(self) -> int:
        return self._unit

    @property
    def unit_order(self) -> str:
        return self._unit_order

    @property
    def colour_scheme(self) -> str:
        return self._colour_scheme

    @property
    def steps(self) -> int:
        return 0 if self._trace is None else self._trace.steps

    @property
    def units(self) -> int:
        """Units on the selected layer's unit axis (both directions of a bidirectional layer)."""
        layer = self.layer_trace
        return 0 if layer is None else layer.h.shape[1]

    # --- setters: validate, store, emit ------------------------------------------------------------------------
    def set_text(self, text: str) -> bool:
        """Run the model on ``text``; on bad input emit error_raised and keep the previous trace. True if it ran."""
        return self.set_source(text)

    def set_source(self, source: str | np.ndarray) -> bool:
        """Run the model on a text, token ids (an integer array (T,)) or a float array (T, features); on bad input
        emit error_raised and keep the previous trace. True if it ran."""
        if _same_source(source, self._source) and self._trace is not None:
            return True
        try:
            trace = self._model.run(source)
        except GatescopeError as error:
            self.error_raised.emit(str(error))
            return False
        self._store_source(source)
        self._install_trace(trace)
        return True

    def set_model(self, model: Model, source: str | np.ndarray | None = None) -> bool:
        """Switch models and run it on ``source`` (default: the current one); on failure keep the current model and
        say why."""
        if model is self._model and (source is None or _same_source(source, self._source)):
            return True
        given = self._source if source is None else source
        try:
            trace = model.run(given) if _given(given) else None
        except GatescopeError as error:
            self.error_raised.emit(str(error))
            return False
        self._model = model
        self._layer = 0
        self.model_changed.emit(model)
        if not _same_source(given, self._source):
            self._store_source(given)
        if trace is not None:
            self._install_trace(trace)
        return True

    def _store_source(self, source: str | np.ndarray) -> None:
        if isinstance(source, np.ndarray):
            source = np.array(source, copy=True)  # the caller's array stays theirs to change
            source.flags.writeable = False
        self._source = source
        self.source_changed.emit(source)
        if isinstance(source, str):
            self.text_changed.emit(source)

    def _install_trace(self, trace: Trace) -> None:
        self._trace = trace
        self._orders.clear()
        self._layer = min(self._layer, len(trace.layers) - 1)
        self._unit = min(self._unit, trace.layers[self._layer].h.shape[1] - 1)
        step = min(self._step, trace.steps - 1)
        self._step, self._position = step, float(step)
        self._phase, self._phase_progress = self.last_phase, 1.0
        self.trace_changed.emit(trace)
        self.step_changed.emit(step)
        self.position_changed.emit(float(step))

    def set_layer(self, layer: int) -> None:
        if self._trace is None:
            return
        if not 0 <= layer < len(self._trace.layers):
            raise ValueError(f"layer {layer} is out of range 0..{len(self._trace.layers) - 1}")
        if layer == self._layer:
            return
        self._layer = layer
        self._unit = min(self._unit, self.units - 1)
        self._phase = min(self._phase, self.last_phase)
        self.layer_changed.emit(layer)

    def set_step(self, step: int, phase: int | None = None) -> None:
        """Jump to a token, showing its whole step (or ``phase`` of it); position follows at once and an animator may
        tween it afterwards."""
        if not 0 <= step < max(1, self.steps):
            raise ValueError(f"step {step} is out of range 0..{self.steps - 1}")
        phase = self.last_phase if phase is None else phase
        if not 0 <= phase <= self.last_phase:
            raise ValueError(f"phase {phase} is out of range 0..{self.last_phase}")
        changed = step != self._step
        self._step = step
        phase_changed = phase != self._phase
        self._phase, self._phase_progress = phase, 1.0
        if changed:
            self.step_changed.emit(step)
        if phase_changed or changed:
            self.phase_changed.emit(phase)
        self.set_position(float(step))

    def set_position(self, position: float) -> None:
        """The displayed (possibly fractional) step, for tweening between tokens."""
        position = float(min(max(position, 0.0), max(0, self.steps - 1)))
        if position != self._position:
            self._position = position
            self.position_changed.emit(position)

    def set_phase(self, phase: int) -> None:
        """Show the current token up to ``phase`` (complete; a phase animator may then run its progress 0 → 1)."""
        if not 0 <= phase <= self.last_phase:
            raise ValueError(f"phase {phase} is out of range 0..{self.last_phase}")
        if phase != self._phase:
            self._phase, self._phase_progress = phase, 1.0
            self.phase_changed.emit(phase)

    def set_phase_progress(self, progress: float) -> None:
        """How far the current phase's values have travelled, 0..1."""
        progress = float(min(max(progress, 0.0), 1.0))
        if progress != self._phase_progress:
            self._phase_progress = progress
            self.phase_progress_changed.emit(progress)

    def next_phase(self) -> bool:
        """One phase on: the next phase of this token, or the first phase of the next token. False at the end."""
        if self._phase < self.last_phase:
            self.set_phase(self._phase + 1)
        elif self._step + 1 < self.steps:
            self.set_step(self._step + 1, phase=0)
        else:
            return False
        return True

    def previous_phase(self) -> bool:
        """One phase back: the previous phase of this token, or the last phase of the previous token."""
        if self._phase > 0:
            self.set_phase(self._phase - 1)
        elif self._step > 0:
            self.set_step(self._step - 1)
        else:
            return False
        return True

    def set_unit(self, unit: int) -> None:
        if not 0 <= unit < max(1, self.units):
            raise ValueError(f"unit {unit} is out of range 0..{self.units - 1}")
        if unit != self._unit:
            self._unit = unit
            self.unit_changed.emit(unit)

    def set_unit_order(self, order: str) -> None:
        if order not in UNIT_ORDERS:
            raise ValueError(f"unit order must be one of {', '.join(UNIT_ORDERS)}, not {order!r}")
        if order != self._unit_order:
            self._unit_order = order
            self.unit_order_changed.emit(order)

    def set_colour_scheme(self, scheme: str) -> None:
        if scheme not in SCHEMES:
            raise ValueError(f"unknown colour scheme {scheme!r}; choose one of {', '.join(SCHEMES)}")
        if scheme != self._colour_scheme:
            self._colour_scheme = scheme
            self.colour_scheme_changed.emit(scheme)

    def step_forward(self) -> None:
        if self._step + 1 < self.steps:
            self.set_step(self._step + 1)

    def step_back(self) -> None:
        if self._step > 0:
            self.set_step(self._step - 1)

    # --- derived values views share ------------------------------------------------------------------------------
    def unit_permutation(self) -> np.ndarray:
        """Display order of the selected layer's units (row k shows unit order[k]); cached per trace."""
        layer = self.layer_trace
        if layer is None:
            return np.zeros(0, dtype=int)
        key = (self._layer, self._unit_order)
        if key not in self._orders:
            self._orders[key] = unit_order(layer, self._unit_order, self._trace.outputs if self._trace else None)
        return self._orders[key]


def _given(source: str | np.ndarray) -> bool:
    """True unless ``source`` is the empty text (no input yet)."""
    return not isinstance(source, str) or bool(source)


def _same_source(a: str | np.ndarray, b: str | np.ndarray) -> bool:
    if isinstance(a, str) or isinstance(b, str):
        return isinstance(a, str) and isinstance(b, str) and a == b
    return a.dtype.kind == b.dtype.kind and a.shape == b.shape and bool(np.array_equal(a, b))


def unit_order(layer: LayerTrace, order: str, outputs: np.ndarray | None) -> np.ndarray:
    """Units by index, by variance of h over the tokens (largest first), or by |correlation| of h with the output.

    Bidirectional layers keep forward units before reverse units and order each direction on its own.
    """
    if layer.bidirectional:
        forward = _order_columns(layer.h[:, : layer.units], order, outputs)
        reverse = _order_columns(layer.h[:, layer.units :], order, outputs)
        return np.concatenate([forward, reverse + layer.units])
    return _order_columns(layer.h, order, outputs)


def _order_columns(hidden: np.ndarray, order: str, outputs: np.ndarray | None) -> np.ndarray:
    """Column order of one direction's hidden states (T, units)."""
    units = hidden.shape[1]
    if order == "variance" and hidden.shape[0] > 1:
        return np.argsort(-hidden.var(axis=0), kind="stable")
    if order == "correlation" and outputs is not None and hidden.shape[0] > 2:
        target = outputs[:, -1].astype(np.float64)
        centred = hidden.astype(np.float64)
        centred = centred - centred.mean(axis=0)
        target = target - target.mean()
        denominator = np.sqrt((centred**2).sum(axis=0) * (target**2).sum())
        correlation = np.divide(centred.T @ target, denominator, out=np.zeros(units), where=denominator > 0)
        return np.argsort(-np.abs(correlation), kind="stable")
    return np.arange(units)
