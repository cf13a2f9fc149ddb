"""Vocabulary files that say how text becomes tokens: a Hugging Face ``tokenizer.json`` (WordLevel), a Keras
``Tokenizer.to_json()``, a Keras ``TextVectorization`` layer config. Each becomes a :class:`VocabularySpec` that
:func:`gatescope.model.vocab_files.assemble` turns into a tokenizer and a vocabulary.

What each keeps of its framework's behaviour, and where gatescope differs:

- Hugging Face: ``model.vocab`` and ``added_tokens`` (matched like other tokens, not before splitting),
  ``model.unk_token``, ``padding.pad_token``; normalizers Lowercase, NFC, NFD, NFKC, NFKD, StripAccents and
  Sequences of them; pre-tokenizers Whitespace, WhitespaceSplit, a Split into single characters, or none (then word-
  or character-level is inferred as for a plain list). BPE, WordPiece and Unigram models are refused.
- Keras Tokenizer: ``word_index`` (ids from 1; id 0 pads), ``oov_token``, ``num_words`` (words ranked at or after it
  count as unknown, as ``texts_to_sequences`` treats them), ``lower``, ``filters`` and ``split``, ``char_level``.
  Without an ``oov_token`` Keras silently drops words it does not know; gatescope refuses them, naming them.
- TextVectorization: ``vocabulary`` (with ``""`` at 0 and ``[UNK]`` at 1, added when the list lacks them),
  ``standardize`` (lower / strip_punctuation / both / none) and ``split`` (whitespace / character) tokenized exactly as
  TensorFlow does, by the mapping the Keras model reader uses too (:mod:`gatescope.model.text_vectorization`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from gatescope.errors import GatescopeError
from gatescope.model import text_vectorization
from gatescope.model.text_vectorization import MASK_TOKEN, OOV_TOKEN
from gatescope.model.tokenize import CharTokenizer, WordTokenizer
from gatescope.model.vocab_spec import ReadVocabulary, Tokenizer, VocabularySpec, assemble, checked_mapping, listed_ids

_SUBWORD_MODELS = ("BPE", "WordPiece", "Unigram")
_UNICODE_FORMS = {"NFC": "nfc", "NFD": "nfd", "NFKC": "nfkc", "NFKD": "nfkd", "StripAccents": "strip_accents"}


def spec_of_json_object(data: dict[str, Any], where: str) -> VocabularySpec | None:
    """The spec of a JSON object that is a tokenizer file of a known kind, or None for a plain token → id object."""
    if isinstance(data.get("model"), dict) and ("pre_tokenizer" in data or "normalizer" in data):
        return hugging_face_spec(data, where)
    inner = data.get("config")
    config: dict[str, Any] = inner if isinstance(inner, dict) else data
    class_name = data.get("class_name")
    if class_name == "Tokenizer" or (class_name is None and "word_index" in data):
        return keras_tokenizer_spec(config, where)
    if class_name == "TextVectorization" or (class_name is None and "standardize" in data and "split" in data):
        return text_vectorization_spec(config, where)
    if isinstance(class_name, str) and isinstance(config.get("layers"), list):
        return _vectorization_in_model(config["layers"], where)
    return None


# --- Hugging Face tokenizer.json -----------------------------------------------------------------


def hugging_face_spec(data: dict[str, Any], where: str) -> VocabularySpec:
    """A Hugging Face tokenizer.json of a WordLevel model."""
    model = data["model"]
    kind = model.get("type", "WordLevel" if "vocab" in model and "merges" not in model else None)
    if kind in _SUBWORD_MODELS:
        raise GatescopeError(
            f"{where}: a Hugging Face {kind} tokenizer; subword tokenizers are not supported (gatescope reads "
            f"word-level and character vocabularies): open the model without --vocab and give it token ids instead"
        )
    if kind != "WordLevel" or not isinstance(model.get("vocab"), dict):
        raise GatescopeError(f"{where}: a Hugging Face tokenizer of model type {kind!r}; expected WordLevel")
    ids = checked_mapping(model["vocab"], where)
    for added in data.get("added_tokens") or []:
        token, number = (added.get("content"), added.get("id")) if isinstance(added, dict) else (None, None)
        if not isinstance(token, str) or not isinstance(number, int) or isinstance(number, bool) or number < 0:
            raise GatescopeError(f"{where}: added token {added!r} has no content and id")
        if ids.get(token, number) != number:
            raise GatescopeError(
                f"{where}: added token {token!r} has id {number} but the vocabulary gives it {ids[token]}"
            )
        ids[token] = number
    lowercase, steps = _hugging_face_normalizer(data.get("normalizer"), where)
    tokenizer = _hugging_face_tokenizer(data.get("pre_tokenizer"), lowercase, steps, where)
    padding = data.get("padding")
    pad_token = padding.get("pad_token") if isinstance(padding, dict) else None
    return VocabularySpec(
        ids,
        "Hugging Face tokenizer.json (WordLevel)",
        tokenizer=tokenizer,
        lowercase=lowercase,
        normalize=tuple(steps),
        says_unknown=True,
        unknown=model.get("unk_token") if isinstance(model.get("unk_token"), str) else None,
        says_padding=isinstance(pad_token, str),
        padding=pad_token if isinstance(pad_token, str) else None,
    )


def _hugging_face_normalizer(normalizer: object, where: str) -> tuple[bool, list[str]]:
    """(lower-case?, further normalize steps) of a tokenizer.json normalizer."""
    if normalizer is None:
        return False, []
    sequence = isinstance(normalizer, dict) and normalizer.get("type") == "Sequence"
    parts = normalizer.get("normalizers") if isinstance(normalizer, dict) and sequence else [normalizer]
    lowercase, steps = False, []
    for part in parts or []:
        kind = part.get("type") if isinstance(part, dict) else part
        if kind == "Lowercase":
            lowercase = True
        elif kind in _UNICODE_FORMS:
            steps.append(_UNICODE_FORMS[str(kind)])
        else:
            raise GatescopeError(
                f"{where}: normalizer {kind!r} is not supported; gatescope applies Lowercase, NFC, NFD, NFKC, NFKD, "
                f"StripAccents and Sequences of them"
            )
    return lowercase, steps


def _hugging_face_tokenizer(pre_tokenizer: object, lowercase: bool, steps: list[str], where: str) -> Tokenizer | None:
    """The tokenizer a tokenizer.json's pre-tokenizer describes; None (inferred) when it has none."""
    if pre_tokenizer is None:
        return None  # no pre-tokenizer: word- or character-level is inferred from the tokens
    sequence = isinstance(pre_tokenizer, dict) and pre_tokenizer.get("type") == "Sequence"
    parts = pre_tokenizer.get("pretokenizers") if isinstance(pre_tokenizer, dict) and sequence else [pre_tokenizer]
    parts = parts if isinstance(parts, list) else [parts]
    kinds = [part.get("type") if isinstance(part, dict) else part for part in parts]
    if len(parts) == 1 and isinstance(parts[0], dict):
        if kinds == ["Whitespace"]:
            return WordTokenizer(lowercase=lowercase, split="whitespace", normalize=steps)
        if kinds == ["WhitespaceSplit"]:
            return WordTokenizer(lowercase=lowercase, split="whitespace_split", normalize=steps)
        if kinds == ["Split"] and _splits_characters(parts[0]):
            return CharTokenizer(lowercase=lowercase, normalize=steps)
    named = " + ".join(str(kind) for kind in kinds)
    raise GatescopeError(
        f"{where}: pre-tokenizer {named} is not supported; gatescope splits text with Whitespace, WhitespaceSplit or "
        f"into single characters (a Split on the regex '.')"
    )


def _splits_characters(split: dict[str, Any]) -> bool:
    """True for a Split pre-tokenizer that isolates every character."""
    pattern = split.get("pattern")
    character = pattern in ({"Regex": "."}, {"Regex": "(?s)."}, {"String": ""})
    return character and split.get("behavior") == "Isolated" and not split.get("invert", False)


# --- Keras Tokenizer.to_json() ---------------------------------------------------------------------


def keras_tokenizer_spec(config: Mapping[str, Any], where: str) -> VocabularySpec:
    """A Keras ``Tokenizer.to_json()``'s config: ``word_index`` (a JSON string in the file), ids from 1."""
    word_index = config.get("word_index")
    if isinstance(word_index, str):
        try:
            word_index = json.loads(word_index)
        except json.JSONDecodeError as error:
            raise GatescopeError(f"{where}: its word_index is not valid JSON ({error.msg})") from None
    if not isinstance(word_index, dict):
        raise GatescopeError(f"{where}: a Keras Tokenizer without a word_index (token → id)")
    ids = checked_mapping(word_index, where)
    notes = []
    num_words = config.get("num_words")
    if isinstance(num_words, int) and not isinstance(num_words, bool) and num_words > 0:
        kept = {token: number for token, number in ids.items() if number < num_words}
        if len(kept) < len(ids):
            notes.append(f"num_words {num_words}: {len(ids) - len(kept)} rarer words count as unknown")
        ids = kept
    oov = config.get("oov_token")
    padding = next(name for name in ("<pad>", "<padding>", "<id 0>", "<<id 0>>") if name not in ids)
    if 0 not in ids.values():
        ids[padding] = 0
    lower = config.get("lower", True)
    return VocabularySpec(
        ids,
        "Keras Tokenizer (to_json)",
        tokenizer=_keras_tokenizer(config, bool(lower), where),
        says_unknown=True,
        unknown=oov if isinstance(oov, str) else None,
        says_padding=True,
        padding=padding if ids.get(padding) == 0 else None,
        notes=notes,
    )


def _keras_tokenizer(config: Mapping[str, Any], lower: bool, where: str) -> Tokenizer:
    if config.get("char_level"):
        return CharTokenizer(lowercase=lower)
    split = config.get("split", " ")
    filters = config.get("filters", "")
    if not isinstance(split, str) or len(split) != 1 or not isinstance(filters, str):
        raise GatescopeError(f"{where}: Keras Tokenizer split {split!r}: gatescope splits at one character only")
    separators = "".join(dict.fromkeys(filters + ("" if split.isspace() else split)))
    return WordTokenizer(lowercase=lower, split="whitespace_split", separators=separators)


# --- Keras TextVectorization -------------------------------------------------------------------------


def text_vectorization_vocabulary(config: Mapping[str, Any], rows: int, where: str) -> ReadVocabulary:
    """The tokenizer and vocabulary of a TextVectorization layer's config (e.g. from a .keras file's config.json),
    numbering ``rows`` ids; ``where`` starts every error message."""
    return assemble(text_vectorization_spec(config, where), rows, where)


def text_vectorization_spec(config: Mapping[str, Any], where: str) -> VocabularySpec:
    """A TextVectorization layer's config with its vocabulary."""
    standardize = config.get("standardize", "lower_and_strip_punctuation")
    split = config.get("split", "whitespace")
    reason = text_vectorization.refusal(standardize, split, config.get("output_mode", "int"), config.get("ngrams"))
    if reason is not None:
        raise GatescopeError(f"{where}: the TextVectorization layer {reason}")
    vocabulary = config.get("vocabulary")
    if not isinstance(vocabulary, list):
        raise GatescopeError(
            f"{where}: this TextVectorization config holds no vocabulary list (an adapted layer keeps it in the "
            f".keras file's assets/…/vocabulary.txt); give that file with --vocab"
        )
    return text_vectorization_tokens(vocabulary, "Keras TextVectorization config", where, standardize, split)


def text_vectorization_tokens(
    tokens: Sequence[object],
    kind: str,
    where: str,
    standardize: str | None = "lower_and_strip_punctuation",
    split: str = "whitespace",
) -> VocabularySpec:
    """A TextVectorization layer's vocabulary in id order (``""`` and ``[UNK]`` put in front unless they lead, as
    Keras does), read with the layer's standardize and split (checked by the caller)."""
    listed = list(tokens)
    if listed[:2] != [MASK_TOKEN, OOV_TOKEN]:
        listed = [MASK_TOKEN, OOV_TOKEN, *listed]
    tokenizer = text_vectorization.tokenizer(standardize, split)
    return VocabularySpec(
        listed_ids(listed, where),
        kind,
        tokenizer=tokenizer,
        says_unknown=True,
        unknown=OOV_TOKEN,
        says_padding=True,
        padding=MASK_TOKEN,
    )


def model_text_vectorization(settings: object, tokens: Sequence[object], kind: str, where: str) -> VocabularySpec:
    """Tokens given for a model whose TextVectorization layer came without its vocabulary: read as that layer reads
    text; ``settings`` is the model's provenance entry (layer, standardize, split)."""
    if not isinstance(settings, Mapping):
        raise GatescopeError(f"the model's text_vectorization entry is not an object: {settings!r}")
    standardize, split = settings.get("standardize"), settings.get("split")
    reason = text_vectorization.refusal(standardize, split)
    if reason is not None or not isinstance(split, str) or not isinstance(standardize, (str, type(None))):
        raise GatescopeError(f"the model's TextVectorization layer {reason or 'has no valid settings'}")
    spec = text_vectorization_tokens(tokens, kind, where, standardize, split)
    spec.notes.append(
        f"read as the vocabulary of the model's TextVectorization layer {settings.get('layer', '')!r} (standardize "
        f"{standardize!r}, split {split!r})"
    )
    return spec


def _vectorization_in_model(layers: list[Any], where: str) -> VocabularySpec:
    """The one TextVectorization layer of a Keras model config (config.json)."""
    found = [layer for layer in layers if isinstance(layer, dict) and layer.get("class_name") == "TextVectorization"]
    if len(found) != 1:
        raise GatescopeError(
            f"{where}: a Keras model config with {len(found)} TextVectorization layers; expected exactly one"
        )
    return text_vectorization_spec(found[0].get("config") or {}, where)
