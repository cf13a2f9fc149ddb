"""Vocabularies given beside an imported model: a file, a token → id mapping, or tokens in id order.

Files, recognised by content: a JSON object token → id; a JSON list of tokens (id = position); a text file with one
token per line (id = line number, from 0); a Hugging Face ``tokenizer.json`` of a WordLevel model; a Keras
``Tokenizer.to_json()``; a Keras ``TextVectorization`` layer's config (or a model config holding exactly one). The
readers of the last three are in :mod:`gatescope.model.vocab_readers`.

The result always numbers exactly the embedding's rows: ids the source does not name become placeholder tokens
(``<id 7>``), so every row keeps its id. The tokenizer follows what the file says (Hugging Face's normalizer and
pre-tokenizer, Keras's ``lower``, ``filters``, ``char_level``, ``standardize`` and ``split``). A plain token list or
mapping says nothing about it, so it is inferred from the tokens, leaving aside special tokens (the unknown and padding
tokens and names in brackets such as ``<s>`` or ``[CLS]``):

- character-level when every other token is a single character, else word-level (gatescope's word splitting);
- lower-cased when no token has a capital letter, else case is kept;
- a list that starts with ``""`` and ``[UNK]`` is a Keras TextVectorization vocabulary (its ``vocabulary.txt``): its
  default standardization applies (lower-case, strip punctuation, split at whitespace).

The unknown token is the one the file names (Hugging Face's ``unk_token``, Keras's ``oov_token``, TextVectorization's
``[UNK]``), else the first of UNKNOWN_TOKENS present. Without one the vocabulary has no unknown token, and text with a
word it lacks is refused naming the word, rather than read as some id the model never learnt to mean "unknown".
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from gatescope._paths import path_error, user_path
from gatescope.errors import GatescopeError
from gatescope.model import vocab_readers
from gatescope.model.tokenize import CharTokenizer, Vocabulary, WordTokenizer
from gatescope.model.vocab_spec import ReadVocabulary, VocabularySpec, assemble, checked_mapping, listed_ids

#: Bytes of a vocabulary file read at most.
MAX_VOCABULARY_BYTES = 200_000_000

#: What ``vocab=`` accepts: a vocabulary file's path, a token → id mapping, or tokens listed in id order.
VocabSource = str | Path | Mapping[str, int] | Sequence[str]


def read_vocabulary(source: VocabSource, rows: int) -> tuple[WordTokenizer | CharTokenizer, Vocabulary]:
    """The tokenizer and vocabulary ``source`` describes, numbering ``rows`` ids (the embedding's rows)."""
    read = read_vocabulary_source(source, rows)
    return read.tokenizer, read.vocabulary


def read_vocabulary_source(source: VocabSource, rows: int) -> ReadVocabulary:
    """:func:`read_vocabulary` with a description of what was read and inferred."""
    if isinstance(source, (str, Path)):
        path = user_path(source)
        return assemble(_read_file(path), rows, str(path))
    if isinstance(source, Mapping):
        return assemble(VocabularySpec(checked_mapping(source, "the vocabulary"), "token → id mapping"), rows, "")
    if isinstance(source, Sequence):
        return assemble(_token_list(list(source), "the vocabulary", "token list"), rows, "")
    raise GatescopeError(f"vocab must be a file path, a token → id dict or a token list, not {type(source).__name__}")


def _read_file(path: Path) -> VocabularySpec:
    """A vocabulary file by its content: JSON (a .json file, or text that parses as JSON), else one token a line."""
    text = _file_text(path)
    where = str(path)
    is_json = path.suffix.lower() == ".json"
    if is_json or text.lstrip()[:1] in ("{", "["):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            if is_json:
                raise GatescopeError(f"{path}: not valid JSON ({error.msg} at line {error.lineno})") from None
            data = None  # a token list whose first token starts with a bracket, e.g. [PAD]
        if isinstance(data, dict):
            special = vocab_readers.spec_of_json_object(data, where)
            return special or VocabularySpec(checked_mapping(data, where), "JSON token → id object")
        if isinstance(data, list):
            return _token_list(data, where, "JSON token list")
        if is_json:
            raise GatescopeError(f"{path}: a JSON vocabulary is an object {{token: id}} or a list of tokens")
    return _token_list(text.splitlines(), where, "text file, one token per line")


def _file_text(path: Path) -> str:
    try:
        size = path.stat().st_size
        if size > MAX_VOCABULARY_BYTES:
            raise GatescopeError(f"{path}: {size:,} bytes is too large for a vocabulary file")
        data = path.read_bytes()
    except OSError as error:
        raise path_error(path, error) from None
    if data.startswith(b"PK\x03\x04"):
        raise GatescopeError(
            f"{path}: a zip archive, not a vocabulary; a .keras model's TextVectorization vocabulary is read from the "
            f"model file itself, or give its assets/…/vocabulary.txt"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise GatescopeError(f"{path}: not UTF-8 text; a vocabulary is a JSON file or one token per line") from None


def _token_list(tokens: Sequence[object], where: str, kind: str) -> VocabularySpec:
    """Tokens in id order; a list that starts with "" and [UNK] is a Keras TextVectorization vocabulary."""
    ids = listed_ids(tokens, where)
    if list(tokens[:2]) == ["", "[UNK]"]:
        return vocab_readers.text_vectorization_defaults(ids, kind)
    return VocabularySpec(ids, kind)
