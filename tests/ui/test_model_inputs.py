"""Models that do not read text, in the window: token ids typed as numbers (checked as you type, the last good trace
kept), and number sequences opened from CSV or .npy and stepped like a sentence."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox

from gatescope.engine.cells import layer_from_state_dict
from gatescope.model.model import Model
from gatescope.ui.session import SessionModel
from gatescope.ui.window.main_window import MainWindow
from tests.helpers import SENTENCE, emitted, make_text_model, show_main_window


def ids_model() -> Model:
    return dataclasses.replace(make_text_model("gru", units=6), tokenizer=None, vocabulary=None, name="ids-gru")


def numbers_model(features: int = 3) -> Model:
    """A bare LSTM reading ``features`` numbers a step (no embedding, no head), as a state_dict file gives it."""
    rng = np.random.default_rng(5)
    arrays = {
        "weight_ih_l0": rng.normal(0, 0.5, (16, features)),
        "weight_hh_l0": rng.normal(0, 0.5, (16, 4)),
        "bias_ih_l0": rng.normal(0, 0.1, 16),
        "bias_hh_l0": rng.normal(0, 0.1, 16),
    }
    return Model(layers=[layer_from_state_dict(arrays, 0, "lstm", bidirectional=False)], name="series-lstm")


def make_window(qtbot, model: Model, source, settings=None) -> MainWindow:
    return show_main_window(qtbot, SessionModel(model, source), settings)


def type_into(qtbot, box, text: str) -> None:
    box.setFocus()
    box.selectAll()
    qtbot.keyClicks(box, text)


def highlighted(box) -> list[str]:
    """The text under each extra selection of the box (the current step; a problem's underline)."""
    return [selection.cursor.selectedText() for selection in box.extraSelections()]


# --- token ids ---------------------------------------------------------------------------------------------------
def test_a_model_without_vocabulary_reads_ids_typed_as_numbers(qtbot):
    window = make_window(qtbot, ids_model(), np.array([1, 2, 3]))
    box = window.stage.text_input
    assert box.mode == "ids" and box.toPlainText() == "1 2 3" and "Token ids" in box.placeholderText()

    type_into(qtbot, box, "3, 9  12")
    qtbot.waitUntil(lambda: window.session.steps == 3 and window.session.source[0] == 3, timeout=3000)

    np.testing.assert_array_equal(window.session.source, [3, 9, 12])
    assert window.session.trace.tokens == ["3", "9", "12"]
    assert box.toPlainText() == "3, 9  12"  # as typed
    window.session.set_step(2)
    assert highlighted(box) == ["12"]


@pytest.mark.parametrize(
    ("typed", "problem", "underlined"),
    [
        ("3 99 5", "⚠ token id 99 is out of range: this model's ids run from 0 to 13", "99"),
        ("3 x 5", "⚠ 'x' is not a token id: ids are whole numbers separated by spaces, e.g. 3 17 5", "x"),
        ("3 1.5", "⚠ '1.5' is not a token id: ids are whole numbers separated by spaces, e.g. 3 17 5", "1.5"),
    ],
)
def test_ids_that_cannot_be_read_are_explained_in_the_box_and_the_last_trace_stays(qtbot, typed, problem, underlined):
    window = make_window(qtbot, ids_model(), np.array([1, 2, 3]))
    box, session = window.stage.text_input, window.session
    trace = session.trace
    changes = emitted(session.trace_changed)

    type_into(qtbot, box, typed)

    assert box.problem.text() == problem and not box.problem.isHidden()  # at once, while typing
    assert box.toPlainText() == typed  # the text is kept
    box.commit()
    assert session.trace is trace and changes == []  # the last good trace stays
    np.testing.assert_array_equal(session.source, [1, 2, 3])
    assert highlighted(box) == [underlined]
    assert box.viewportMargins().bottom() >= box.problem.sizeHint().height()  # the line does not hide the text

    type_into(qtbot, box, "4 5")
    box.commit()
    assert box.problem.isHidden() and box.viewportMargins().bottom() == 0
    np.testing.assert_array_equal(session.source, [4, 5])


def test_a_text_the_model_cannot_read_is_explained_in_the_box(qtbot):
    window = make_window(qtbot, make_text_model(), SENTENCE)
    box = window.stage.text_input
    type_into(qtbot, box, "   ")
    box.commit()
    assert box.problem.text() == "⚠ the text has no tokens to read: type a word or a character"
    assert window.session.text == SENTENCE


def test_switching_between_a_text_model_and_an_ids_model_keeps_each_ones_input(qtbot):
    window = make_window(qtbot, make_text_model(), SENTENCE)

    assert window.install_model(ids_model(), "ids-gru")
    assert window.stage.text_input.mode == "ids"
    np.testing.assert_array_equal(window.session.source, np.arange(1, 9))

    assert window.install_model(make_text_model("rnn", units=5), "random-rnn")
    assert window.session.source == SENTENCE and window.stage.text_input.toPlainText() == SENTENCE


def test_ids_are_restored_in_a_new_window(qtbot, settings):
    first = make_window(qtbot, ids_model(), np.array([4, 4, 2]), settings)
    first.close()
    second = make_window(qtbot, ids_model(), np.array([1]), settings)
    second.restore_input()
    np.testing.assert_array_equal(second.session.source, [4, 4, 2])


# --- number sequences --------------------------------------------------------------------------------------------
def open_sequence(window, path, monkeypatch) -> bool:
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *args: (str(path), "Input sequences (*.csv *.npy)"))
    return window.opener.open_sequence_dialog()


def test_a_csv_sequence_is_stepped_like_a_sentence(qtbot, tmp_path, monkeypatch):
    window = make_window(qtbot, numbers_model(), np.zeros((2, 3)))
    path = tmp_path / "walk.csv"
    path.write_text("0.5,-1,2\n1,2,3\n0,0,0.25\n-2,1,1\n", encoding="utf-8")
    box = window.stage.text_input

    assert open_sequence(window, path, monkeypatch)

    session = window.session
    assert session.steps == 4 and session.trace.tokens == ["0", "1", "2", "3"]
    np.testing.assert_array_equal(session.source, [[0.5, -1, 2], [1, 2, 3], [0, 0, 0.25], [-2, 1, 1]])
    assert box.toPlainText().splitlines() == [
        "walk.csv: 4 steps × 3 features",
        "0:  0.5  −1  2",
        "1:  1  2  3",
        "2:  0  0  0.25",
        "3:  −2  1  1",
    ]
    assert highlighted(box) == ["0:  0.5  −1  2"]
    window.stage.views["heatmaps"].setFocus()
    qtbot.keyClick(window.stage.views["heatmaps"], Qt.Key.Key_Right)
    qtbot.keyClick(window.stage.views["heatmaps"], Qt.Key.Key_Right)
    assert session.step == 2 and highlighted(box) == ["2:  0  0  0.25"]
    assert window.stage.transport.position_label.text() == "token 3 of 4"


def test_an_npy_sequence_opens_and_its_name_is_shown(qtbot, tmp_path, monkeypatch):
    window = make_window(qtbot, numbers_model(2), np.zeros((2, 2)))
    path = tmp_path / "signal.npy"
    np.save(path, np.linspace(-1, 1, 20, dtype=np.float32).reshape(10, 2))
    assert open_sequence(window, path, monkeypatch)
    assert window.session.steps == 10
    assert window.stage.text_input.toPlainText().startswith("signal.npy: 10 steps × 2 features")


def test_a_sequence_of_the_wrong_width_is_refused_and_the_input_stays(qtbot, tmp_path, monkeypatch):
    window = make_window(qtbot, numbers_model(3), np.ones((2, 3)))
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text: shown.append((title, text)))
    path = tmp_path / "narrow.csv"
    path.write_text("1,2\n3,4\n", encoding="utf-8")
    trace = window.session.trace

    assert open_sequence(window, path, monkeypatch) is False

    assert shown == [
        (
            "Cannot open this input sequence",
            f"{path}: each step has 2 values but the model reads 3 features a step\n\nThe current input stays.",
        )
    ]
    assert window.session.trace is trace


def test_a_model_that_reads_numbers_starts_on_an_example_and_says_how_to_open_yours(qtbot):
    window = make_window(qtbot, make_text_model(), SENTENCE)
    assert window.install_model(numbers_model(), "series.npz")
    box = window.stage.text_input
    assert box.mode == "sequence" and box.isReadOnly()
    assert box.toPlainText().splitlines()[0] == (
        "example input (sine waves) — open yours with “Open input sequence…”: 24 steps × 3 features"
    )
    assert not window.stage.open_sequence_button.isHidden() and window.sequence_action.isEnabled()
    assert window.install_model(make_text_model(), "random-lstm")
    assert window.stage.open_sequence_button.isHidden() and not window.sequence_action.isEnabled()


def test_dropping_a_csv_on_a_model_that_reads_numbers_opens_it_as_the_input(qtbot, tmp_path):
    from PySide6.QtCore import QMimeData, QPointF, QUrl
    from PySide6.QtGui import QDropEvent

    window = make_window(qtbot, numbers_model(1), np.zeros((3, 1)))
    path = tmp_path / "level.csv"
    path.write_text("1\n2\n3\n4\n5\n", encoding="utf-8")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    window.dropEvent(
        QDropEvent(
            QPointF(5, 5), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
        )
    )
    assert window.session.steps == 5


def test_the_sequence_file_is_reopened_in_a_new_window(qtbot, tmp_path, monkeypatch, settings):
    path = tmp_path / "walk.csv"
    path.write_text("1,2,3\n4,5,6\n", encoding="utf-8")
    first = make_window(qtbot, numbers_model(), np.zeros((2, 3)), settings)
    assert open_sequence(first, path, monkeypatch)
    first.close()

    second = make_window(qtbot, numbers_model(), np.zeros((4, 3)), settings)
    second.restore_input()
    np.testing.assert_array_equal(second.session.source, [[1, 2, 3], [4, 5, 6]])
    assert second.stage.text_input.toPlainText().startswith("walk.csv:")


def test_exporting_an_animation_films_the_ids_the_session_reads(qtbot, tmp_path):
    from gatescope.export.animation import export_animation
    from gatescope.export.settings import AnimationSettings

    out = tmp_path / "ids.gif"
    written = export_animation(ids_model(), np.array([3, 4]), AnimationSettings(size=(480, 320), fps=4), out)
    assert written == [out] and out.stat().st_size > 0


def test_a_long_sequence_shows_its_first_ten_thousand_steps_and_counts_the_rest():
    from gatescope.ui.views.text_input import SHOWN_STEPS, sequence_text

    text, spans = sequence_text(np.zeros((SHOWN_STEPS + 5, 2)), "long.npy")
    lines = text.splitlines()
    assert lines[0] == "long.npy: 10,005 steps × 2 features" and lines[-1] == "… 5 more steps, not shown here"
    assert len(spans) == SHOWN_STEPS and text[slice(*spans[-1])] == "9999:  0  0"
