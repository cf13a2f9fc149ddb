"""Whole reviews of each structure: plain, short, negation, long-range, verdict-last and held-out-word reviews."""

from __future__ import annotations

from gatescope.train.reviews.contrast import ContrastWriter
from gatescope.train.reviews.english import count_tokens, words
from gatescope.train.reviews.picker import KIND_SCOPES, Context
from gatescope.train.reviews.pool import Pool
from gatescope.train.reviews.records import (
    LONG_RANGE_MAX_TOKENS,
    LONG_RANGE_MIN_DISTANCE,
    LONG_RANGE_MIN_TOKENS,
    Clause,
)

CLAUSE_COUNTS = Pool.of({1: 45, 2: 35, 3: 20})  # judging clauses in a plain review
HELDOUT_FORCE = Pool.of({"aspect": 45, "adjective": 35, "neutral": 20})  # where a held-out word goes

Built = tuple[list[str], list[Clause], str]  # sentences, clauses, structure


class ReviewWriter(ContrastWriter):
    """Sentences and clauses of one review of each structure, with its label's polarity."""

    def plain_review(self, ctx: Context, label: int, intensify: bool = False) -> Built:
        count = CLAUSE_COUNTS.pick(self.rng)
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

    def filler_review(self, ctx: Context, label: int) -> Built:
        """A plain review with at least one neutral clause somewhere in it."""
        sentences, clauses, structure = self.plain_review(ctx, label)
        if not any(c.role == "filler" for c in clauses):
            filler = self.filler_clause(ctx)
            sentences.insert(self.rng.randint(0, len(sentences)), filler.text)
            clauses.append(filler)
        return sentences, clauses, structure

    def short_review(self, ctx: Context, label: int) -> Built:
        roll = self.rng.random()
        if roll < 0.2:
            clause = self.natural_clause(ctx, label)
        elif roll < 0.45:
            clause = self.phrase_clause(ctx, label, "stock")
        elif roll < 0.65:
            clause = self.item_clause(ctx, label)
        elif roll < 0.75:
            clause = self.fragment_clause(ctx, label)
        elif roll < 0.88:
            clause = self.experiencer_clause(ctx, label)
        else:
            clause = self.negated_clause(ctx, label)
        return [clause.text], [clause], "short"

    def negation_review(self, ctx: Context, label: int, strict: bool) -> Built:
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

    def long_range_review(self, ctx: Context, label: int) -> Built | None:
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
            if self.force == "adjective" and words(support.text) & self.lex.heldout_words:
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

    def long_end_review(self, ctx: Context, label: int) -> Built:
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

    def known_support(self, ctx: Context, p: int) -> Clause:
        """A clause made only of words every training set has: a stock phrase or a common adjective."""
        roll = self.rng.random()
        if roll < 0.3:
            return self.phrase_clause(ctx, p, "stock")
        if roll < 0.5:
            return self.phrase_clause(ctx, p, "recommend")
        name, plural, kind, _ = self.aspect(ctx)
        adjective = self.lexicon_adjective(KIND_SCOPES[kind], p)  # common words only in held-out mode
        return Clause(f"the {name} {self.be(plural)} {adjective}", p, "decisive", base_polarity=p)

    def heldout_review(self, ctx: Context, label: int, kind: str | None) -> Built | None:
        """A review with a held-out word in it whose verdict still rests on known words."""
        self.force = HELDOUT_FORCE.pick(self.rng)
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
            if any(word in self.lex.heldout_words for word in words(support.text)):
                return None
            clauses.append(
                Clause(support.text, label, "support", support.negated, support.base_polarity, support.intensity)
            )
            sentences.append(support.text)
        return sentences, clauses, structure
