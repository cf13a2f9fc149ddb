"""Where an imported model came from, in words: its file, format, architecture, and what had to be assumed."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from gatescope.model.options import apply_options
from gatescope.presentation.provenance import assumptions, is_imported, origin_line, origin_rows
from tests.helpers import make_text_model

PROVENANCE = {
    "format": "PyTorch state_dict (.pt)",
    "format_key": "pytorch",
    "file": "sentiment.pt",
    "architecture": "Embedding(14, 8) → LSTM(6) → Linear(6, 2)",
    "head_assumed": True,
}


def imported(**changes):
    model = make_text_model("lstm", units=6)
    model = dataclasses.replace(model, tokenizer=None, vocabulary=None, source=Path("/data/sentiment.pt"))
    return dataclasses.replace(model, provenance={**PROVENANCE, **changes})


def test_a_model_trained_by_gatescope_has_no_origin_to_tell():
    model = dataclasses.replace(make_text_model(), provenance={"seed": 3, "scores": {"test": 0.9}})
    assert not is_imported(model)
    assert origin_rows(model) == [] and origin_line(model) == ""


def test_an_imported_model_names_its_file_format_architecture_and_what_was_assumed():
    model = imported()
    assert is_imported(model)
    assert origin_rows(model) == [
        ("File", "sentiment.pt"),
        ("Format", "PyTorch state_dict (.pt)"),
        ("Architecture", "Embedding(14, 8) → LSTM(6) → Linear(6, 2)"),
        ("Vocabulary", "none: the model reads token ids 0 to 13"),
        ("Head", "2 outputs, softmax; labels negative, positive"),
        ("Assumed", "head activation softmax (the file does not say)"),
    ]
    assert origin_line(model) == "from sentiment.pt (PyTorch state_dict (.pt)) · assumed: head activation softmax"


def test_a_head_the_user_chose_is_no_longer_assumed():
    model = apply_options(imported(), head="sigmoid")
    assert assumptions(model) == []
    assert origin_line(model) == "from sentiment.pt (PyTorch state_dict (.pt))"
    assert ("Head", "2 outputs, sigmoid; labels negative, positive") in origin_rows(model)


def test_other_assumptions_are_listed():
    model = dataclasses.replace(make_text_model("rnn", units=4), provenance={**PROVENANCE, "head_assumed": False})
    model.provenance.update(nonlinearity_assumed=True, batch_first_assumed=True)
    assert assumptions(model) == ["RNN nonlinearity tanh (the file does not say)", "batch first"]
