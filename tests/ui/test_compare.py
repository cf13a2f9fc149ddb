"""Compare mode: two models on one text, stepped in lockstep, each with its own diagram and prediction."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from gatescope.ui.lockstep import map_phase
from gatescope.ui.window.compare import CompareWindow
from tests.helpers import SENTENCE, image_array, make_text_model


@pytest.fixture
def compare(qtbot):
    window = CompareWindow(make_text_model("lstm", units=10), make_text_model("gru", units=14, seed=3), SENTENCE)
    qtbot.addWidget(window)
    window.stage.tweener.set_duration_ms(0)
    window.stage.phase_tweener.set_duration_ms(0)
    window.show()
    qtbot.waitExposed(window)
    return window


def test_phase_mapping_keeps_first_and_last_together():
    assert [map_phase(p, 6, 5) for p in range(6)] == [0, 1, 2, 2, 3, 4]
    assert [map_phase(p, 5, 6) for p in range(5)] == [0, 1, 2, 4, 5]
    assert [map_phase(p, 6, 2) for p in range(6)] == [0, 0, 0, 0, 0, 1]
    assert [map_phase(p, 2, 6) for p in range(2)] == [0, 5]


def test_both_sides_step_in_lockstep(compare):
    left, right = compare.left_session, compare.right_session
    assert right.text == left.text == SENTENCE
    left.set_step(4, phase=1)
    assert (right.step, right.phase) == (4, 1)
    while left.next_phase() and left.step < 6:
        assert right.step == left.step
        assert right.phase == map_phase(left.phase, 6, 5)
    left.set_step(2)
    assert (right.step, right.phase) == (2, 4)
    left.set_unit(12 % 10)
    assert right.unit == 2
    left.set_phase_progress(0.3)
    assert right.phase_progress == 0.3
    left.set_colour_scheme("cividis + blue-red")
    assert right.colour_scheme == "cividis + blue-red"


def test_each_side_draws_its_own_cell_and_prediction(compare):
    compare.left_session.set_step(3, phase=2)
    compare.stage.left.diagram.settle()
    compare.stage.right.diagram.settle()
    assert compare.stage.left.diagram.kind == "lstm" and compare.stage.right.diagram.kind == "gru"
    assert "phase 3 of 6" in compare.stage.left.diagram.heading.text()
    assert "phase 3 of 5" in compare.stage.right.diagram.heading.text()
    right = compare.right_session
    np.testing.assert_allclose(
        compare.stage.right.diagram.shown_values()["update"], right.layer_trace.gates["update"][3], atol=1e-7
    )
    assert compare.stage.left.prediction is not compare.stage.right.prediction


def test_typing_reaches_both_models(compare, qtbot):
    compare.stage.text_input.setPlainText("not good")
    compare.stage.text_input.commit()
    qtbot.waitUntil(lambda: compare.right_session.text == "not good", timeout=3000)
    assert compare.right_session.trace.tokens == ["not", "good"]


def test_changing_one_side_model_keeps_the_lock(compare, monkeypatch):
    import gatescope

    monkeypatch.setattr(gatescope, "load_model", lambda name: make_text_model("rnn", units=6))
    compare.left_session.set_step(5, phase=2)
    column = compare.stage.right
    column.picker.activated.emit(column.picker.findData("rnn-sentiment"))
    right = compare.right_session
    assert right.layer_trace.kind == "rnn" and (right.step, right.phase) == (5, map_phase(2, 6, 2))
    assert compare.stage.right.diagram.kind == "rnn"


def test_main_window_opens_compare_with_the_current_text(qtbot, session, monkeypatch):
    import gatescope
    from gatescope.ui.window.main_window import MainWindow

    monkeypatch.setattr(gatescope, "load_model", lambda name: make_text_model("gru", units=5))
    window = MainWindow(session, settings=None)
    qtbot.addWidget(window)
    session.set_step(3)
    other = window.open_compare("anything")
    qtbot.addWidget(other)
    assert other.left_session.model is session.model and other.right_session.text == session.text
    assert other.right_session.step == 3


@pytest.mark.slow
def test_screenshot_of_the_cell_view_and_of_compare_mode(tmp_path: Path):
    cell = tmp_path / "cell.png"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "gatescope",
            "gui",
            "--screenshot",
            str(cell),
            "--model",
            "lstm-sentiment",
            "--view",
            "cell",
            "--step",
            "4",
            "--phase",
            "forget",
            "--size",
            "1400x900",
        ],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    pixels = image_array(cell)
    orange = np.all(np.abs(pixels.astype(int) - [230, 159, 0]) <= 2, axis=2)
    assert orange[:, :780].sum() > 200  # in the central cell view (left of the docks) the forget gate lights up
    compare = tmp_path / "compare.png"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "gatescope",
            "gui",
            "--screenshot",
            str(compare),
            "--model",
            "lstm-sentiment",
            "--compare",
            "gru-sentiment",
            "--step",
            "4",
            "--phase",
            "2",
        ],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    pixels = image_array(compare)
    orange = np.all(np.abs(pixels.astype(int) - [230, 159, 0]) <= 2, axis=2)
    half = pixels.shape[1] // 2
    assert orange[:, :half].sum() > 100 and orange[:, half:].sum() > 100  # both diagrams show an active phase
