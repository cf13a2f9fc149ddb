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
  default standardization applies (lower-case A-Z, strip punctuation, split at whitespace).

A token list given for a Keras model whose TextVectorization layer came without its vocabulary (the model's provenance
keeps the layer's settings as ``text_vectorization``) is that layer's vocabulary: read with its standardize and split,
``""`` and ``[UNK]`` put in front unless they lead.

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
from gatescope.model.text_vectorization import BROKEN_LINES_NOTE, MASK_TOKEN, OOV_TOKEN, vocabulary_file_tokens
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


def read_vocabulary_source(source: VocabSource, rows: int, text_vectorization: object = None) -> ReadVocabulary:
    """:func:`read_vocabulary` with a description of what was read and inferred; ``text_vectorization`` is the
    model's provenance entry of that name (a Keras TextVectorization layer's settings), which a token list follows."""
    if isinstance(source, (str, Path)):
        path = user_path(source)
        return assemble(_read_file(path, text_vectorization), rows, str(path))
    if isinstance(source, Mapping):
        return assemble(VocabularySpec(checked_mapping(source, "the vocabulary"), "token → id mapping"), rows, "")
    if isinstance(source, Sequence):
        return assemble(_token_list(list(source), "the vocabulary", "token list", text_vectorization), rows, "")
    raise GatescopeError(f"vocab must be a file path, a token → id dict or a token list, not {type(source).__name__}")


def _read_file(path: Path, text_vectorization: object = None) -> VocabularySpec:
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
            return _token_list(data, where, "JSON token list", text_vectorization)
        if is_json:
            raise GatescopeError(f"{path}: a JSON vocabulary is an object {{token: id}} or a list of tokens")
    if text.startswith(("\n[UNK]", "\r\n[UNK]")):  # a Keras TextVectorization vocabulary.txt
        tokens, as_written = vocabulary_file_tokens(text)
        spec = _token_list(tokens, where, "text file, one token per line", text_vectorization)
        spec.notes += [BROKEN_LINES_NOTE] if as_written else []
        return spec
    return _token_list(text.splitlines(), where, "text file, one token per line", text_vectorization)


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


def _token_list(tokens: Sequence[object], where: str, kind: str, text_vectorization: object = None) -> VocabularySpec:
    """Tokens in id order: the vocabulary of the model's TextVectorization layer when ``text_vectorization`` gives its
    settings; a list that starts with "" and [UNK] is a Keras TextVectorization vocabulary too."""
    if text_vectorization is not None:
        return vocab_readers.model_text_vectorization(text_vectorization, tokens, kind, where)
    if list(tokens[:2]) == [MASK_TOKEN, OOV_TOKEN]:
        spec = vocab_readers.text_vectorization_tokens(tokens, kind, where)
        spec.notes.append("read as a Keras TextVectorization vocabulary (inferred from '' and '[UNK]' at ids 0 and 1)")
        return spec
    return VocabularySpec(listed_ids(tokens, where), kind)
