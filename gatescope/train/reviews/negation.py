"""Negated clauses: "the room wasn't clean", "not bad at all", "it never disappoints", "no complaints"."""

from __future__ import annotations

from gatescope.train.reviews.clauses import ClauseWriter
from gatescope.train.reviews.english import fix_articles
from gatescope.train.reviews.picker import ITEM_KIND, KIND_SCOPES, Context
from gatescope.train.reviews.records import Clause


class NegationWriter(ClauseWriter):
    """Clauses of polarity p whose words, without the negation, would say -p."""

    def negatable_negative(self, kind: str, group: str) -> str:
        specific = set(self.phrases.adjectives(group, -1))
        scopes = KIND_SCOPES[kind]
        allowed = [
            a
            for a in self.word_list("negatable_negatives")
            if a in specific or self.lex.adjective_scope.get(a, "none") in scopes
        ]
        return self.choice(allowed or ["bad", "disappointing"])

    def negated_aspect_clause(self, ctx: Context, p: int) -> Clause:
        name, plural, kind, group = self.aspect(ctx)
        det = self.determiner(ctx)
        intensity = ""
        if p < 0:  # not + positive
            adjective = self.adjective(kind, group, 1)
            degree = (
                self.choice(self.word_list("not_degree")) + " " if self.chance(0.3) and " " not in adjective else ""
            )
            tail = (
                " " + self.choice(self.word_list("negation_tails_for_criticism"))
                if not degree and self.chance(0.12)
                else ""
            )
            if self.chance(0.15):
                text = f"{det} {name} {self.be(plural)} not {degree}{adjective}{tail}"
            else:
                text = f"{det} {name} {self.be_not(plural)} {degree}{adjective}{tail}"
            intensity = "intensifier" if degree.strip() in ("very", "really", "particularly") else ""
        else:  # not + negative
            adjective = self.negatable_negative(kind, group)
            roll = self.rng.random()
            tail = " " + self.choice(self.word_list("negation_tails_for_praise")) if self.chance(0.45) else ""
            if roll < 0.2:
                text = f"{det} {name} {self.be(plural)} never {adjective}"
            elif roll < 0.35:
                text = f"{det} {name} {self.be_not(plural)} {self.choice(('too', 'overly', 'remotely'))} {adjective}"
            else:
                text = f"{det} {name} {self.be_not(plural)} {adjective}{tail}"
        return Clause(text.replace(" 's not", "'s not"), p, "decisive", True, -p, intensity)

    def negated_item_clause(self, ctx: Context, p: int) -> Clause:
        kind = ITEM_KIND[ctx.domain]
        if p < 0:
            adjective = self.lexicon_adjective(KIND_SCOPES[kind], 1)
            roll = self.rng.random()
            degree = self.choice(self.word_list("not_degree")) + " " if self.chance(0.25) else ""
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
                tail = " " + self.choice(self.word_list("negation_tails_for_criticism")) if self.chance(0.5) else ""
                text = (
                    f"not {{a}} {adjective} {ctx.item}{tail}"
                    if not ctx.item_plural
                    else f"not {adjective} {ctx.item}{tail}"
                )
                return Clause(fix_articles(text), p, "decisive", True, -p, fragment=True)
            else:
                text = f"not {degree}{adjective}" + (" at all" if not degree and self.chance(0.5) else "")
                return Clause(text, p, "decisive", True, -p, fragment=True)
        else:
            adjective = self.negatable_negative(kind, "general")
            roll = self.rng.random()
            if roll < 0.5:
                subject, plural = self.item_subject(ctx)
                tail = " " + self.choice(self.word_list("negation_tails_for_praise")) if self.chance(0.5) else ""
                text = f"{subject} {self.be_not(plural)} {adjective}{tail}"
            elif roll < 0.75:
                return Clause(f"not {adjective} at all", p, "decisive", True, -p, fragment=True)
            else:
                text = f"it's never {adjective}"
        return Clause(fix_articles(text).replace(" 's not", "'s not"), p, "decisive", True, -p)

    def negated_verb_clause(self, ctx: Context, p: int) -> Clause:
        roll = self.rng.random()
        obj = self.fill(self.choice(self.phrases.in_domain("verb_objects", ctx.domain)), ctx)
        aspect = "the " + self.aspect(ctx)[0]
        if p < 0:  # "i didn't enjoy it", "it didn't impress me"
            text = self.unmoved_text(ctx, roll, obj, aspect)
        else:  # "it didn't disappoint", "i don't regret buying it"
            text = self.undisappointed_text(ctx, roll, aspect)
        return Clause(text, p, "decisive", True, -p)

    def unmoved_text(self, ctx: Context, roll: float, obj: str, aspect: str) -> str:
        """Praise verbs negated, a criticism: "i didn't enjoy it", "it never grabbed me"."""
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
        return text

    def undisappointed_text(self, ctx: Context, roll: float, aspect: str) -> str:
        """Criticism verbs negated, praise: "it never disappoints", "i don't regret buying it"."""
        if roll < 0.45:
            for _ in range(8):
                base, _, third = self.lex.verbs[("stimulus", -1)].pick(self.rng)
                if base in self.word_list("never_verbs"):
                    break
            else:
                base, third = "disappoint", "disappoints"
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
        return text

    def negated_state_clause(self, ctx: Context, p: int) -> Clause:
        if p < 0:  # "i wasn't impressed"
            adjective = self.lex.adjectives[("state", 1)].pick(self.rng)
            degree = self.choice(("very ", "too ", "particularly ", "all that ")) if self.chance(0.3) else ""
            subject = self.choice(
                ("i wasn't", "we weren't", "i was not", "my {relative} wasn't", "i'm not", "we were not")
            )
            text = f"{self.fill(subject, ctx)} {degree}{adjective}"
            if adjective in self.word_list("state_with") and self.chance(0.45):
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

    def nothing_clause(self, ctx: Context, p: int) -> Clause:
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

    def no_clause(self, ctx: Context, p: int) -> Clause:
        options = self.phrases.verdicts("no_noun", ctx.domain, p)
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

    def hardly_clause(self, ctx: Context, p: int) -> Clause:
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

    def idiom_clause(self, ctx: Context, p: int) -> Clause:
        options = [(t, -p) for t in self.phrases.verdicts("negated_idiom", ctx.domain, p)]
        text, base = self.choice(options)
        fragment = not text.startswith(
            ("i ", "we ", "it ", "there ", "nothing ", "nobody ", "none ", "no one ", "customer ", "the ", "not once")
        )
        return Clause(self.fill(text, ctx), p, "decisive", True, base, fragment=fragment)

    def negated_clause(self, ctx: Context, p: int, for_heldout: bool = False) -> Clause:
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

    def sentiment_clause(self, ctx: Context, p: int, p_negated: float = 0.0) -> Clause:
        if self.chance(p_negated):
            return self.negated_clause(ctx, p)
        return self.plain_clause(ctx, p)
