"""What the review corpus is made of: labelled reviews, their clauses, and the names of labels, domains and splits."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

LABELS = ["negative", "positive"]
DOMAINS = ("movies", "restaurants", "products", "hotels", "books")
PHENOMENA = ("plain", "intensifier", "negation", "contrast", "long_range", "unknown_words", "filler")
SUBSET_PHENOMENA = ("negation", "contrast", "long_range", "unknown_words")
EVALUATION_SPLITS = ("validation", "test") + SUBSET_PHENOMENA

LONG_RANGE_MIN_TOKENS = 20
LONG_RANGE_MAX_TOKENS = 40
LONG_RANGE_MIN_DISTANCE = 12  # tokens after the end of the deciding clause


@dataclass(frozen=True)
class Review:
    """One labelled review."""

    text: str
    label: int  # 1 positive, 0 negative
    domain: str  # "movies" | "restaurants" | "products" | "hotels" | "books"
    phenomena: tuple[str, ...]  # subset of PHENOMENA


@dataclass(frozen=True)
class Clause:
    """One clause of a generated review: its text (lower-case, as in the review) and its meaning.

    role is "decisive" (its polarity is the label), "support" (agrees with it), "conceded" (the
    overruled side of a contrast) or "filler" (neutral). base_polarity is what the clause would say
    without its negation; marker is the contrast marker that introduces or attaches it.
    """

    text: str
    polarity: int  # +1, -1, or 0 for filler
    role: str
    negated: bool = False
    base_polarity: int = 0
    intensity: str = ""  # "", "intensifier" or "diminisher"
    marker: str = ""
    fragment: bool = False  # a verbless phrase ("great food", "five stars") rather than a full clause


@dataclass(frozen=True)
class AnnotatedReview:
    """A review with the clauses it was built from."""

    review: Review
    clauses: tuple[Clause, ...]
    structure: str  # "plain", "short", "negation", "contrast-mid", "contrast-lead", "contrast-trailing", ...
    tokens_after_decisive: int  # tokens after the last decisive/support clause ends

    @property
    def decisive(self) -> Clause:
        return next(clause for clause in self.clauses if clause.role == "decisive")


def data_hash(reviews: Iterable[Review]) -> str:
    """sha256 over each review's label and text, in order: a fingerprint for provenance."""
    digest = hashlib.sha256()
    for review in reviews:
        digest.update(f"{int(review.label)}\t{review.text}\n".encode())
    return digest.hexdigest()


def stable_seed(*parts: object) -> int:
    """A 64-bit seed from the parts' text, the same on every machine and Python (unlike hash())."""
    digest = hashlib.sha256("|".join(str(part) for part in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big")
