"""The generator's random choices of words: what is reviewed, its aspects, adjectives with their degree, slots.

Every draw goes through one random.Random in a fixed order, so the same seed writes the same reviews.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from gatescope.train.reviews.english import SLOT, fix_articles
from gatescope.train.reviews.lexicon import lexicon
from gatescope.train.reviews.phrases import Aspect, phrases

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
ITEM_KIND = {"movies": "story", "books": "story", "hotels": "place", "products": "gadget", "restaurants": "service"}
# What a "thing" aspect is in each domain: hotel rooms and restaurant menus are places, product parts gadgets.
THING_KIND = {"hotels": "place", "restaurants": "place", "products": "gadget", "movies": "thing", "books": "thing"}
FILLER_NOUN_SLOTS = ("food", "animal", "plant", "person", "object", "place")


@dataclass
class Context:
    """What one review is about, and what it has already said (so it repeats itself less)."""

    domain: str
    item: str
    item_plural: bool
    aspects: list[Aspect]
    heldout_aspects: list[Aspect]
    used_aspects: set[str] = field(default_factory=set)
    used_fillers: set[str] = field(default_factory=set)

    @property
    def aspect_names(self) -> set[str]:
        return {aspect[0] for aspect in self.aspects}


class Picker:
    """Random choices over the phrase banks and the lexicon; the clause writers build on it."""

    def __init__(self, rng: random.Random, vocabulary: str) -> None:
        if vocabulary not in ("train", "heldout"):
            raise ValueError(f"vocabulary must be 'train' or 'heldout', got {vocabulary!r}")
        self.rng = rng
        self.lex = lexicon()
        self.phrases = phrases()
        self.heldout = vocabulary == "heldout"
        self.force: str = ""  # "aspect" | "adjective" | "neutral": the next such pick uses a held-out word
        self.forced_used = False

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def choice(self, seq: Sequence) -> Any:
        return seq[int(self.rng.random() * len(seq))]

    def word_list(self, name: str) -> tuple[str, ...]:
        """A word list of data/phrases/words.tsv."""
        return self.phrases.words[name]

    def context(self, domain: str) -> Context:
        if domain == "products":
            kind = self.choice(self.phrases.product_kinds)
            item, plural = self.choice(self.phrases.items[f"products:{kind}"])
            aspects = self.phrases.aspects[f"products:{kind}"] + self.phrases.aspects["products:any"]
            held = self.phrases.heldout_aspects["products:any"]
        else:
            item, plural = self.choice(self.phrases.items[domain])
            aspects = self.phrases.aspects[domain]
            held = self.phrases.heldout_aspects[domain]
        return Context(domain, item, plural, list(aspects), list(held))

    def aspect(self, ctx: Context) -> Aspect:
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

    def fill(self, template: str, ctx: Context, aspect: str | None = None) -> str:
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
            if name == "consumed":
                return self.phrases.in_domain("consumed", ctx.domain)[0]
            return self.choice(self.phrases.slots[name])

        return fix_articles(SLOT.sub(slot, template))

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
        specific = self.phrases.adjectives(group, polarity)
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
            word = self.phrases.intensifiers.pick(self.rng)
            if word == "too" and polarity > 0:
                word = "really"
            return f"{word} {adjective}", "intensifier"
        if roll < p_intensify + p_diminish:
            word = self.choice(self.word_list("diminishers_positive" if polarity > 0 else "diminishers_negative"))
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

    def determiner(self, ctx: Context) -> str:
        if ctx.domain in ("movies", "books") or self.chance(0.88):
            return "the"
        return "my" if ctx.domain == "products" else self.choice(("our", "their"))

    def item_subject(self, ctx: Context) -> tuple[str, bool]:
        roll = self.rng.random()
        if roll < 0.35:
            return "it", False
        if roll < 0.65:
            return ("these " if ctx.item_plural else "this ") + ctx.item, ctx.item_plural
        if roll < 0.85:
            return "the " + ctx.item, ctx.item_plural
        return self.choice(("the whole thing", "everything", "the experience")), False
