"""The sentiment lexicon (data/*.tsv from scripts/make_lexicon.py) as weighted pools, and the held-out words.

Words are picked by their wordfreq band, so everyday words dominate as in real reviews. About one less common
word in twelve (data/heldout.tsv) and the held-out aspects of data/phrases/aspects.tsv never reach a training
review: the unknown_words subset is made of them.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

from gatescope.errors import GatescopeError
from gatescope.train.datafiles import Row, read_table
from gatescope.train.reviews.english import words
from gatescope.train.reviews.phrases import POLARITIES, all_texts, phrases
from gatescope.train.reviews.pool import Pool

# How often a word is picked, by its wordfreq band: everyday words dominate, as in real reviews.
SENTIMENT_WEIGHTS = {"common": 12.0, "medium": 4.0, "rare": 1.0}
NEUTRAL_WEIGHTS = {"common": 3.0, "medium": 2.0, "rare": 1.0}

Weighted = list[tuple[Any, float]]  # (word, or a verb's three forms; weight)


@dataclass
class Lexicon:
    """The lexicon's words in pools by what the generator asks for."""

    adjectives: dict[tuple[str, int], Pool]  # (scope, polarity)
    adjective_scope: dict[str, str]
    adverbs: dict[int, Pool]
    verbs: dict[tuple[str, int], Pool]  # (frame, polarity) -> (base, past, third)
    nouns: dict[int, Pool]
    neutral: dict[str, Pool]  # category -> word
    common_adjectives: dict[tuple[str, int], Pool]  # common/medium band: sure to be in any training set
    heldout_adjectives: dict[tuple[str, int], Pool]
    heldout_neutral: dict[str, Pool]
    heldout_words: frozenset[str]
    sentiment_words: frozenset[str]


def _polarity(row: Row) -> int:
    return POLARITIES[row.one_of("polarity", tuple(POLARITIES))]


def _weight(row: Row, weights: dict[str, float]) -> float:
    return weights[row.one_of("frequency", tuple(weights))]


def _pool(rows: Weighted) -> Pool:
    return Pool([item for item, _ in rows], [weight for _, weight in rows])


@functools.cache
def _template_words() -> frozenset[str]:
    """Every word of the phrase banks outside the held-out aspects."""
    found: set[str] = set()
    for text in all_texts(phrases()):
        found |= words(re.sub(r"\{\w+\}", " ", text))
    return frozenset(found)


@functools.cache
def heldout_words() -> frozenset[str]:
    """Words that never occur in vocabulary="train" reviews (the unknown_words subset uses them)."""
    template = _template_words()
    listed = {row["word"] for row in read_table("heldout.tsv", ("word", "kind"))}
    aspect_words: set[str] = set()
    for phrase in all_texts(phrases(), heldout=True):
        fresh = words(phrase) - template
        if not fresh:
            raise GatescopeError(
                f"gatescope/train/data/phrases/aspects.tsv: the held-out aspect {phrase!r} has no word outside the "
                "training phrases; choose an aspect whose words no other phrase uses"
            )
        aspect_words |= fresh
    return frozenset((listed - template) | aspect_words)


def _adjectives(held: frozenset[str]) -> tuple[dict[str, str], dict[tuple, Weighted], dict[tuple, Weighted]]:
    """(scope of each adjective, every adjective and the common ones by (scope, polarity, held out))."""
    columns = ("word", "polarity", "valence", "frequency", "scope", "source")
    scope_of: dict[str, str] = {}
    buckets: dict[tuple[str, int, bool], Weighted] = {}
    common: dict[tuple[str, int, bool], Weighted] = {}
    for row in read_table("adjectives.tsv", columns):
        scope_of[row["word"]] = row["scope"]
        key = (row["scope"], _polarity(row), row["word"] in held)
        weight = _weight(row, SENTIMENT_WEIGHTS)
        buckets.setdefault(key, []).append((row["word"], weight))
        if row["frequency"] != "rare":
            common.setdefault(key, []).append((row["word"], weight))
    return scope_of, buckets, common


def _by_polarity(name: str, columns: tuple[str, ...], held: frozenset[str]) -> dict[int, Weighted]:
    """Adverbs or evaluative nouns by polarity (held-out words left out)."""
    table: dict[int, Weighted] = {1: [], -1: []}
    for row in read_table(name, columns):
        if row["word"] not in held:
            table[_polarity(row)].append((row["word"], _weight(row, SENTIMENT_WEIGHTS)))
    return table


def _verbs() -> dict[tuple[str, int], Weighted]:
    columns = ("base", "past", "third", "polarity", "valence", "frequency", "frame", "source")
    verbs: dict[tuple[str, int], Weighted] = {}
    for row in read_table("verbs.tsv", columns):
        key = (row.one_of("frame", ("experiencer", "stimulus")), _polarity(row))
        verbs.setdefault(key, []).append(((row["base"], row["past"], row["third"]), _weight(row, SENTIMENT_WEIGHTS)))
    return verbs


def _neutral(held: frozenset[str]) -> dict[tuple[str, bool], Weighted]:
    neutral: dict[tuple[str, bool], Weighted] = {}
    for row in read_table("neutral_nouns.tsv", ("word", "category", "frequency")):
        key = (row["category"], row["word"] in held)
        neutral.setdefault(key, []).append((row["word"], _weight(row, NEUTRAL_WEIGHTS)))
    return neutral


def _split_pools(entries: dict[tuple, Weighted], heldout: bool) -> dict:
    """Pools by the key without its last part (held out or not), for the entries of one side."""
    return {key[:-1] if len(key) > 2 else key[0]: _pool(rows) for key, rows in entries.items() if key[-1] == heldout}


@functools.cache
def lexicon() -> Lexicon:
    """The lexicon, read once."""
    held = heldout_words()
    scope_of, buckets, common = _adjectives(held)
    adverbs = _by_polarity("adverbs.tsv", ("word", "polarity", "valence", "frequency", "source"), held)
    nouns = _by_polarity("nouns.tsv", ("word", "polarity", "valence", "frequency", "source"), held)
    verbs = _verbs()
    neutral = _neutral(held)
    sentiment = set(scope_of)
    for rows in (*adverbs.values(), *nouns.values()):
        sentiment |= {word for word, _ in rows}
    for rows in verbs.values():
        for forms, _ in rows:
            sentiment |= set(forms)
    return Lexicon(
        adjectives=_split_pools(buckets, False),
        common_adjectives=_split_pools(common, False),
        adjective_scope=scope_of,
        adverbs={p: _pool(rows) for p, rows in adverbs.items()},
        verbs={key: _pool(rows) for key, rows in verbs.items()},
        nouns={p: _pool(rows) for p, rows in nouns.items()},
        neutral=_split_pools(neutral, False),
        heldout_adjectives=_split_pools(buckets, True),
        heldout_neutral=_split_pools(neutral, True),
        heldout_words=held,
        sentiment_words=frozenset(sentiment),
    )


def sentiment_lexicon() -> frozenset[str]:
    """All sentiment words of the data files (adjectives, adverbs, verb forms, evaluative nouns)."""
    return lexicon().sentiment_words
