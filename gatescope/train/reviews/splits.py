"""Training, validation, test and phenomenon splits of generated reviews, with no text in two splits."""

from __future__ import annotations

from gatescope.train.reviews import sources
from gatescope.train.reviews.generator import generate_distinct
from gatescope.train.reviews.records import SUBSET_PHENOMENA, AnnotatedReview, Review, stable_seed


def make_splits(
    seed: int = 0,
    train: int = 40000,
    validation: int = 4000,
    test: int = 4000,
    subset: int = 1000,
    real: bool = False,
    written: bool = False,
) -> dict[str, list[Review]]:
    """Training, validation and test sets plus one test subset per phenomenon, with no text in two splits.

    Keys: "train", "validation", "test", "negation", "contrast", "long_range", "unknown_words".
    Every split is balanced (half positive). The evaluation splits are made first and the training set
    skips any text (compared case-insensitively) that an evaluation split holds.
    """
    return {
        name: [a.review for a in reviews]
        for name, reviews in make_annotated_splits(seed, train, validation, test, subset, real, written).items()
    }


def make_annotated_splits(
    seed: int = 0,
    train: int = 40000,
    validation: int = 4000,
    test: int = 4000,
    subset: int = 1000,
    real: bool = False,
    written: bool = False,
) -> dict[str, list[AnnotatedReview]]:
    """make_splits with each review's clauses. real=True also keeps every real review's text out (see
    real_reviews(); the splits then differ from real=False's only where a text would have collided), and
    written=True every written review's (written_reviews())."""
    plan = [
        ("test", test, None, "train"),
        ("validation", validation, None, "train"),
        ("negation", subset, "negation", "train"),
        ("contrast", subset, "contrast", "train"),
        ("long_range", subset, "long_range", "train"),
        ("unknown_words", subset, "unknown_words", "heldout"),
    ]
    taken = _texts_people_wrote(real, written)
    splits: dict[str, list[AnnotatedReview]] = {}
    for name, size, phenomenon, vocabulary in plan:
        reviews = generate_distinct(size, stable_seed("split", seed, name), phenomenon, vocabulary, taken)
        taken |= {a.review.text.lower() for a in reviews}
        splits[name] = reviews
    splits["train"] = generate_distinct(train, stable_seed("split", seed, "train"), None, "train", taken)
    return {name: splits[name] for name in ("train", "validation", "test") + SUBSET_PHENOMENA}


def _texts_people_wrote(real: bool, written: bool) -> set[str]:
    """Texts no split may generate (lower-cased): the hand-written and dev reviews, and the real or written ones."""
    # The hand-written sets judge the model on reviews it has not seen. With real reviews mixed in, no real
    # review's text either ("great food."), so the real_test split stays unseen.
    taken = {review.text.lower() for review in sources.handwritten_reviews() + sources.dev_reviews()}
    if real:
        taken |= {review.text.lower() for group in sources.real_reviews().values() for review in group}
    if written:
        taken |= {review.text.lower() for group in sources.written_reviews().values() for review in group}
    return taken
