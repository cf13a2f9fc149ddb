"""Vocabularies given beside an imported model: a file, a token → id mapping, or tokens in id order.

The result always numbers exactly the embedding's rows: ids the source does not name become placeholder tokens,
so every row keeps its id.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from gatescope._paths import path_error, user_path
from gatescope.errors import GatescopeError
from gatescope.model.tokenize import CharTokenizer, Vocabulary, WordTokenizer

#: Bytes of a vocabulary file read at most.
MAX_VOCABULARY_BYTES = 200_000_000
#: Tokens that stand for a word the vocabulary lacks, the first one found wins.
UNKNOWN_TOKENS = ("<unk>", "[UNK]", "<UNK>", "UNK", "<oov>", "[OOV]")


def read_vocabulary(
    source: str | Path | Mapping[str, int] | Sequence[str], rows: int
) -> tuple[WordTokenizer | CharTokenizer, Vocabulary]:
    """The tokenizer and vocabulary ``source`` describes, numbering ``rows`` ids (the embedding's rows)."""
    if isinstance(source, (str, Path)):
        where = str(source)
        ids = _read_file(user_path(source))
    elif isinstance(source, Mapping):
        where, ids = "the vocabulary", _checked_mapping(source, "the vocabulary")
    elif isinstance(source, Sequence):
        where, ids = "the vocabulary", _numbered(list(source), "the vocabulary")
    else:
        raise GatescopeError(
            f"vocab must be a file path, a token → id dict or a token list, not {type(source).__name__}"
        )
    return _assemble(ids, rows, where)


def _read_file(path: Path) -> dict[str, int]:
    try:
        size = path.stat().st_size
        if size > MAX_VOCABULARY_BYTES:
            raise GatescopeError(f"{path}: {size:,} bytes is too large for a vocabulary file")
        text = path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise path_error(path, error) from None
    except UnicodeDecodeError:
        raise GatescopeError(f"{path}: not UTF-8 text; a vocabulary is a JSON file or one token per line") from None
    if path.suffix.lower() == ".json" or text.lstrip()[:1] in ("{", "["):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise GatescopeError(f"{path}: not valid JSON ({error.msg} at line {error.lineno})") from None
        if isinstance(data, dict):
            return _checked_mapping(data, str(path))
        if isinstance(data, list):
            return _numbered(data, str(path))
        raise GatescopeError(f"{path}: a JSON vocabulary is an object {{token: id}} or a list of tokens")
    return _numbered(text.splitlines(), str(path))


def _numbered(tokens: Sequence[object], where: str) -> dict[str, int]:
    ids: dict[str, int] = {}
    for position, token in enumerate(tokens):
        if not isinstance(token, str):
            raise GatescopeError(f"{where}: entry {position} is {token!r}, not a token (string)")
        if token in ids:
            raise GatescopeError(f"{where}: token {token!r} appears twice (ids {ids[token]} and {position})")
        ids[token] = position
    return ids


def _checked_mapping(mapping: Mapping[Any, Any], where: str) -> dict[str, int]:
    ids: dict[str, int] = {}
    for token, number in mapping.items():
        if not isinstance(token, str) or isinstance(number, bool) or not isinstance(number, int) or number < 0:
            raise GatescopeError(f"{where}: entry {token!r}: {number!r} is not token → non-negative id")
        ids[token] = number
    return ids


def _assemble(ids: dict[str, int], rows: int, where: str) -> tuple[WordTokenizer | CharTokenizer, Vocabulary]:
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
    unknown = next((name for name in UNKNOWN_TOKENS if name in ids), None)
    if unknown is None:
        unknown = next(f for f, token in zip(filled, tokens) if token is None) if None in tokens else None
    if unknown is None:
        raise GatescopeError(
            f"{where}: no token stands for unknown words (expected one of {', '.join(UNKNOWN_TOKENS)})"
        )
    named = [token for token in ids if token]
    character_level = bool(named) and all(len(token) == 1 for token in named)
    tokenizer: WordTokenizer | CharTokenizer
    if character_level:
        tokenizer = CharTokenizer(lowercase=False)
    else:
        tokenizer = WordTokenizer(
            lowercase=not any(token != token.lower() for token in named if token not in UNKNOWN_TOKENS)
        )
    return tokenizer, Vocabulary(filled, unknown=unknown)
