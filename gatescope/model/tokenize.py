"""Tokenizers that cut text into spans of the original string, and the vocabulary numbering them."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from gatescope.errors import GatescopeError

# Planes 0, 1 and 14 hold every combining mark, other-symbol and format character;
# planes 2-3 are CJK ideographs only and 15-16 are private use.
_SCANNED_PLANES = (range(0x0000, 0x20000), range(0xE0000, 0xE1000))
_CONTROL_AND_SURROGATE_RANGES = r"\x00-\x1f\x7f-\x9f\ud800-\udfff"
_APOSTROPHES_AND_HYPHENS = r"'\u2019\-\u2010\u2011"
_REGIONAL_INDICATOR = r"\U0001F1E6-\U0001F1FF"
_SKIN_TONE_MODIFIERS = r"\U0001F3FB-\U0001F3FF"
_EMOJI_TAGS = r"\U000E0020-\U000E007F"
_ZERO_WIDTH_JOINER = r"\u200d"


@dataclass(frozen=True, slots=True)
class Token:
    """One token: its exact text, its vocabulary key and its span [start, end) in the original."""

    text: str
    key: str
    start: int
    end: int


def _character_class_ranges(code_points: Iterable[int]) -> str:
    """Sorted code points folded into a regex character-class body of \\U escapes and ranges."""
    parts: list[str] = []
    run_start = run_end = -2
    for code_point in sorted(code_points):
        if code_point == run_end + 1:
            run_end = code_point
            continue
        if run_start >= 0:
            parts.append(_escaped_range(run_start, run_end))
        run_start = run_end = code_point
    if run_start >= 0:
        parts.append(_escaped_range(run_start, run_end))
    return "".join(parts)


def _escaped_range(first: int, last: int) -> str:
    """One regex character-class range (or single character) written with \\U escapes."""
    if first == last:
        return f"\\U{first:08x}"
    return f"\\U{first:08x}-\\U{last:08x}"


@functools.cache
def _word_pattern() -> re.Pattern[str]:
    """The compiled word-tokenizer regex, built once from the Unicode database."""
    marks: list[int] = []
    symbols: list[int] = []
    formats: list[int] = []
    for plane in _SCANNED_PLANES:
        for code_point in plane:
            category = unicodedata.category(chr(code_point))
            if category[0] == "M":
                marks.append(code_point)
            elif category == "So":
                symbols.append(code_point)
            elif category == "Cf":
                formats.append(code_point)
    mark = _character_class_ranges(marks)
    symbol = _character_class_ranges(symbols)
    never_a_token = _CONTROL_AND_SURROGATE_RANGES + _character_class_ranges(formats)
    word_run = rf"\w[\w{mark}]*"
    extender = rf"[{mark}{_SKIN_TONE_MODIFIERS}{_EMOJI_TAGS}]*"
    flag = rf"[{_REGIONAL_INDICATOR}]{{2}}{extender}"
    word = rf"{word_run}(?:[{_APOSTROPHES_AND_HYPHENS}]{word_run})*"
    emoji_sequence = rf"[{symbol}]{extender}(?:{_ZERO_WIDTH_JOINER}[{symbol}]{extender})*"
    other_character = rf"[^\s\w{never_a_token}]{extender}"
    return re.compile(f"{flag}|{word}|{emoji_sequence}|{other_character}")


_CHARACTER_PATTERN = re.compile(rf"[^{_CONTROL_AND_SURROGATE_RANGES}]")


def _require_bool(value: object, option: str, kind: str) -> bool:
    """The value itself if it is a bool, else a GatescopeError naming the option."""
    if not isinstance(value, bool):
        raise GatescopeError(f"{kind} tokenizer option {option!r} must be true or false, got {value!r}")
    return value


class WordTokenizer:
    """Splits text into words (joined by internal ' or -), punctuation marks and emoji sequences."""

    kind = "word"

    def __init__(self, lowercase: bool = True) -> None:
        self.lowercase = _require_bool(lowercase, "lowercase", self.kind)
        self._pattern = _word_pattern()

    def tokenize(self, text: str) -> list[Token]:
        """Tokens of text in order; whitespace, control and format characters are dropped."""
        if self.lowercase:
            return [
                Token(match.group(), match.group().lower(), match.start(), match.end())
                for match in self._pattern.finditer(text)
            ]
        return [
            Token(match.group(), match.group(), match.start(), match.end()) for match in self._pattern.finditer(text)
        ]

    def to_dict(self) -> dict[str, Any]:
        """JSON-able configuration that tokenizer_from_dict turns back into this tokenizer."""
        return {"kind": self.kind, "lowercase": self.lowercase}

    def __repr__(self) -> str:
        return f"WordTokenizer(lowercase={self.lowercase})"


class CharTokenizer:
    """Splits text into single characters, spaces included; control characters are dropped."""

    kind = "char"

    def __init__(self, lowercase: bool = False) -> None:
        self.lowercase = _require_bool(lowercase, "lowercase", self.kind)

    def tokenize(self, text: str) -> list[Token]:
        """One token per character of text except control characters and lone surrogates."""
        key_of = _lowercase_character if self.lowercase else str
        return [
            Token(match.group(), key_of(match.group()), match.start(), match.end())
            for match in _CHARACTER_PATTERN.finditer(text)
        ]

    def to_dict(self) -> dict[str, Any]:
        """JSON-able configuration that tokenizer_from_dict turns back into this tokenizer."""
        return {"kind": self.kind, "lowercase": self.lowercase}

    def __repr__(self) -> str:
        return f"CharTokenizer(lowercase={self.lowercase})"


@functools.lru_cache(maxsize=4096)
def _lowercase_character(character: str) -> str:
    """The lower-case character, or the character itself when lower-casing would lengthen it."""
    lowered = character.lower()
    return lowered if len(lowered) == 1 else character


_TOKENIZER_CLASSES: dict[str, type[WordTokenizer] | type[CharTokenizer]] = {
    WordTokenizer.kind: WordTokenizer,
    CharTokenizer.kind: CharTokenizer,
}


def tokenizer_from_dict(config: dict[str, Any]) -> WordTokenizer | CharTokenizer:
    """The tokenizer described by a to_dict() configuration."""
    if not isinstance(config, Mapping):
        raise GatescopeError(f"tokenizer configuration must be a mapping, got {type(config).__name__}")
    if "kind" not in config:
        raise GatescopeError("tokenizer configuration has no 'kind' (expected 'word' or 'char')")
    kind = config["kind"]
    tokenizer_class = _TOKENIZER_CLASSES.get(kind) if isinstance(kind, str) else None
    if tokenizer_class is None:
        known = ", ".join(repr(name) for name in _TOKENIZER_CLASSES)
        raise GatescopeError(f"unknown tokenizer kind {kind!r}; expected one of {known}")
    known_options = ("kind", "lowercase")
    unknown_options = sorted(str(option) for option in config if option not in known_options)
    if unknown_options:
        raise GatescopeError(
            f"{kind} tokenizer does not take option(s) {', '.join(unknown_options)}; the only option is 'lowercase'"
        )
    if "lowercase" in config:
        return tokenizer_class(lowercase=config["lowercase"])
    return tokenizer_class()


class Vocabulary:
    """The token keys a model knows, numbered by position; one of them stands for unknown keys."""

    def __init__(self, tokens: Sequence[str], unknown: str = "<unk>") -> None:
        if isinstance(tokens, np.ndarray):
            tokens = tokens.tolist()
        if isinstance(tokens, (str, bytes)) or not isinstance(tokens, Sequence):
            raise GatescopeError(f"vocabulary tokens must be a list of strings, got {type(tokens).__name__}")
        if len(tokens) == 0:
            raise GatescopeError("vocabulary is empty; it needs at least the unknown token")
        if not isinstance(unknown, str):
            raise GatescopeError(f"vocabulary unknown token must be a string, got {unknown!r}")
        index: dict[str, int] = {}
        for position, token in enumerate(tokens):
            if not isinstance(token, str):
                raise GatescopeError(f"vocabulary entry {position} is {type(token).__name__} {token!r}, not a string")
            if token in index:
                raise GatescopeError(f"vocabulary token {token!r} appears twice, at ids {index[token]} and {position}")
            index[token] = position
        if unknown not in index:
            raise GatescopeError(f"vocabulary has no entry for its unknown token {unknown!r}; add it to the tokens")
        self._index = index
        self._tokens = list(tokens)
        self.unknown = unknown
        self.unknown_id = index[unknown]

    def __len__(self) -> int:
        return len(self._tokens)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key in self._index

    def id(self, key: str) -> int:
        """The id of key, or unknown_id when the vocabulary does not contain it."""
        return self._index.get(key, self.unknown_id)

    def encode(self, keys: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Ids (int64, (T,)) of keys and a mask (bool, (T,)) of keys missing from the vocabulary."""
        lookup = self._index.get
        ids = np.fromiter((lookup(key, -1) for key in keys), dtype=np.int64, count=len(keys))
        is_unknown = ids < 0
        ids[is_unknown] = self.unknown_id
        return ids, is_unknown

    def tokens(self) -> list[str]:
        """All tokens in id order, as saved to disk."""
        return list(self._tokens)

    def __repr__(self) -> str:
        return f"Vocabulary({len(self._tokens)} tokens, unknown={self.unknown!r})"
