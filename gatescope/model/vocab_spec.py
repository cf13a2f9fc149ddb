"""What a vocabulary source says (:class:`VocabularySpec`) and how gatescope turns it into a tokenizer and a vocabulary
numbering the embedding's rows (:func:`assemble`), inferring what the source does not say (see
:mod:`gatescope.model.vocab_files`)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from gatescope.errors import GatescopeError
from gatescope.model.tokenize import CharTokenizer, Vocabulary, WordTokenizer, token_index

#: Tokens that stand for a word the vocabulary lacks, the first one found wins (when the file does not say).
UNKNOWN_TOKENS = ("<unk>", "[UNK]", "<UNK>", "UNK", "<oov>", "[OOV]", "<OOV>")
#: Tokens that pad sequences, the first one found wins (when the file does not say).
PADDING_TOKENS = ("<pad>", "[PAD]", "<PAD>", "PAD", "<padding>")
#: Names in angle or square brackets (``<s>``, ``[CLS]``): special tokens, left aside when inferring tokenization.
_SPECIAL = re.compile(r"<[^<>\s]+>|\[[^\[\]\s]+\]")

Tokenizer = WordTokenizer | CharTokenizer


@dataclass
class VocabularySpec:
    """What a vocabulary source says: token → id, its kind, and what it says of tokenization, unknown and padding.

    ``tokenizer`` None: inferred from the tokens, lower-casing too unless ``lowercase`` says (with ``normalize``
    steps). ``says_unknown`` / ``says_padding`` False: looked up among UNKNOWN_TOKENS / PADDING_TOKENS; True:
    ``unknown`` / ``padding`` is what the file says (None: it has none)."""

    ids: dict[str, int]
    kind: str
    tokenizer: Tokenizer | None = None
    lowercase: bool | None = None
    normalize: tuple[str, ...] = ()
    says_unknown: bool = False
    unknown: str | None = None
    says_padding: bool = False
    padding: str | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class ReadVocabulary:
    """A vocabulary as gatescope reads it: the tokenizer, the vocabulary, and a description of where they came from
    (``kind``) and how (``reading``: word or character tokens, lower-casing, what was inferred)."""

    tokenizer: Tokenizer
    vocabulary: Vocabulary
    kind: str
    reading: str


def assemble(spec: VocabularySpec, rows: int, where: str) -> ReadVocabulary:
    """The tokenizer and a vocabulary of exactly ``rows`` tokens from what ``spec`` says; ``where`` (a path, or ""
    for a mapping or list given in Python) starts every error message."""
    where = where or "the vocabulary"
    tokens = _numbered_rows(spec.ids, rows, where)
    unknown = spec.unknown if spec.says_unknown else next((t for t in UNKNOWN_TOKENS if t in spec.ids), None)
    padding = spec.padding if spec.says_padding else next((t for t in PADDING_TOKENS if t in spec.ids), None)
    unknown = unknown if unknown in spec.ids else None
    padding = padding if padding in spec.ids else None
    reading: list[str] = []
    tokenizer = spec.tokenizer
    if tokenizer is None:
        tokenizer = _inferred_tokenizer(spec, {unknown, padding} - {None}, reading)
    else:
        reading.append(_tokenizer_words(tokenizer))
    reading.append(f"unknown words: {unknown!r} (id {spec.ids[unknown]})" if unknown is not None else _NO_UNKNOWN)
    if padding is not None:
        reading.append(f"padding {padding!r} (id {spec.ids[padding]})")
    reading += spec.notes
    vocabulary = Vocabulary(tokens, unknown=unknown, padding=padding)
    return ReadVocabulary(tokenizer, vocabulary, spec.kind, "; ".join(reading))


_NO_UNKNOWN = "no unknown token (text with a word it lacks is refused)"


def _numbered_rows(ids: dict[str, int], rows: int, where: str) -> list[str]:
    """One token per row in id order; rows no token names get placeholders ``<id N>`` (made unique)."""
    if not ids:
        raise GatescopeError(f"{where}: the vocabulary is empty")
    largest = max(ids.values())
    if largest >= rows:
        token = next(token for token, number in ids.items() if number == largest)
        raise GatescopeError(
            f"{where}: token {token!r} has id {largest} but the model's embedding has only {rows} rows (ids 0 to "
            f"{rows - 1}); is this the model's own vocabulary?"
        )
    tokens: list[str | None] = [None] * rows
    for token, number in ids.items():
        if tokens[number] is not None:
            raise GatescopeError(f"{where}: tokens {tokens[number]!r} and {token!r} share id {number}")
        tokens[number] = token
    filled = [f"<id {number}>" if token is None else token for number, token in enumerate(tokens)]
    while len(set(filled)) != len(filled):  # a real token spelled like a placeholder: make placeholders unique
        filled = [f"<{f}>" if token is None else f for f, token in zip(filled, tokens)]
    return filled


def _inferred_tokenizer(spec: VocabularySpec, special: set[str | None], reading: list[str]) -> Tokenizer:
    """Character- or word-level, and lower-casing unless the spec says, inferred from the tokens (see
    :mod:`gatescope.model.vocab_files`)."""
    named = [token for token in spec.ids if token and token not in special and not _SPECIAL.fullmatch(token)]
    if spec.lowercase is None:
        lowercase = not any(token != token.lower() for token in named)
        case = "lower-cased (no token has a capital letter)" if lowercase else "case kept (tokens have capitals)"
    else:
        lowercase = spec.lowercase
        case = "lower-cased" if lowercase else "case kept"
    steps = "".join(f", {step.replace('_', ' ')}" for step in spec.normalize)
    if named and all(len(token) == 1 for token in named):
        reading.append(f"character-level (inferred: every token is one character), {case}{steps}")
        return CharTokenizer(lowercase=lowercase, normalize=spec.normalize)
    reading.append(f"word-level (inferred: tokens are words), {case}{steps}")
    return WordTokenizer(lowercase=lowercase, normalize=spec.normalize)


def _tokenizer_words(tokenizer: Tokenizer) -> str:
    """How a tokenizer cuts and keys text, in words (for the description of a vocabulary)."""
    if isinstance(tokenizer, CharTokenizer):
        parts = ["character-level" + (" (control characters too)" if tokenizer.keep_controls else "")]
    else:
        split = {
            "words": "words",
            "whitespace": "split at whitespace and punctuation",
            "whitespace_split": "split at whitespace",
            "ascii_whitespace": "split at ASCII whitespace",
        }[tokenizer.split]
        parts = [f"word-level ({split}{' and filter characters' if tokenizer.separators else ''})"]
    if tokenizer.lowercase:
        parts.append("lower-cased")
    elif "lowercase_ascii" in tokenizer.normalize:
        parts.append("A-Z lower-cased (other letters keep their case)")
    else:
        parts.append("case kept")
    parts += [step.replace("_", " ") for step in tokenizer.normalize if step != "lowercase_ascii"]
    return ", ".join(parts)


def checked_mapping(mapping: Mapping[Any, Any], where: str) -> dict[str, int]:
    """A token → id mapping, checked: string tokens, non-negative integer ids."""
    ids: dict[str, int] = {}
    for token, number in mapping.items():
        if not isinstance(token, str) or isinstance(number, bool) or not isinstance(number, int) or number < 0:
            raise GatescopeError(f"{where}: entry {token!r}: {number!r} is not token → non-negative id")
        ids[token] = number
    return ids


def listed_ids(tokens: Sequence[object], where: str) -> dict[str, int]:
    """Tokens listed in id order as token → id, checked: strings, none twice."""
    return token_index(tokens, f"{where}:")
