"""The NumPy trainer: exact gradients of the whole network, learning, determinism, and the train command."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

import gatescope
from gatescope.cli import main
from gatescope.train import trainer
from gatescope.train.config import parse_config
from gatescope.train.tasks import make_task

TINY = {
    "name": "tiny-brackets",
    "task": "brackets",
    "description": "tiny test model",
    "seed": 3,
    "data": {"train": 300, "validation": 60, "test": 60, "subset": 10},
    "model": {"cell": "lstm", "units": 6, "embedding": 5, "min_count": 1},
    "training": {"epochs": 3, "batch_size": 16, "learning_rate": 0.02, "patience": 3, "word_dropout": 0.0},
}


def tiny_config(**model):
    values = {**TINY, "model": {**TINY["model"], **model}}
    return parse_config(values)


@pytest.mark.parametrize(
    "cell, per_step, extra, smoothing",
    [
        ("lstm", True, {}, 0.0),
        ("gru", False, {"gru_convention": "cho"}, 0.1),
        ("rnn", False, {"bidirectional": True}, 0.0),
        ("lstm", False, {"peepholes": True, "layers": 2}, 0.2),
    ],
)
def test_every_parameter_gradient_matches_finite_differences(monkeypatch, cell, per_step, extra, smoothing):
    monkeypatch.setattr(trainer, "DTYPE", np.float64)
    config = parse_config(
        {
            **TINY,
            "model": {**TINY["model"], "cell": cell, **extra},
            "training": {**TINY["training"], "label_smoothing": smoothing},
        }
    )
    rng = np.random.default_rng(0)
    params = trainer.init_parameters(config, vocabulary_size=7, outputs=3, rng=rng)
    ids = rng.integers(0, 7, (2, 5))
    targets = rng.integers(0, 3, (2, 5) if per_step else (2,))

    _, _, grads = trainer.loss_and_gradients(config, params, ids, targets, per_step)

    for name, value in params.items():
        for index in rng.choice(value.size, size=min(4, value.size), replace=False):
            position = np.unravel_index(index, value.shape)
            saved = value[position]
            value[position] = saved + 1e-6
            up = trainer.loss_and_gradients(config, params, ids, targets, per_step)[0]
            value[position] = saved - 1e-6
            down = trainer.loss_and_gradients(config, params, ids, targets, per_step)[0]
            value[position] = saved
            assert grads[name][position] == pytest.approx((up - down) / 2e-6, rel=1e-5, abs=1e-8), name


def test_adam_moves_against_the_gradient_and_clips_its_norm():
    params = {"w": np.array([1.0, -1.0], np.float32)}
    adam = trainer.Adam(learning_rate=0.1, clip_norm=1.0)
    norm = adam.step(params, {"w": np.array([30.0, -40.0], np.float32)})
    assert norm == pytest.approx(50.0)
    np.testing.assert_allclose(params["w"], [0.9, -0.9], atol=1e-6)


def test_training_learns_and_is_reproducible():
    config = tiny_config()
    task = make_task(config)
    first = trainer.train(config, task)
    second = trainer.train(config, task)
    assert first.history == second.history
    for name in first.params:
        np.testing.assert_array_equal(first.params[name], second.params[name])
    assert first.history[-1]["validation_accuracy"] > 0.5  # chance is ~1/7
    assert first.history[-1]["loss"] < first.history[0]["loss"]
    reseeded = dataclasses.replace(config, training=dataclasses.replace(config.training, seed=config.seed + 1))
    third = trainer.train(reseeded, task)  # same data, other initial weights and order
    assert not np.array_equal(third.params["head_weight"], first.params["head_weight"])


def test_weight_average_is_what_training_scores_and_keeps(monkeypatch):
    config = tiny_config()
    averaged_config = dataclasses.replace(config, training=dataclasses.replace(config.training, average=0.9))
    task = make_task(config)
    plain = trainer.train(config, task)
    scored = []  # the weights each epoch's validation scored
    real_accuracy = trainer.accuracy

    def spy(cfg, params, split, per_step, batch_size=256):
        scored.append({name: value.copy() for name, value in params.items()})
        return real_accuracy(cfg, params, split, per_step, batch_size)

    monkeypatch.setattr(trainer, "accuracy", spy)
    averaged = trainer.train(averaged_config, task)
    assert averaged.history[-1]["validation_accuracy"] > 0.5  # still learns (chance is ~1/7)
    assert not np.array_equal(averaged.params["head_weight"], plain.params["head_weight"])
    assert len(scored) == len(averaged.history)
    for name, value in averaged.params.items():  # the best epoch's averaged weights are the ones kept
        np.testing.assert_array_equal(value, scored[averaged.best_epoch - 1][name])


def test_train_command_writes_a_loadable_model_and_card(tmp_path: Path, capsys):
    config_path = tmp_path / "tiny.toml"
    config_path.write_text(
        'name = "tiny-brackets"\ntask = "brackets"\nseed = 3\ndescription = "tiny"\n'
        "[data]\ntrain = 200\nvalidation = 40\ntest = 40\nsubset = 5\n"
        "[model]\nunits = 4\nembedding = 4\nmin_count = 1\n"
        "[training]\nepochs = 2\nbatch_size = 16\n",
        encoding="utf-8",
    )
    out = tmp_path / "tiny.npz"

    assert main(["train", str(config_path), "--out", str(out)]) == 0

    model = gatescope.load_model(out)
    assert model.provenance["seed"] == 3 and len(model.provenance["data_hash"]) == 64
    assert set(model.provenance["scores"]) == {"test", "long"}
    card = out.with_suffix(".md").read_text(encoding="utf-8")
    assert "# tiny-brackets" in card and "held-out test split" in card
    assert model.run("(()").outputs.shape == (3, 7)
    assert main(["train", str(config_path), "--out", str(out)]) == 2
    assert "--force" in capsys.readouterr().err


def test_dev_reviews_can_pick_the_epoch_to_keep():
    config = parse_config(
        {
            "name": "tiny-sentiment",
            "task": "sentiment",
            "seed": 5,
            "data": {"train": 600, "validation": 60, "test": 60, "subset": 10},
            "model": {"cell": "gru", "units": 6, "embedding": 5, "min_count": 1},
            "training": {"epochs": 3, "batch_size": 32, "learning_rate": 0.02, "patience": 3, "select_on": "dev"},
        }
    )
    task = make_task(config)
    assert task.selection_split == "dev" and "dev" in task.evaluation_splits
    result = trainer.train(config, task)
    scores = [(row["dev_accuracy"], row["validation_accuracy"]) for row in result.history]
    assert result.best_epoch == 1 + scores.index(max(scores))
    plain = make_task(parse_config({**TINY, "task": "sentiment", "name": "plain"}))
    assert plain.selection_split is None and "dev" not in plain.splits


def test_real_reviews_join_training_and_are_scored_held_out():
    from gatescope.train.reviews import real_reviews

    sizes = {"train": 200, "validation": 40, "test": 40, "subset": 10}
    plain = make_task(parse_config({**TINY, "task": "sentiment", "name": "plain", "data": sizes}))
    mixed = make_task(parse_config({**TINY, "task": "sentiment", "name": "mixed", "data": {**sizes, "real": True}}))
    real = real_reviews()
    assert "real_test" not in plain.splits and len(plain.splits["train"]) == 200
    assert [e.text for e in mixed.splits["train"]][200:] == [r.text for r in real["real_train"]]
    assert len(mixed.splits["train"]) == 200 + len(real["real_train"])
    assert [(e.text, e.target) for e in mixed.splits["real_test"]] == [(r.text, r.label) for r in real["real_test"]]
    assert "real_test" in mixed.evaluation_splits and mixed.data_hash != plain.data_hash


def test_written_reviews_join_training_in_copies_and_a_tenth_joins_validation():
    from gatescope.train.reviews import written_reviews

    sizes = {"train": 200, "validation": 40, "test": 40, "subset": 10}
    written = written_reviews()
    task = make_task(parse_config({**TINY, "task": "sentiment", "name": "w", "data": {**sizes, "written": 2}}))
    texts = [e.text for e in task.splits["train"]]
    assert texts[200:] == [r.text for r in written["written_train"]] * 2
    assert [(e.text, e.target) for e in task.splits["validation"]][40:] == [
        (r.text, r.label) for r in written["written_validation"]
    ]
    assert not {t.lower() for t in texts[:200]} & {r.text.lower() for g in written.values() for r in g}
    assert "written_validation" not in task.splits and "validation" not in task.evaluation_splits


def _vector_config(tune: bool, embedding: int = 48):
    return parse_config(
        {
            "name": "tiny-vectors",
            "task": "sentiment",
            "seed": 5,
            "data": {"train": 300, "validation": 40, "test": 40, "subset": 10},
            "model": {"cell": "lstm", "units": 6, "embedding": embedding, "min_count": 1, "word_vectors": True},
            "training": {
                "epochs": 2,
                "batch_size": 32,
                "learning_rate": 0.02,
                "patience": 3,
                "tune_word_vectors": tune,
            },
        }
    )


def test_word_vectors_give_words_never_trained_on_their_pretrained_meaning():
    from gatescope.train.word_vectors import load_word_vectors

    words, vectors = load_word_vectors()
    config = _vector_config(tune=False)
    task = make_task(config)
    result = trainer.train(config, task)
    vocabulary, embedding = result.vocabulary, result.params["embedding"]
    trained_on = {token.key for example in task.splits["train"] for token in task.tokenizer.tokenize(example.text)}
    assert set(words) <= set(vocabulary.tokens())
    rows = np.array([vocabulary.id(word) for word in words])
    np.testing.assert_array_equal(embedding[rows], vectors)  # kept as they were, seen in training or not
    never_seen = [word for word in ("dreadful", "superb", "kettle") if word not in trained_on]
    assert never_seen and all(word in vocabulary for word in never_seen)
    # Pretrained neighbours: "dreadful" lies nearer "awful" than "wonderful" does.
    v = {word: vectors[words.index(word)] for word in ("dreadful", "awful", "wonderful")}
    cosine = lambda a, b: float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))  # noqa: E731
    assert cosine(v["dreadful"], v["awful"]) > cosine(v["dreadful"], v["wonderful"])


def test_tuned_word_vectors_move_and_a_wrong_embedding_size_is_named():
    from gatescope.errors import GatescopeError
    from gatescope.train.word_vectors import load_word_vectors

    words, vectors = load_word_vectors()
    config = _vector_config(tune=True)
    result = trainer.train(config, make_task(config))
    rows = np.array([result.vocabulary.id(word) for word in words])
    assert not np.array_equal(result.params["embedding"][rows], vectors)
    wrong = _vector_config(tune=False, embedding=12)
    with pytest.raises(GatescopeError, match="embedding = 48"):
        trainer.train(wrong, make_task(wrong))
