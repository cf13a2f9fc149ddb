"""The shipped models keep their promises: every score their cards and the README state is measured from the shipped
files on the whole regenerated evaluation splits (cheap next to regenerating the data, and exact, so no tolerance),
the targets, the RNN's weakness on long-range reviews, the bracket unit, and the prediction swinging at
"but … wonderful"."""

from __future__ import annotations

import json
import re
from functools import cache, lru_cache
from pathlib import Path

import numpy as np
import pytest

import gatescope
from gatescope.model.model import Model
from gatescope.model.zoo import model_card, models_dir
from gatescope.train.config import parse_config
from gatescope.train.evaluate import cell_state_correlations, split_accuracy
from gatescope.train.pipeline import SPLIT_TITLES
from gatescope.train.tasks import Task, make_task

README = Path(__file__).parents[2] / "README.md"
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


def shipped(name: str) -> tuple[Model, Task]:
    model = gatescope.load_model(name)
    return model, task_for(json.dumps(model.provenance["config"], sort_keys=True))


@cache
def measured(name: str, split: str) -> float:
    """Accuracy of the shipped file on a whole evaluation split, measured now with gatescope's engine (cached: several
    claims rest on the same split). Never the score stored in the file."""
    model, task = shipped(name)
    return split_accuracy(model, task.splits[split], task.per_step)


def card_score_rows(name: str) -> dict[str, tuple[str, str]]:
    """The card's score table as written: evaluation set title -> (examples, accuracy)."""
    card = model_card(name)
    assert card is not None, name
    scores = card.split("## Scores", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in scores.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[2].endswith("%"):
            rows[cells[0]] = (cells[1], cells[2])
    return rows


def readme_score_row(name: str) -> list[str]:
    """The accuracy cells of the README's row for a shipped model (test, long-range, real sentences, hand-written)."""
    for line in README.read_text(encoding="utf-8").splitlines():
        if line.startswith(f"| [`{name}`]"):
            return [cell.strip() for cell in line.strip().strip("|").split("|")][2:]
    raise AssertionError(f"the README's table of shipped models has no row for {name}")


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
    rows = card_score_rows(name)
    assert list(rows) == [SPLIT_TITLES[split] for split in task.evaluation_splits]
    for split in task.evaluation_splits:
        accuracy = measured(name, split)
        examples, stated = rows[SPLIT_TITLES[split]]
        assert stated == f"{accuracy:.2%}", split
        assert examples.startswith(f"{len(task.splits[split]):,} "), split
        assert model.provenance["scores"][split] == round(accuracy, 5), split  # what the app's card dialog shows


@pytest.mark.parametrize("name", TRAINED)
def test_every_percentage_a_card_states_is_a_measured_score(name):
    # The notes repeat scores in prose ("It scores 84.60% on 604 real sentences"): each must be one just measured.
    _, task = shipped(name)
    scores = {f"{measured(name, split):.2%}" for split in task.evaluation_splits}
    stated = re.findall(r"\d+\.\d\d%", model_card(name) or "")
    assert stated and set(stated) <= scores, (sorted(set(stated) - scores), sorted(scores))


@pytest.mark.parametrize("name", ("lstm-sentiment", "gru-sentiment", "rnn-sentiment"))
def test_readme_table_states_the_measured_scores(name):
    splits = ("test", "long_range", "real_test", "handwritten")
    assert readme_score_row(name) == [f"{measured(name, split):.2%}" for split in splits]


@pytest.mark.parametrize(
    "name, split", [(name, split) for name in ("lstm-sentiment", "gru-sentiment") for split in SENTIMENT_TARGETS]
)
def test_lstm_and_gru_meet_the_sentiment_targets(name, split):
    score = measured(name, split)
    assert score >= SENTIMENT_TARGETS[split], (split, score)


def test_sentiment_models_know_everyday_words_no_labelled_review_used():
    # Pretrained word vectors put 20,000 common words in the vocabulary; training sentences alone gave about 4,000.
    for kind in ("lstm", "gru", "rnn"):
        trace = gatescope.load_model(f"{kind}-sentiment").run("the kettle boils quickly and the lid feels sturdy")
        assert not any(trace.unknown), (kind, [t for t, u in zip(trace.tokens, trace.unknown) if u])


def test_real_review_sentences_are_scored_held_out():
    for kind in ("lstm", "gru"):
        _, task = shipped(f"{kind}-sentiment")
        seen = {example.text for split in ("train", "validation") for example in task.splits[split]}
        assert not [example.text for example in task.splits["real_test"] if example.text in seen], kind
        assert measured(f"{kind}-sentiment", "real_test") >= 0.80, kind


def test_vanilla_rnn_is_visibly_worse_on_long_range_reviews():
    # The README and the rnn-sentiment card: "about seven times their errors on the long-range subset".
    rnn = measured("rnn-sentiment", "long_range")
    for kind in ("lstm", "gru"):
        gated = measured(f"{kind}-sentiment", "long_range")
        assert rnn <= gated - 0.03, (kind, rnn, gated)
        assert 5 <= (1 - rnn) / (1 - gated) <= 10, (kind, rnn, gated)


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
    assert np.argmax(np.abs(correlations)) == unit  # the unit that tracks depth best, not merely one that does
    assert f"unit {unit} tracks the nesting depth (Pearson correlation {correlations[unit]:+.3f} over 300" in (
        model_card("lstm-brackets") or ""
    )


def test_prediction_swings_to_positive_at_the_decisive_clause():
    # The README's caption of its screenshot: "The prediction, 81% negative at "dull", loosens to 62% at "but", turns
    # positive after "ending" and reaches 97% positive at "wonderful"."
    trace = gatescope.load_model("lstm-sentiment").run("the plot was dull but the ending was wonderful")
    positive = trace.outputs[:, trace.output_labels.index("positive")]
    dull, but, ending = (trace.tokens.index(word) for word in ("dull", "but", "ending"))

    assert np.all(positive[dull : ending + 1] < 0.5)  # negative from "dull" through the start of the decisive clause
    assert np.all(positive[ending + 1 :] > 0.5)  # positive from the word after "ending" to the end
    caption = " ".join(README.read_text(encoding="utf-8").split())
    assert (
        f'The prediction, {1 - positive[dull]:.0%} negative at "dull", loosens to {1 - positive[but]:.0%} at "but", '
        f'turns positive after "ending" and reaches {positive[-1]:.0%} positive at "wonderful".'
    ) in caption
