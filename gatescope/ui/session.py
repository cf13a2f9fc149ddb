"""SessionModel: the one place the app's state lives. It validates, stores, then emits — views only listen.

State: the model, the source it reads (a text, or an array of token ids or features), its trace, the selected layer,
the step (token index), the phase within a token, the selected unit, and the unit ordering. ``position`` is the
displayed step as a float while an animation tweens between two tokens (views interpolate the trace there); it
equals ``step`` when nothing moves.

A new text or model runs the model. A run estimated to take longer than ``worker_threshold_s`` (a long text through
a wide model) goes to a worker thread (``ui.runner``): the views keep the last trace, ``busy_changed`` says a run is
under way, and the new trace is installed on this thread when it arrives; a newer request cancels an older run. Short
runs happen at once on the calling thread, as before, so typing into a small model shows its trace with no delay.
``wait()`` blocks until the newest run is in (exports, screenshots and tests that need a trace now).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QCoreApplication, QObject, Signal

from gatescope.engine.phases import PHASES, Phase
from gatescope.engine.trace import LayerTrace, Trace
from gatescope.errors import GatescopeError
from gatescope.model.model import Model
from gatescope.presentation.scales import DEFAULT_SCHEME, SCHEMES, cell_state_limit
from gatescope.ui.runner import (
    RunOutcome,
    RunRequest,
    Source,
    TraceRunner,
    estimated_seconds,
    same_source,
    source_steps,
)

#: Runs estimated to take longer than this (seconds) go to a worker thread; shorter ones run at once. 50 ms is
#: about 1,000 tokens through a 256-unit LSTM, 5,000 through the shipped sentiment models, 45 through a 2-layer
#: bidirectional LSTM of 512 units per direction.
WORKER_THRESHOLD_S = 0.05
UNIT_ORDERS = ("index", "variance", "correlation")


class SessionModel(QObject):
    """Model, source, trace, layer, step, phase, unit: validated setters that emit only on a real change.

    ``worker_threshold_s``: runs estimated to take longer go to a worker thread (0: every run does; None: none
    does, e.g. for exports). Without a Qt application (no event loop to bring results back) every run is
    synchronous.
    """

    model_changed = Signal(object)  # Model
    text_changed = Signal(str)
    source_changed = Signal(object)  # str | np.ndarray: a new text, token ids or feature array was installed
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
    busy_changed = Signal(bool)  # True while a run in the worker is wanted; the views keep the last trace meanwhile
    run_started = Signal(object)  # RunRequest handed to the worker (model, source, token count)

    def __init__(
        self,
        model: Model,
        text: Source = "",
        parent: QObject | None = None,
        *,
        worker_threshold_s: float | None = WORKER_THRESHOLD_S,
    ) -> None:
        super().__init__(parent)
        self._model = model
        self._source: Source = ""
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
        self.worker_threshold_s = worker_threshold_s
        self._runner = TraceRunner(self, prepare=calibrate_scales)
        self._runner.finished.connect(self._on_run_finished)
        self._runner.busy_changed.connect(self.busy_changed)
        self._runner.submitted.connect(self.run_started)
        if not isinstance(text, str) or text:
            self.set_source(text)

    # --- read-only views of the state ---------------------------------------------------------------------------
    @property
    def model(self) -> Model:
        return self._model

    @property
    def text(self) -> str:
        """The text the trace was read from ("" when the source is an array)."""
        return self._source if isinstance(self._source, str) else ""

    @property
    def source(self) -> Source:
        """What the model read for the trace: a text, or an array of token ids or of features."""
        return self._source

    @property
    def busy(self) -> bool:
        """A run in the worker is wanted and not yet installed (the trace is still the previous one)."""
        return self._runner.busy

    @property
    def pending(self) -> RunRequest | None:
        """The newest request still running in the worker (its model, source and token count), or None."""
        return self._runner.wanted

    @property
    def requested_text(self) -> str:
        """The newest text asked for: the running one's, else the installed one (what to save for next time)."""
        wanted = self._runner.wanted
        if wanted is not None and isinstance(wanted.source, str):
            return wanted.source
        return self.text

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

    # --- running the model ---------------------------------------------------------------------------------------
    def set_text(self, text: str) -> bool:
        """Run the model on ``text``; see ``set_source``."""
        return self.set_source(text)

    def set_source(self, source: Source) -> bool:
        """Run the model on a text, token ids (an integer array) or features (a float array (T, input_size)).

        A short run happens now; a long one in the worker (True at once; its trace or its error comes later). On
        bad input ``error_raised`` says why and the previous trace stays. False only when a run here failed.
        """
        if not isinstance(source, (str, bytes, bytearray)):
            source = _kept(source)
        wanted = self._runner.wanted
        return self._request(self._model if wanted is None else wanted.model, source)

    def set_model(self, model: Model, source: Source | None = None) -> bool:
        """Switch models and run it on ``source`` (default: the current one, the newest asked for); on failure keep
        the current model and say why. A long run keeps the current model until the new one's trace arrives."""
        wanted = self._runner.wanted
        if source is None:
            source = self._source if wanted is None else wanted.source
        elif not isinstance(source, (str, bytes, bytearray)):
            source = _kept(source)
        if isinstance(source, str) and not source:  # nothing to read yet: switch at once
            if model is self._model and wanted is None:
                return True
            self._runner.cancel()
            self._install(model, source, None)
            return True
        return self._request(model, source)

    def wait(self) -> None:
        """Block until the newest run in the worker is installed (or has failed, or there is none)."""
        self._runner.wait()

    def cancel(self) -> None:
        """Stop any run in the worker and keep the current trace (e.g. when the window closes)."""
        self._runner.cancel()

    def _request(self, model: Model, source: Source) -> bool:
        wanted = self._runner.wanted
        if wanted is not None and wanted.model is model and same_source(wanted.source, source):
            return True  # already running
        if model is self._model and same_source(source, self._source) and self._trace is not None:
            self._runner.cancel()  # back to what is shown: whatever runs is no longer wanted
            return True
        threshold = self._threshold()
        steps = source_steps(model, source, most=self._affordable_steps(model, threshold))
        if threshold is None or estimated_seconds(model, steps) <= threshold:
            self._runner.cancel()
            try:
                trace = model.run(source)
            except GatescopeError as error:
                self.error_raised.emit(str(error))
                return False
            self._install(model, source, trace)
            return True
        self._runner.submit(RunRequest(model, source, steps))
        return True

    def _threshold(self) -> float | None:
        """Seconds above which a run goes to the worker; None: never (no event loop to bring its result back)."""
        return None if QCoreApplication.instance() is None else self.worker_threshold_s

    @staticmethod
    def _affordable_steps(model: Model, threshold: float | None) -> float:
        """Most tokens that stay under the threshold (so a text that short need not be tokenized to count)."""
        if threshold is None:
            return float("inf")
        per_step = estimated_seconds(model, 1)
        return threshold / per_step if per_step > 0 else float("inf")

    def _on_run_finished(self, outcome: RunOutcome) -> None:
        """The worker's newest run is back, on this thread: install it, or say what was wrong as a run here would."""
        if outcome.error is not None:
            if isinstance(outcome.error, GatescopeError):
                self.error_raised.emit(str(outcome.error))
                return
            raise outcome.error
        self._install(outcome.request.model, outcome.request.source, outcome.trace)

    def _install(self, model: Model, source: Source, trace: Trace | None) -> None:
        """Make ``model`` reading ``source`` current, with its trace (None: nothing read yet)."""
        if model is not self._model:
            self._model = model
            self._layer = 0
            self.model_changed.emit(model)
        if not same_source(source, self._source):
            self._source = source
            self.source_changed.emit(source)
            if isinstance(source, str):
                self.text_changed.emit(source)
        if trace is not None:
            self._install_trace(trace)

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

    # --- setters: validate, store, emit ------------------------------------------------------------------------
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


def calibrate_scales(trace: Trace) -> None:
    """The colour scales a trace calibrates (each layer's cell-state range), computed once: in the worker, a run
    of a wide layer over a long text hands the GUI thread a trace whose scales are ready (20 ms at 5,000 tokens
    × 1,024 units)."""
    for layer in trace.layers:
        cell_state_limit(layer)


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


def _kept(source: object) -> np.ndarray:
    """A read-only copy of an array source: the caller's array stays theirs to change while a run reads the copy."""
    kept = np.array(source, copy=True)
    kept.flags.writeable = False
    return kept
