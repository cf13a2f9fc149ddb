"""Running a model off the GUI thread: one run at a time in a worker thread, the newest request wins.

A 2-layer bidirectional LSTM of 512 units per direction takes seconds over a 5,000-token text (the engine's floor is
T recurrent matrix-vector products per direction and layer). The session hands such runs to a ``TraceRunner``: the
run happens in a worker thread (NumPy releases the GIL in its BLAS and ufunc loops, so the GUI thread keeps
stepping and typing), and the result comes back on the session's thread through a queued signal. A newer request
cancels the older run at its next checkpoint (before each direction of each layer, ``engine.cancel``) and starts
when that run has stopped, so at most one run computes and at most one unwanted trace is ever being built.

Short runs stay on the calling thread (no thread, no event-loop pass, nothing to wait for): see
``estimated_seconds`` and ``SessionModel``'s ``worker_threshold_s``. The worker runs at a lower priority
(``lower_priority``), so on a busy machine the GUI thread gets the core first.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from PySide6.QtCore import QObject, Qt, Signal

from gatescope.engine.cancel import RunCancelled, cancellable
from gatescope.engine.trace import Trace
from gatescope.model.model import Model

#: Multiply-adds per second one core gives a trace, input projections included: a recurrent step streams its
#: weights through one matrix-vector product (memory-bound, about 6 G/s at 512 units on this project's machines),
#: the input side is one matrix product for all steps (faster); 8 G/s overall measured for 512 units.
MULTIPLY_ADDS_PER_SECOND = 8e9
#: What a direction's step costs besides its products: about ten NumPy calls on small vectors.
SECONDS_PER_DIRECTION_STEP = 6e-6
#: The worker thread's nice value: where it shares a core with the GUI thread, the GUI thread goes first.
WORKER_NICENESS = 10

Source = str | np.ndarray


def estimated_seconds(model: Model, steps: int) -> float:
    """About how long ``model`` takes over ``steps`` tokens on one core: every weight is one multiply-add per step
    (so the parameter count is the work of a step), plus NumPy's per-call cost for each direction."""
    directions = sum(len(layer.directions) for layer in model.layers)
    work = sum(layer.parameter_count() for layer in model.layers)
    return steps * (work / MULTIPLY_ADDS_PER_SECOND + directions * SECONDS_PER_DIRECTION_STEP)


def source_steps(model: Model, source: Source, most: float = float("inf")) -> int:
    """Tokens ``model`` will read from ``source``: rows of an array; for text, its length in characters when that
    is enough to stay under ``most`` (no text has more tokens than characters), else its tokens counted."""
    if isinstance(source, np.ndarray):
        return int(source.shape[0]) if source.ndim else 0
    if not isinstance(source, str):
        return 0  # not something a model reads: Model.run says so, at once
    if len(source) <= most or model.tokenizer is None:
        return len(source)
    return len(model.tokenizer.tokenize(source))


def lower_priority() -> None:
    """Give this thread a higher nice value (Linux keeps one per thread), so that on a busy machine the scheduler
    runs the GUI thread first: steps during a run took half as long at nice 10, the run as long as at nice 0
    (2 cores, other processes keeping them busy). Where threads share the process's priority, nothing changes."""
    if not sys.platform.startswith("linux"):
        return
    try:
        thread = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, thread, max(os.getpriority(os.PRIO_PROCESS, thread), WORKER_NICENESS))
    except OSError:  # not allowed here: run at the process's priority
        pass


def same_source(first: Source | None, second: Source | None) -> bool:
    """Equal texts, or arrays of one dtype and shape holding the same numbers."""
    if not (isinstance(first, np.ndarray) and isinstance(second, np.ndarray)):
        return isinstance(first, str) and isinstance(second, str) and first == second
    return first.dtype == second.dtype and first.shape == second.shape and bool(np.array_equal(first, second))


@dataclass(frozen=True, eq=False)
class RunRequest:
    """Run ``model`` on ``source`` (``steps`` tokens, for what a progress message says)."""

    model: Model
    source: Source
    steps: int


@dataclass(frozen=True, eq=False)
class RunOutcome:
    """What a request gave: its trace, or the exception the run raised."""

    request: RunRequest
    trace: Trace | None = None
    error: BaseException | None = None


@dataclass(eq=False)
class _Job:
    request: RunRequest
    cancel: threading.Event = field(default_factory=threading.Event)
    outcome: RunOutcome | None = None  # None: cancelled
    thread: threading.Thread | None = None


class TraceRunner(QObject):
    """Runs requests in a worker thread, one at a time; reports the newest request's outcome on its own thread.

    ``submitted`` announces each request; ``finished`` carries a RunOutcome and comes only for the newest request
    (older ones are cancelled or dropped); ``busy_changed`` says whether a wanted request is still running or
    waiting.
    """

    submitted = Signal(object)  # RunRequest: the newest request, just handed to the worker
    finished = Signal(object)  # RunOutcome
    busy_changed = Signal(bool)
    _job_done = Signal(object)  # emitted by the worker thread; queued to this object's thread

    def __init__(self, parent: QObject | None = None, prepare: Callable[[Trace], object] | None = None) -> None:
        """``prepare`` is called in the worker with each new trace: what views will compute from it anyway, done
        off the GUI thread (it must be safe to call from another thread)."""
        super().__init__(parent)
        self._prepare = prepare
        self._job: _Job | None = None  # the one running (possibly cancelled and winding down)
        self._queued: RunRequest | None = None  # waits for the running job to stop
        self._wanted: RunRequest | None = None  # the newest request: the only one whose outcome is reported
        self._job_done.connect(self._on_job_done, Qt.ConnectionType.QueuedConnection)

    @property
    def busy(self) -> bool:
        return self._wanted is not None

    @property
    def wanted(self) -> RunRequest | None:
        """The newest request, until its outcome is reported or it is cancelled."""
        return self._wanted

    def submit(self, request: RunRequest) -> None:
        """Run ``request`` as soon as the worker is free; any older request is cancelled."""
        was_busy = self.busy
        self._stop_running()
        self._wanted = request
        if self._job is None:
            self._start(request)
        else:
            self._queued = request
        self.submitted.emit(request)
        if not was_busy:
            self.busy_changed.emit(True)

    def cancel(self) -> None:
        """Forget every request: the running one stops at its next checkpoint and nothing is reported."""
        was_busy = self.busy
        self._stop_running()
        self._wanted = None
        if was_busy:
            self.busy_changed.emit(False)

    def wait(self) -> None:
        """Block until no run is left, reporting the newest outcome here and now (tests, exports, start-up)."""
        while self._job is not None:
            job = self._job
            assert job.thread is not None
            job.thread.join()
            self._on_job_done(job)

    def _stop_running(self) -> None:
        self._queued = None
        if self._job is not None:
            self._job.cancel.set()

    def _start(self, request: RunRequest) -> None:
        job = _Job(request)
        job.thread = threading.Thread(target=self._work, args=(job,), name="gatescope-run")
        self._job = job
        job.thread.start()

    def _work(self, job: _Job) -> None:
        """The worker thread: run, keep the outcome, tell the owner's thread (never touches anything else)."""
        lower_priority()
        try:
            with cancellable(job.cancel):
                trace = job.request.model.run(job.request.source)
            if self._prepare is not None:
                self._prepare(trace)
            job.outcome = RunOutcome(job.request, trace=trace)
        except RunCancelled:
            job.outcome = None
        except BaseException as error:  # reported on the owner's thread: a GatescopeError as today, else raised there
            job.outcome = RunOutcome(job.request, error=error)
        try:
            self._job_done.emit(job)
        except RuntimeError:  # the runner's Qt object is gone (its window closed): nobody is waiting
            pass

    def _on_job_done(self, job: _Job) -> None:
        if job is not self._job:  # already handled (wait() reported it first)
            return
        assert job.thread is not None
        job.thread.join()
        self._job = None
        outcome = job.outcome if job.request is self._wanted and not job.cancel.is_set() else None
        if self._queued is not None:
            queued, self._queued = self._queued, None
            self._start(queued)
        if outcome is not None:
            self._wanted = None
            self.finished.emit(outcome)
            if not self.busy:
                self.busy_changed.emit(False)
