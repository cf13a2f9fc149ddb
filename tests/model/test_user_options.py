"""What a model file cannot say, given by the user: token ids without a vocabulary, the vocabulary, labels, the head's
activation, and the raw logits beside the outputs."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from gatescope import GatescopeError
from gatescope.model.options import apply_options, parse_labels
from tests.helpers import SENTENCE, WORDS, make_text_model


def _ids_model():
    """The helper's text model with its tokenizer and vocabulary taken away: an embedding that reads ids."""
    model = make_text_model("gru", units=6)
    return dataclasses.replace(model, tokenizer=None, vocabulary=None)


def test_an_embedding_without_vocabulary_reads_token_ids_like_the_text_they_stand_for():
    text_model = make_text_model("gru", units=6)
    ids_model = _ids_model()
    assert ids_model.reads_ids and not ids_model.reads_text
    ids, _ = text_model.vocabulary.encode(SENTENCE.split())
    by_text = text_model.run(SENTENCE)
    by_ids = ids_model.run(ids)
    assert by_ids.tokens == [str(i) for i in ids]
    np.testing.assert_array_equal(by_ids.layers[0].h, by_text.layers[0].h)
    np.testing.assert_array_equal(by_ids.outputs, by_text.outputs)


@pytest.mark.parametrize("ids", [np.array([1, 99]), np.array([-1]), np.array([], dtype=int), np.array([[1, 2]])])
def test_bad_token_ids_are_refused(ids):
    with pytest.raises(GatescopeError, match="token id|1-D|at least one"):
        _ids_model().run(ids)


def test_logits_are_the_head_before_its_activation():
    model = make_text_model("lstm", units=6)
    trace = model.run(SENTENCE)
    expected = trace.layers[-1].h @ model.head.weight.T + model.head.bias
    np.testing.assert_allclose(trace.logits, expected, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(trace.outputs.sum(axis=1), 1, rtol=1e-6)
    raw = apply_options(model, head="none").run(SENTENCE)
    np.testing.assert_array_equal(raw.outputs, raw.logits)
    assert not raw.logits.flags.writeable


def test_labels_and_head_activation_apply_and_are_checked():
    model = make_text_model("lstm", units=6)
    named = apply_options(model, labels="sad, happy", head="sigmoid")
    assert named.output_labels == ["sad", "happy"] and named.head.activation == "sigmoid"
    assert model.head.activation == "softmax"  # the original is untouched
    with pytest.raises(GatescopeError, match="3 labels given"):
        apply_options(model, labels=["a", "b", "c"])
    with pytest.raises(GatescopeError, match="head='tanh'"):
        apply_options(model, head="tanh")
    with pytest.raises(GatescopeError, match="given twice"):
        parse_labels("a,a")


def test_a_vocabulary_file_lets_an_ids_model_read_text(tmp_path):
    path = tmp_path / "vocab.json"
    path.write_text(json.dumps({word: number for number, word in enumerate(WORDS)}), encoding="utf-8")
    model = apply_options(_ids_model(), vocab=path)
    assert model.reads_text
    np.testing.assert_array_equal(
        model.run(SENTENCE).layers[0].h, make_text_model("gru", units=6).run(SENTENCE).layers[0].h
    )
    listed = tmp_path / "vocab.txt"
    listed.write_text("\n".join(WORDS), encoding="utf-8")
    assert apply_options(_ids_model(), vocab=listed).vocabulary.tokens() == WORDS


def test_a_vocabulary_larger_than_the_embedding_is_refused(tmp_path):
    with pytest.raises(GatescopeError, match="only 14 rows"):
        apply_options(_ids_model(), vocab=WORDS + ["extra"])
