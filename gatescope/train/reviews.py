"""Labelled English review sentences for training small word-level sentiment models.

generate_reviews() writes reviews of films, restaurants, products, hotels and books clause by clause:
each clause has a polarity, and the review's label is the polarity of its deciding clause. The
phenomena a recurrent model must learn are built in on purpose:

- plain praise and criticism, with intensifiers ("really", "absolutely") and diminishers ("a bit");
- negation that flips a clause ("wasn't great", "not bad at all", "never disappoints");
- contrast, where the later clause decides ("the plot was dull but the ending was wonderful");
- neutral filler ("we went there on a tuesday") mixed in anywhere;
- long reviews whose deciding words come first and are followed by 12+ tokens of filler;
- words held out of training (data/heldout.tsv and review_words.HELDOUT_ASPECTS), used only by the
  "unknown_words" test subset, where the label never rests on the unknown word alone.

Sentiment words come from the committed data/*.tsv files (scripts/make_lexicon.py derives them from
VADER, wordfreq and WordNet); everything runs on the standard library. The same seed gives the same
reviews on every machine. generate_annotated_reviews() also returns each review's clauses, so tests
(and curious users) can check that a contrast review's label is its deciding clause's polarity.
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import itertools
import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from gatescope.train import review_words as W

DATA_DIR = Path(__file__).resolve().parent / "data"

LABELS = ["negative", "positive"]
DOMAINS = W.DOMAINS
PHENOMENA = ("plain", "intensifier", "negation", "contrast", "long_range", "unknown_words", "filler")
SUBSET_PHENOMENA = ("negation", "contrast", "long_range", "unknown_words")
EVALUATION_SPLITS = ("validation", "test") + SUBSET_PHENOMENA

LONG_RANGE_MIN_TOKENS = 20
LONG_RANGE_MAX_TOKENS = 40
LONG_RANGE_MIN_DISTANCE = 12  # tokens after the end of the deciding clause

_TOKEN = re.compile(r"[A-Za-z0-9]+(?:['-][A-Za-z0-9]+)*|[.,;!?]")


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


def count_tokens(text: str) -> int:
    """Tokens the WordTokenizer makes of generated text (which holds only letters, digits and .,;!?'-)."""
    return len(_TOKEN.findall(text))


# ---------------------------------------------------------------------------------------------
# Word lists
# ---------------------------------------------------------------------------------------------


class _Pool:
    """Weighted choice over a fixed list, O(log n) per pick."""

    __slots__ = ("items", "cumulative")

    def __init__(self, items: Sequence, weights: Sequence[float] | None = None) -> None:
        self.items = list(items)
        weights = [1.0] * len(self.items) if weights is None else list(weights)
        self.cumulative = list(itertools.accumulate(weights))

    def __bool__(self) -> bool:
        return bool(self.items)

    def pick(self, rng: random.Random):
        point = rng.random() * self.cumulative[-1]
        return self.items[min(bisect.bisect_right(self.cumulative, point), len(self.items) - 1)]


def _read_tsv(name: str) -> list[dict[str, str]]:
    lines = [line for line in (DATA_DIR / name).read_text(encoding="utf-8").splitlines() if line and line[0] != "#"]
    header = lines[0].split("\t")
    return [dict(zip(header, line.split("\t"), strict=True)) for line in lines[1:]]


# How often a word is picked, by its wordfreq band: everyday words dominate, as in real reviews.
SENTIMENT_WEIGHTS = {"common": 12.0, "medium": 4.0, "rare": 1.0}
NEUTRAL_WEIGHTS = {"common": 3.0, "medium": 2.0, "rare": 1.0}


def _words(text: str) -> set[str]:
    return {token.lower() for token in _TOKEN.findall(text) if token[0].isalnum()}


def _strings(value) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)


@functools.cache
def _template_words() -> frozenset[str]:
    """Every word written into review_words.py outside the held-out aspects."""
    words: set[str] = set()
    for name in dir(W):
        if name.isupper() and name != "HELDOUT_ASPECTS":
            for text in _strings(getattr(W, name)):
                words |= _words(re.sub(r"\{\w+\}", " ", text))
    return frozenset(words)


@dataclass
class _Lexicon:
    adjectives: dict[tuple[str, int], _Pool]  # (scope, polarity)
    adjective_scope: dict[str, str]
    adverbs: dict[int, _Pool]
    verbs: dict[tuple[str, int], _Pool]  # (frame, polarity) -> (base, past, third)
    nouns: dict[int, _Pool]
    neutral: dict[str, _Pool]  # category -> word
    common_adjectives: dict[tuple[str, int], _Pool]  # common/medium band: sure to be in any training set
    heldout_adjectives: dict[tuple[str, int], _Pool]
    heldout_neutral: dict[str, _Pool]
    heldout_words: frozenset[str]
    sentiment_words: frozenset[str] = field(default_factory=frozenset)


@functools.cache
def heldout_words() -> frozenset[str]:
    """Words that never occur in vocabulary="train" reviews (the unknown_words subset uses them)."""
    template = _template_words()
    listed = {row["word"] for row in _read_tsv("heldout.tsv")}
    aspect_words: set[str] = set()
    for aspects in W.HELDOUT_ASPECTS.values():
        for phrase, *_ in aspects:
            fresh = _words(phrase) - template
            if not fresh:
                raise ValueError(f"held-out aspect {phrase!r} has no word outside the training templates")
            aspect_words |= fresh
    return frozenset((listed - template) | aspect_words)


@functools.cache
def _lexicon() -> _Lexicon:
    held = heldout_words()
    scope_of: dict[str, str] = {}
    buckets: dict[tuple[str, int, bool], list[tuple[str, float]]] = {}
    common: dict[tuple[str, int, bool], list[tuple[str, float]]] = {}
    for row in _read_tsv("adjectives.tsv"):
        polarity = 1 if row["polarity"] == "positive" else -1
        scope_of[row["word"]] = row["scope"]
        key = (row["scope"], polarity, row["word"] in held)
        weight = SENTIMENT_WEIGHTS[row["frequency"]]
        buckets.setdefault(key, []).append((row["word"], weight))
        if row["frequency"] != "rare":
            common.setdefault(key, []).append((row["word"], weight))

    def pools(entries: dict, heldout: bool) -> dict:
        return {
            (scope, polarity): _Pool([w for w, _ in rows], [x for _, x in rows])
            for (scope, polarity, is_held), rows in entries.items()
            if is_held == heldout and rows
        }

    adverbs: dict[int, list[tuple[str, float]]] = {1: [], -1: []}
    for row in _read_tsv("adverbs.tsv"):
        if row["word"] not in held:
            adverbs[1 if row["polarity"] == "positive" else -1].append(
                (row["word"], SENTIMENT_WEIGHTS[row["frequency"]])
            )
    verbs: dict[tuple[str, int], list] = {}
    for row in _read_tsv("verbs.tsv"):
        key = (row["frame"], 1 if row["polarity"] == "positive" else -1)
        verbs.setdefault(key, []).append(
            ((row["base"], row["past"], row["third"]), SENTIMENT_WEIGHTS[row["frequency"]])
        )
    nouns: dict[int, list] = {1: [], -1: []}
    for row in _read_tsv("nouns.tsv"):
        nouns[1 if row["polarity"] == "positive" else -1].append((row["word"], SENTIMENT_WEIGHTS[row["frequency"]]))
    neutral: dict[tuple[str, bool], list] = {}
    for row in _read_tsv("neutral_nouns.tsv"):
        key = (row["category"], row["word"] in held)
        neutral.setdefault(key, []).append((row["word"], NEUTRAL_WEIGHTS[row["frequency"]]))

    def pool(rows):
        return _Pool([w for w, _ in rows], [x for _, x in rows])

    sentiment = set(scope_of)
    for rows in itertools.chain(adverbs.values(), nouns.values()):
        sentiment |= {word for word, _ in rows}
    for rows in verbs.values():
        for forms, _ in rows:
            sentiment |= set(forms)
    return _Lexicon(
        adjectives=pools(buckets, heldout=False),
        common_adjectives=pools(common, heldout=False),
        adjective_scope=scope_of,
        adverbs={p: pool(rows) for p, rows in adverbs.items()},
        verbs={key: pool(rows) for key, rows in verbs.items()},
        nouns={p: pool(rows) for p, rows in nouns.items()},
        neutral={cat: pool(rows) for (cat, is_held), rows in neutral.items() if not is_held},
        heldout_adjectives=pools(buckets, heldout=True),
        heldout_neutral={cat: pool(rows) for (cat, is_held), rows in neutral.items() if is_held},
        heldout_words=held,
        sentiment_words=frozenset(sentiment),
    )


def sentiment_lexicon() -> frozenset[str]:
    """All sentiment words of the data files (adjectives, adverbs, verb forms, evaluative nouns)."""
    return _lexicon().sentiment_words


KIND_SCOPES = {
    "person": ("universal", "person"),
    "food": ("universal", "food"),
    "story": ("universal", "general", "story"),
    "thing": ("universal", "general", "thing"),
    "place": ("universal", "general", "thing", "place"),
    "gadget": ("universal", "general", "thing", "gadget"),
    "craft": ("universal", "general"),
    "service": ("universal", "general"),
}
STATE_WITH = frozenset(
    (
        "pleased",
        "satisfied",
        "disappointed",
        "happy",
        "unhappy",
        "dissatisfied",
        "unsatisfied",
        "displeased",
        "thrilled",
        "delighted",
        "frustrated",
        "annoyed",
        "impressed",
        "angry",
        "furious",
        "livid",
        "bored",
        "irritated",
        "disgusted",
        "contented",
        "unimpressed",
    )
)
STATE_BY = frozenset(
    (
        "amazed",
        "amused",
        "astounded",
        "appalled",
        "horrified",
        "offended",
        "confused",
        "fascinated",
        "entertained",
        "enchanted",
        "captivated",
        "inspired",
        "charmed",
        "infuriated",
        "outraged",
    )
)
# The training mix: plain, short, negation, contrast, long_range and long_end (verdict last) reviews.
MIX_WEIGHTS = (24, 7, 22, 28, 13, 6)
QUALIFIED_KINDS = frozenset(("food", "place", "gadget", "story", "craft"))
NEVER_VERBS = frozenset(("disappoint", "bore", "annoy", "frustrate", "irritate", "confuse", "underwhelm"))
ITEM_KIND = {"movies": "story", "books": "story", "hotels": "place", "products": "gadget", "restaurants": "service"}
# What a "thing" aspect is in each domain: hotel rooms and restaurant menus are places, product parts gadgets.
THING_KIND = {"hotels": "place", "restaurants": "place", "products": "gadget", "movies": "thing", "books": "thing"}
FILLER_NOUN_SLOTS = ("food", "animal", "plant", "person", "object", "place")
_SLOT = re.compile(r"\{(\w+)\}")
_PRONOUN_I = re.compile(r"(?<![\w'-])i(?=$|[\s,.;!?'])")
_CALENDAR = re.compile(r"\b(?:" + "|".join(W.DAYS + W.MONTHS[:4] + W.MONTHS[5:]) + r")\b")
_SENTENCE_START = re.compile(r"(^|[.!?]\s+)([a-z])")


def _plural(noun: str) -> str:
    if noun.endswith(("series", "s")):
        return noun if noun.endswith("series") else noun + "es"
    if noun.endswith(("x", "ch", "sh")):
        return noun + "es"
    if noun.endswith("y") and noun[-2:-1] not in "aeiou":
        return noun[:-1] + "ies"
    return noun + "s"


def _article(word: str) -> str:
    w = word.lower()
    if w.startswith(("uni", "use", "usu", "eu", "one", "ur")) or re.match(r"u[bcdfghjklmnpqrstvwxyz][aeiou]", w):
        return "a"
    if w.startswith(("hour", "honest", "heir", "honour")) or w[:1] in "aeiou":
        return "an"
    return "a"


def _fix_articles(text: str) -> str:
    return re.sub(r"\{a\} (\S+)", lambda m: f"{_article(m.group(1))} {m.group(1)}", text)


# ---------------------------------------------------------------------------------------------
# The generator
# ---------------------------------------------------------------------------------------------


@dataclass
class _Context:
    domain: str
    item: str
    item_plural: bool
    aspects: list[tuple[str, bool, str, str]]
    heldout_aspects: list[tuple[str, bool, str, str]]
    used_aspects: set[str] = field(default_factory=set)
    used_fillers: set[str] = field(default_factory=set)

    @property
    def aspect_names(self) -> set[str]:
        return {aspect[0] for aspect in self.aspects}


class _Generator:
    def __init__(self, rng: random.Random, vocabulary: str) -> None:
        if vocabulary not in ("train", "heldout"):
            raise ValueError(f"vocabulary must be 'train' or 'heldout', got {vocabulary!r}")
        self.rng = rng
        self.lex = _lexicon()
        self.heldout = vocabulary == "heldout"
        self.force: str = ""  # "aspect" | "adjective" | "neutral": the next such pick uses a held-out word
        self.forced_used = False
        self._cumulative: dict[int, tuple] = {}

    # ---- small helpers ------------------------------------------------------------------------

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def choice(self, seq):
        return seq[int(self.rng.random() * len(seq))]

    def weighted(self, seq, weights):
        key = id(weights)
        cumulative = self._cumulative.get(key)
        if cumulative is None or cumulative[0] is not weights:
            cumulative = self._cumulative[key] = (weights, list(itertools.accumulate(weights)))
        totals = cumulative[1]
        return seq[bisect.bisect_right(totals, self.rng.random() * totals[-1])]

    def context(self, domain: str) -> _Context:
        if domain == "products":
            kind = self.choice(W.PRODUCT_KINDS)
            item, plural = self.choice(W.ITEMS[f"products:{kind}"])
            aspects = W.ASPECTS[f"products:{kind}"] + W.ASPECTS["products:any"]
            held = W.HELDOUT_ASPECTS["products:any"]
        else:
            item, plural = self.choice(W.ITEMS[domain])
            aspects = W.ASPECTS[domain]
            held = W.HELDOUT_ASPECTS[domain]
        return _Context(domain, item, plural, list(aspects), list(held))

    def aspect(self, ctx: _Context) -> tuple[str, bool, str, str]:
        if self.force == "aspect" and not self.forced_used:
            self.forced_used = True
            aspect = self.choice(ctx.heldout_aspects)
            return aspect if aspect[2] != "thing" else (aspect[0], aspect[1], THING_KIND[ctx.domain], aspect[3])
        for _ in range(4):
            aspect = self.choice(ctx.aspects)
            if aspect[0] not in ctx.used_aspects:
                break
        ctx.used_aspects.add(aspect[0])
        return aspect if aspect[2] != "thing" else (aspect[0], aspect[1], THING_KIND[ctx.domain], aspect[3])

    def fill(self, template: str, ctx: _Context, aspect: str | None = None) -> str:
        if "{" not in template:
            return template

        def slot(match: re.Match) -> str:
            name = match.group(1)
            if name == "a":
                return "{a}"
            if name == "item":
                return ctx.item
            if name == "aspect":
                return aspect if aspect is not None else self.aspect(ctx)[0]
            if name in FILLER_NOUN_SLOTS:
                return self.neutral_noun(name)
            if name == "relative":
                return self.choice(W.RELATIVES)
            if name == "consumed":
                return W.CONSUME[ctx.domain][2]
            table = {
                "name": W.NAMES,
                "surname": W.SURNAMES,
                "city": W.CITIES,
                "day": W.DAYS,
                "month": W.MONTHS,
                "season": W.SEASONS,
                "number": W.NUMBERS,
                "ordinal": W.ORDINALS,
                "decade": W.DECADES,
                "year": W.YEARS,
                "time": W.TIMES,
                "duration": W.DURATIONS,
                "hours": W.HOURS,
                "day_span": W.DAY_SPANS,
                "occasion": W.OCCASIONS,
                "activity": W.ACTIVITIES,
                "color": W.COLORS,
                "genre": W.GENRES,
                "landmark": W.LANDMARKS,
            }[name]
            return self.choice(table)

        return _fix_articles(_SLOT.sub(slot, template))

    def neutral_noun(self, category: str) -> str:
        if self.force == "neutral" and not self.forced_used and category in self.lex.heldout_neutral:
            self.forced_used = True
            return self.lex.heldout_neutral[category].pick(self.rng)
        return self.lex.neutral[category].pick(self.rng)

    def lexicon_adjective(self, scopes: Sequence[str], polarity: int) -> str:
        if self.force == "adjective" and not self.forced_used:
            candidates = [s for s in scopes if (s, polarity) in self.lex.heldout_adjectives]
            if candidates:
                self.forced_used = True
                return self.lex.heldout_adjectives[(self.choice(candidates), polarity)].pick(self.rng)
        # Reviews about held-out words judge with common words only, so the verdict stays known.
        table = self.lex.common_adjectives if self.heldout else self.lex.adjectives
        scopes = [s for s in scopes if (s, polarity) in table] or ["universal"]
        weights = [table[(s, polarity)].cumulative[-1] for s in scopes]
        point = self.rng.random() * sum(weights)
        for scope, weight in zip(scopes, weights, strict=True):
            if point < weight:
                return table[(scope, polarity)].pick(self.rng)
            point -= weight
        return table[(scopes[-1], polarity)].pick(self.rng)

    def adjective(self, kind: str, group: str, polarity: int, single_word: bool = False) -> str:
        specific = W.ASPECT_ADJECTIVES.get(group, ((), ()))[0 if polarity > 0 else 1]
        if single_word:
            specific = tuple(a for a in specific if " " not in a)
        if specific and not (self.force == "adjective" and not self.forced_used) and self.chance(0.45):
            return self.choice(specific)
        return self.lexicon_adjective(KIND_SCOPES[kind], polarity)

    def degree(self, adjective: str, polarity: int, p_intensify=0.25, p_diminish=0.12) -> tuple[str, str]:
        """An adjective phrase with maybe an intensifier or diminisher in front, and which it got."""
        if " " in adjective or adjective.startswith(("a ", "an ")):
            return adjective, ""
        roll = self.rng.random()
        if roll < p_intensify:
            word = self.weighted(W.INTENSIFIERS, W.INTENSIFIER_WEIGHTS)
            if word == "too" and polarity > 0:
                word = "really"
            return f"{word} {adjective}", "intensifier"
        if roll < p_intensify + p_diminish:
            word = self.choice(W.DIMINISHERS_POSITIVE if polarity > 0 else W.DIMINISHERS_NEGATIVE)
            return f"{word} {adjective}", "diminisher"
        if polarity < 0 and roll < p_intensify + p_diminish + 0.04:
            return f"too {adjective}", "intensifier"
        return adjective, ""

    def be(self, plural: bool, present: bool | None = None) -> str:
        if present is None:
            present = self.chance(0.3)
        if present:
            return "are" if plural else "is"
        return "were" if plural else "was"

    def be_not(self, plural: bool) -> str:
        present = self.chance(0.3)
        if present:
            return self.choice(("aren't", "are not") if plural else ("isn't", "is not", "'s not"))
        return self.choice(("weren't", "were not") if plural else ("wasn't", "was not"))

    def determiner(self, ctx: _Context) -> str:
        if ctx.domain in ("movies", "books") or self.chance(0.88):
            return "the"
        return "my" if ctx.domain == "products" else self.choice(("our", "their"))

    def item_subject(self, ctx: _Context) -> tuple[str, bool]:
        roll = self.rng.random()
        if roll < 0.35:
            return "it", False
        if roll < 0.65:
            return ("these " if ctx.item_plural else "this ") + ctx.item, ctx.item_plural
        if roll < 0.85:
            return "the " + ctx.item, ctx.item_plural
        return self.choice(("the whole thing", "everything", "the experience")), False

    # ---- plain sentiment clauses (polarity p) -----------------------------------------------

    def aspect_clause(self, ctx: _Context, p: int) -> Clause:
        name, plural, kind, group = self.aspect(ctx)
        adjective = self.adjective(kind, group, p)
        phrase, intensity = self.degree(adjective, p)
        verb = self.be(plural)
        roll = self.rng.random()
        if kind == "food" and roll < 0.2:
            verb = self.choice(("tasted", "looked", "smelled"))
        elif kind in ("thing", "craft") and roll < 0.12:
            verb = self.choice(("looked", "felt", "seemed"))
        elif roll < 0.06:
            verb = "seemed"
        det = self.determiner(ctx)
        if kind in QUALIFIED_KINDS and not self.heldout and self.chance(0.15):  # neutral words before the verdict
            name = f"{name} {self.fill(self.choice(W.ASPECT_QUALIFIERS[ctx.domain]), ctx)}"
        text = f"{det} {name} {verb} {phrase}"
        if self.chance(0.18) and " " not in adjective:
            second = self.adjective(kind, group, p, single_word=True)
            if second != adjective:
                text += f" and {second}"
        return Clause(text, p, "decisive", base_polarity=p, intensity=intensity)

    def item_clause(self, ctx: _Context, p: int) -> Clause:
        kind = ITEM_KIND[ctx.domain]
        adjective = self.lexicon_adjective(KIND_SCOPES[kind], p)
        roll = self.rng.random()
        if roll < 0.4:
            subject, plural = self.item_subject(ctx)
            phrase, intensity = self.degree(adjective, p)
            verb = self.be(plural) if subject != "it" else self.choice(("was", "is", "'s", "was"))
            text = f"{subject} {verb} {phrase}" if verb != "'s" else f"it's {phrase}"
        elif roll < 0.6:
            phrase, intensity = self.degree(adjective, p, 0.3, 0.05)
            if phrase.count(" ") > 1:  # "an a bit dull film" is no English: keep one-word degrees here
                phrase, intensity = adjective, ""
            if ctx.item_plural:
                start = self.choice(("these are", "they were", "what"))
                text = f"{start} {phrase} {ctx.item}"
            else:
                start = self.choice(("it was", "this is", "it's", "this was", "what"))
                text = _fix_articles(f"{start} {{a}} {phrase} {ctx.item}")
            return Clause(text, p, "decisive", base_polarity=p, intensity=intensity, fragment=start == "what")
        elif roll < 0.8:
            phrase, intensity = self.degree(adjective, p, 0.25, 0.0)
            text = _fix_articles(
                f"{{a}} {phrase} {ctx.item}" if self.chance(0.5) and not ctx.item_plural else f"{phrase} {ctx.item}"
            )
            return Clause(text, p, "decisive", base_polarity=p, intensity=intensity, fragment=True)
        else:
            second = self.lexicon_adjective(KIND_SCOPES[kind], p)
            text = (
                f"{adjective} {ctx.item}, {second} {self.aspect(ctx)[0]}"
                if second != adjective
                else f"{adjective} {ctx.item}"
            )
            return Clause(text, p, "decisive", base_polarity=p, fragment=True)
        return Clause(text, p, "decisive", base_polarity=p, intensity=intensity)

    def fragment_clause(self, ctx: _Context, p: int) -> Clause:
        name, plural, kind, group = self.aspect(ctx)
        adjective = self.adjective(kind, group, p, single_word=True)
        phrase, intensity = self.degree(adjective, p, 0.3, 0.05)
        text = f"{phrase} {name}"
        if self.chance(0.4):
            name2, _, kind2, group2 = self.aspect(ctx)
            if name2 != name:
                text += f" and {self.adjective(kind2, group2, p, single_word=True)} {name2}"
        return Clause(text, p, "decisive", base_polarity=p, intensity=intensity, fragment=True)

    def experiencer_clause(self, ctx: _Context, p: int) -> Clause:
        base, past, third = self.lex.verbs[("experiencer", p)].pick(self.rng)
        subject, singular = self.choice(W.EXPERIENCERS)
        subject = self.fill(subject, ctx)
        obj = self.fill(self.choice(W.VERB_OBJECTS[ctx.domain]), ctx)
        intensity = ""
        adverb = ""
        if self.chance(0.3):
            adverb = self.choice(W.VERB_INTENSIFIERS) + " "
            intensity = "intensifier"
        elif self.chance(0.06):
            adverb = self.choice(W.VERB_DIMINISHERS) + " "
            intensity = "diminisher"
        if self.chance(0.3) and (
            obj in ("it", "mine") or obj.startswith(("this ", "these ")) or obj[4:] in ctx.aspect_names
        ):
            verb = third if singular else base
        else:
            verb = past
        return Clause(f"{subject} {adverb}{verb} {obj}", p, "decisive", base_polarity=p, intensity=intensity)

    def stimulus_clause(self, ctx: _Context, p: int) -> Clause:
        base, past, third = self.lex.verbs[("stimulus", p)].pick(self.rng)
        roll = self.rng.random()
        who = self.choice(("me", "us", "me", "everyone", "my {relative}"))
        who = self.fill(who, ctx)
        intensity = ""
        adverb = ""
        if self.chance(0.25):
            adverb = self.choice(("really ", "completely ", "totally ", "genuinely "))
            intensity = "intensifier"
        if roll < 0.5:
            name = self.aspect(ctx)[0]
            text = f"the {name} {adverb}{past} {who}"
        elif roll < 0.8:
            subject, _ = self.item_subject(ctx)
            text = f"{subject} {adverb}{past} {who}"
        else:
            text = f"it {third} every time" if ctx.domain in ("restaurants", "products") else f"it {adverb}{past} {who}"
        return Clause(text, p, "decisive", base_polarity=p, intensity=intensity)

    def state_clause(self, ctx: _Context, p: int) -> Clause:
        adjective = self.lex.adjectives[("state", p)].pick(self.rng)
        phrase, intensity = self.degree(adjective, p, 0.35, 0.08)
        subject = self.choice(
            ("i was", "we were", "i was", "my {relative} was", "i'm", "we left", "i came away", "we were all", "i am")
        )
        subject = self.fill(subject, ctx)
        roll = self.rng.random()
        preposition = "with" if adjective in STATE_WITH else "by" if adjective in STATE_BY else ""
        if preposition and roll < 0.45:
            target = self.choice((f"the {self.aspect(ctx)[0]}", f"this {ctx.item}", f"the {ctx.item}", "it"))
            text = f"{subject} {phrase} {preposition} {target}"
        else:
            text = f"{subject} {phrase}"
        return Clause(text, p, "decisive", base_polarity=p, intensity=intensity)

    def noun_clause(self, ctx: _Context, p: int) -> Clause:
        noun = self.lex.nouns[p].pick(self.rng)
        modifier = ""
        intensity = ""
        if self.chance(0.45):
            modifier = self.choice(
                ("real ", "true ", "absolute ", "total ")
                if p > 0
                else ("complete ", "total ", "absolute ", "utter ", "real ")
            )
            intensity = "intensifier"
        roll = self.rng.random()
        fragment = False
        if roll < 0.35:
            text = f"it was {{a}} {modifier}{noun}"
        elif roll < 0.55:
            subject, plural = self.item_subject(ctx)
            text = f"{subject} {self.be(plural)} {{a}} {modifier}{noun}"
        elif roll < 0.7:
            text = f"what {{a}} {modifier}{noun}"
            fragment = True
        elif roll < 0.85:
            name, plural, _, _ = self.aspect(ctx)
            text = f"the {name} {self.be(plural)} {{a}} {modifier}{noun}"
        else:
            text = f"{{a}} {modifier}{noun} of {{a}} {ctx.item}" if " " not in noun else f"{{a}} {modifier}{noun}"
            fragment = True
        return Clause(_fix_articles(text), p, "decisive", base_polarity=p, intensity=intensity, fragment=fragment)

    def adverb_clause(self, ctx: _Context, p: int) -> Clause:
        adverb = self.lex.adverbs[p].pick(self.rng)
        participle = self.choice(W.PARTICIPLES[ctx.domain])
        roll = self.rng.random()
        if ctx.domain == "products" and roll < 0.3:
            text = f"it {self.choice(W.PRODUCT_VERBS)} {adverb}"
        elif roll < 0.55:
            return Clause(f"{adverb} {participle}", p, "decisive", base_polarity=p, fragment=True)
        else:
            subject, plural = self.item_subject(ctx)
            text = f"{subject} {self.be(plural)} {adverb} {participle}"
        return Clause(text, p, "decisive", base_polarity=p)

    def phrase_clause(self, ctx: _Context, p: int, bank: dict) -> Clause:
        domain = ctx.domain
        options = [t for t, pol in bank["any"] if pol == p] + [t for t, pol in bank[domain] if pol == p]
        return Clause(self.fill(self.choice(options), ctx), p, "decisive", base_polarity=p, fragment=bank is W.STOCK)

    def event_clause(self, ctx: _Context, p: int) -> Clause:
        if self.chance(0.55):
            subjects, predicates, endings = self.choice(W.NARRATIVES[ctx.domain][p])
            ending = self.choice(endings)
            text = f"{self.choice(subjects)} {self.choice(predicates)}" + (f" {ending}" if ending else "")
            return Clause(self.fill(text, ctx), p, "decisive", base_polarity=p)
        options = [t for t, pol in W.EVENTS[ctx.domain] if pol == p]
        return Clause(self.fill(self.choice(options), ctx), p, "decisive", base_polarity=p)

    def superlative_clause(self, ctx: _Context, p: int) -> Clause:
        word = self.choice(W.SUPERLATIVE_WORDS[p]) if self.chance(0.6) else ("best" if p > 0 else "worst")
        template = self.choice(W.SUPERLATIVES)
        if self.chance(0.25):
            template = self.choice(
                ("hands down the {best} {item} around", "the {best} {aspect} i've come across in years")
            )
        template = template.replace("{item}s", _plural(ctx.item) if not ctx.item_plural else ctx.item)
        return Clause(self.fill(template.replace("{best}", word), ctx), p, "decisive", base_polarity=p)

    def comparison_clause(self, ctx: _Context, p: int) -> Clause:
        options = [t for t, pol in W.COMPARISONS["any"] + W.COMPARISONS[ctx.domain] if pol == p]
        aspect = None
        if ctx.domain == "restaurants":  # "my mum makes better curry at home", never "better bill"
            aspect = self.choice([a[0] for a in ctx.aspects if a[2] == "food" and a[3] == "food"])
        return Clause(self.fill(self.choice(options), ctx, aspect), p, "decisive", base_polarity=p)

    def natural_clause(self, ctx: _Context, p: int) -> Clause:
        """An everyday verdict without a classic sentiment adjective: "i'd go back tomorrow if i could"."""
        options = [t for t, pol in W.NATURAL["any"] + W.NATURAL[ctx.domain] if pol == p]
        text = self.fill(self.choice(options), ctx)
        subjects = ("i ", "i'", "we ", "we'", "it ", "it'", "my ", "the ", "you ", "they ", "this ")
        fragment = not text.startswith(subjects)
        return Clause(text, p, "decisive", base_polarity=p, fragment=fragment)

    def plain_clause(self, ctx: _Context, p: int, short_ok: bool = True) -> Clause:
        if self.chance(0.16):
            return self.natural_clause(ctx, p)
        roll = self.rng.random()
        table = (
            (0.27, self.aspect_clause),
            (0.37, self.item_clause),
            (0.45, self.fragment_clause),
            (0.54, self.experiencer_clause),
            (0.59, self.stimulus_clause),
            (0.65, self.state_clause),
            (0.70, self.noun_clause),
            (0.74, self.adverb_clause),
            (0.86, self.event_clause),
            (0.88, self.comparison_clause),
        )
        for bound, make in table:
            if roll < bound:
                return make(ctx, p)
        if roll < 0.93 and short_ok:
            return self.phrase_clause(ctx, p, W.STOCK)
        if roll < 0.97:
            return self.phrase_clause(ctx, p, W.RECOMMEND)
        return self.superlative_clause(ctx, p)

    # ---- negated clauses: polarity p, base polarity -p ---------------------------------------

    def negatable_negative(self, kind: str, group: str) -> str:
        specific = set(W.ASPECT_ADJECTIVES.get(group, ((), ()))[1])
        scopes = KIND_SCOPES[kind]
        allowed = [
            a for a in W.NEGATABLE_NEGATIVES if a in specific or self.lex.adjective_scope.get(a, "none") in scopes
        ]
        return self.choice(allowed or ["bad", "disappointing"])

    def negated_aspect_clause(self, ctx: _Context, p: int) -> Clause:
        name, plural, kind, group = self.aspect(ctx)
        det = self.determiner(ctx)
        intensity = ""
        if p < 0:  # not + positive
            adjective = self.adjective(kind, group, 1)
            degree = self.choice(W.NOT_DEGREE) + " " if self.chance(0.3) and " " not in adjective else ""
            tail = " " + self.choice(W.NEGATION_TAILS_FOR_CRITICISM) if not degree and self.chance(0.12) else ""
            if self.chance(0.15):
                text = f"{det} {name} {self.be(plural)} not {degree}{adjective}{tail}"
            else:
                text = f"{det} {name} {self.be_not(plural)} {degree}{adjective}{tail}"
            intensity = "intensifier" if degree.strip() in ("very", "really", "particularly") else ""
        else:  # not + negative
            adjective = self.negatable_negative(kind, group)
            roll = self.rng.random()
            tail = " " + self.choice(W.NEGATION_TAILS_FOR_PRAISE) if self.chance(0.45) else ""
            if roll < 0.2:
                text = f"{det} {name} {self.be(plural)} never {adjective}"
            elif roll < 0.35:
                text = f"{det} {name} {self.be_not(plural)} {self.choice(('too', 'overly', 'remotely'))} {adjective}"
            else:
                text = f"{det} {name} {self.be_not(plural)} {adjective}{tail}"
        return Clause(text.replace(" 's not", "'s not"), p, "decisive", True, -p, intensity)

    def negated_item_clause(self, ctx: _Context, p: int) -> Clause:
        kind = ITEM_KIND[ctx.domain]
        if p < 0:
            adjective = self.lexicon_adjective(KIND_SCOPES[kind], 1)
            roll = self.rng.random()
            degree = self.choice(W.NOT_DEGREE) + " " if self.chance(0.25) else ""
            if roll < 0.35:
                subject, plural = self.item_subject(ctx)
                text = f"{subject} {self.be_not(plural)} {degree}{adjective}"
            elif roll < 0.6:
                if degree.strip() not in ("", "very", "particularly", "terribly"):
                    degree = "very "  # "not a very good film", never "not a that good film"
                if ctx.item_plural:
                    verb = self.choice(("are not", "aren't"))
                    text = f"these {verb} {degree}{adjective} {ctx.item}"
                else:
                    verb = self.choice(("is not", "isn't", "was not", "wasn't"))
                    text = f"this {verb} {{a}} {degree}{adjective} {ctx.item}"
            elif roll < 0.8:
                tail = " " + self.choice(W.NEGATION_TAILS_FOR_CRITICISM) if self.chance(0.5) else ""
                text = (
                    f"not {{a}} {adjective} {ctx.item}{tail}"
                    if not ctx.item_plural
                    else f"not {adjective} {ctx.item}{tail}"
                )
                return Clause(_fix_articles(text), p, "decisive", True, -p, fragment=True)
            else:
                text = f"not {degree}{adjective}" + (" at all" if not degree and self.chance(0.5) else "")
                return Clause(text, p, "decisive", True, -p, fragment=True)
        else:
            adjective = self.negatable_negative(kind, "general")
            roll = self.rng.random()
            if roll < 0.5:
                subject, plural = self.item_subject(ctx)
                tail = " " + self.choice(W.NEGATION_TAILS_FOR_PRAISE) if self.chance(0.5) else ""
                text = f"{subject} {self.be_not(plural)} {adjective}{tail}"
            elif roll < 0.75:
                return Clause(f"not {adjective} at all", p, "decisive", True, -p, fragment=True)
            else:
                text = f"it's never {adjective}"
        return Clause(_fix_articles(text).replace(" 's not", "'s not"), p, "decisive", True, -p)

    def negated_verb_clause(self, ctx: _Context, p: int) -> Clause:
        roll = self.rng.random()
        obj = self.fill(self.choice(W.VERB_OBJECTS[ctx.domain]), ctx)
        aspect = "the " + self.aspect(ctx)[0]
        if p < 0:  # "i didn't enjoy it", "it didn't impress me"
            if roll < 0.55:
                base, past, _ = self.lex.verbs[("experiencer", 1)].pick(self.rng)
                aux = self.choice(("didn't", "did not", "don't", "do not", "didn't", "never"))
                adverb = self.choice(("really ", "particularly ", "")) if aux != "never" else ""
                verb = past if aux == "never" else base
                subject = self.choice(("i", "i", "we", "my {relative}")) if aux not in ("don't", "do not") else "i"
                text = f"{self.fill(subject, ctx)} {aux} {adverb}{verb} {obj}"
            elif roll < 0.7:
                _, past, _ = self.lex.verbs[("experiencer", 1)].pick(self.rng)
                who = self.choice(("nobody in our group", "none of us", "no one in my family", "nobody i know"))
                text = f"{who} {past} {obj}"
            elif roll < 0.88:
                base, past, _ = self.lex.verbs[("stimulus", 1)].pick(self.rng)
                subject = self.choice(("it", aspect, "this " + ctx.item))
                aux = self.choice(("didn't", "did not", "never"))
                verb = past if aux == "never" else base
                text = f"{subject} {aux} {verb} {self.choice(('me', 'us', 'anyone', 'me at all'))}"
            else:
                _, past, _ = self.lex.verbs[("stimulus", 1)].pick(self.rng)
                text = f"nothing about {self.choice(('it', aspect))} {past} me"
        else:  # "it didn't disappoint", "i don't regret buying it"
            if roll < 0.45:
                for _ in range(8):
                    base, past, third = self.lex.verbs[("stimulus", -1)].pick(self.rng)
                    if base in NEVER_VERBS:
                        break
                else:
                    base, past, third = "disappoint", "disappointed", "disappoints"
                subject = self.choice(("it", aspect, "this " + ctx.item))
                form = self.rng.random()
                if form < 0.45:
                    aux = self.choice(("didn't", "did not"))
                    text = f"{subject} {aux} {base} {self.choice(('me', 'us', 'one bit', 'for a second', 'at all'))}"
                elif form < 0.8:
                    text = (
                        f"{subject} never {third}"
                        if not ctx.item_plural or subject != "this " + ctx.item
                        else f"it never {third}"
                    )
                else:
                    text = f"not once did it {base} me"
            elif roll < 0.75:
                gerund = {
                    "movies": "watching it",
                    "books": "reading it",
                    "restaurants": "going",
                    "hotels": "booking it",
                    "products": "buying it",
                }[ctx.domain]
                aux = self.choice(("don't", "do not", "didn't", "never"))
                text = f"i {aux} regret{'ted' if aux == 'never' else ''} {gerund}"
                if self.chance(0.4):
                    text += " for a second"
            else:
                who, be = self.choice(
                    (
                        ("i", "wasn't"),
                        ("i", "was not"),
                        ("i", "was never"),
                        ("we", "weren't"),
                        ("we", "were not"),
                        ("we", "were never"),
                    )
                )
                text = f"{who} {be} {self.choice(('disappointed', 'bored', 'disappointed', 'let down'))}"
                if self.chance(0.4):
                    text += " " + self.choice(("for a second", "at all", "in the slightest", "once"))
        return Clause(text, p, "decisive", True, -p)

    def negated_state_clause(self, ctx: _Context, p: int) -> Clause:
        if p < 0:  # "i wasn't impressed"
            adjective = self.lex.adjectives[("state", 1)].pick(self.rng)
            degree = self.choice(("very ", "too ", "particularly ", "all that ")) if self.chance(0.3) else ""
            subject = self.choice(
                ("i wasn't", "we weren't", "i was not", "my {relative} wasn't", "i'm not", "we were not")
            )
            text = f"{self.fill(subject, ctx)} {degree}{adjective}"
            if adjective in STATE_WITH and self.chance(0.45):
                text += f" with the {self.aspect(ctx)[0]}"
        else:  # "we weren't disappointed"
            adjective = self.choice(("disappointed", "bored", "disappointed", "annoyed", "frustrated"))
            subject = self.choice(
                ("i wasn't", "we weren't", "i was not", "i was never", "nobody was", "none of us were")
            )
            text = f"{subject} {adjective}"
            if self.chance(0.4):
                text += " " + self.choice(("for a second", "at all", "in the slightest"))
        return Clause(text, p, "decisive", True, -p)

    def nothing_clause(self, ctx: _Context, p: int) -> Clause:
        name, plural, kind, group = self.aspect(ctx)
        target = self.choice(
            ("it", f"the {name}", f"this {ctx.item}", "the place" if ctx.domain in ("restaurants", "hotels") else "it")
        )
        if p < 0:
            adjective = (
                self.adjective(kind, group, 1, single_word=True)
                if "the " in target and target != "the place"
                else self.lexicon_adjective(KIND_SCOPES[ITEM_KIND[ctx.domain]], 1)
            )
            text = self.choice(
                (
                    f"there was nothing {adjective} about {target}",
                    f"nothing about {target} was {adjective}",
                    f"i have nothing good to say about {target}",
                    f"nothing about {target} felt {adjective}",
                )
            )
        else:
            adjective = self.negatable_negative(kind, group)
            text = self.choice(
                (
                    f"there was nothing {adjective} about {target}",
                    f"nothing about {target} was {adjective}",
                    f"i have nothing bad to say about {target}",
                    "nothing to complain about",
                )
            )
        return Clause(text, p, "decisive", True, -p)

    def no_clause(self, ctx: _Context, p: int) -> Clause:
        options = [n for n, pol in W.NO_NOUNS["any"] + W.NO_NOUNS[ctx.domain] if pol == p]
        noun = self.choice(options)
        roll = self.rng.random()
        plural = noun.endswith("s") and not noun.endswith(("ss", "us"))
        if roll < 0.4:
            tails = (
                ("at all", "whatsoever")
                + (("from me",) if noun == "complaints" else ())
                + (("so far",) if noun in ("issues", "problems") else ())
            )
            text = f"no {noun}" + (" " + self.choice(tails) if self.chance(0.5) else "")
            return Clause(text, p, "decisive", True, -p, fragment=True)
        elif roll < 0.8:
            text = f"there {'were' if plural else 'was'} no {noun}" + (" at all" if self.chance(0.3) else "")
        else:
            text = f"{self.choice(('i', 'we'))} had no {noun}"
        return Clause(text, p, "decisive", True, -p)

    def hardly_clause(self, ctx: _Context, p: int) -> Clause:
        name, plural, kind, group = self.aspect(ctx)
        adjective = self.adjective(kind, group, 1, single_word=True)
        word = self.choice(("hardly", "barely", "hardly", "scarcely"))
        roll = self.rng.random()
        if roll < 0.4:
            text = f"the {name} {self.be(plural)} {word} {adjective}"
        elif roll < 0.7:
            text = f"{word} worth the {self.choice(('money', 'price', 'wait', 'hype', 'trip', 'effort'))}"
            return Clause(text, -1, "decisive", True, 1, fragment=True)
        else:
            text = f"it was {word} {adjective}"
        return Clause(text, -1, "decisive", True, 1)

    def idiom_clause(self, ctx: _Context, p: int) -> Clause:
        options = [(t, base) for t, pol, base in W.NEGATED_IDIOMS["any"] + W.NEGATED_IDIOMS[ctx.domain] if pol == p]
        text, base = self.choice(options)
        fragment = not text.startswith(
            ("i ", "we ", "it ", "there ", "nothing ", "nobody ", "none ", "no one ", "customer ", "the ", "not once")
        )
        return Clause(self.fill(text, ctx), p, "decisive", True, base, fragment=fragment)

    def negated_clause(self, ctx: _Context, p: int, for_heldout: bool = False) -> Clause:
        roll = self.rng.random()
        if for_heldout:
            return self.negated_aspect_clause(ctx, p)
        if roll < 0.32:
            return self.negated_aspect_clause(ctx, p)
        if roll < 0.46:
            return self.negated_item_clause(ctx, p)
        if roll < 0.60:
            return self.negated_verb_clause(ctx, p)
        if roll < 0.70:
            return self.negated_state_clause(ctx, p)
        if roll < 0.76:
            return self.nothing_clause(ctx, p)
        if roll < 0.82:
            return self.no_clause(ctx, p)
        if roll < 0.87 and p < 0:
            return self.hardly_clause(ctx, p)
        return self.idiom_clause(ctx, p)

    def conceded_clause(self, ctx: _Context, p: int) -> Clause:
        """The overruled side of a contrast: a judgement of one aspect, rarely a whole verdict."""
        roll = self.rng.random()
        if roll < 0.16:
            return self.negated_aspect_clause(ctx, p) if roll < 0.1 else self.negated_state_clause(ctx, p)
        if roll < 0.22 and not self.heldout:
            return self.natural_clause(ctx, p)
        if roll < 0.56:
            return self.aspect_clause(ctx, p)
        if roll < 0.66:
            return self.item_clause(ctx, p)
        if roll < 0.74:
            return self.fragment_clause(ctx, p)
        if roll < 0.81:
            return self.state_clause(ctx, p)
        if roll < 0.88:
            return self.experiencer_clause(ctx, p)
        return self.event_clause(ctx, p)

    def sentiment_clause(self, ctx: _Context, p: int, p_negated: float = 0.0) -> Clause:
        if self.chance(p_negated):
            return self.negated_clause(ctx, p)
        return self.plain_clause(ctx, p)

    def filler_clause(self, ctx: _Context, require_noun: bool = False) -> Clause:
        bank = W.FILLER[ctx.domain] + W.FILLER["any"] if self.chance(0.7) else W.FILLER["any"] + W.FILLER[ctx.domain]
        if require_noun:
            bank = [
                t for t in bank if any("{" + s + "}" in t for s in ("animal", "person", "object", "place", "plant"))
            ]
        roll = self.rng.random()
        if require_noun or roll < 0.3:
            subject = self.choice(W.ASIDE_SUBJECTS)
            text = f"{subject} {self.choice(W.ASIDE_VERBS)} {self.choice(W.ASIDE_OBJECTS)}"
            tail = self.choice(W.ASIDE_TAILS)
            if require_noun and self.chance(0.5):
                pass
            elif not require_noun or roll < 0.3:
                return Clause(self.fill(f"{text} {tail}".strip(), ctx), 0, "filler")
        if not require_noun and roll < 0.55:
            return Clause(self.fill(self.choice(W.CHATTER), ctx), 0, "filler")
        for _ in range(6):
            template = (
                self.choice(bank)
                if self.chance(0.6)
                else self.choice(W.FILLER[ctx.domain] if not require_noun else bank)
            )
            if template not in ctx.used_fillers:
                break
        ctx.used_fillers.add(template)
        return Clause(self.fill(template, ctx), 0, "filler")

    # ---- whole reviews ----------------------------------------------------------------------

    def join_same(self, clauses: list[Clause]) -> list[str]:
        """Sentences for clauses that all agree: some joined with 'and' or commas, some separate."""
        sentences: list[str] = []
        i = 0
        while i < len(clauses):
            if i + 1 < len(clauses) and self.chance(0.35):
                glue = self.choice((" and ", ", and ", ", ", "; ", " and also ", ", plus "))
                sentences.append(clauses[i].text + glue + clauses[i + 1].text)
                i += 2
            else:
                sentences.append(clauses[i].text)
                i += 1
        return sentences

    def with_filler(
        self, ctx: _Context, sentences: list[str], clauses: list[Clause], p: float
    ) -> tuple[list[str], list[Clause]]:
        if not self.chance(p):
            return sentences, clauses
        for _ in range(1 if self.chance(0.7) else 2):
            filler = self.filler_clause(ctx)
            position = self.rng.randint(0, len(sentences))
            if position == len(sentences) and self.chance(0.5):
                position = 0
            sentences.insert(position, filler.text)
            clauses.append(filler)
        return sentences, clauses

    def plain_review(self, ctx: _Context, label: int, intensify: bool = False) -> tuple[list[str], list[Clause], str]:
        count = self.weighted((1, 2, 3), (45, 35, 20))
        clauses = []
        for i in range(count):
            clause = self.plain_clause(ctx, label)
            if intensify and i == 0 and not clause.intensity:
                clause = self.aspect_clause(ctx, label)
                for _ in range(6):
                    if clause.intensity:
                        break
                    clause = self.aspect_clause(ctx, label)
            clauses.append(
                Clause(
                    clause.text,
                    clause.polarity,
                    "decisive" if i == 0 else "support",
                    clause.negated,
                    clause.base_polarity,
                    clause.intensity,
                )
            )
        order = clauses[:]
        if len(order) > 1 and self.chance(0.3):
            self.rng.shuffle(order)
        sentences = self.join_same(order)
        sentences, all_clauses = self.with_filler(ctx, sentences, clauses, 0.35)
        return sentences, all_clauses, "plain"

    def short_review(self, ctx: _Context, label: int) -> tuple[list[str], list[Clause], str]:
        roll = self.rng.random()
        if roll < 0.2:
            clause = self.natural_clause(ctx, label)
        elif roll < 0.45:
            clause = self.phrase_clause(ctx, label, W.STOCK)
        elif roll < 0.65:
            clause = self.item_clause(ctx, label)
        elif roll < 0.75:
            clause = self.fragment_clause(ctx, label)
        elif roll < 0.88:
            clause = self.experiencer_clause(ctx, label)
        else:
            clause = self.negated_clause(ctx, label)
        return [clause.text], [clause], "short"

    def negation_review(self, ctx: _Context, label: int, strict: bool) -> tuple[list[str], list[Clause], str]:
        decisive = self.negated_clause(ctx, label, for_heldout=self.force in ("aspect", "adjective"))
        clauses = [decisive]
        sentences = [decisive.text]
        if not strict and self.chance(0.3):
            support = self.plain_clause(ctx, label)
            support = Clause(
                support.text, support.polarity, "support", support.negated, support.base_polarity, support.intensity
            )
            clauses.append(support)
            sentences = self.join_same([decisive, support]) if self.chance(0.5) else [support.text, decisive.text]
        sentences, clauses = self.with_filler(ctx, sentences, clauses, 0.4)
        return sentences, clauses, "negation"

    def conceded_np(self, ctx: _Context, polarity: int) -> tuple[str, str]:
        roll = self.rng.random()
        if roll < 0.35:
            options = [t for t, pol in W.DESPITE_PHRASES["any"] + W.DESPITE_PHRASES[ctx.domain] if pol == polarity]
            return self.choice(options), ""
        name, plural, kind, group = self.aspect(ctx)
        specific = [a for a in W.ASPECT_ADJECTIVES[group][0 if polarity > 0 else 1] if " " not in a]
        if specific and self.chance(0.7) and not (self.force == "adjective" and not self.forced_used):
            adjective = self.choice(specific)
        else:
            adjective = self.adjective(kind, group, polarity, single_word=True)
        if roll < 0.7:
            return f"the {adjective} {name}", ""
        phrase, intensity = self.degree(adjective, polarity, 0.2, 0.3)
        return f"the {name} being {phrase}", intensity

    def contrast_review(self, ctx: _Context, label: int, strict: bool) -> tuple[list[str], list[Clause], str]:
        conceded_polarity = -label
        forced = self.force
        self.force = ""  # the held-out word goes into the deciding clause
        conceded = self.conceded_clause(ctx, conceded_polarity)
        if not conceded.negated and self.chance(0.3) and conceded.intensity == "":
            # often the overruled side is softened: "the room was a bit small, but ..."
            alt = self.aspect_clause(ctx, conceded_polarity)
            if alt.intensity == "diminisher":
                conceded = alt
        self.force = forced
        if self.force in ("aspect", "adjective"):
            decisive = self.aspect_clause(ctx, label) if self.chance(0.75) else self.negated_aspect_clause(ctx, label)
        else:
            decisive = self.sentiment_clause(ctx, label, p_negated=0.2)
        kinds = ("mid", "lead", "expect", "opener", "trailing") if not strict else ("mid", "lead", "expect", "opener")
        weights = (55, 25, 6, 6, 14) if not strict else (62, 28, 5, 5)
        form = self.weighted(kinds, weights)
        marker = ""
        sentences: list[str]
        if form == "mid":
            marker = self.weighted(W.CONTRAST_MID, (40, 8, 14, 6, 4, 3, 2, 5, 3, 4, 2, 1, 2))
            C, D = conceded.text, decisive.text
            if marker == "but":
                sentences = self.choice(([f"{C}, but {D}"], [f"{C} but {D}"], [C, f"but {D}"], [f"{C}, but {D}"]))
            elif marker == "yet":
                sentences = self.choice(([f"{C}, yet {D}"], [C, f"yet {D}"], [f"{C} and yet {D}"]))
            elif marker == "however":
                sentences = self.choice(([f"{C}; however, {D}"], [C, f"however, {D}"], [f"{C}, however, {D}"]))
            elif marker == "still":
                sentences = self.choice(([C, f"still, {D}"], [f"{C}; still, {D}"], [f"{C}, but still, {D}"]))
            elif marker in ("overall", "all in all", "in the end", "on the whole"):
                sentences = self.choice(([C, f"{marker}, {D}"], [f"{C}, but {marker} {D}"], [C, f"{marker} {D}"]))
            else:
                sentences = self.choice(([C, f"{marker}, {D}"], [f"{C}; {marker}, {D}"]))
            structure = "contrast-mid"
        elif form == "lead":
            marker = self.weighted(W.CONTRAST_LEAD, (30, 12, 15, 12, 18, 6, 3))
            if marker in ("despite", "in spite of"):
                np, intensity = self.conceded_np(ctx, conceded_polarity)
                conceded = Clause(
                    np, conceded_polarity, "conceded", intensity=intensity, base_polarity=conceded_polarity
                )
                sentences = [f"{marker} {np}, {decisive.text}"]
            else:
                for _ in range(10):
                    if not conceded.fragment:
                        break
                    conceded = self.conceded_clause(ctx, conceded_polarity)
                if conceded.fragment:
                    conceded = self.aspect_clause(ctx, conceded_polarity)
                sentences = [f"{marker} {conceded.text}, {decisive.text}"]
            structure = "contrast-lead"
        elif form == "expect":
            marker = "but"
            expectation = self.choice([t for t, pol in W.EXPECTATIONS if pol == conceded_polarity])
            conceded = Clause(
                f"i expected {expectation}", conceded_polarity, "conceded", base_polarity=conceded_polarity
            )
            sentences = self.choice(
                ([f"{conceded.text}, but {decisive.text}"], [f"{conceded.text} but {decisive.text}"])
            )
            structure = "contrast-mid"
        elif form == "opener":
            marker = self.choice(("but", "but", "however"))
            opener = self.choice([t for t, pol in W.CONTRAST_OPENERS if pol == conceded_polarity])
            conceded = Clause(opener, conceded_polarity, "conceded", base_polarity=conceded_polarity)
            sentences = [f"{opener}, but {decisive.text}"] if marker == "but" else [opener, f"however, {decisive.text}"]
            structure = "contrast-mid"
        else:
            marker = self.weighted(W.CONTRAST_TRAILING + ("only",), (20, 12, 14, 12, 10, 8, 14))
            if label < 0 and self.chance(0.35):
                marker = "faint"
            D = decisive.text
            if marker == "faint":
                name, plural, kind, group = self.aspect(ctx)
                good = self.adjective(kind, group, 1, single_word=True)
                praise = self.choice(W.FAINT_PRAISE).replace("{good}", good).replace("{be}", self.be(plural, False))
                praise = praise.replace("{the}", self.determiner(ctx)).replace("{aspect}", name)
                conceded = Clause(praise, 1, "conceded", base_polarity=1)
                sentences = [D, praise]
                marker = next(m for m in ("at least", "give them that", "only", "to be fair") if m in praise)
            elif marker in ("despite", "apart from"):
                np, intensity = self.conceded_np(ctx, conceded_polarity)
                conceded = Clause(
                    np, conceded_polarity, "conceded", intensity=intensity, base_polarity=conceded_polarity
                )
                sentences = [f"{D}, {marker} {np}"] if self.chance(0.6) else [f"{D} {marker} {np}"]
            elif marker == "only":
                if label > 0:
                    bad = self.aspect_clause(ctx, -1)
                    conceded = Clause(bad.text, -1, "conceded", intensity=bad.intensity, base_polarity=-1)
                    sentences = [
                        D,
                        self.choice(
                            ("my only complaint is that ", "the only downside was that ", "my only gripe is that ")
                        )
                        + bad.text,
                    ]
                else:
                    np, intensity = self.conceded_np(ctx, 1)
                    if np.startswith("the ") and " being " not in np:
                        conceded = Clause(np, 1, "conceded", intensity=intensity, base_polarity=1)
                        sentences = [D, f"the only good thing was {np}"]
                    else:
                        name = self.aspect(ctx)[0]
                        conceded = Clause(f"the {name}", 1, "conceded", base_polarity=1)
                        sentences = [D, f"the only good thing was the {name}"]
            else:
                # the conceded detail is about one aspect: "great hotel, although the wifi was slow"
                conceded = (
                    self.aspect_clause(ctx, conceded_polarity)
                    if self.chance(0.8)
                    else self.negated_aspect_clause(ctx, conceded_polarity)
                )
                sentences = [f"{D}, {marker} {conceded.text}"]
            structure = "contrast-trailing"
        conceded = replace(conceded, role="conceded", marker=marker)
        decisive = replace(decisive, role="decisive", marker="" if structure == "contrast-trailing" else marker)
        clauses = [conceded, decisive]
        if not strict and self.chance(0.25) and structure != "contrast-trailing":
            support = self.plain_clause(ctx, label)
            clauses.append(
                Clause(support.text, label, "support", support.negated, support.base_polarity, support.intensity)
            )
            sentences.append(support.text)
        sentences, clauses = self.with_filler(ctx, sentences, clauses, 0.3)
        return sentences, clauses, structure

    def long_range_review(self, ctx: _Context, label: int) -> tuple[list[str], list[Clause], str] | None:
        if self.force in ("aspect", "adjective"):
            decisive = self.aspect_clause(ctx, label) if self.chance(0.7) else self.negated_aspect_clause(ctx, label)
        else:
            decisive = self.sentiment_clause(ctx, label, p_negated=0.3)
        decisive = Clause(
            decisive.text, decisive.polarity, "decisive", decisive.negated, decisive.base_polarity, decisive.intensity
        )
        clauses = [decisive]
        head = [decisive.text]
        if self.chance(0.3) or self.force == "adjective":  # a held-out adjective is always backed up
            support = self.known_support(ctx, label) if self.heldout else self.plain_clause(ctx, label)
            if self.force == "adjective" and _words(support.text) & self.lex.heldout_words:
                return None
            clauses.append(
                Clause(support.text, label, "support", support.negated, support.base_polarity, support.intensity)
            )
            head = self.join_same([decisive, clauses[-1]])
        target = self.rng.randint(LONG_RANGE_MIN_TOKENS + 2, LONG_RANGE_MAX_TOKENS - 2)
        head_tokens = sum(count_tokens(s) + 1 for s in head)
        tail: list[str] = []
        tail_tokens = 0
        joined = False
        for _ in range(8):
            if head_tokens + tail_tokens >= target and tail_tokens >= LONG_RANGE_MIN_DISTANCE + 1:
                break
            filler = self.filler_clause(ctx, require_noun=self.force == "neutral" and not self.forced_used)
            clauses.append(filler)
            if tail and not joined and self.chance(0.35):
                joined = True
                tail[-1] = tail[-1] + self.choice((", and ", " and ")) + filler.text
                tail_tokens += count_tokens(filler.text) + 1
            else:
                tail.append(filler.text)
                tail_tokens += count_tokens(filler.text) + 1
        total = head_tokens + tail_tokens
        if not (LONG_RANGE_MIN_TOKENS <= total <= LONG_RANGE_MAX_TOKENS) or tail_tokens < LONG_RANGE_MIN_DISTANCE + 1:
            return None
        if (
            len(head) == 1
            and tail
            and head[0].startswith(("i ", "we ", "the ", "it ", "this ", "my ", "our "))
            and self.chance(0.35)
        ):
            # one long sentence: "we absolutely loved this hotel, and we stayed there for three nights ..."
            return [head[0] + ", and " + tail[0]] + tail[1:], clauses, "long_range"
        return head + tail, clauses, "long_range"

    def long_end_review(self, ctx: _Context, label: int) -> tuple[list[str], list[Clause], str]:
        clauses: list[Clause] = []
        sentences: list[str] = []
        tokens = 0
        target = self.rng.randint(12, 26)
        while tokens < target:
            filler = self.filler_clause(ctx)
            clauses.append(filler)
            sentences.append(filler.text)
            tokens += count_tokens(filler.text) + 1
        decisive = self.sentiment_clause(ctx, label, p_negated=0.3)
        clauses.append(
            Clause(decisive.text, label, "decisive", decisive.negated, decisive.base_polarity, decisive.intensity)
        )
        sentences.append(
            decisive.text
            if self.chance(0.6)
            else self.choice(("anyway, ", "so, ", "in short, ", "basically, ", "long story short, ", "to sum up, "))
            + decisive.text
        )
        return sentences, clauses, "long_end"

    def known_support(self, ctx: _Context, p: int) -> Clause:
        """A clause made only of words every training set has: a stock phrase or a common adjective."""
        roll = self.rng.random()
        if roll < 0.3:
            return self.phrase_clause(ctx, p, W.STOCK)
        if roll < 0.5:
            return self.phrase_clause(ctx, p, W.RECOMMEND)
        name, plural, kind, _ = self.aspect(ctx)
        adjective = self.lexicon_adjective(KIND_SCOPES[kind], p)  # common words only in held-out mode
        return Clause(f"the {name} {self.be(plural)} {adjective}", p, "decisive", base_polarity=p)

    def heldout_review(self, ctx: _Context, label: int, kind: str | None) -> tuple[list[str], list[Clause], str] | None:
        """A review with a held-out word in it whose verdict still rests on known words."""
        self.force = self.weighted(("aspect", "adjective", "neutral"), (45, 35, 20))
        self.forced_used = False
        if kind in (None, "unknown_words"):
            roll = self.rng.random()
            kind = "plain" if roll < 0.4 else "negation" if roll < 0.7 else "contrast"
        if kind == "long_range":  # long_range_review places the held-out word and its backing itself
            built = self.long_range_review(ctx, label)
            return built if built is not None and self.forced_used else None
        if kind == "negation":
            sentences, clauses, structure = self.negation_review(ctx, label, strict=True)
        elif kind == "contrast":
            sentences, clauses, structure = self.contrast_review(ctx, label, strict=True)
        elif self.force == "neutral":
            sentences, clauses, structure = self.plain_review(ctx, label, intensify=kind == "intensifier")
        else:
            decisive = self.aspect_clause(ctx, label) if self.chance(0.6) else self.fragment_clause(ctx, label)
            clauses = [decisive]
            sentences = [decisive.text]
            structure = "plain"
        if self.force == "neutral":
            filler = self.filler_clause(ctx, require_noun=True)
            sentences.insert(self.rng.randint(0, len(sentences)), filler.text)
            clauses.append(filler)
        if not self.forced_used:
            return None
        if self.force == "adjective":
            # the unknown adjective never decides alone: a plainly known clause of the same polarity backs it up
            support = self.known_support(ctx, label)
            if any(word in self.lex.heldout_words for word in _words(support.text)):
                return None
            clauses.append(
                Clause(support.text, label, "support", support.negated, support.base_polarity, support.intensity)
            )
            sentences.append(support.text)
        return sentences, clauses, structure

    def build(self, label_bit: int, domain: str, phenomenon: str | None) -> AnnotatedReview | None:
        label = 1 if label_bit else -1
        ctx = self.context(domain)
        self.force = ""
        self.forced_used = False
        kind = phenomenon
        if kind is None and not self.heldout:
            kind = self.weighted(("plain", "short", "negation", "contrast", "long_range", "long_end"), MIX_WEIGHTS)
        if self.heldout:
            built = self.heldout_review(ctx, label, phenomenon)
        elif kind in ("plain", "intensifier"):
            built = self.plain_review(ctx, label, intensify=kind == "intensifier")
        elif kind == "filler":
            sentences, clauses, structure = self.plain_review(ctx, label)
            if not any(c.role == "filler" for c in clauses):
                filler = self.filler_clause(ctx)
                sentences.insert(self.rng.randint(0, len(sentences)), filler.text)
                clauses.append(filler)
            built = (sentences, clauses, structure)
        elif kind == "short":
            built = self.short_review(ctx, label)
        elif kind == "negation":
            built = self.negation_review(ctx, label, strict=phenomenon is not None)
        elif kind == "contrast":
            built = self.contrast_review(ctx, label, strict=phenomenon is not None)
        elif kind == "long_range":
            built = self.long_range_review(ctx, label)
        elif kind == "long_end":
            built = self.long_end_review(ctx, label)
        else:
            raise ValueError(f"unknown phenomenon {phenomenon!r}; expected None or one of {PHENOMENA}")
        if built is None:
            return None
        sentences, clauses, structure = built
        if structure in ("plain", "short", "negation") and self.chance(0.12):
            first = next(
                (i for i, s in enumerate(sentences) if any(c.text in s for c in clauses if c.role != "filler")), 0
            )
            sentences[first] = self.choice(W.DISCOURSE if self.chance(0.5) else W.NATURAL_OPENERS) + sentences[first]
        text = self.finish(sentences, [c.text for c in clauses if c.role != "filler"])
        return self.annotate(text, label_bit, domain, clauses, structure)

    def finish(self, sentences: list[str], judgements: list[str]) -> str:
        style = self.rng.random()
        out = []
        for i, sentence in enumerate(sentences):
            last = i == len(sentences) - 1
            if last and self.chance(0.12):
                end = ""
            elif self.chance(0.15) and any(j in sentence for j in judgements):
                end = self.choice(("!", "!", "!!", "!!!"))
            else:
                end = "."
            out.append(sentence + end)
        text = " ".join(out)
        if style < 0.2:
            return text.lower()
        text = _PRONOUN_I.sub("I", text)
        text = _CALENDAR.sub(lambda m: m.group(0).capitalize(), text)
        return _SENTENCE_START.sub(lambda m: m.group(1) + m.group(2).upper(), text)

    def annotate(
        self, text: str, label_bit: int, domain: str, clauses: list[Clause], structure: str
    ) -> AnnotatedReview | None:
        lowered = text.lower()
        sentiment = [c for c in clauses if c.role in ("decisive", "support")]
        ends = []
        for clause in sentiment:
            position = lowered.find(clause.text.lower())
            if position < 0:
                return None
            ends.append(position + len(clause.text))
        tokens_after = count_tokens(text[max(ends) :]) if ends else 0
        phenomena = []
        has_filler = any(c.role == "filler" for c in clauses)
        has_negation = any(c.negated for c in clauses if c.role != "filler")
        has_contrast = any(c.role == "conceded" for c in clauses)
        if not has_negation and not has_contrast:
            phenomena.append("plain")
        if any(c.intensity for c in clauses):
            phenomena.append("intensifier")
        if has_negation:
            phenomena.append("negation")
        if has_contrast:
            phenomena.append("contrast")
        total = count_tokens(text)
        if (
            structure == "long_range"
            and LONG_RANGE_MIN_TOKENS <= total <= LONG_RANGE_MAX_TOKENS
            and tokens_after >= LONG_RANGE_MIN_DISTANCE
        ):
            phenomena.append("long_range")
        if self.heldout and _words(text) & self.lex.heldout_words:
            phenomena.append("unknown_words")
        if has_filler:
            phenomena.append("filler")
        review = Review(text, label_bit, domain, tuple(phenomena))
        return AnnotatedReview(review, tuple(clauses), structure, tokens_after)


# ---------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------


def _seed_for(*parts: object) -> int:
    digest = hashlib.sha256("|".join(str(part) for part in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def _generate(n: int, seed: int, phenomenon: str | None, vocabulary: str, exclude: set[str]) -> list[AnnotatedReview]:
    if phenomenon is not None and phenomenon not in PHENOMENA:
        raise ValueError(f"unknown phenomenon {phenomenon!r}; expected None or one of {PHENOMENA}")
    if phenomenon == "unknown_words" and vocabulary != "heldout":
        raise ValueError("the unknown_words phenomenon needs vocabulary='heldout'")
    rng = random.Random(_seed_for("gatescope-reviews", seed, phenomenon, vocabulary))
    generator = _Generator(rng, vocabulary)
    labels = [1] * (n // 2) + [0] * (n - n // 2)
    rng.shuffle(labels)
    seen: set[str] = set()
    out: list[AnnotatedReview] = []
    for label in labels:
        for _ in range(200):
            domain = DOMAINS[int(rng.random() * len(DOMAINS))]
            annotated = generator.build(label, domain, phenomenon)
            if annotated is None:
                continue
            if vocabulary == "heldout" and "unknown_words" not in annotated.review.phenomena:
                continue
            if phenomenon is not None and phenomenon != "plain" and phenomenon not in annotated.review.phenomena:
                continue
            key = annotated.review.text.lower()
            if key in seen or key in exclude:
                continue
            seen.add(key)
            out.append(annotated)
            break
        else:
            raise RuntimeError(f"could not generate {n} distinct {phenomenon or 'mixed'} reviews")
    return out


def generate_annotated_reviews(
    n: int, seed: int, phenomenon: str | None = None, vocabulary: str = "train"
) -> list[AnnotatedReview]:
    """Like generate_reviews, with the clauses each review was built from."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"n must be a non-negative integer, got {n!r}")
    if phenomenon == "unknown_words" and vocabulary == "train":
        vocabulary = "heldout"
    return _generate(n, seed, phenomenon, vocabulary, set())


def generate_reviews(n: int, seed: int, phenomenon: str | None = None, vocabulary: str = "train") -> list[Review]:
    """n distinct labelled reviews, half positive and half negative, the same for the same arguments.

    phenomenon=None gives the training mix; "negation", "contrast", "long_range" or "unknown_words"
    (also "plain", "intensifier", "filler") make every review exhibit it. vocabulary="train" never uses
    a held-out word; "heldout" (implied by phenomenon="unknown_words") puts one in every review.
    """
    return [annotated.review for annotated in generate_annotated_reviews(n, seed, phenomenon, vocabulary)]


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
    # Never generate a text of the hand-written sets: they judge the model on reviews it has not seen.
    # With real reviews mixed in, nor a real review's text ("great food."), so the real_test split stays unseen.
    taken: set[str] = {review.text.lower() for review in handwritten_reviews() + dev_reviews()}
    if real:
        taken |= {review.text.lower() for group in real_reviews().values() for review in group}
    if written:
        taken |= {review.text.lower() for group in written_reviews().values() for review in group}
    splits: dict[str, list[AnnotatedReview]] = {}
    for name, size, phenomenon, vocabulary in plan:
        reviews = _generate(size, _seed_for("split", seed, name), phenomenon, vocabulary, taken)
        taken |= {a.review.text.lower() for a in reviews}
        splits[name] = reviews
    splits["train"] = _generate(train, _seed_for("split", seed, "train"), None, "train", taken)
    return {name: splits[name] for name in ("train", "validation", "test") + SUBSET_PHENOMENA}


def handwritten_reviews() -> list[Review]:
    """The hand-written sanity-check reviews in data/handwritten.tsv ("label<TAB>text" lines).

    Labels are "positive"/"negative" (or 1/0); "# domain: NAME" lines set the domain of the lines
    below them. Phenomena are tagged heuristically from the words (contrast markers, negation cues,
    degree words); "long_range" is never tagged, since nothing marks where a real review's verdict is.
    """
    return _read_reviews(DATA_DIR / "handwritten.tsv")


def dev_reviews() -> list[Review]:
    """The hand-written development reviews in data/dev_reviews.tsv (same format as handwritten.tsv).

    They choose between training settings and seeds (scripts/select_seed.py) and measure generator
    changes; handwritten.tsv stays an untouched sanity check.
    """
    return _read_reviews(DATA_DIR / "dev_reviews.tsv")


REAL_TEST_SHARE = 5  # one real sentence in five (by a stable hash of its text) is held out as "real_test"


@functools.cache
def real_reviews() -> dict[str, tuple[Review, ...]]:
    """Review sentences people wrote and labelled, from data/real_*.tsv (scripts/make_real_reviews.py).

    "real_train": the VADER film and product snippets plus four in five of the UCI sentences;
    "real_test": the other UCI sentences (about 600 one-line reviews of products, films and restaurants, the
    closest thing here to what users type), chosen by a stable hash of the text and never trained on.
    """
    kept, held_out = _split_by_text(_read_reviews(DATA_DIR / "real_sentences.tsv"), "real-test", REAL_TEST_SHARE)
    return {"real_train": tuple(_read_reviews(DATA_DIR / "real_snippets.tsv")) + kept, "real_test": held_out}


WRITTEN_VALIDATION_SHARE = 10  # one written review in ten (by a stable hash of its text) helps pick the epoch


@functools.cache
def written_reviews() -> dict[str, tuple[Review, ...]]:
    """Reviews written for gatescope's training, in the style people type (data/written_reviews.tsv).

    About 5,900 reviews of films, restaurants, products, hotels and books, half of each domain positive, many of
    them with implied verdicts ("I read it in one sitting."), contrast, negation, comparisons and idioms: what the
    generator's templates and the short real sentences teach least. "written_train": nine in ten;
    "written_validation": the other tenth, chosen by a stable hash of the text, scored with the validation split.
    None of them is a hand-written or dev review.
    """
    kept, held_out = _split_by_text(
        _read_reviews(DATA_DIR / "written_reviews.tsv"), "written-validation", WRITTEN_VALIDATION_SHARE
    )
    return {"written_train": kept, "written_validation": held_out}


def _split_by_text(reviews: list[Review], salt: str, share: int) -> tuple[tuple[Review, ...], tuple[Review, ...]]:
    """(kept, held out): one review in ``share`` is held out, chosen by a stable hash of its text alone."""
    kept, held_out = [], []
    for review in reviews:
        (held_out if _seed_for(salt, review.text) % share == 0 else kept).append(review)
    return tuple(kept), tuple(held_out)


def _read_reviews(path: Path) -> list[Review]:
    reviews = []
    domain = "products"
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        if line.startswith("#"):
            match = re.match(r"#\s*domain:\s*(\w+)", line)
            if match:
                if match.group(1) not in DOMAINS:
                    raise ValueError(f"{path.name}:{number}: unknown domain {match.group(1)!r}")
                domain = match.group(1)
            continue
        label_text, sep, text = line.partition("\t")
        if not sep or not text.strip():
            raise ValueError(f"{path.name}:{number}: expected 'label<TAB>text'")
        label_text = label_text.strip().lower()
        if label_text in ("1", "positive", "pos"):
            label = 1
        elif label_text in ("0", "negative", "neg"):
            label = 0
        else:
            raise ValueError(f"{path.name}:{number}: label must be positive/negative or 1/0, got {label_text!r}")
        reviews.append(Review(text.strip(), label, domain, _heuristic_phenomena(text)))
    return reviews


def _heuristic_phenomena(text: str) -> tuple[str, ...]:
    lowered = f" {text.lower()} "
    words = re.findall(r"[a-z0-9]+(?:['-][a-z0-9]+)*", text.lower())
    tags = []
    contrast = any(f" {m} " in lowered or f" {m}," in lowered for m in W.CONTRAST_MID[:7] + W.CONTRAST_LEAD)
    negation = any(w in W.NEGATION_CUES or w.endswith("n't") for w in words)
    if not contrast and not negation:
        tags.append("plain")
    if any(w in W.INTENSIFIERS for w in words) or any(f" {d} " in lowered for d in W.DIMINISHERS_NEGATIVE):
        tags.append("intensifier")
    if negation:
        tags.append("negation")
    if contrast:
        tags.append("contrast")
    return tuple(tags)


def data_hash(reviews: Iterable[Review]) -> str:
    """sha256 over each review's label and text, in order: a fingerprint for provenance."""
    digest = hashlib.sha256()
    for review in reviews:
        digest.update(f"{int(review.label)}\t{review.text}\n".encode())
    return digest.hexdigest()
