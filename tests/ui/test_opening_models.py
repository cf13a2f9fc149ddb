"""Opening users' own models in the window: File → Open of every format, the import dialog for what a file cannot
say (its answers reach load_model and are remembered per file), drag and drop, File → Open Recent, where a model
came from, and bad files that leave the current model in place.

Files of other frameworks come from the stand-in format (tests/ui/conftest.py) read through gatescope.load_model,
and from real formats where their readers are installed."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QFileDialog, QMessageBox, QTextBrowser

import gatescope
from gatescope.errors import GatescopeError
from gatescope.ui.session import SessionModel
from gatescope.ui.window.file_memory import RECENT_LIMIT, RecentFiles, remembered_choices
from gatescope.ui.window.import_dialog import ImportDialog
from gatescope.ui.window.loading import KEPT
from gatescope.ui.window.main_window import MainWindow
from gatescope.ui.window.opening import MODEL_FILTER, NO_RECENT
from tests.helpers import SENTENCE, WORDS, make_text_model, show_main_window


@pytest.fixture
def window(qtbot, session, settings):
    return make_window(qtbot, session, settings)


def make_window(qtbot, session, settings) -> MainWindow:
    return show_main_window(qtbot, session, settings, size=(1200, 800))


def answering(monkeypatch, button: str = "open", **fields: str) -> list[dict]:
    """Answer every import dialog: fill ``fields`` (vocab, labels, head), press ``button`` ("open", "open_without"
    or "cancel"); returns what each dialog showed and how it ended."""
    seen: list[dict] = []

    def exec_(dialog: ImportDialog) -> int:
        shown = {
            "title": dialog.windowTitle(),
            "vocab": dialog.vocab.text(),
            "vocab placeholder": dialog.vocab.placeholderText(),
            "labels": dialog.labels.text(),
            "head": dialog.head.currentText(),
            "head note": dialog.head_note.text(),
            "problem before": dialog.problem.text(),
        }
        if "vocab" in fields:
            dialog.vocab.setText(fields["vocab"])
        if "labels" in fields:
            dialog.labels.setText(fields["labels"])
        if "head" in fields:
            dialog.head.setCurrentText(fields["head"])
        if button == "cancel":
            dialog.reject()
        else:
            getattr(dialog, f"{button}_button").click()
        shown.update(problem=dialog.problem.text(), accepted=dialog.result() == ImportDialog.DialogCode.Accepted)
        seen.append(shown)
        return dialog.result()

    monkeypatch.setattr(ImportDialog, "exec", exec_)
    return seen


def never_asked(monkeypatch) -> None:
    def exec_(dialog):
        raise AssertionError("the import dialog was shown")

    monkeypatch.setattr(ImportDialog, "exec", exec_)


def load_calls(monkeypatch) -> list[tuple[str, dict]]:
    """Every call of gatescope.load_model from now on: (source, keyword arguments)."""
    calls: list[tuple[str, dict]] = []
    real = gatescope.load_model

    def spy(source, *args, **options):
        calls.append((str(source), options))
        return real(source, *args, **options)

    monkeypatch.setattr(gatescope, "load_model", spy)
    return calls


def warnings_shown(monkeypatch) -> list[tuple[str, str]]:
    shown: list[tuple[str, str]] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text: shown.append((title, text)))
    return shown


def vocabulary_file(tmp_path):
    path = tmp_path / "vocab.json"
    path.write_text(json.dumps({word: number for number, word in enumerate(WORDS)}), encoding="utf-8")
    return path


def drop(window, path) -> QDropEvent:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(
        QPointF(50, 50), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    window.dropEvent(event)
    return event


# --- File → Open -------------------------------------------------------------------------------------------------
def test_open_offers_every_format_and_all_files_and_opens_a_gatescope_file(window, tmp_path, monkeypatch):
    path = tmp_path / "mine.npz"
    make_text_model("gru", units=6, seed=3).save(path)
    offered = []

    def choose(parent, title, folder, filter):
        offered.append(filter)
        return str(path), filter.split(";;")[1]

    monkeypatch.setattr(QFileDialog, "getOpenFileName", choose)
    never_asked(monkeypatch)  # gatescope's own file says everything

    window.open_model_dialog()

    assert offered == [MODEL_FILTER]
    assert MODEL_FILTER == "Models (*.npz *.pt *.pth *.bin *.safetensors *.keras *.h5 *.hdf5 *.onnx);;All files (*)"
    assert window.session.model.kind == "gru" and window.session.text == SENTENCE
    assert window.windowTitle() == "gatescope — mine.npz"
    assert not window.import_action.isEnabled()  # nothing to ask a gatescope file
    assert window.stage.model_bar.origin.isHidden()  # gatescope's own: no other framework to tell of


def test_a_state_dict_npz_opens_without_asking_and_reads_an_example_sequence(window, tmp_path, monkeypatch):
    arrays = dict(np.load("tests/model/fixtures/torch_state_dict_gru.npz"))
    path = tmp_path / "bare_gru.npz"
    np.savez(path, **arrays)
    never_asked(monkeypatch)  # no embedding, no head: nothing to ask

    assert window.load_model(str(path))

    model, source = window.session.model, window.session.source
    assert not model.reads_text and not model.reads_ids
    assert isinstance(source, np.ndarray) and source.shape == (24, model.input_size)
    assert window.stage.text_input.mode == "sequence" and window.stage.text_input.isReadOnly()
    assert not window.stage.open_sequence_button.isHidden() and window.sequence_action.isEnabled()
    assert window.session.trace.tokens[:3] == ["0", "1", "2"]


def test_import_dialog_is_prefilled_from_the_file_and_marks_an_assumed_head(window, stand_in_file, monkeypatch):
    seen = answering(monkeypatch, button="cancel")
    before = window.session.model

    assert window.load_model(str(stand_in_file())) is False

    assert seen == [
        {
            "title": "Open classifier.fake",
            "vocab": "",
            "vocab placeholder": "none: the model reads token ids",
            "labels": "",
            "head": "softmax",
            "head note": "2 outputs; assumed: the file does not say",
            "problem before": "",
            "problem": "",
            "accepted": False,
        }
    ]
    assert window.session.model is before  # cancelled: nothing changes


def test_import_dialog_answers_reach_load_model_and_are_remembered(window, stand_in_file, tmp_path, monkeypatch):
    path, vocabulary = stand_in_file(), vocabulary_file(tmp_path)
    answering(monkeypatch, vocab=str(vocabulary), labels="sad, happy", head="sigmoid")
    calls = load_calls(monkeypatch)

    assert window.load_model(str(path))

    assert calls == [
        (str(path), {}),
        (str(path), {"vocab": str(vocabulary), "labels": "sad, happy", "head": "sigmoid"}),
    ]
    model = window.session.model
    assert model.reads_text and model.output_labels == ["sad", "happy"] and model.head.activation == "sigmoid"
    assert window.session.text == SENTENCE  # a text model again: it reads the text that was there
    assert window.stage.text_input.mode == "text"
    assert window.windowTitle() == "gatescope — classifier.fake"
    remembered = remembered_choices(window.settings, path)
    assert (remembered.vocab, remembered.labels, remembered.head) == (str(vocabulary), "sad, happy", "sigmoid")

    never_asked(monkeypatch)  # the second time the answers are remembered
    window.load_model("lstm-sentiment")
    assert window.load_model(str(path))
    assert window.session.model.output_labels == ["sad", "happy"]


def test_open_without_opens_the_model_as_the_file_describes_it(window, stand_in_file, monkeypatch):
    path = stand_in_file()
    seen = answering(monkeypatch, button="open_without", labels="ignored, here")

    assert window.load_model(str(path))

    assert seen[0]["accepted"]
    model = window.session.model
    assert model.reads_ids and model.output_labels is None and model.provenance["head_assumed"]
    np.testing.assert_array_equal(window.session.source, np.arange(1, 9))
    assert window.stage.text_input.mode == "ids" and window.stage.text_input.toPlainText() == "1 2 3 4 5 6 7 8"
    assert window.import_action.isEnabled()
    never_asked(monkeypatch)  # "without" is remembered too
    assert window.load_model(str(path))


def test_a_wrong_answer_stays_in_the_dialog_and_the_current_model_stays(window, stand_in_file, monkeypatch):
    seen = answering(monkeypatch, labels="a, b, c")
    before = window.session.model

    assert window.load_model(str(stand_in_file())) is False

    assert "3 labels given (a, b, c) but the model's head has 2 outputs" in seen[0]["problem"]
    assert not seen[0]["accepted"]
    assert window.session.model is before


def test_remembered_answers_that_no_longer_work_ask_again_saying_why(window, stand_in_file, tmp_path, monkeypatch):
    path, vocabulary = stand_in_file(), vocabulary_file(tmp_path)
    answering(monkeypatch, vocab=str(vocabulary))
    assert window.load_model(str(path))
    vocabulary.unlink()

    seen = answering(monkeypatch, button="open_without")
    assert window.load_model(str(path))

    assert seen[0]["problem before"] == (
        f"⚠ {vocabulary}: cannot read it: No such file or directory\n(the answers remembered from last time no longer "
        f"work)"
    )
    assert seen[0]["vocab"] == str(vocabulary)  # the answer is shown, to be fixed
    assert window.session.model.reads_ids


def test_a_bad_file_of_another_format_says_why_and_the_current_model_stays(window, stand_in_file, monkeypatch):
    shown = warnings_shown(monkeypatch)
    never_asked(monkeypatch)
    before = window.session.model

    assert window.load_model(str(stand_in_file(damaged=True))) is False

    assert shown == [
        (
            "Cannot open this model",
            f"{stand_in_file(damaged=True)}: the stand-in file is damaged; save it again\n\n{KEPT}",
        )
    ]
    assert window.session.model is before and window.session.text == SENTENCE


def test_random_bytes_named_like_a_model_say_why(window, tmp_path, monkeypatch):
    shown = warnings_shown(monkeypatch)
    path = tmp_path / "weights.pt"
    path.write_bytes(np.random.default_rng(0).bytes(2048))
    before = window.session.model

    assert window.load_model(str(path)) is False

    assert shown[0][0] == "Cannot open this model" and str(path) in shown[0][1] and shown[0][1].endswith(KEPT)
    assert window.session.model is before


# --- drag and drop -----------------------------------------------------------------------------------------------
def test_dropping_a_model_file_of_any_format_opens_it(window, stand_in_file, monkeypatch):
    answering(monkeypatch, button="open_without")
    path = stand_in_file()
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    enter = QDragEnterEvent(
        window.rect().center(),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    window.dragEnterEvent(enter)
    assert enter.isAccepted()

    drop(window, path)

    assert window.session.model.source == path and window.windowTitle() == "gatescope — classifier.fake"


def test_dropping_a_vocabulary_on_an_imported_model_asks_with_it_filled_in(
    window, stand_in_file, tmp_path, monkeypatch
):
    answering(monkeypatch, button="open_without")
    path = stand_in_file()
    drop(window, path)
    vocabulary = vocabulary_file(tmp_path)
    seen = answering(monkeypatch)

    drop(window, vocabulary)

    assert seen[0]["vocab"] == str(vocabulary)
    assert window.session.model.reads_text and window.session.model.source == path


def test_dropping_a_bad_file_keeps_the_model(window, tmp_path, monkeypatch):
    shown = warnings_shown(monkeypatch)
    path = tmp_path / "notes.onnx"
    path.write_text("not a model", encoding="utf-8")
    before = window.session.model

    drop(window, path)

    assert len(shown) == 1 and window.session.model is before


# --- File → Open Recent ------------------------------------------------------------------------------------------
def test_recent_files_persist_across_windows_and_grey_out_missing_ones(qtbot, window, settings, tmp_path, monkeypatch):
    first, second = tmp_path / "first.npz", tmp_path / "second.npz"
    make_text_model("gru", units=6).save(first)
    make_text_model("rnn", units=5).save(second)
    assert window.load_model(str(first)) and window.load_model(str(second))
    window.close()

    later = make_window(qtbot, SessionModel(make_text_model(), SENTENCE), settings)
    actions = later.opener.recent_file_actions
    assert [action.text() for action in actions] == ["&1 second.npz", "&2 first.npz"]
    assert [action.toolTip() for action in actions] == [str(second), str(first)]
    actions[1].trigger()
    assert later.session.model.kind == "gru" and later.windowTitle() == "gatescope — first.npz"

    second.unlink()
    later.opener.fill_recent_menu()
    gone = later.opener.recent_file_actions[1]
    assert gone.text() == "&2 second.npz  (missing)" and not gone.isEnabled()
    texts = [action.text() for action in later.opener.recent_menu.actions()]
    assert "Remove missing files" in texts and "Clear menu" in texts
    shown = warnings_shown(monkeypatch)
    assert later.opener.open_recent(str(second)) is False
    assert "no such file" in shown[0][1] and RecentFiles(settings).paths() == [str(first)]

    later.opener.clear_recent()
    assert RecentFiles(settings).paths() == []
    assert [action.text() for action in later.opener.recent_menu.actions() if action.text()] == [
        NO_RECENT,
        "Clear menu",
    ]


def test_recent_files_keep_the_ten_newest_first(settings, tmp_path):
    recent = RecentFiles(settings)
    for number in range(12):
        recent.add(tmp_path / f"model{number}.npz")
    recent.add(tmp_path / "model5.npz")
    paths = recent.paths()
    assert len(paths) == RECENT_LIMIT
    assert paths[:3] == [str(tmp_path / name) for name in ("model5.npz", "model11.npz", "model10.npz")]
    assert str(tmp_path / "model0.npz") not in paths


def test_reopening_a_recent_imported_file_does_not_ask_again(qtbot, window, settings, stand_in_file, monkeypatch):
    path = stand_in_file()
    answering(monkeypatch, labels="bad, good")
    assert window.load_model(str(path))
    window.close()

    never_asked(monkeypatch)
    later = make_window(qtbot, SessionModel(make_text_model(), SENTENCE), settings)
    later.opener.recent_file_actions[0].trigger()
    assert later.session.model.output_labels == ["bad", "good"]


# --- where it came from ------------------------------------------------------------------------------------------
def test_model_card_and_bar_say_where_an_imported_model_came_from(qtbot, window, stand_in_file, monkeypatch):
    answering(monkeypatch, button="open_without")
    assert window.load_model(str(stand_in_file()))

    origin = window.stage.model_bar.origin
    assert origin.text() == "from classifier.fake (Stand-in framework (.fake)) · assumed: head activation softmax"
    assert not origin.isHidden()
    assert "Architecture: Embedding(14, 8) → GRU(6) → Linear(6, 2)" in origin.toolTip()
    dialog = window.show_model_card()
    qtbot.addWidget(dialog)
    text = dialog.findChild(QTextBrowser).toPlainText()
    assert "file: classifier.fake (sha256 " in text and "format: Stand-in framework (.fake)" in text
    assert "head activation: softmax (assumed: the file does not say" in text
    assert "vocabulary: none: the model reads token ids 0–13" in text
    assert "Not compared here: gatescope check classifier.fake compares it with its framework." in text


def test_vocabulary_labels_and_head_action_asks_again_for_the_open_file(window, stand_in_file, monkeypatch):
    path = stand_in_file()
    answering(monkeypatch, button="open_without")
    assert window.load_model(str(path))
    seen = answering(monkeypatch, labels="low, high", head="none")

    assert window.opener.edit_import_choices()

    assert seen[0]["title"] == "Open classifier.fake"
    model = window.session.model
    assert model.output_labels == ["low", "high"] and model.head.activation == "linear"
    assert "head_assumed" not in model.provenance
    assert window.stage.model_bar.origin.text() == "from classifier.fake (Stand-in framework (.fake))"


def test_a_model_that_reads_ids_cannot_be_compared(window, stand_in_file, monkeypatch):
    answering(monkeypatch, button="open_without")
    assert window.load_model(str(stand_in_file()))
    told = []
    monkeypatch.setattr(QMessageBox, "information", lambda parent, title, text: told.append(title))
    assert window.open_compare() is None and told == ["Compare needs text"]


# --- real formats, where their readers are installed --------------------------------------------------------------
def _safetensors_text_classifier(path):
    """A PyTorch text classifier's state_dict as safetensors: Embedding(14, 8) → LSTM(6) → Linear(6, 2)."""
    safetensors_numpy = pytest.importorskip("safetensors.numpy")
    rng = np.random.default_rng(1)
    arrays = {
        "embedding.weight": rng.normal(0, 1, (len(WORDS), 8)),
        "lstm.weight_ih_l0": rng.normal(0, 0.5, (24, 8)),
        "lstm.weight_hh_l0": rng.normal(0, 0.5, (24, 6)),
        "lstm.bias_ih_l0": rng.normal(0, 0.1, 24),
        "lstm.bias_hh_l0": rng.normal(0, 0.1, 24),
        "fc.weight": rng.normal(0, 0.5, (2, 6)),
        "fc.bias": np.zeros(2),
    }
    safetensors_numpy.save_file({name: array.astype(np.float32) for name, array in arrays.items()}, str(path))


def test_a_real_safetensors_file_opens_through_the_import_dialog(window, tmp_path, monkeypatch):
    path = tmp_path / "classifier.safetensors"
    _safetensors_text_classifier(path)
    try:
        gatescope.load_model(path)
    except GatescopeError as error:
        pytest.skip(f"no safetensors reader on this branch yet ({error})")
    seen = answering(monkeypatch, vocab=str(vocabulary_file(tmp_path)), labels="negative, positive")

    assert window.load_model(str(path))

    assert seen[0]["accepted"]
    assert window.session.model.reads_text and window.session.model.output_labels == ["negative", "positive"]
    assert window.session.trace.tokens == SENTENCE.split()


# --- starting the app on a file ----------------------------------------------------------------------------------
def test_the_app_starts_on_an_imported_file_with_its_remembered_answers(qtbot, settings, stand_in_file):
    from gatescope.ui.window.app import build_window
    from gatescope.ui.window.file_memory import ImportChoices, remember_choices

    path = stand_in_file()
    remember_choices(settings, path, ImportChoices(labels="sad, happy"))

    window = build_window(str(path), "3 4", settings)
    qtbot.addWidget(window)

    assert window.session.model.output_labels == ["sad", "happy"]
    np.testing.assert_array_equal(window.session.source, [3, 4])
    assert window.import_action.isEnabled() and RecentFiles(settings).paths() == [str(path)]
    with pytest.raises(GatescopeError, match="'3 x': 'x' is not a token id"):
        build_window(str(path), "3 x", settings)


def test_the_app_starts_on_a_model_that_reads_numbers_with_an_example(qtbot, tmp_path):
    from gatescope.ui.window.app import build_window

    path = tmp_path / "bare.npz"
    np.savez(path, **dict(np.load("tests/model/fixtures/torch_state_dict_lstm.npz")))

    window = build_window(str(path), None)
    qtbot.addWidget(window)

    assert window.session.source.shape == (24, window.session.model.input_size)
    with pytest.raises(GatescopeError, match="reads 5 numbers a step, not text; open a CSV or .npy input sequence"):
        build_window(str(path), "some text")


# --- every committed model file of another framework --------------------------------------------------------------
IMPORTS = Path(__file__).parents[1] / "model" / "imports"
IMPORTED_FILES = sorted(
    path
    for path in IMPORTS.glob("*/*")
    if path.suffix in (".pt", ".safetensors", ".keras", ".h5", ".onnx") and not path.name.startswith("refused")
)


@pytest.mark.parametrize("path", IMPORTED_FILES, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_every_committed_framework_file_opens_in_the_window(window, path, monkeypatch):
    from gatescope.ui.views.text_input import input_mode

    seen = answering(monkeypatch, button="open_without")
    file_model = gatescope.load_model(path)

    assert window.load_model(str(path))

    model = window.session.model
    assert window.windowTitle() == f"gatescope — {path.name}" and window.stage.text_input.mode == input_mode(model)
    assert window.stage.model_bar.origin.text().startswith(f"from {path.name} (")
    assert window.session.trace is not None and window.session.steps > 0
    assert len(seen) == (1 if file_model.embedding is not None or file_model.head is not None else 0)
    if seen and file_model.head is not None:
        assumed = bool(file_model.provenance.get("head_assumed"))
        assert seen[0]["head note"].endswith("assumed: the file does not say" if assumed else "as the file says")


def test_a_keras_text_model_opens_reading_text_with_its_own_vocabulary(window, monkeypatch):
    path = IMPORTS / "keras" / "text_word_lstm.keras"
    seen = answering(monkeypatch, button="open_without")

    assert window.load_model(str(path))

    assert seen[0]["vocab placeholder"].startswith("the file's own (")
    assert window.session.model.reads_text and window.stage.text_input.mode == "text"
    assert window.session.text == SENTENCE
