"""Reviews that people wrote: the hand-written, dev, real and written review files of gatescope/train/data.

Each file has "label<TAB>text" lines (label positive/negative or 1/0); "# domain: NAME" lines set the domain of the
lines below them and other "#" lines are comments. Phenomena are tagged heuristically from the words (contrast
markers, negation cues, degree words); "long_range" is never tagged, since nothing marks where a real review's
verdict is.
"""

from __future__ import annotations

import functools
import re

from gatescope.errors import GatescopeError
from gatescope.train.datafiles import read_lines
from gatescope.train.reviews.phrases import phrases
from gatescope.train.reviews.records import DOMAINS, Review, stable_seed

REAL_TEST_SHARE = 5  # one real sentence in five (by a stable hash of its text) is held out as "real_test"
WRITTEN_VALIDATION_SHARE = 10  # one written review in ten (by a stable hash of its text) helps pick the epoch
LABEL_WORDS = {"1": 1, "positive": 1, "pos": 1, "0": 0, "negative": 0, "neg": 0}


def handwritten_reviews() -> list[Review]:
    """The hand-written sanity-check reviews in data/handwritten.tsv: never trained on or used to choose anything."""
    return read_reviews("handwritten.tsv")


def dev_reviews() -> list[Review]:
    """The hand-written development reviews in data/dev_reviews.tsv (same format as handwritten.tsv).

    They choose between training settings and seeds (scripts/select_seed.py) and measure generator
    changes; handwritten.tsv stays an untouched sanity check.
    """
    return read_reviews("dev_reviews.tsv")


@functools.cache
def real_reviews() -> dict[str, tuple[Review, ...]]:
    """Review sentences people wrote and labelled, from data/real_*.tsv (scripts/make_real_reviews.py).

    "real_train": the VADER film and product snippets plus four in five of the UCI sentences;
    "real_test": the other UCI sentences (about 600 one-line reviews of products, films and restaurants, the
    closest thing here to what users type), chosen by a stable hash of the text and never trained on.
    """
    kept, held_out = split_by_text(read_reviews("real_sentences.tsv"), "real-test", REAL_TEST_SHARE)
    return {"real_train": tuple(read_reviews("real_snippets.tsv")) + kept, "real_test": held_out}


@functools.cache
def written_reviews() -> dict[str, tuple[Review, ...]]:
    """Reviews written for gatescope's training, in the style people type (data/written_reviews.tsv).

    About 5,900 reviews of films, restaurants, products, hotels and books, half of each domain positive, many of
    them with implied verdicts ("I read it in one sitting."), contrast, negation, comparisons and idioms: what the
    generator's templates and the short real sentences teach least. "written_train": nine in ten;
    "written_validation": the other tenth, chosen by a stable hash of the text, scored with the validation split.
    None of them is a hand-written or dev review.
    """
    kept, held_out = split_by_text(read_reviews("written_reviews.tsv"), "written-validation", WRITTEN_VALIDATION_SHARE)
    return {"written_train": kept, "written_validation": held_out}


def split_by_text(reviews: list[Review], salt: str, share: int) -> tuple[tuple[Review, ...], tuple[Review, ...]]:
    """(kept, held out): one review in ``share`` is held out, chosen by a stable hash of its text alone."""
    kept: list[Review] = []
    held_out: list[Review] = []
    for review in reviews:
        (held_out if stable_seed(salt, review.text) % share == 0 else kept).append(review)
    return tuple(kept), tuple(held_out)


def read_reviews(name: str) -> list[Review]:
    """The reviews of one "label<TAB>text" file of gatescope/train/data."""
    reviews = []
    domain = "products"
    for number, line in read_lines(name):
        where = f"gatescope/train/data/{name}:{number}"
        if line.startswith("#"):
            match = re.match(r"#\s*domain:\s*(\w+)", line)
            if match:
                if match.group(1) not in DOMAINS:
                    raise GatescopeError(f"{where}: unknown domain {match.group(1)!r}; use one of {', '.join(DOMAINS)}")
                domain = match.group(1)
            continue
        label_text, sep, text = line.partition("\t")
        if not sep or not text.strip():
            raise GatescopeError(f"{where}: expected 'label<TAB>text'; put a tab between the label and the review")
        label = LABEL_WORDS.get(label_text.strip().lower())
        if label is None:
            raise GatescopeError(f"{where}: label must be positive/negative or 1/0, got {label_text.strip()!r}")
        reviews.append(Review(text.strip(), label, domain, heuristic_phenomena(text)))
    return reviews


def heuristic_phenomena(text: str) -> tuple[str, ...]:
    """Phenomena a review shows by its words: contrast markers, negation cues, degree words."""
    bank = phrases()
    lowered = f" {text.lower()} "
    tokens = re.findall(r"[a-z0-9]+(?:['-][a-z0-9]+)*", text.lower())
    tags = []
    contrast = any(f" {m} " in lowered or f" {m}," in lowered for m in bank.contrast_cues)
    negation = any(w in bank.words["negation_cues"] or w.endswith("n't") for w in tokens)
    if not contrast and not negation:
        tags.append("plain")
    if any(w in bank.intensifiers.items for w in tokens) or any(
        f" {d} " in lowered for d in bank.words["diminishers_negative"]
    ):
        tags.append("intensifier")
    if negation:
        tags.append("negation")
    if contrast:
        tags.append("contrast")
    return tuple(tags)
