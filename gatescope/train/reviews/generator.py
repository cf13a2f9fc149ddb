"""The review generator: a seeded random.Random writes each review clause by clause, then punctuates it."""

from __future__ import annotations

import random

from gatescope.train.reviews.english import PRONOUN_I, SENTENCE_START, calendar_words, count_tokens, words
from gatescope.train.reviews.forms import Built, ReviewWriter
from gatescope.train.reviews.picker import Context
from gatescope.train.reviews.pool import Pool
from gatescope.train.reviews.records import (
    DOMAINS,
    LONG_RANGE_MAX_TOKENS,
    LONG_RANGE_MIN_DISTANCE,
    LONG_RANGE_MIN_TOKENS,
    PHENOMENA,
    AnnotatedReview,
    Clause,
    Review,
    stable_seed,
)

# The training mix of review structures; long_end puts the verdict last.
TRAINING_MIX = Pool.of({"plain": 24, "short": 7, "negation": 22, "contrast": 28, "long_range": 13, "long_end": 6})


class Generator(ReviewWriter):
    """Writes one annotated review at a time for a label, a domain and maybe a phenomenon."""

    def build(self, label_bit: int, domain: str, phenomenon: str | None) -> AnnotatedReview | None:
        label = 1 if label_bit else -1
        ctx = self.context(domain)
        self.force = ""
        self.forced_used = False
        if self.heldout:
            built = self.heldout_review(ctx, label, phenomenon)
        else:
            kind = TRAINING_MIX.pick(self.rng) if phenomenon is None else phenomenon
            built = self.review_of_kind(ctx, label, kind, strict=phenomenon is not None)
        if built is None:
            return None
        sentences, clauses, structure = built
        if structure in ("plain", "short", "negation") and self.chance(0.12):
            first = next(
                (i for i, s in enumerate(sentences) if any(c.text in s for c in clauses if c.role != "filler")), 0
            )
            opener = self.choice(self.word_list("discourse" if self.chance(0.5) else "natural_openers"))
            sentences[first] = f"{opener} {sentences[first]}"
        text = self.finish(sentences, [c.text for c in clauses if c.role != "filler"])
        return self.annotate(text, label_bit, domain, clauses, structure)

    def review_of_kind(self, ctx: Context, label: int, kind: str, strict: bool) -> Built | None:
        """A review of one structure in training vocabulary; strict ones show their phenomenon and nothing else."""
        if kind in ("plain", "intensifier"):
            return self.plain_review(ctx, label, intensify=kind == "intensifier")
        if kind == "filler":
            return self.filler_review(ctx, label)
        if kind == "short":
            return self.short_review(ctx, label)
        if kind == "negation":
            return self.negation_review(ctx, label, strict=strict)
        if kind == "contrast":
            return self.contrast_review(ctx, label, strict=strict)
        if kind == "long_range":
            return self.long_range_review(ctx, label)
        if kind == "long_end":
            return self.long_end_review(ctx, label)
        raise ValueError(f"unknown phenomenon {kind!r}; expected None or one of {PHENOMENA}")

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
        text = PRONOUN_I.sub("I", text)
        text = calendar_words(self.phrases.slots["day"], self.phrases.slots["month"]).sub(
            lambda m: m.group(0).capitalize(), text
        )
        return SENTENCE_START.sub(lambda m: m.group(1) + m.group(2).upper(), text)

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
        if self.heldout and words(text) & self.lex.heldout_words:
            phenomena.append("unknown_words")
        if has_filler:
            phenomena.append("filler")
        review = Review(text, label_bit, domain, tuple(phenomena))
        return AnnotatedReview(review, tuple(clauses), structure, tokens_after)


def generate_distinct(
    n: int, seed: int, phenomenon: str | None, vocabulary: str, exclude: set[str]
) -> list[AnnotatedReview]:
    """n reviews none of whose texts (lower-cased) is in ``exclude`` or twice in the list."""
    if phenomenon is not None and phenomenon not in PHENOMENA:
        raise ValueError(f"unknown phenomenon {phenomenon!r}; expected None or one of {PHENOMENA}")
    if phenomenon == "unknown_words" and vocabulary != "heldout":
        raise ValueError("the unknown_words phenomenon needs vocabulary='heldout'")
    rng = random.Random(stable_seed("gatescope-reviews", seed, phenomenon, vocabulary))
    generator = Generator(rng, vocabulary)
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
    return generate_distinct(n, seed, phenomenon, vocabulary, set())


def generate_reviews(n: int, seed: int, phenomenon: str | None = None, vocabulary: str = "train") -> list[Review]:
    """n distinct labelled reviews, half positive and half negative, the same for the same arguments.

    phenomenon=None gives the training mix; "negation", "contrast", "long_range" or "unknown_words"
    (also "plain", "intensifier", "filler") make every review exhibit it. vocabulary="train" never uses
    a held-out word; "heldout" (implied by phenomenon="unknown_words") puts one in every review.
    """
    return [annotated.review for annotated in generate_annotated_reviews(n, seed, phenomenon, vocabulary)]
