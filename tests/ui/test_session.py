"""SessionModel: validates, stores, then emits — and emits only on a real change. Plain state: these tests need
the session alone — no widgets, no event loop, no QApplication."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from gatescope.ui.session import SessionModel, unit_order
from tests.helpers import SENTENCE, emitted, make_text_model


@pytest.fixture
def session() -> SessionModel:
    return SessionModel(make_text_model("lstm", units=16), SENTENCE)


@pytest.mark.slow
def test_a_session_runs_and_signals_without_a_qapplication():
    probe = (
        "from PySide6.QtCore import QCoreApplication\n"
        "from gatescope.ui.session import SessionModel\n"
        "from tests.helpers import SENTENCE, emitted, make_text_model\n"
        "session = SessionModel(make_text_model('gru'), SENTENCE)\n"
        "steps = emitted(session.step_changed)\n"
        "session.set_step(3)\n"
        "print(steps, session.phase, QCoreApplication.instance())\n"
    )
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=root, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[(3,)] 4 None"


def test_text_runs_the_model_and_starts_at_the_first_token(session):
    assert session.trace.tokens == SENTENCE.split()
    assert (session.step, session.position) == (0, 0.0)
    assert session.phase == session.last_phase == 5  # an LSTM step has six phases; a token shows its whole step


def test_phases_walk_the_computation_then_the_tokens(session):
    assert [phase.key for phase in session.phases] == ["combine", "forget", "input", "cell", "output", "hidden"]
    session.set_step(2, phase=0)
    visited = [(session.step, session.phase)]
    while session.next_phase() and len(visited) < 9:
        visited.append((session.step, session.phase))
    assert visited == [(2, 0), (2, 1), (2, 2), (2, 3), (2, 4), (2, 5), (3, 0), (3, 1), (3, 2)]
    session.set_step(3, phase=0)
    assert session.previous_phase() and (session.step, session.phase) == (2, 5)
    session.set_step(session.steps - 1)
    assert not session.next_phase() and (session.step, session.phase) == (session.steps - 1, 5)
    session.set_step(0, phase=0)
    assert not session.previous_phase()


def test_phase_is_validated_and_stepping_by_token_shows_the_whole_step(session):
    with pytest.raises(ValueError, match=r"^phase 6 is out of range 0\.\.5$"):
        session.set_phase(6)
    with pytest.raises(ValueError, match=r"^phase -1 is out of range 0\.\.5$"):
        session.set_step(1, phase=-1)
    session.set_step(1, phase=2)
    phases = emitted(session.phase_changed)
    session.step_forward()
    assert phases == [(5,)] and session.phase == 5
    session.set_phase_progress(0.25)
    assert session.phase_progress == 0.25
    session.set_phase(3)
    assert session.phase_progress == 1.0


def test_gru_and_rnn_sessions_have_their_own_phases():
    gru = SessionModel(make_text_model("gru"), SENTENCE)
    assert [phase.key for phase in gru.phases] == ["combine", "reset", "update", "candidate", "hidden"]
    rnn = SessionModel(make_text_model("rnn"), SENTENCE)
    assert [phase.key for phase in rnn.phases] == ["combine", "hidden"] and rnn.phase == 1


def test_setting_the_same_step_emits_nothing(session):
    session.set_step(3)
    steps = emitted(session.step_changed)
    session.set_step(3)
    assert steps == []
    session.set_step(4)
    assert steps == [(4,)]


def test_out_of_range_step_is_refused_and_state_kept(session):
    session.set_step(2)
    with pytest.raises(ValueError, match=r"^step 99 is out of range 0\.\.8$"):
        session.set_step(99)
    assert session.step == 2


def test_bad_text_reports_error_and_keeps_previous_trace(session):
    previous = session.trace
    errors = emitted(session.error_raised)
    assert session.set_text("   ") is False
    assert len(errors) == 1 and "no tokens" in errors[0][0]
    assert session.trace is previous and session.text == SENTENCE


def test_shorter_text_clamps_the_step(session):
    session.set_step(8)
    session.set_text("the plot")
    assert session.step == 1


def test_switching_model_reruns_the_text(session):
    traces = emitted(session.trace_changed)
    assert session.set_model(make_text_model("gru", units=12))
    assert traces == [(session.trace,)]
    assert session.layer_trace.kind == "gru" and session.units == 12


def test_unit_orders_are_permutations_and_variance_is_descending(session):
    layer = session.layer_trace
    for order in ("index", "variance", "correlation"):
        permutation = unit_order(layer, order, session.trace.outputs)
        assert sorted(permutation.tolist()) == list(range(layer.units))
    variances = layer.h.var(axis=0)[unit_order(layer, "variance", None)]
    assert np.all(np.diff(variances) <= 0)


def test_layer_choice_on_stacked_model():
    session = SessionModel(make_text_model("lstm", units=8, layers=2, bidirectional=True), SENTENCE)
    session.set_unit(15)
    session.set_layer(1)
    assert session.layer_trace.index == 1 and session.units == 16 and session.unit == 15
    with pytest.raises(ValueError, match=r"^layer 2 is out of range 0\.\.1$"):
        session.set_layer(2)


def _ids_session() -> SessionModel:
    import dataclasses

    model = dataclasses.replace(make_text_model("gru", units=6), tokenizer=None, vocabulary=None)
    return SessionModel(model, np.array([1, 2, 3]))


def test_token_ids_are_a_source_of_their_own_kept_as_given():
    session = _ids_session()
    given = np.array([4, 5])
    sources, texts, traces = (
        emitted(session.source_changed),
        emitted(session.text_changed),
        emitted(session.trace_changed),
    )

    assert session.set_source(given)
    given[0] = 9  # the caller's array stays theirs to change

    np.testing.assert_array_equal(session.source, [4, 5])
    assert not session.source.flags.writeable and session.text == ""
    assert len(sources) == 1 and texts == [] and len(traces) == 1
    assert session.set_source(np.array([4, 5])) and len(traces) == 1  # the same ids: nothing runs again


def test_ids_a_model_cannot_read_keep_the_trace_and_say_why():
    session = _ids_session()
    trace, errors = session.trace, emitted(session.error_raised)
    assert session.set_source(np.array([1, 99])) is False
    assert session.trace is trace and "token id 99 is out of range" in errors[0][0]
    assert session.set_source("a text") is False and "cannot read text" in errors[1][0]


def test_switching_model_and_source_together_emits_model_then_source_then_trace(session):
    import dataclasses

    order = []
    for name in ("model_changed", "source_changed", "text_changed", "trace_changed"):
        getattr(session, name).connect(lambda *args, name=name: order.append(name))
    ids_model = dataclasses.replace(make_text_model("gru", units=6), tokenizer=None, vocabulary=None)

    assert session.set_model(ids_model, np.array([2, 3]))

    assert order == ["model_changed", "source_changed", "trace_changed"]
    assert session.text == "" and session.trace.tokens == ["2", "3"]
    assert session.set_model(make_text_model("lstm", units=4), "not good")
    assert session.text == "not good" and order[-2:] == ["text_changed", "trace_changed"]


def test_a_model_that_cannot_read_the_given_source_is_not_switched_to(session):
    import dataclasses

    before, errors = session.model, emitted(session.error_raised)
    ids_model = dataclasses.replace(make_text_model("gru", units=6), tokenizer=None, vocabulary=None)
    assert session.set_model(ids_model) is False  # it cannot read the current text
    assert session.model is before and "cannot read text" in errors[0][0]
