"""Derive the committed word lists in gatescope/train/data/ from VADER, wordfreq and WordNet.

These are training-data-only tools, kept out of the app's own environment:

    python3 -m venv .venv-data
    .venv-data/bin/pip install vaderSentiment==3.3.2 wordfreq==3.1.1
    apt-get install wordnet-base            # WordNet 3.0 database in /usr/share/wordnet
    .venv-data/bin/python scripts/make_lexicon.py [--out FOLDER [--check]]

The script is deterministic: the same package versions give byte-identical files (--out elsewhere with --check
compares them with the committed ones). It writes

    adjectives.tsv     sentiment adjectives: word, polarity, valence, frequency, scope, source
                       (scope: universal, general, person, state, food, story, thing, place or gadget -
                       what they can describe)
    adverbs.tsv        sentiment adverbs:    word, polarity, valence, frequency, source
    verbs.tsv          sentiment verbs:      base, past, third, polarity, valence, frequency, frame, source
    nouns.tsv          evaluative nouns:     word, polarity, valence, frequency, source
    neutral_nouns.tsv  filler nouns:         word, category (food/animal/plant/person/object/place), frequency
    heldout.tsv        words kept out of training (the "unknown_words" test subset): word, kind

Sources: VADER's valence (-4 .. +4) decides a word's polarity; wordfreq's Zipf frequency keeps only
common English words, and a coarse band of it (common/medium/rare: all that is written of wordfreq's
data) weights how often the generator picks a word; WordNet's part-of-speech
index and lexicographer files say which words are adjectives, and which nouns are foods, animals,
plants, people or made things. The lexicons are noisy for reviews (slang, crime and war words that
describe a plot rather than judge it, words that flip with context), so the hand-made lists in
scripts/lexicon/*.tsv (one file per concern, each explained in its "#" comments) remove those, sort
adjectives into scopes and add the review vocabulary VADER lacks (bland, overpriced, flimsy, ...):
every such row says source=curated. The generator and its tests read only the written files: they
need no package.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "gatescope" / "train" / "data"
WORDNET = Path(os.environ.get("WORDNET_DIR", "/usr/share/wordnet"))

ADJ_MIN_ZIPF = 2.8  # about once in 1.6 million words
ADJ_MIN_VALENCE = 1.0
NEUTRAL_MIN_ZIPF = {"food": 3.0, "animal": 3.0, "plant": 3.0, "person": 3.1, "object": 3.2, "place": 3.3}
HELDOUT_SHARE = 0.08  # of the less common sentiment words and filler nouns
HELDOUT_MAX_ZIPF = 3.6  # common words ("great", "awful", "overpriced") always stay in training
HELDOUT_CATEGORIES = ("animal", "plant", "person", "object", "place")  # foods double as restaurant aspects

LISTS = Path(__file__).resolve().parent / "lexicon"  # the hand-made word lists, one file per concern
SCOPES = ("universal", "state", "person", "food", "story", "thing", "place", "gadget")  # and "general": the rest
LEXNAMES = {5: "animal", 6: "artifact", 13: "food", 18: "person", 20: "plant"}  # WordNet's lexicographer files


def fail(message: str) -> None:
    print(f"make_lexicon: {message}", file=sys.stderr)
    raise SystemExit(1)


def read_list(name: str, columns: tuple[str, ...]) -> list[list[str]]:
    """The rows of scripts/lexicon/NAME.tsv under its header ``columns``, skipping blank lines and "#" comments."""
    path = LISTS / f"{name}.tsv"
    with path.open(encoding="utf-8", newline="") as handle:
        numbered = [(n, line) for n, line in enumerate(handle, start=1) if line.strip() and not line.startswith("#")]
    rows = list(csv.reader((line for _, line in numbered), delimiter="\t", quoting=csv.QUOTE_NONE, strict=True))
    if not rows or tuple(rows[0]) != columns:
        fail(f"{path}: the first line that is not a comment should be {'<TAB>'.join(columns)}")
    for (number, _), row in zip(numbered[1:], rows[1:], strict=True):
        if len(row) != len(columns) or not all(row):
            fail(f"{path}:{number}: write {len(columns)} values ({', '.join(columns)}) separated by single tabs")
    return rows[1:]


def read_words(name: str) -> set[str]:
    """The words of a one-column list (word)."""
    return {word for (word,) in read_list(name, ("word",))}


def read_valences(name: str) -> dict[str, float]:
    """word -> valence of a two-column list (word, valence), on VADER's -4..+4 scale."""
    return {word: float(valence) for word, valence in read_list(name, ("word", "valence"))}


def read_scopes() -> dict[str, str]:
    """word -> scope of the hand-sorted adjectives; a word listed under two scopes takes the first."""
    scopes: dict[str, str] = {}
    for scope, word in read_list("adjective_scopes", ("scope", "word")):
        if scope not in SCOPES:
            fail(f"{LISTS / 'adjective_scopes.tsv'}: unknown scope {scope!r}; write one of {', '.join(SCOPES)}")
        scopes.setdefault(word, scope)
    return scopes


def read_nouns() -> dict[str, tuple[float, bool]]:
    """word -> (hand-rated valence, whether VADER's valence may replace it) of the evaluative nouns."""
    nouns = {}
    for word, valence, use_vader in read_list("evaluative_nouns", ("word", "valence", "use_vader")):
        if use_vader not in ("yes", "no"):
            fail(f"{LISTS / 'evaluative_nouns.tsv'}: use_vader of {word!r} is {use_vader!r}; write yes or no")
        nouns[word] = (float(valence), use_vader == "yes")
    return nouns


# Adjectives: VADER words WordNet knows mainly as adjectives, minus the ones unfit for reviews, plus curated ones.
EXCLUDED_ADJECTIVES = read_words("excluded_adjectives")
ADJECTIVE_SCOPES = read_scopes()
CURATED_ADJECTIVES = read_valences("curated_adjectives")
ADJECTIVE_DESPITE_POS = read_words("adjectives_despite_pos")
# Adverbs: formed from the kept adjectives and checked against WordNet's adverb index, plus curated ones.
EXCLUDED_ADVERBS = read_words("excluded_adverbs")
CURATED_ADVERBS = read_valences("curated_adverbs")
# Verbs: base -> (past, third person singular, frame, fallback valence when VADER lacks the word).
VERBS = {
    base: (past, third, frame, float(valence))
    for base, past, third, frame, valence in read_list("attitude_verbs", ("base", "past", "third", "frame", "valence"))
}
# Evaluative nouns: word -> (fallback valence, whether VADER's valence may replace it).
NOUNS = read_nouns()
# Neutral filler nouns: WordNet nouns of the LEXNAMES files, minus these.
EXCLUDED_NEUTRAL = read_words("excluded_neutral_nouns")


def load_vader() -> dict[str, float]:
    try:
        import vaderSentiment
    except ImportError:
        fail("vaderSentiment is not installed; see the docstring for the .venv-data set-up")
    path = Path(vaderSentiment.__file__).with_name("vader_lexicon.txt")
    lexicon: dict[str, float] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) >= 2:
            lexicon[parts[0]] = float(parts[1])
    return lexicon


def zipf_function():
    try:
        import wordfreq
    except ImportError:
        fail("wordfreq is not installed; see the docstring for the .venv-data set-up")

    def zipf(phrase: str) -> float:
        # A phrase counts as common as its rarest word ("waste of money" ~ "waste").
        return min(wordfreq.zipf_frequency(word, "en") for word in re.split(r"[ -]", phrase))

    return zipf


def load_wordnet_index(pos: str) -> dict[str, tuple[int, int, list[str]]]:
    """lemma -> (synset count, SemCor-tagged sense count, synset offsets by frequency)."""
    path = WORDNET / f"index.{pos}"
    if not path.is_file():
        fail(f"{path} not found: install Debian's wordnet-base or set WORDNET_DIR")
    index = {}
    for line in path.read_text(encoding="latin-1").splitlines():
        if line.startswith(" "):
            continue
        fields = line.split()
        pointer_count = int(fields[3])
        rest = fields[4 + pointer_count :]
        index[fields[0]] = (int(fields[2]), int(rest[1]), rest[2:])
    return index


def load_wordnet_nouns() -> dict[str, tuple[int, list[str], list[str]]]:
    """synset offset -> (lexicographer file number, word forms as written, hypernym offsets)."""
    synsets = {}
    with open(WORDNET / "data.noun", encoding="latin-1") as handle:
        for line in handle:
            if line.startswith("  "):
                continue
            fields = line.split(" ")
            count = int(fields[3], 16)
            at = 4 + 2 * count
            hypernyms = [
                fields[at + 2 + 4 * i]
                for i in range(int(fields[at]))
                if fields[at + 1 + 4 * i] in ("@", "@i") and fields[at + 3 + 4 * i] == "n"
            ]
            synsets[fields[0]] = (int(fields[1]), [fields[4 + 2 * i] for i in range(count)], hypernyms)
    return synsets


# Made things split into places ("a cafe", "a lighthouse") and objects ("a kettle", "a scarf"),
# by whether one of these artifact synsets is an ancestor.
PLACE_ANCESTORS = ("structure", "facility", "way", "area", "establishment")


def artifact_category(offset: str, synsets: dict) -> str:
    seen: set[str] = set()
    stack = [offset]
    while stack:
        current = stack.pop()
        lexfile, forms, hypernyms = synsets[current]
        if lexfile == 6 and forms[0] in PLACE_ANCESTORS and current != offset:
            return "place"
        for hypernym in hypernyms:
            if hypernym not in seen:
                seen.add(hypernym)
                stack.append(hypernym)
    return "object"


def pos_score(index: dict, word: str) -> float:
    if word not in index:
        return -1.0
    synsets, tagged, _ = index[word]
    return tagged + 0.1 * synsets


def stable_fraction(word: str, salt: str) -> float:
    digest = hashlib.sha256(f"{salt}:{word}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def polarity_of(valence: float) -> str:
    return "positive" if valence > 0 else "negative"


def adverb_forms(adjective: str) -> list[str]:
    if adjective.endswith("ic"):
        return [adjective + "ally"]
    if adjective.endswith("le") and len(adjective) > 3:
        return [adjective[:-1] + "y"]
    if adjective.endswith("y") and not adjective.endswith("ey"):
        return [adjective[:-1] + "ily"]
    if adjective.endswith("ll"):
        return [adjective + "y"]
    return [adjective + "ly"]


@dataclass(frozen=True)
class Sources:
    """What the lists are derived from: VADER's valences, wordfreq's Zipf frequency and WordNet's indexes."""

    vader: dict[str, float]
    zipf: Callable[[str], float]
    index: dict[str, dict[str, tuple[int, int, list[str]]]]  # part of speech -> lemma -> index entry
    synsets: dict[str, tuple[int, list[str], list[str]]]  # noun synsets


def scope_of(word: str) -> str:
    """What an adjective can describe: its scope in adjective_scopes.tsv, else "general"."""
    return ADJECTIVE_SCOPES.get(word, "general")


def is_review_adjective(src: Sources, word: str, valence: float) -> bool:
    """A VADER word that is strong enough, common enough and mainly an adjective (or kept despite its POS)."""
    if not re.fullmatch(r"[a-z]+(-[a-z]+)?", word) or word in EXCLUDED_ADJECTIVES:
        return False
    if abs(valence) < ADJ_MIN_VALENCE or word not in src.index["adj"] or src.zipf(word) < ADJ_MIN_ZIPF:
        return False
    other = max(pos_score(src.index[pos], word) for pos in ("adv", "noun", "verb"))
    return pos_score(src.index["adj"], word) >= other or word in ADJECTIVE_DESPITE_POS


def build_adjectives(src: Sources) -> dict[str, tuple]:
    """word -> (word, polarity, valence, zipf, scope, source)."""
    adjectives: dict[str, tuple] = {}
    for word, valence in src.vader.items():
        if is_review_adjective(src, word, valence):
            adjectives[word] = (word, polarity_of(valence), valence, src.zipf(word), scope_of(word), "vader")
    for word in sorted(ADJECTIVE_DESPITE_POS):
        if word in src.vader and word not in adjectives:
            valence = src.vader[word]
            adjectives[word] = (word, polarity_of(valence), valence, src.zipf(word), scope_of(word), "vader")
    for word, valence in CURATED_ADJECTIVES.items():
        if word in adjectives and adjectives[word][5] == "vader":
            continue  # VADER already has it: its valence wins
        adjectives[word] = (word, polarity_of(valence), valence, src.zipf(word), scope_of(word), "curated")
    # A state adjective is the experiencer's side of a stimulus verb; keep it consistent.
    for row in adjectives.values():
        if row[4] == "state" and row[1] != polarity_of(row[2]):
            fail(f"inconsistent polarity for {row[0]}")
    return adjectives


def derived_adverb(src: Sources, adverb: str, row: tuple) -> tuple | None:
    """The adverb of an adjective row if WordNet knows it, it is common enough and its polarity agrees."""
    if adverb in EXCLUDED_ADVERBS or adverb not in src.index["adv"]:
        return None
    z = src.zipf(adverb)
    if z < 2.3:
        return None
    valence = src.vader.get(adverb, row[2])
    if polarity_of(valence) != row[1]:
        return None
    return (adverb, row[1], valence, z, "vader" if adverb in src.vader else "derived")


def build_adverbs(src: Sources, adjectives: dict[str, tuple]) -> dict[str, tuple]:
    """adverb -> (word, polarity, valence, zipf, source)."""
    adverbs: dict[str, tuple] = {}
    for word, row in adjectives.items():
        if row[4] == "state" or "-" in word:
            continue
        for adverb in adverb_forms(word):
            derived = derived_adverb(src, adverb, row)
            if derived is not None:
                adverbs[adverb] = derived
    for adverb, valence in CURATED_ADVERBS.items():
        if adverb in src.vader:
            valence_used, source = src.vader[adverb], "vader"
        else:
            valence_used, source = valence, "curated"
        if polarity_of(valence_used) != polarity_of(valence):
            valence_used, source = valence, "curated"
        adverbs[adverb] = (adverb, polarity_of(valence_used), valence_used, src.zipf(adverb), source)
    return adverbs


def build_verbs(src: Sources) -> list[tuple]:
    """(base, past, third, polarity, valence, zipf, frame, source) rows."""
    verbs = []
    for base, (past, third, frame, fallback) in VERBS.items():
        valence = src.vader.get(base, fallback)
        source = "vader" if base in src.vader else "curated"
        if polarity_of(valence) != polarity_of(fallback):
            valence, source = fallback, "curated"
        verbs.append((base, past, third, polarity_of(valence), valence, src.zipf(base), frame, source))
    return verbs


def build_nouns(src: Sources) -> list[tuple]:
    """(word, polarity, valence, zipf, source) rows of the evaluative nouns."""
    nouns = []
    for word, (fallback, use_vader) in NOUNS.items():
        vader = src.vader
        if use_vader and word in vader and polarity_of(vader[word]) == polarity_of(fallback):
            valence, source = vader[word], "vader"
        else:
            valence, source = fallback, "curated"
        nouns.append((word, polarity_of(valence), valence, src.zipf(word), source))
    return nouns


def neutral_category(src: Sources, word: str, offsets: list[str], sentiment_words: set[str]) -> str | None:
    """The filler category of a WordNet noun (food, animal, plant, person, object, place), or None to skip it."""
    if not re.fullmatch(r"[a-z]+", word) or word in src.vader or word in EXCLUDED_NEUTRAL:
        return None
    if word in sentiment_words or any(word in src.index[pos] for pos in ("adj", "adv", "verb")):
        return None
    if word.endswith("s") and word[:-1] in src.index["noun"]:
        return None  # a plural ("colours", "seats"): filler templates want "a colour"
    lexfile, forms, _ = src.synsets[offsets[0]]
    category = LEXNAMES.get(lexfile)
    if category is None:
        return None
    if category == "artifact":
        category = artifact_category(offsets[0], src.synsets)
    if next((form for form in forms if form.lower() == word), word) != word:
        return None  # the commonest sense is a proper noun ("Turkey", "Robin")
    return category


def build_neutral(src: Sources, sentiment_words: set[str]) -> list[tuple]:
    """(word, category, zipf) rows of the neutral filler nouns."""
    neutral = []
    for word, (_, _, offsets) in src.index["noun"].items():
        category = neutral_category(src, word, offsets, sentiment_words)
        if category is None:
            continue
        z = src.zipf(word)
        if z >= NEUTRAL_MIN_ZIPF[category]:
            neutral.append((word, category, z))
    return neutral


def build_heldout(adjectives: dict[str, tuple], neutral: list[tuple]) -> list[tuple]:
    """Held-out words for the unknown_words subset: a stable hash picks them, never the commonest."""
    heldout = []
    for word, row in sorted(adjectives.items()):
        if row[5] != "vader" or row[4] == "state" or row[3] >= HELDOUT_MAX_ZIPF:
            continue
        if stable_fraction(word, "adj") < 2 * HELDOUT_SHARE:
            heldout.append((word, "adjective"))
    for word, category, z in sorted(neutral):
        if category in HELDOUT_CATEGORIES and z < HELDOUT_MAX_ZIPF and stable_fraction(word, "neutral") < HELDOUT_SHARE:
            heldout.append((word, "neutral"))
    return heldout


def build() -> dict[str, list[tuple]]:
    """Every table's rows, sorted as written."""
    src = Sources(
        vader=load_vader(),
        zipf=zipf_function(),
        index={pos: load_wordnet_index(pos) for pos in ("adj", "adv", "noun", "verb")},
        synsets=load_wordnet_nouns(),
    )
    adjectives = build_adjectives(src)
    adverbs = build_adverbs(src, adjectives)
    verbs = build_verbs(src)
    nouns = build_nouns(src)
    sentiment_words = set(adjectives) | set(adverbs) | {v[0] for v in verbs} | {n[0] for n in nouns}
    neutral = build_neutral(src, sentiment_words)
    return {
        "adjectives": sorted(adjectives.values()),
        "adverbs": sorted(adverbs.values()),
        "verbs": sorted(verbs),
        "nouns": sorted(nouns),
        "neutral_nouns": sorted(neutral, key=lambda row: (row[1], row[0])),
        "heldout": build_heldout(adjectives, neutral),
    }


HEADERS = {
    "adjectives": ("word", "polarity", "valence", "frequency", "scope", "source"),
    "adverbs": ("word", "polarity", "valence", "frequency", "source"),
    "verbs": ("base", "past", "third", "polarity", "valence", "frequency", "frame", "source"),
    "nouns": ("word", "polarity", "valence", "frequency", "source"),
    "neutral_nouns": ("word", "category", "frequency"),
    "heldout": ("word", "kind"),
}


def frequency_band(zipf: float) -> str:
    """Only this coarse band of wordfreq's estimate is written: "common", "medium" or "rare"."""
    return "common" if zipf >= 4.5 else "medium" if zipf >= 3.5 else "rare"


def write(name: str, rows: list[tuple], folder: Path) -> Path:
    path = folder / f"{name}.tsv"
    header = HEADERS[name]
    if "frequency" in header:
        at = header.index("frequency")
        rows = [row[:at] + (frequency_band(row[at]),) + row[at + 1 :] for row in rows]
    lines = [
        "# Generated by scripts/make_lexicon.py from VADER 3.3.2, wordfreq 3.1.1 and WordNet 3.0; do not edit.",
        "\t".join(header),
    ]
    for row in rows:
        lines.append("\t".join(f"{value:.2f}" if isinstance(value, float) else str(value) for value in row))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help=f"folder to write into (default {OUT.relative_to(ROOT)})")
    parser.add_argument("--check", action="store_true", help="compare --out's files with the committed ones")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    differ = []
    for name, rows in build().items():
        path = write(name, rows, args.out)
        print(f"{path}: {len(rows)} rows")
        if args.check and path.read_bytes() != (OUT / path.name).read_bytes():
            differ.append(path.name)
    if args.check:
        print("differ from the committed files: " + ", ".join(differ) if differ else "identical to the committed files")
        raise SystemExit(1 if differ else 0)


if __name__ == "__main__":
    main()
