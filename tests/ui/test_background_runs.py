"""Long runs happen in a worker thread: the same trace as a run on the GUI thread, the newest text wins, errors show
as before, the status bar's busy sign comes and goes. Slow runs are made slow by a gate the test opens, never by
timing."""

from __future__ import annotations

import threading
import weakref

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from gatescope.model.model import Model
from gatescope.ui.session import SessionModel
from tests.helpers import SENTENCE, emitted, make_text_model

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

SLOW = "the plot was dull"
NEWER = "the ending was wonderful"
WORKER = {"worker_threshold_s": 0.0}  # every run goes to the worker


class GatedModel(Model):
    """Runs as the model it copies, except that a text in ``held`` waits for ``release``: before the engine starts
    (so a cancelled run stops at the engine's first checkpoint) or after it has finished (too late to cancel)."""

    def __init__(self, model: Model, held: tuple[str, ...], hold: str = "before") -> None:
        parts = {name: getattr(model, name) for name in ("layers", "tokenizer", "vocabulary", "embedding", "head")}
        super().__init__(**parts, name=model.name)
        self.held, self.hold = held, hold
        self.release = threading.Event()
        self.entered = threading.Event()
        self.completed: list[str] = []

    def run(self, source, h0=None, c0=None):
        held = isinstance(source, str) and source in self.held
        if held and self.hold == "before":
            self.entered.set()
            assert self.release.wait(timeout=30), "the test never released the run"
        trace = super().run(source, h0, c0)
        self.completed.append(source)
        if held and self.hold == "after":
            self.entered.set()
            assert self.release.wait(timeout=30), "the test never released the run"
        return trace


@pytest.fixture
def gated(qapp):
    model = GatedModel(make_text_model("lstm", units=8, layers=2, bidirectional=True), held=(SLOW,))
    yield model
    model.release.set()  # never leave a worker blocked, whatever the test did


def assert_same_trace(first, second) -> None:
    assert first.tokens == second.tokens
    assert_array_equal(first.outputs, second.outputs)
    for one, other in zip(first.layers, second.layers, strict=True):
        for name, values in one.quantities().items():
            assert_array_equal(values, other.quantities()[name], err_msg=name)


def test_a_run_in_the_worker_installs_the_same_trace_as_a_run_here(qtbot):
    model = make_text_model("gru", units=12, layers=2, bidirectional=True)
    here = SessionModel(model, SENTENCE, worker_threshold_s=None)
    worker = SessionModel(model, **WORKER)
    busy = emitted(worker.busy_changed)

    with qtbot.waitSignal(worker.trace_changed, timeout=10000):
        assert worker.set_text(SENTENCE)
        assert worker.busy and worker.trace is None  # not here yet: it comes through the event loop

    assert busy == [(True,), (False,)] and not worker.busy
    assert worker.text == SENTENCE and worker.source == SENTENCE
    assert_same_trace(worker.trace, here.trace)


def test_short_runs_happen_at_once_and_long_ones_go_to_the_worker(qapp):
    session = SessionModel(make_text_model("lstm", units=8))
    busy = emitted(session.busy_changed)

    session.set_text(SENTENCE)  # a few tokens through 8 units: microseconds

    assert session.trace.tokens == SENTENCE.split() and busy == []
    session.worker_threshold_s = 0.0
    session.set_text("the plot")
    assert session.busy and session.trace.tokens == SENTENCE.split()  # the last trace stays until the new one is in
    session.wait()
    assert session.trace.tokens == ["the", "plot"] and not session.busy and busy == [(True,), (False,)]


def test_a_newer_text_cancels_an_older_slow_run(qtbot, gated):
    session = SessionModel(gated, SENTENCE, **WORKER)
    session.wait()
    traces = emitted(session.trace_changed)

    session.set_text(SLOW)
    assert gated.entered.wait(timeout=10)
    session.set_text(NEWER)  # the older run is blocked: the newer one waits for it to stop
    gated.release.set()
    qtbot.waitUntil(lambda: not session.busy, timeout=10000)

    assert [trace.tokens for (trace,) in traces] == [NEWER.split()]
    assert session.text == NEWER
    assert SLOW not in gated.completed  # stopped at the engine's first checkpoint, not run to the end


def test_the_newest_text_wins_even_when_the_older_run_finishes_first(qtbot, qapp):
    gated = GatedModel(make_text_model("lstm", units=8), held=(SLOW,), hold="after")
    session = SessionModel(gated, SENTENCE, **WORKER)
    session.wait()
    traces = emitted(session.trace_changed)
    try:
        session.set_text(SLOW)
        assert gated.entered.wait(timeout=10)  # its trace is computed: only its delivery is left
        session.set_text(NEWER)
    finally:
        gated.release.set()
    qtbot.waitUntil(lambda: not session.busy, timeout=10000)

    assert SLOW in gated.completed
    assert [trace.tokens for (trace,) in traces] == [NEWER.split()] and session.text == NEWER


def test_going_back_to_the_shown_text_cancels_the_run(qtbot, gated):
    session = SessionModel(gated, SENTENCE, **WORKER)
    session.wait()
    shown = session.trace
    traces = emitted(session.trace_changed)

    session.set_text(SLOW)
    assert session.requested_text == SLOW
    session.set_text(SENTENCE)
    gated.release.set()
    session.wait()
    qtbot.wait(10)  # let the queued report of the cancelled run arrive: it must change nothing

    assert not session.busy and session.trace is shown and traces == [] and session.requested_text == SENTENCE


def ids_model() -> Model:
    """A model that reads token ids 0..13 (an embedding, no vocabulary)."""
    model = make_text_model("lstm", units=8)
    return Model(model.layers, embedding=model.embedding, head=model.head, name="ids")


def test_an_error_in_the_worker_shows_as_a_run_here_would(qtbot):
    model = ids_model()
    here = SessionModel(model, worker_threshold_s=None)
    here_errors = emitted(here.error_raised)
    assert here.set_source(np.array([1, 2])) and not here.set_source(np.array([1, 99]))
    worker = SessionModel(model, **WORKER)
    worker.set_source(np.array([1, 2]))
    worker.wait()
    shown = worker.trace

    with qtbot.waitSignal(worker.error_raised, timeout=10000) as error:
        assert worker.set_source(np.array([1, 99]))  # started; what is wrong comes back from the worker

    assert error.args == [here_errors[0][0]] and "99" in error.args[0]
    assert worker.trace is shown and not worker.busy
    assert_array_equal(worker.source, [1, 2])


def test_a_new_model_runs_in_the_worker_and_switches_with_its_trace(qtbot):
    first, second = make_text_model("lstm", units=8), make_text_model("gru", units=8, seed=1)
    session = SessionModel(first, SENTENCE, **WORKER)
    session.wait()

    with qtbot.waitSignal(session.trace_changed, timeout=10000):
        assert session.set_model(second)
        assert session.model is first and session.pending.model is second  # the current model until its trace is in

    assert session.model is second and session.trace.layers[0].kind == "gru"


def test_a_token_id_source_runs_like_text(qtbot):
    model = ids_model()
    session = SessionModel(model, **WORKER)
    ids = np.array([1, 2, 3, 4])
    sources = emitted(session.source_changed)

    with qtbot.waitSignal(session.trace_changed, timeout=10000):
        session.set_source(ids)
        ids[0] = 9  # the caller's array stays theirs: the run reads a copy

    assert_array_equal(session.source, [1, 2, 3, 4]) and session.text == ""
    assert_array_equal(sources[0][0], [1, 2, 3, 4])
    assert_same_trace(session.trace, model.run(np.array([1, 2, 3, 4])))


def test_the_busy_sign_appears_for_a_long_run_and_goes_after(qtbot, gated):
    from gatescope.ui.window.main_window import MainWindow

    session = SessionModel(gated, SENTENCE, **WORKER)
    session.wait()
    window = MainWindow(session, settings=None)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    sign = window.run_indicator
    assert not sign.isVisible()

    session.set_text(SLOW)
    qtbot.waitUntil(sign.isVisible, timeout=5000)
    assert sign.label.text() == "Running 4 tokens through random-lstm…"
    gated.release.set()
    qtbot.waitUntil(lambda: not sign.isVisible(), timeout=10000)

    assert session.text == SLOW and not session.busy
    assert window.stage.text_input.toPlainText() == SLOW


def test_a_run_that_arrives_while_typing_leaves_the_typing_alone(qtbot, gated):
    from gatescope.ui.views.text_input import TextInput

    session = SessionModel(gated, SENTENCE, **WORKER)
    session.wait()
    editor = TextInput(session)
    qtbot.addWidget(editor)

    session.set_text(SLOW)
    editor.setPlainText(SLOW + " but")  # the user goes on typing; the debounce has not fired yet
    gated.release.set()
    qtbot.waitUntil(lambda: session.text == SLOW, timeout=10000)

    assert editor.toPlainText() == SLOW + " but"
    editor.commit()
    session.wait()
    assert session.text == SLOW + " but"


def test_closing_the_window_cancels_a_run(qtbot, gated):
    from gatescope.ui.window.main_window import MainWindow

    session = SessionModel(gated, SENTENCE, **WORKER)
    session.wait()
    window = MainWindow(session, settings=None)
    qtbot.addWidget(window)
    session.set_text(SLOW)

    window.close()
    gated.release.set()
    session.wait()

    assert not session.busy and session.text == SENTENCE and SLOW not in gated.completed


def test_a_hidden_cell_diagram_lets_go_of_the_old_trace_and_shows_the_new_one_when_shown(qtbot):
    from gatescope.ui.window.main_window import MainWindow

    session = SessionModel(make_text_model("lstm", units=8, bidirectional=True), SENTENCE)
    window = MainWindow(session, settings=None)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.stage.show_central_view("cell")
    window.stage.show_central_view("heatmaps")
    cell_state = session.trace.layers[0].c
    owner = cell_state if cell_state.base is None else cell_state.base  # the array that owns the memory
    assert owner.base is None
    old = weakref.ref(owner)
    del cell_state, owner

    session.set_text(NEWER)
    assert old() is None  # nothing keeps the replaced trace's arrays alive

    window.stage.show_central_view("cell")
    cell = window.stage.views["cell"]
    shown = cell.shown_values()["cell"]
    assert_array_equal(shown, session.layer_trace.c[session.step, :8])  # the forward direction's cell state
