"""The model picker asks for models by name and for a file by its own entry — never by reading an item's words."""

from __future__ import annotations

import dataclasses

from gatescope.ui.session import SessionModel
from gatescope.ui.views.model_bar import OPEN_FILE, ModelBar, ModelPicker
from tests.helpers import SENTENCE, emitted, make_text_model, read_right_to_left, show_view


def make_picker(qtbot, model=None) -> ModelPicker:
    session = SessionModel(model or make_text_model("lstm", units=8), SENTENCE)
    return show_view(qtbot, ModelPicker(session), 300, 30)


def test_choosing_a_built_in_model_asks_for_it_and_keeps_showing_the_current_one(qtbot):
    picker = make_picker(qtbot)
    models, files = emitted(picker.model_requested), emitted(picker.open_file_requested)

    picker.activated.emit(picker.findText("gru-sentiment"))

    assert models == [("gru-sentiment",)] and files == []
    assert picker.currentText() == "random-lstm"  # until the session really changes model


def test_the_open_file_entry_asks_for_a_file(qtbot):
    picker = make_picker(qtbot)
    models, files = emitted(picker.model_requested), emitted(picker.open_file_requested)

    picker.activated.emit(picker.count() - 1)

    assert picker.itemText(picker.count() - 1) == OPEN_FILE
    assert files == [()] and models == []


def test_a_model_named_like_the_open_file_entry_is_still_a_model(qtbot):
    picker = make_picker(qtbot, dataclasses.replace(make_text_model("gru", units=6), name=OPEN_FILE))
    models, files = emitted(picker.model_requested), emitted(picker.open_file_requested)
    entries = [index for index in range(picker.count()) if picker.itemText(index) == OPEN_FILE]
    assert len(entries) == 2 and picker.currentIndex() == entries[0]  # the model, above the separator

    picker.activated.emit(entries[0])  # the model shown already: nothing to ask for
    assert models == [] and files == []
    picker.activated.emit(entries[1])
    assert files == [()] and models == []


def test_the_layer_picker_says_which_way_each_layer_reads(qtbot):
    bidirectional = SessionModel(make_text_model("gru", units=6, layers=2, bidirectional=True), SENTENCE)
    reverse = SessionModel(read_right_to_left(make_text_model("lstm", units=6, layers=2)), SENTENCE)
    both, right_to_left = (show_view(qtbot, ModelBar(session), 600, 40) for session in (bidirectional, reverse))

    assert both.layer_box.itemText(1) == "layer 1: GRU ×6, both directions"
    assert right_to_left.layer_box.itemText(1) == "layer 1: LSTM ×6, right to left"
