"""The shipped models keep their promises: their cards' scores re-measured from the shipped files, the targets,
the RNN's weakness on long-range reviews, the bracket unit, and the prediction swinging at "but … wonderful"."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest

import gatescope
from gatescope.model.zoo import model_card, models_dir
from gatescope.train.config import parse_config
from gatescope.train.evaluate import cell_state_correlations, split_accuracy
from gatescope.train.tasks import Task, make_task

TRAINED = ("lstm-sentiment", "gru-sentiment", "rnn-sentiment", "lstm-brackets")
SENTIMENT_TARGETS = {
    "test": 0.97,
    "negation": 0.90,
    "contrast": 0.90,
    "long_range": 0.90,
    "unknown_words": 0.90,
    "handwritten": 0.90,
}


@lru_cache(maxsize=4)
def task_for(config_json: str) -> Task:
    """The data a shipped model was trained and scored on, regenerated from its recorded config (cached)."""
    return make_task(parse_config(json.loads(config_json)))


def shipped(name: str):
    model = gatescope.load_model(name)
    return model, task_for(json.dumps(model.provenance["config"], sort_keys=True))


def test_every_trained_model_ships_with_a_card():
    names = {name for name, _ in gatescope.list_models()}
    assert set(TRAINED) <= names
    for name in TRAINED:
        card = model_card(name)
        assert card and "## Scores" in card and "gatescope train" in card


def test_shipped_weights_stay_small():
    total = sum(path.stat().st_size for path in Path(models_dir()).glob("*.npz"))
    assert total <= 20 * 1024 * 1024


@pytest.mark.slow
@pytest.mark.parametrize("name", TRAINED)
def test_card_scores_are_what_the_shipped_file_scores(name):
    model, task = shipped(name)
    assert task.data_hash == model.provenance["data_hash"]  # the same data, regenerated from the config and seed
    for split, recorded in model.provenance["scores"].items():
        measured = round(split_accuracy(model, task.splits[split], task.per_step), 5)
        assert measured == recorded, split
        assert f"{recorded:.2%}" in model_card(name)


@pytest.mark.parametrize(
    "name, split", [(name, split) for name in ("lstm-sentiment", "gru-sentiment") for split in SENTIMENT_TARGETS]
)
def test_lstm_and_gru_meet_the_sentiment_targets(name, split):
    score = gatescope.load_model(name).provenance["scores"][split]
    assert score >= SENTIMENT_TARGETS[split], (split, score)


def test_sentiment_models_know_everyday_words_no_labelled_review_used():
    # Pretrained word vectors put 20,000 common words in the vocabulary; training sentences alone gave about 4,000.
    for kind in ("lstm", "gru", "rnn"):
        trace = gatescope.load_model(f"{kind}-sentiment").run("the kettle boils quickly and the lid feels sturdy")
        assert not any(trace.unknown), (kind, [t for t, u in zip(trace.tokens, trace.unknown) if u])


def test_real_review_sentences_are_scored_held_out():
    for kind in ("lstm", "gru"):
        scores = gatescope.load_model(f"{kind}-sentiment").provenance["scores"]
        assert scores["real_test"] >= 0.80, (kind, scores["real_test"])


def test_vanilla_rnn_is_visibly_worse_on_long_range_reviews():
    rnn = gatescope.load_model("rnn-sentiment").provenance["scores"]["long_range"]
    for kind in ("lstm", "gru"):
        gated = gatescope.load_model(f"{kind}-sentiment").provenance["scores"]["long_range"]
        assert rnn <= gated - 0.03, (kind, rnn, gated)
        assert 1 - rnn >= 3 * (1 - gated), (kind, rnn, gated)  # at least three times the errors


ANNOYING = (
    "The essays were annoying. I didn't know anything about it beforehand. The story jumps between Austin and "
    "Toronto. I usually read on the train."
)


def test_rnn_loses_an_early_verdict_that_the_lstm_keeps():
    # The example the rnn-sentiment card and the README give: the RNN reads "annoying." as negative, then drifts to
    # positive through neutral sentences; the LSTM's prediction holds from "annoying." to the end.
    def negative(kind: str) -> tuple[list[str], np.ndarray]:
        trace = gatescope.load_model(f"{kind}-sentiment").run(ANNOYING)
        return trace.tokens, trace.outputs[:, trace.output_labels.index("negative")]

    tokens, rnn = negative("rnn")
    after_verdict = tokens.index("annoying") + 1
    assert rnn[after_verdict] > 0.75 and rnn[-1] < 0.1
    _, lstm = negative("lstm")
    assert np.all(lstm[after_verdict:] > 0.85)
    _, gru = negative("gru")
    assert gru[-1] > 0.9


def test_sentiment_models_have_comparable_recurrent_parameter_counts():
    counts = [
        sum(layer.parameter_count() for layer in gatescope.load_model(f"{kind}-sentiment").layers)
        for kind in ("lstm", "gru", "rnn")
    ]
    assert max(counts) <= 1.15 * min(counts)


def test_bracket_card_names_a_unit_whose_cell_state_tracks_depth():
    model, task = shipped("lstm-brackets")
    unit = model.provenance["depth_unit"]["unit"]
    correlations = cell_state_correlations(model, task.splits["test"][:300])
    assert abs(correlations[unit]) >= 0.9
    assert f"unit {unit}" in model_card("lstm-brackets")


def test_prediction_swings_to_positive_at_the_decisive_clause():
    trace = gatescope.load_model("lstm-sentiment").run("the plot was dull but the ending was wonderful")
    positive = trace.outputs[:, trace.output_labels.index("positive")]
    assert positive[trace.tokens.index("dull")] < 0.5
    assert positive[-1] > 0.9
    assert np.argmax(positive[:4] < 0.5) <= 3  # negative by "dull" already
