"""The hand-written word lists and phrase banks of the review generator, read from data/phrases/*.tsv.

Everything in them is lower-case English (names and places capitalised) made of letters, digits, apostrophes,
hyphens, commas and spaces, so the WordTokenizer cuts it into plain word tokens. A phrase may hold a slot in braces
that the generator fills: {item}, {aspect}, {a} (the article of the next word), a neutral noun ({food}, {animal},
{plant}, {person}, {object}, {place}), {consumed} (domain_words.tsv) or any slot of slots.tsv ({name}, {city}, ...).
data/README.md describes each file. Order matters: the same seed picks the same rows only while they keep their order.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from gatescope.errors import GatescopeError
from gatescope.train.datafiles import Row, read_table
from gatescope.train.reviews.pool import Pool
from gatescope.train.reviews.records import DOMAINS

NONE = "(none)"  # a cell that stands for nothing: no ending, no tail
NONE_OK = ("aside_tails",)  # the lists (besides narrative endings) where a row may say (none)
POLARITIES = {"positive": 1, "negative": -1}
ASPECT_KINDS = ("person", "food", "story", "thing", "craft", "service")
WORD_LISTS = (
    "verb_intensifiers",
    "verb_diminishers",
    "diminishers_negative",
    "diminishers_positive",
    "negation_cues",
    "negatable_negatives",
    "not_degree",
    "negation_tails_for_praise",
    "negation_tails_for_criticism",
    "product_verbs",
    "superlatives",
    "faint_praise",
    "discourse",
    "natural_openers",
    "chatter",
    "aside_subjects",
    "aside_verbs",
    "aside_objects",
    "aside_tails",
    "state_with",
    "state_by",
    "never_verbs",
)
DOMAIN_LISTS = ("participles", "verb_objects", "aspect_qualifiers", "consumed", "filler")
VERDICT_BANKS = (
    "stock",
    "recommend",
    "event",
    "natural",
    "comparison",
    "negated_idiom",
    "no_noun",
    "despite",
    "expectation",
    "contrast_opener",
    "superlative_word",
)
GENERATOR_SLOTS = ("a", "item", "aspect", "consumed", "food", "animal", "plant", "person", "object", "place")
FRAME_SLOTS = ("best", "the", "be", "good")  # filled by the phrase's own code: superlatives and faint praise
_TEXT = re.compile(r"[A-Za-z0-9' ,{}_-]+")

Aspect = tuple[str, bool, str, str]  # name, plural, kind, adjective group
Frame = tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]  # subjects, predicates, endings


@dataclass(frozen=True)
class Phrases:
    """Every list the generator draws from, keyed as the generator asks for it."""

    intensifiers: Pool
    contrast: dict[str, Pool]  # position ("mid", "lead", "trailing") -> markers by weight
    contrast_cues: tuple[str, ...]  # markers that tag a written review as contrast
    words: dict[str, tuple[str, ...]]  # list name -> words
    slots: dict[str, tuple[str, ...]]  # slot name -> fillers
    domain_words: dict[tuple[str, str], tuple[str, ...]]  # (list, domain or "any") -> words
    verdict_rows: dict[tuple[str, str, int], tuple[str, ...]]  # (bank, domain or "any", polarity) -> phrases
    items: dict[str, tuple[tuple[str, bool], ...]]  # domain or "products:KIND" -> (item, plural)
    product_kinds: tuple[str, ...]  # the KINDs of items.tsv, in the order they first appear
    aspects: dict[str, tuple[Aspect, ...]]  # as items, plus "products:any"
    heldout_aspects: dict[str, tuple[Aspect, ...]]
    aspect_adjectives: dict[tuple[str, int], tuple[str, ...]]  # (group, polarity) -> adjectives
    narratives: dict[tuple[str, int], tuple[Frame, ...]]  # (domain, polarity) -> frames
    experiencers: tuple[tuple[str, bool], ...]  # (subject, takes the -s form of the verb)

    def verdicts(self, bank: str, domain: str, polarity: int) -> list[str]:
        """The bank's phrases of one polarity that suit the domain: those for any domain first."""
        shared = list(self.verdict_rows.get((bank, "any", polarity), ()))
        return shared if domain == "any" else shared + list(self.verdict_rows.get((bank, domain, polarity), ()))

    def in_domain(self, name: str, domain: str) -> tuple[str, ...]:
        """A domain list's words for one domain ("any" for those that suit every domain)."""
        return self.domain_words.get((name, domain), ())

    def adjectives(self, group: str, polarity: int) -> tuple[str, ...]:
        """The adjectives of an aspect group of one polarity (none for the "general" group)."""
        return self.aspect_adjectives.get((group, polarity), ())


def _text(row: Row, column: str, empty_ok: bool = False) -> str:
    value = row[column]
    if empty_ok and value == NONE:
        return ""
    if not _TEXT.fullmatch(value):
        raise row.error(f"{column} {value!r} has a character the tokenizer would not keep; use letters, digits, ' , -")
    return value


def _grouped(rows: Iterable[Row], key_columns: tuple[str, ...], known: dict[str, tuple[str, ...]]) -> dict:
    """Rows' text by their key columns, in file order; each key column's value must be one of ``known``."""
    grouped: dict[object, list[str]] = {}
    for row in rows:
        key = tuple(row.one_of(column, known[column]) for column in key_columns)
        text = _text(row, "text", empty_ok=key[0] in NONE_OK)
        grouped.setdefault(key if len(key) > 1 else key[0], []).append(text)
    return {key: tuple(values) for key, values in grouped.items()}


def _require(file: str, what: str, present: Iterable, needed: Iterable) -> None:
    have = set(present)
    missing = [name for name in needed if name not in have]
    if missing:
        raise GatescopeError(f"gatescope/train/data/phrases/{file}: no rows for {what} {', '.join(missing)}; add some")


def _contrast() -> tuple[dict[str, Pool], tuple[str, ...]]:
    markers: dict[str, dict[str, int]] = {}
    cues: list[str] = []
    for row in read_table("phrases/contrast_markers.tsv", ("position", "marker", "weight", "cue")):
        position = row.one_of("position", ("mid", "lead", "trailing"))
        marker = _text(row, "marker")
        if marker in markers.setdefault(position, {}):
            raise row.error(f"{marker!r} is listed twice for {position}; give it one row and add up the weights")
        markers[position][marker] = row.weight()
        if row.flag("cue") and marker not in cues:
            cues.append(marker)
    _require("contrast_markers.tsv", "position", markers, ("mid", "lead", "trailing"))
    return {position: Pool.of(weights) for position, weights in markers.items()}, tuple(cues)


def _intensifiers() -> Pool:
    weights: dict[str, int] = {}
    for row in read_table("phrases/intensifiers.tsv", ("word", "weight")):
        if row["word"] in weights:
            raise row.error(f"{row['word']!r} is listed twice; give it one row and add up the weights")
        weights[_text(row, "word")] = row.weight()
    return Pool.of(weights)


def _aspects(groups: set[str], item_keys: tuple[str, ...]) -> tuple[dict[str, tuple[Aspect, ...]], ...]:
    """(aspects used in training, held-out aspects), by the item keys of items.tsv and "products:any"."""
    keys = (*item_keys, "products:any")
    trained: dict[str, list[Aspect]] = {}
    held: dict[str, list[Aspect]] = {}
    columns = ("domain", "aspect", "number", "kind", "group", "heldout")
    for row in read_table("phrases/aspects.tsv", columns):
        if row["group"] not in groups:
            raise row.error(f"group {row['group']!r} has no rows in aspect_adjectives.tsv; add them or use general")
        aspect = (_text(row, "aspect"), row.flag("number", "plural", "singular"), row.one_of("kind", ASPECT_KINDS))
        table = held if row.flag("heldout") else trained
        table.setdefault(row.one_of("domain", keys), []).append((*aspect, row["group"]))
    _require("aspects.tsv", "domain", trained, keys)
    held_keys = [key for key in keys if not key.startswith("products:")] + ["products:any"]
    _require("aspects.tsv", "held-out domain", held, held_keys)
    return {k: tuple(v) for k, v in trained.items()}, {k: tuple(v) for k, v in held.items()}


def _items() -> dict[str, tuple[tuple[str, bool], ...]]:
    domains = tuple(domain for domain in DOMAINS if domain != "products")
    items: dict[str, list[tuple[str, bool]]] = {}
    for row in read_table("phrases/items.tsv", ("domain", "item", "number")):
        if not (row["domain"] in domains or re.fullmatch(r"products:[a-z]+", row["domain"])):
            raise row.error(f"domain is {row['domain']!r}; write one of {', '.join(domains)} or products:KIND")
        items.setdefault(row["domain"], []).append((_text(row, "item"), row.flag("number", "plural", "singular")))
    _require("items.tsv", "domain", items, domains)
    if not any(key.startswith("products:") for key in items):
        raise GatescopeError("gatescope/train/data/phrases/items.tsv: no products:KIND rows; add some")
    return {key: tuple(values) for key, values in items.items()}


def _narratives() -> dict[tuple[str, int], tuple[Frame, ...]]:
    parts = ("subject", "predicate", "ending")
    frames: dict[tuple[str, int, str], dict[str, list[str]]] = {}
    first_rows: dict[tuple[str, int, str], Row] = {}
    for row in read_table("phrases/narratives.tsv", ("domain", "polarity", "frame", "part", "text")):
        key = (row.one_of("domain", DOMAINS), POLARITIES[row.one_of("polarity", tuple(POLARITIES))], row["frame"])
        first_rows.setdefault(key, row)
        frame = frames.setdefault(key, {part: [] for part in parts})
        frame[row.one_of("part", parts)].append(_text(row, "text", empty_ok=True))
    narratives: dict[tuple[str, int], list[Frame]] = {}
    for (domain, polarity, number), frame in frames.items():
        if not all(frame.values()):
            raise first_rows[(domain, polarity, number)].error(
                f"frame {number} needs at least one subject, one predicate and one ending ((none) for no ending)"
            )
        subjects, predicates, endings = (tuple(frame[part]) for part in parts)
        narratives.setdefault((domain, polarity), []).append((subjects, predicates, endings))
    return {key: tuple(values) for key, values in narratives.items()}


def _adjective_groups() -> dict[tuple[str, int], tuple[str, ...]]:
    rows = read_table("phrases/aspect_adjectives.tsv", ("group", "polarity", "adjective"))
    groups: dict[tuple[str, int], list[str]] = {}
    for row in rows:
        key = (row["group"], POLARITIES[row.one_of("polarity", tuple(POLARITIES))])
        groups.setdefault(key, []).append(_text(row, "adjective"))
    return {key: tuple(values) for key, values in groups.items()}


def _slot_names(rows: list[Row]) -> tuple[str, ...]:
    """The slots that slots.tsv fills: any lower-case name the generator does not fill itself."""
    names: dict[str, None] = {}
    for row in rows:
        if not re.fullmatch(r"[a-z_]+", row["slot"]) or row["slot"] in GENERATOR_SLOTS + FRAME_SLOTS:
            raise row.error(f"slot {row['slot']!r} is no name of lower-case letters, or the generator fills it")
        names[row["slot"]] = None
    return tuple(names)


def _check_slots(phrases: Phrases) -> None:
    """Every {slot} in a phrase is one the generator fills."""
    known = {*GENERATOR_SLOTS, *FRAME_SLOTS, *phrases.slots}
    for text in all_texts(phrases):
        unknown = set(re.findall(r"\{(\w+)\}", text)) - known
        if unknown:
            raise GatescopeError(
                f"gatescope/train/data/phrases: {text!r} has the unknown slot {{{sorted(unknown)[0]}}}; "
                f"use one of {', '.join(sorted(known))}"
            )


@functools.cache
def phrases() -> Phrases:
    """All phrase banks, read and checked once (the first review generated reads them)."""
    domains = {"domain": (*DOMAINS, "any")}
    words = _grouped(read_table("phrases/words.tsv", ("list", "text")), ("list",), {"list": WORD_LISTS})
    _require("words.tsv", "list", words, WORD_LISTS)
    slot_rows = read_table("phrases/slots.tsv", ("slot", "text"))
    slots = _grouped(slot_rows, ("slot",), {"slot": _slot_names(slot_rows)})
    domain_words = _grouped(
        read_table("phrases/domain_words.tsv", ("list", "domain", "text")),
        ("list", "domain"),
        {"list": DOMAIN_LISTS, **domains},
    )
    verdict_rows: dict[tuple[str, str, int], list[str]] = {}
    for row in read_table("phrases/verdicts.tsv", ("bank", "domain", "polarity", "text")):
        polarity = POLARITIES[row.one_of("polarity", tuple(POLARITIES))]
        key = (row.one_of("bank", VERDICT_BANKS), row.one_of("domain", domains["domain"]), polarity)
        verdict_rows.setdefault(key, []).append(_text(row, "text"))
    _require("verdicts.tsv", "bank", {bank for bank, _, _ in verdict_rows}, VERDICT_BANKS)
    adjectives = _adjective_groups()
    items = _items()
    aspects, heldout_aspects = _aspects({group for group, _ in adjectives} | {"general"}, tuple(items))
    contrast, cues = _contrast()
    experiencers = tuple(
        (_text(row, "subject"), row.flag("verb", "loves", "love"))
        for row in read_table("phrases/experiencers.tsv", ("subject", "verb"))
    )
    loaded = Phrases(
        intensifiers=_intensifiers(),
        contrast=contrast,
        contrast_cues=cues,
        words=words,
        slots=slots,
        domain_words=domain_words,
        verdict_rows={key: tuple(values) for key, values in verdict_rows.items()},
        items=items,
        product_kinds=tuple(key.partition(":")[2] for key in items if key.startswith("products:")),
        aspects=aspects,
        heldout_aspects=heldout_aspects,
        aspect_adjectives=adjectives,
        narratives=_narratives(),
        experiencers=experiencers,
    )
    _check_slots(loaded)
    return loaded


def all_texts(phrases: Phrases, heldout: bool = False) -> Iterable[str]:
    """Every phrase and word of the banks (the held-out aspects only with heldout=True, and then only them)."""
    if heldout:
        yield from (aspect[0] for aspects in phrases.heldout_aspects.values() for aspect in aspects)
        return
    yield from phrases.intensifiers.items
    for pool in phrases.contrast.values():
        yield from pool.items
    groups: list[Sequence[str]] = [*phrases.words.values(), *phrases.slots.values(), *phrases.domain_words.values()]
    groups += [*phrases.verdict_rows.values(), *phrases.aspect_adjectives.values()]
    groups += [[item for item, _ in items] for items in phrases.items.values()]
    groups += [[aspect[0] for aspect in aspects] for aspects in phrases.aspects.values()]
    groups += [
        [part for frame in frames for parts in frame for part in parts] for frames in phrases.narratives.values()
    ]
    groups.append([subject for subject, _ in phrases.experiencers])
    for group in groups:
        yield from group
