"""Contrast: a conceded clause of one polarity overruled by a deciding clause of the other."""

from __future__ import annotations

from dataclasses import replace

from gatescope.train.reviews.negation import NegationWriter
from gatescope.train.reviews.picker import Context
from gatescope.train.reviews.pool import Pool
from gatescope.train.reviews.records import Clause

# How the two sides are put together: the mid and lead forms end on the deciding clause; trailing ones (training
# mix only) put it first. strict=True (the contrast subset) leaves out the trailing forms.
FORMS = Pool.of({"mid": 55, "lead": 25, "expect": 6, "opener": 6, "trailing": 14})
STRICT_FORMS = Pool.of({"mid": 62, "lead": 28, "expect": 5, "opener": 5})
OVERALL = ("overall", "all in all", "in the end", "on the whole")

Sides = tuple[str, Clause, list[str], str]  # marker, conceded clause, sentences, structure


class ContrastWriter(NegationWriter):
    """Reviews that concede one side and decide on the other ("the plot was dull, but the ending was wonderful")."""

    def conceded_clause(self, ctx: Context, p: int) -> Clause:
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

    def conceded_np(self, ctx: Context, polarity: int) -> tuple[str, str]:
        roll = self.rng.random()
        if roll < 0.35:
            options = self.phrases.verdicts("despite", ctx.domain, polarity)
            return self.choice(options), ""
        name, plural, kind, group = self.aspect(ctx)
        specific = [a for a in self.phrases.adjectives(group, polarity) if " " not in a]
        if specific and self.chance(0.7) and not (self.force == "adjective" and not self.forced_used):
            adjective = self.choice(specific)
        else:
            adjective = self.adjective(kind, group, polarity, single_word=True)
        if roll < 0.7:
            return f"the {adjective} {name}", ""
        phrase, intensity = self.degree(adjective, polarity, 0.2, 0.3)
        return f"the {name} being {phrase}", intensity

    def contrast_review(self, ctx: Context, label: int, strict: bool) -> tuple[list[str], list[Clause], str]:
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
        form = (STRICT_FORMS if strict else FORMS).pick(self.rng)
        if form == "mid":
            marker, conceded, sentences, structure = self.mid_contrast(conceded, decisive)
        elif form == "lead":
            marker, conceded, sentences, structure = self.lead_contrast(ctx, conceded, decisive)
        elif form == "expect":
            marker, conceded, sentences, structure = self.expectation_contrast(ctx, conceded, decisive)
        elif form == "opener":
            marker, conceded, sentences, structure = self.opener_contrast(ctx, conceded, decisive)
        else:
            marker, conceded, sentences, structure = self.trailing_contrast(ctx, label, conceded, decisive)
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

    def mid_contrast(self, conceded: Clause, decisive: Clause) -> Sides:
        """Conceded clause, marker, deciding clause: "the plot was dull, but the ending was wonderful"."""
        marker = self.phrases.contrast["mid"].pick(self.rng)
        C, D = conceded.text, decisive.text
        if marker == "but":
            sentences = self.choice(([f"{C}, but {D}"], [f"{C} but {D}"], [C, f"but {D}"], [f"{C}, but {D}"]))
        elif marker == "yet":
            sentences = self.choice(([f"{C}, yet {D}"], [C, f"yet {D}"], [f"{C} and yet {D}"]))
        elif marker == "however":
            sentences = self.choice(([f"{C}; however, {D}"], [C, f"however, {D}"], [f"{C}, however, {D}"]))
        elif marker == "still":
            sentences = self.choice(([C, f"still, {D}"], [f"{C}; still, {D}"], [f"{C}, but still, {D}"]))
        elif marker in OVERALL:
            sentences = self.choice(([C, f"{marker}, {D}"], [f"{C}, but {marker} {D}"], [C, f"{marker} {D}"]))
        else:
            sentences = self.choice(([C, f"{marker}, {D}"], [f"{C}; {marker}, {D}"]))
        return marker, conceded, sentences, "contrast-mid"

    def lead_contrast(self, ctx: Context, conceded: Clause, decisive: Clause) -> Sides:
        """Marker, conceded clause, deciding clause: "although the plot was dull, the ending was wonderful"."""
        conceded_polarity = conceded.polarity
        marker = self.phrases.contrast["lead"].pick(self.rng)
        if marker in ("despite", "in spite of"):
            np, intensity = self.conceded_np(ctx, conceded_polarity)
            conceded = Clause(np, conceded_polarity, "conceded", intensity=intensity, base_polarity=conceded_polarity)
            return marker, conceded, [f"{marker} {np}, {decisive.text}"], "contrast-lead"
        for _ in range(10):
            if not conceded.fragment:
                break
            conceded = self.conceded_clause(ctx, conceded_polarity)
        if conceded.fragment:
            conceded = self.aspect_clause(ctx, conceded_polarity)
        return marker, conceded, [f"{marker} {conceded.text}, {decisive.text}"], "contrast-lead"

    def expectation_contrast(self, ctx: Context, conceded: Clause, decisive: Clause) -> Sides:
        """ "i expected a quiet night, but ..." """
        conceded_polarity = conceded.polarity
        expectation = self.choice(self.phrases.verdicts("expectation", ctx.domain, conceded_polarity))
        conceded = Clause(f"i expected {expectation}", conceded_polarity, "conceded", base_polarity=conceded_polarity)
        sentences = self.choice(([f"{conceded.text}, but {decisive.text}"], [f"{conceded.text} but {decisive.text}"]))
        return "but", conceded, sentences, "contrast-mid"

    def opener_contrast(self, ctx: Context, conceded: Clause, decisive: Clause) -> Sides:
        """ "i wanted to love it, but ..." """
        conceded_polarity = conceded.polarity
        marker = self.choice(("but", "but", "however"))
        opener = self.choice(self.phrases.verdicts("contrast_opener", ctx.domain, conceded_polarity))
        conceded = Clause(opener, conceded_polarity, "conceded", base_polarity=conceded_polarity)
        sentences = [f"{opener}, but {decisive.text}"] if marker == "but" else [opener, f"however, {decisive.text}"]
        return marker, conceded, sentences, "contrast-mid"

    def trailing_contrast(self, ctx: Context, label: int, conceded: Clause, decisive: Clause) -> Sides:
        """The deciding clause first, the conceded detail after: "great hotel, although the wifi was slow"."""
        conceded_polarity = conceded.polarity
        marker = self.phrases.contrast["trailing"].pick(self.rng)
        if label < 0 and self.chance(0.35):
            marker = "faint"
        D = decisive.text
        if marker == "faint":
            return self.faint_praise(ctx, D)
        if marker in ("despite", "apart from"):
            np, intensity = self.conceded_np(ctx, conceded_polarity)
            conceded = Clause(np, conceded_polarity, "conceded", intensity=intensity, base_polarity=conceded_polarity)
            sentences = [f"{D}, {marker} {np}"] if self.chance(0.6) else [f"{D} {marker} {np}"]
            return marker, conceded, sentences, "contrast-trailing"
        if marker == "only":
            return self.only_contrast(ctx, label, D)
        # the conceded detail is about one aspect: "great hotel, although the wifi was slow"
        conceded = (
            self.aspect_clause(ctx, conceded_polarity)
            if self.chance(0.8)
            else self.negated_aspect_clause(ctx, conceded_polarity)
        )
        return marker, conceded, [f"{D}, {marker} {conceded.text}"], "contrast-trailing"

    def faint_praise(self, ctx: Context, D: str) -> Sides:
        """A negative verdict, then grudging praise: "..., at least the coffee was good"."""
        name, plural, kind, group = self.aspect(ctx)
        good = self.adjective(kind, group, 1, single_word=True)
        praise = (
            self.choice(self.word_list("faint_praise")).replace("{good}", good).replace("{be}", self.be(plural, False))
        )
        praise = praise.replace("{the}", self.determiner(ctx)).replace("{aspect}", name)
        conceded = Clause(praise, 1, "conceded", base_polarity=1)
        marker = next(m for m in ("at least", "give them that", "only", "to be fair") if m in praise)
        return marker, conceded, [D, praise], "contrast-trailing"

    def only_contrast(self, ctx: Context, label: int, D: str) -> Sides:
        """ "my only complaint is that ..." after praise; "the only good thing was ..." after criticism."""
        if label > 0:
            bad = self.aspect_clause(ctx, -1)
            conceded = Clause(bad.text, -1, "conceded", intensity=bad.intensity, base_polarity=-1)
            complaint = self.choice(
                ("my only complaint is that ", "the only downside was that ", "my only gripe is that ")
            )
            return "only", conceded, [D, complaint + bad.text], "contrast-trailing"
        np, intensity = self.conceded_np(ctx, 1)
        if np.startswith("the ") and " being " not in np:
            conceded = Clause(np, 1, "conceded", intensity=intensity, base_polarity=1)
            return "only", conceded, [D, f"the only good thing was {np}"], "contrast-trailing"
        name = self.aspect(ctx)[0]
        conceded = Clause(f"the {name}", 1, "conceded", base_polarity=1)
        return "only", conceded, [D, f"the only good thing was the {name}"], "contrast-trailing"
