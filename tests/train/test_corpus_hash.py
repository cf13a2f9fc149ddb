"""The review corpus is a function of its seed: moving code or word lists around must not change one generated text."""

from __future__ import annotations

import hashlib

from gatescope.train.reviews import (
    PHENOMENA,
    dev_reviews,
    generate_annotated_reviews,
    handwritten_reviews,
    heldout_words,
    make_annotated_splits,
    real_reviews,
    sentiment_lexicon,
    written_reviews,
)

# Recorded from the generator as it was before its word lists moved into data files (commit 599130c).
RECORDED = "3681d8e33a891027f17194d85c9086e5ffae26c431ebae0d917d7ed0ef98c666"


def corpus_fingerprint() -> str:
    """sha256 over every generated review of a small seeded corpus, with its clauses, and over the word sets."""
    digest = hashlib.sha256()

    def add(*values: object) -> None:
        digest.update(repr(values).encode("utf-8") + b"\n")

    splits = make_annotated_splits(seed=7, train=2000, validation=200, test=200, subset=100, real=True, written=True)
    for name, items in splits.items():
        for annotated in items:
            add(name, annotated.review, annotated.structure, annotated.tokens_after_decisive, annotated.clauses)
    for phenomenon in (None, *PHENOMENA):
        for annotated in generate_annotated_reviews(100, seed=3, phenomenon=phenomenon):
            add(phenomenon, annotated.review, annotated.clauses)
    for phenomenon in (None, "plain", "intensifier", "negation", "contrast", "long_range"):
        for annotated in generate_annotated_reviews(60, seed=3, phenomenon=phenomenon, vocabulary="heldout"):
            add("heldout", phenomenon, annotated.review, annotated.clauses)
    add(sorted(heldout_words()), sorted(sentiment_lexicon()))
    for group in (handwritten_reviews(), dev_reviews(), *real_reviews().values(), *written_reviews().values()):
        add(tuple(group))
    return digest.hexdigest()


def test_the_same_seed_still_generates_the_recorded_corpus():
    """Guards the refactoring of the generator and its word lists: the shipped models' data must not move.

    It covers every code path of the generator (each phenomenon, both vocabularies, the split plan with real and
    written reviews kept out) in a few seconds. The full corpora of the shipped configs are checked by
    scripts/corpus_hashes.py (a minute) and, through each model's recorded data hash, by test_shipped_models.py.
    A change that is meant to alter the corpus must retrain the shipped models and record the new value here.
    """
    assert corpus_fingerprint() == RECORDED
