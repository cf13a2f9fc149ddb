"""Clauses that judge plainly ("the plot was dull", "i loved every minute of it") and neutral filler."""

from __future__ import annotations

from collections.abc import Sequence

from gatescope.train.reviews.english import fix_articles, plural
from gatescope.train.reviews.picker import ITEM_KIND, KIND_SCOPES, Context, Picker
from gatescope.train.reviews.records import Clause

QUALIFIED_KINDS = frozenset(("food", "place", "gadget", "story", "craft"))


class ClauseWriter(Picker):
    """One clause of polarity p (+1 or -1) about the item or one of its aspects; or a neutral one."""

    def aspect_clause(self, ctx: Context, p: int) -> Clause:
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
            qualifier = self.choice(self.phrases.in_domain("aspect_qualifiers", ctx.domain))
            name = f"{name} {self.fill(qualifier, ctx)}"
        text = f"{det} {name} {verb} {phrase}"
        if self.chance(0.18) and " " not in adjective:
            second = self.adjective(kind, group, p, single_word=True)
            if second != adjective:
                text += f" and {second}"
        return Clause(text, p, "decisive", base_polarity=p, intensity=intensity)

    def item_clause(self, ctx: Context, p: int) -> Clause:
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
                text = fix_articles(f"{start} {{a}} {phrase} {ctx.item}")
            return Clause(text, p, "decisive", base_polarity=p, intensity=intensity, fragment=start == "what")
        elif roll < 0.8:
            phrase, intensity = self.degree(adjective, p, 0.25, 0.0)
            text = fix_articles(
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

    def fragment_clause(self, ctx: Context, p: int) -> Clause:
        name, plural, kind, group = self.aspect(ctx)
        adjective = self.adjective(kind, group, p, single_word=True)
        phrase, intensity = self.degree(adjective, p, 0.3, 0.05)
        text = f"{phrase} {name}"
        if self.chance(0.4):
            name2, _, kind2, group2 = self.aspect(ctx)
            if name2 != name:
                text += f" and {self.adjective(kind2, group2, p, single_word=True)} {name2}"
        return Clause(text, p, "decisive", base_polarity=p, intensity=intensity, fragment=True)

    def experiencer_clause(self, ctx: Context, p: int) -> Clause:
        base, past, third = self.lex.verbs[("experiencer", p)].pick(self.rng)
        subject, singular = self.choice(self.phrases.experiencers)
        subject = self.fill(subject, ctx)
        obj = self.fill(self.choice(self.phrases.in_domain("verb_objects", ctx.domain)), ctx)
        intensity = ""
        adverb = ""
        if self.chance(0.3):
            adverb = self.choice(self.word_list("verb_intensifiers")) + " "
            intensity = "intensifier"
        elif self.chance(0.06):
            adverb = self.choice(self.word_list("verb_diminishers")) + " "
            intensity = "diminisher"
        if self.chance(0.3) and (
            obj in ("it", "mine") or obj.startswith(("this ", "these ")) or obj[4:] in ctx.aspect_names
        ):
            verb = third if singular else base
        else:
            verb = past
        return Clause(f"{subject} {adverb}{verb} {obj}", p, "decisive", base_polarity=p, intensity=intensity)

    def stimulus_clause(self, ctx: Context, p: int) -> Clause:
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

    def state_clause(self, ctx: Context, p: int) -> Clause:
        adjective = self.lex.adjectives[("state", p)].pick(self.rng)
        phrase, intensity = self.degree(adjective, p, 0.35, 0.08)
        subject = self.choice(
            ("i was", "we were", "i was", "my {relative} was", "i'm", "we left", "i came away", "we were all", "i am")
        )
        subject = self.fill(subject, ctx)
        roll = self.rng.random()
        preposition = (
            "with"
            if adjective in self.word_list("state_with")
            else "by"
            if adjective in self.word_list("state_by")
            else ""
        )
        if preposition and roll < 0.45:
            target = self.choice((f"the {self.aspect(ctx)[0]}", f"this {ctx.item}", f"the {ctx.item}", "it"))
            text = f"{subject} {phrase} {preposition} {target}"
        else:
            text = f"{subject} {phrase}"
        return Clause(text, p, "decisive", base_polarity=p, intensity=intensity)

    def noun_clause(self, ctx: Context, p: int) -> Clause:
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
        return Clause(fix_articles(text), p, "decisive", base_polarity=p, intensity=intensity, fragment=fragment)

    def adverb_clause(self, ctx: Context, p: int) -> Clause:
        adverb = self.lex.adverbs[p].pick(self.rng)
        participle = self.choice(self.phrases.in_domain("participles", ctx.domain))
        roll = self.rng.random()
        if ctx.domain == "products" and roll < 0.3:
            text = f"it {self.choice(self.word_list('product_verbs'))} {adverb}"
        elif roll < 0.55:
            return Clause(f"{adverb} {participle}", p, "decisive", base_polarity=p, fragment=True)
        else:
            subject, plural = self.item_subject(ctx)
            text = f"{subject} {self.be(plural)} {adverb} {participle}"
        return Clause(text, p, "decisive", base_polarity=p)

    def phrase_clause(self, ctx: Context, p: int, bank: str) -> Clause:
        """A stock phrase ("five stars", a fragment) or a recommendation, from data/phrases/verdicts.tsv."""
        options = self.phrases.verdicts(bank, ctx.domain, p)
        return Clause(self.fill(self.choice(options), ctx), p, "decisive", base_polarity=p, fragment=bank == "stock")

    def event_clause(self, ctx: Context, p: int) -> Clause:
        if self.chance(0.55):
            subjects, predicates, endings = self.choice(self.phrases.narratives[(ctx.domain, p)])
            ending = self.choice(endings)
            text = f"{self.choice(subjects)} {self.choice(predicates)}" + (f" {ending}" if ending else "")
            return Clause(self.fill(text, ctx), p, "decisive", base_polarity=p)
        options = self.phrases.verdicts("event", ctx.domain, p)
        return Clause(self.fill(self.choice(options), ctx), p, "decisive", base_polarity=p)

    def superlative_clause(self, ctx: Context, p: int) -> Clause:
        word = (
            self.choice(self.phrases.verdicts("superlative_word", ctx.domain, p))
            if self.chance(0.6)
            else ("best" if p > 0 else "worst")
        )
        template = self.choice(self.word_list("superlatives"))
        if self.chance(0.25):
            template = self.choice(
                ("hands down the {best} {item} around", "the {best} {aspect} i've come across in years")
            )
        template = template.replace("{item}s", plural(ctx.item) if not ctx.item_plural else ctx.item)
        return Clause(self.fill(template.replace("{best}", word), ctx), p, "decisive", base_polarity=p)

    def comparison_clause(self, ctx: Context, p: int) -> Clause:
        options = self.phrases.verdicts("comparison", ctx.domain, p)
        aspect = None
        if ctx.domain == "restaurants":  # "my mum makes better curry at home", never "better bill"
            aspect = self.choice([a[0] for a in ctx.aspects if a[2] == "food" and a[3] == "food"])
        return Clause(self.fill(self.choice(options), ctx, aspect), p, "decisive", base_polarity=p)

    def natural_clause(self, ctx: Context, p: int) -> Clause:
        """An everyday verdict without a classic sentiment adjective: "i'd go back tomorrow if i could"."""
        options = self.phrases.verdicts("natural", ctx.domain, p)
        text = self.fill(self.choice(options), ctx)
        subjects = ("i ", "i'", "we ", "we'", "it ", "it'", "my ", "the ", "you ", "they ", "this ")
        fragment = not text.startswith(subjects)
        return Clause(text, p, "decisive", base_polarity=p, fragment=fragment)

    def plain_clause(self, ctx: Context, p: int, short_ok: bool = True) -> Clause:
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
            return self.phrase_clause(ctx, p, "stock")
        if roll < 0.97:
            return self.phrase_clause(ctx, p, "recommend")
        return self.superlative_clause(ctx, p)

    def filler_clause(self, ctx: Context, require_noun: bool = False) -> Clause:
        own, shared = self.phrases.in_domain("filler", ctx.domain), self.phrases.in_domain("filler", "any")
        bank: Sequence[str] = own + shared if self.chance(0.7) else shared + own
        if require_noun:
            bank = [
                t for t in bank if any("{" + s + "}" in t for s in ("animal", "person", "object", "place", "plant"))
            ]
        roll = self.rng.random()
        if require_noun or roll < 0.3:
            subject = self.choice(self.word_list("aside_subjects"))
            verb = self.choice(self.word_list("aside_verbs"))
            text = f"{subject} {verb} {self.choice(self.word_list('aside_objects'))}"
            tail = self.choice(self.word_list("aside_tails"))
            if require_noun and self.chance(0.5):
                pass
            elif not require_noun or roll < 0.3:
                return Clause(self.fill(f"{text} {tail}".strip(), ctx), 0, "filler")
        if not require_noun and roll < 0.55:
            return Clause(self.fill(self.choice(self.word_list("chatter")), ctx), 0, "filler")
        for _ in range(6):
            template = self.choice(bank) if self.chance(0.6) else self.choice(own if not require_noun else bank)
            if template not in ctx.used_fillers:
                break
        ctx.used_fillers.add(template)
        return Clause(self.fill(template, ctx), 0, "filler")

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
        self, ctx: Context, sentences: list[str], clauses: list[Clause], p: float
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
