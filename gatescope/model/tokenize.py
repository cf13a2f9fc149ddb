"""Tokenizers that cut text into spans of the original string, and the vocabulary numbering them."""

from __future__ import annotations

import functools
import re
import string
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
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
def _unicode_classes() -> tuple[str, str, str]:
    """Regex character-class bodies of every combining mark, other-symbol and format character, built once."""
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
    return _character_class_ranges(marks), _character_class_ranges(symbols), _character_class_ranges(formats)


@functools.cache
def _word_pattern() -> re.Pattern[str]:
    """The compiled word-tokenizer regex, built once from the Unicode database."""
    mark, symbol, formats = _unicode_classes()
    never_a_token = _CONTROL_AND_SURROGATE_RANGES + formats
    word_run = rf"\w[\w{mark}]*"
    extender = rf"[{mark}{_SKIN_TONE_MODIFIERS}{_EMOJI_TAGS}]*"
    flag = rf"[{_REGIONAL_INDICATOR}]{{2}}{extender}"
    word = rf"{word_run}(?:[{_APOSTROPHES_AND_HYPHENS}]{word_run})*"
    emoji_sequence = rf"[{symbol}]{extender}(?:{_ZERO_WIDTH_JOINER}[{symbol}]{extender})*"
    other_character = rf"[^\s\w{never_a_token}]{extender}"
    return re.compile(f"{flag}|{word}|{emoji_sequence}|{other_character}")


@functools.cache
def _split_pattern(split: str, separators: str) -> re.Pattern[str]:
    """The regex of a word tokenizer's ``split`` (see SPLITS)."""
    if split == "words":
        return _word_pattern()
    if split == "whitespace":  # Hugging Face's Whitespace pre-tokenizer, \w+|[^\w\s]+ (its \w includes marks)
        mark = _unicode_classes()[0]
        return re.compile(rf"[\w{mark}]+|[^\w\s{mark}]+")
    if split == "ascii_whitespace":
        return re.compile(rf"[^{_ASCII_WHITESPACE}]+")
    escaped = "".join(re.escape(character) for character in separators)
    return re.compile(rf"[^\s{escaped}]+")


_CHARACTER_PATTERN = re.compile(rf"[^{_CONTROL_AND_SURROGATE_RANGES}]")
_ANY_CHARACTER_PATTERN = re.compile(r"[^\ud800-\udfff]")
#: What TensorFlow's tf.strings.split (no separator) splits at: ASCII whitespace only, not e.g. a no-break space.
_ASCII_WHITESPACE = r" \t\n\v\f\r"

#: How a word tokenizer cuts text: gatescope's words (joined by internal ' or -, punctuation and emoji apart),
#: Hugging Face's Whitespace pre-tokenizer (runs of word characters, runs of other non-space characters), runs of
#: non-space characters (Hugging Face's WhitespaceSplit; with ``separators``, Keras's Tokenizer and its filters), or
#: runs of characters other than ASCII whitespace (TensorFlow's tf.strings.split, Keras' TextVectorization).
SPLITS = ("words", "whitespace", "whitespace_split", "ascii_whitespace")
#: What a tokenizer may do to each key after lower-casing, in the order given (from a tokenizer file's normalizer or
#: standardization): a Unicode normal form, dropping combining marks, dropping ASCII punctuation, lower-casing A-Z
#: only (TensorFlow's tf.strings.lower, for a tokenizer that does not lower-case every letter).
NORMALIZE_STEPS = ("nfc", "nfd", "nfkc", "nfkd", "strip_accents", "strip_punctuation", "lowercase_ascii")
_PUNCTUATION = str.maketrans("", "", string.punctuation)
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def _require_bool(value: object, option: str, kind: str) -> bool:
    """The value itself if it is a bool, else a GatescopeError naming the option."""
    if not isinstance(value, bool):
        raise GatescopeError(f"{kind} tokenizer option {option!r} must be true or false, got {value!r}")
    return value


def _checked_steps(normalize: object, kind: str) -> tuple[str, ...]:
    """``normalize`` as a tuple of NORMALIZE_STEPS, else a GatescopeError naming the step."""
    if isinstance(normalize, str) or not isinstance(normalize, Sequence):
        raise GatescopeError(f"{kind} tokenizer option 'normalize' must be a list of steps, got {normalize!r}")
    for step in normalize:
        if step not in NORMALIZE_STEPS:
            raise GatescopeError(
                f"{kind} tokenizer: unknown normalize step {step!r}; expected some of {', '.join(NORMALIZE_STEPS)}"
            )
    return tuple(normalize)


def _normalizer(steps: Sequence[str]) -> Callable[[str], str]:
    """A function applying ``steps`` (NORMALIZE_STEPS) to a key, in order."""
    functions: list[Callable[[str], str]] = []
    for step in steps:
        if step == "strip_accents":
            functions.append(lambda key: "".join(c for c in key if unicodedata.category(c) != "Mn"))
        elif step == "strip_punctuation":
            functions.append(lambda key: key.translate(_PUNCTUATION))
        elif step == "lowercase_ascii":
            functions.append(lambda key: key.translate(_ASCII_LOWER))
        else:
            functions.append(_unicode_form(step.upper()))

    def normalized(key: str) -> str:
        for function in functions:
            key = function(key)
        return key

    return normalized


def _unicode_form(form: str) -> Callable[[str], str]:
    """A function putting a key in Unicode normal form ``form`` (NFC, NFD, NFKC or NFKD)."""
    return lambda key: unicodedata.normalize(form, key)  # type: ignore[arg-type]


class WordTokenizer:
    """Splits text into words (by default joined by internal ' or -), punctuation marks and emoji sequences; see
    SPLITS for the other ways a tokenizer file may say, and NORMALIZE_STEPS for what may happen to each key."""

    kind = "word"
    options = ("lowercase", "split", "separators", "normalize")

    def __init__(
        self, lowercase: bool = True, split: str = "words", separators: str = "", normalize: Sequence[str] = ()
    ) -> None:
        self.lowercase = _require_bool(lowercase, "lowercase", self.kind)
        if split not in SPLITS:
            raise GatescopeError(f"word tokenizer: unknown split {split!r}; expected one of {', '.join(SPLITS)}")
        if not isinstance(separators, str) or (separators and split != "whitespace_split"):
            raise GatescopeError("word tokenizer: 'separators' is a string of characters, only with whitespace_split")
        self.split = split
        self.separators = separators
        self.normalize = _checked_steps(normalize, self.kind)
        self._pattern = _split_pattern(split, separators)
        self._normalized = _normalizer(self.normalize) if self.normalize else None

    def tokenize(self, text: str) -> list[Token]:
        """Tokens of text in order; whitespace, control and format characters are dropped, and so is a token whose
        key normalizes to nothing."""
        matches = self._pattern.finditer(text)
        if self._normalized is not None:
            keys = ((m, self._normalized(m.group().lower() if self.lowercase else m.group())) for m in matches)
            return [Token(m.group(), key, m.start(), m.end()) for m, key in keys if key]
        if self.lowercase:
            return [Token(match.group(), match.group().lower(), match.start(), match.end()) for match in matches]
        return [Token(match.group(), match.group(), match.start(), match.end()) for match in matches]

    def to_dict(self) -> dict[str, Any]:
        """JSON-able configuration that tokenizer_from_dict turns back into this tokenizer (options only when not
        their defaults, so that files written before they existed stay as they were)."""
        config: dict[str, Any] = {"kind": self.kind, "lowercase": self.lowercase}
        if self.split != "words":
            config["split"] = self.split
        if self.separators:
            config["separators"] = self.separators
        if self.normalize:
            config["normalize"] = list(self.normalize)
        return config

    def __repr__(self) -> str:
        options = self.to_dict().items()
        extra = "".join(f", {key}={value!r}" for key, value in options if key not in ("kind", "lowercase"))
        return f"WordTokenizer(lowercase={self.lowercase}{extra})"


class CharTokenizer:
    """Splits text into single characters, spaces included; control characters are dropped (unless
    ``keep_controls``: tabs, new lines and the rest are tokens too, as TensorFlow's unicode_split keeps them), and so
    is a character whose key normalizes to nothing (see NORMALIZE_STEPS)."""

    kind = "char"
    options = ("lowercase", "normalize", "keep_controls")

    def __init__(self, lowercase: bool = False, normalize: Sequence[str] = (), keep_controls: bool = False) -> None:
        self.lowercase = _require_bool(lowercase, "lowercase", self.kind)
        self.normalize = _checked_steps(normalize, self.kind)
        self.keep_controls = _require_bool(keep_controls, "keep_controls", self.kind)
        self._normalized = _normalizer(self.normalize) if self.normalize else None

    def tokenize(self, text: str) -> list[Token]:
        """One token per character of text except lone surrogates and (unless keep_controls) control characters."""
        key_of = _lowercase_character if self.lowercase else str
        matches = (_ANY_CHARACTER_PATTERN if self.keep_controls else _CHARACTER_PATTERN).finditer(text)
        if self._normalized is not None:
            keys = ((m, self._normalized(key_of(m.group()))) for m in matches)
            return [Token(m.group(), key, m.start(), m.end()) for m, key in keys if key]
        return [Token(match.group(), key_of(match.group()), match.start(), match.end()) for match in matches]

    def to_dict(self) -> dict[str, Any]:
        """JSON-able configuration that tokenizer_from_dict turns back into this tokenizer."""
        config: dict[str, Any] = {"kind": self.kind, "lowercase": self.lowercase}
        if self.normalize:
            config["normalize"] = list(self.normalize)
        if self.keep_controls:
            config["keep_controls"] = True
        return config

    def __repr__(self) -> str:
        options = self.to_dict().items()
        extra = "".join(f", {key}={value!r}" for key, value in options if key not in ("kind", "lowercase"))
        return f"CharTokenizer(lowercase={self.lowercase}{extra})"


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
    known_options = ("kind", *tokenizer_class.options)
    unknown_options = sorted(str(option) for option in config if option not in known_options)
    if unknown_options:
        raise GatescopeError(
            f"{kind} tokenizer does not take option(s) {', '.join(unknown_options)}; its options are "
            f"{', '.join(repr(option) for option in tokenizer_class.options)}"
        )
    return tokenizer_class(**{option: value for option, value in config.items() if option != "kind"})


class Vocabulary:
    """The token keys a model knows, numbered by position. One of them may stand for unknown keys; without one
    (``unknown=None``: the model's own vocabulary has no such token) encoding a key it lacks is an error, since any id
    put in its place would be made up. ``padding`` names the token that pads sequences, when there is one."""

    def __init__(self, tokens: Sequence[str], unknown: str | None = "<unk>", padding: str | None = None) -> None:
        if isinstance(tokens, np.ndarray):
            tokens = tokens.tolist()
        if isinstance(tokens, (str, bytes)) or not isinstance(tokens, Sequence):
            raise GatescopeError(f"vocabulary tokens must be a list of strings, got {type(tokens).__name__}")
        if len(tokens) == 0:
            raise GatescopeError("vocabulary is empty; it needs at least one token")
        for role, name in (("unknown", unknown), ("padding", padding)):
            if name is not None and not isinstance(name, str):
                raise GatescopeError(f"vocabulary {role} token must be a string or None, got {name!r}")
        index = token_index(tokens, "vocabulary")
        if unknown is not None and unknown not in index:
            raise GatescopeError(f"vocabulary has no entry for its unknown token {unknown!r}; add it to the tokens")
        if padding is not None and padding not in index:
            raise GatescopeError(f"vocabulary has no entry for its padding token {padding!r}; add it to the tokens")
        self._index = index
        self._tokens = list(tokens)
        self.unknown = unknown
        self.unknown_id = None if unknown is None else index[unknown]
        self.padding = padding
        self.padding_id = None if padding is None else index[padding]

    def __len__(self) -> int:
        return len(self._tokens)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key in self._index

    def id(self, key: str) -> int:
        """The id of key, or unknown_id when the vocabulary does not contain it (an error without an unknown token)."""
        number = self._index.get(key, self.unknown_id)
        if number is None:
            raise _not_in_vocabulary([key])
        return number

    def encode(self, keys: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Ids (int64, (T,)) of keys and a mask (bool, (T,)) of keys missing from the vocabulary; GatescopeError
        listing the missing keys when the vocabulary has no unknown token."""
        lookup = self._index.get
        ids = np.fromiter((lookup(key, -1) for key in keys), dtype=np.int64, count=len(keys))
        is_unknown = ids < 0
        if self.unknown_id is None:
            if is_unknown.any():
                raise _not_in_vocabulary([key for key, missing in zip(keys, is_unknown) if missing])
        else:
            ids[is_unknown] = self.unknown_id
        return ids, is_unknown

    def tokens(self) -> list[str]:
        """All tokens in id order, as saved to disk."""
        return list(self._tokens)

    def __repr__(self) -> str:
        padding = "" if self.padding is None else f", padding={self.padding!r}"
        return f"Vocabulary({len(self._tokens)} tokens, unknown={self.unknown!r}{padding})"


def token_index(tokens: Sequence[object], where: str) -> dict[str, int]:
    """Tokens listed in id order as token → id, each checked to be a string listed once; ``where`` starts every
    error message."""
    index: dict[str, int] = {}
    for position, token in enumerate(tokens):
        if not isinstance(token, str):
            raise GatescopeError(f"{where} entry {position} is {type(token).__name__} {token!r}, not a string")
        if token in index:
            raise GatescopeError(f"{where} token {token!r} appears twice, at ids {index[token]} and {position}")
        index[token] = position
    return index


def _not_in_vocabulary(keys: Sequence[str], shown: int = 5) -> GatescopeError:
    """The error for keys a vocabulary without an unknown token lacks: the first few, each once."""
    distinct = list(dict.fromkeys(keys))
    named = [repr(key) for key in distinct[:shown]]
    if len(distinct) > shown:
        named.append(f"{len(distinct) - shown} more")
    listed = named[0] if len(named) == 1 else f"{', '.join(named[:-1])} and {named[-1]}"
    verb = "is" if len(distinct) == 1 else "are"
    return GatescopeError(
        f"{listed} {verb} not in the model's vocabulary, which has no token for unknown words; use words it knows"
    )
