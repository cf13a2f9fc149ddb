"""A Keras ``TextVectorization`` layer → gatescope's tokenizer and vocabulary.

Keras numbers its vocabulary ``0 = ""`` (the padding/mask id), ``1 = "[UNK]"`` (out of vocabulary), then the tokens;
the list sits in the layer's config (a vocabulary given to the constructor) or in the ``.keras`` archive's
``assets/layers/text_vectorization/vocabulary.txt`` (an adapted one), one token a line. The tokenizer follows the
layer's ``standardize`` and ``split`` exactly as TensorFlow runs them (see :mod:`gatescope.model.text_vectorization`,
shared with ``--vocab``); what still differs is padding: Keras pads or cuts every text to ``output_sequence_length``,
gatescope reads the text's own tokens.

A layer whose vocabulary the file lacks (a legacy ``.h5`` does not keep an adapted one; tf.keras 2 may name a vocabulary
file outside the model) leaves a model that reads token ids; its standardize and split stay in the provenance
(``text_vectorization``), so that the vocabulary given later with ``--vocab`` is read as that layer reads it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gatescope.errors import GatescopeError
from gatescope.model import text_vectorization
from gatescope.model.formats.keras_config import VectorizerSpec
from gatescope.model.text_vectorization import MASK_TOKEN, OOV_TOKEN
from gatescope.model.tokenize import CharTokenizer, Vocabulary, WordTokenizer


@dataclass(frozen=True)
class TextParts:
    """What a TextVectorization layer gives the model: a tokenizer and vocabulary (None when the file holds no
    vocabulary; ``settings`` then keeps the layer's standardize and split for the provenance) and notes."""

    tokenizer: WordTokenizer | CharTokenizer | None
    vocabulary: Vocabulary | None
    notes: tuple[str, ...]
    description: str
    settings: dict[str, Any] | None = None


def check_vectorizer(spec: VectorizerSpec) -> None:
    """Refuse settings gatescope cannot follow at all, before any weight is read."""
    what = f"layer {spec.name!r} (TextVectorization)"
    reason = text_vectorization.refusal(spec.standardize, spec.split, spec.output_mode, spec.ngrams)
    if reason is not None:
        custom = not isinstance(spec.standardize, (str, type(None))) or not isinstance(spec.split, (str, type(None)))
        hint = ": give the vocabulary with --vocab and a model without TextVectorization" if custom else ""
        raise GatescopeError(f"{what} {reason}{hint}")
    if (
        spec.vocabulary is not None
        and not isinstance(spec.vocabulary, str)
        and not (isinstance(spec.vocabulary, list) and all(isinstance(token, str) for token in spec.vocabulary))
    ):
        raise GatescopeError(f"{what}: its vocabulary is not a list of strings")


def text_parts(spec: VectorizerSpec, asset: str | None, rows: int) -> TextParts:
    """Tokenizer, vocabulary (numbering the embedding's ``rows``) and notes for a checked TextVectorization whose
    adapted vocabulary, if any, is the text of its ``vocabulary.txt`` (``asset``)."""
    character = spec.split == "character"
    notes = []
    asset_tokens = None
    if asset is not None:
        asset_tokens, as_written = text_vectorization.vocabulary_file_tokens(asset)
        if as_written:
            notes.append(f"layer {spec.name!r} (TextVectorization): {text_vectorization.BROKEN_LINES_NOTE}")
    if spec.output_sequence_length is not None:
        notes.append(
            f"Keras pads every text with id 0 to {spec.output_sequence_length} tokens (and cuts longer ones); "
            f"gatescope reads only the text's own tokens"
        )
    description = f"TextVectorization({'character' if character else 'word'}"
    tokens = spec.vocabulary if spec.vocabulary is not None else asset_tokens
    if tokens is None or isinstance(tokens, str):
        where = (
            "(a legacy .h5 does not keep an adapted one)"
            if tokens is None
            else f"(the layer reads it from the file {tokens!r}, outside the model file)"
        )
        notes.append(
            f"the file holds no vocabulary for its TextVectorization layer {where}: the model reads token ids; give "
            f"the vocabulary with --vocab and it is read as this layer reads text"
        )
        settings = {"layer": spec.name, "standardize": spec.standardize, "split": spec.split}
        return TextParts(None, None, tuple(notes), description + ", no vocabulary)", settings)
    vocabulary = keras_vocabulary(spec.name, list(tokens), rows)
    tokenizer = text_vectorization.tokenizer(spec.standardize, spec.split)
    size = len(tokens) + (0 if list(tokens[:2]) == [MASK_TOKEN, OOV_TOKEN] else 2)  # Keras' vocabulary_size()
    return TextParts(tokenizer, vocabulary, tuple(notes), description + f", {size} tokens)")


def keras_vocabulary(layer: str, tokens: list[str], rows: int) -> Vocabulary:
    """The vocabulary Keras builds from ``tokens`` (the special tokens ``""`` and ``[UNK]`` put in front unless they
    lead already), padded with placeholder tokens up to the embedding's ``rows``."""
    if tokens[:2] == [MASK_TOKEN, OOV_TOKEN]:
        tokens = tokens[2:]
    full = [MASK_TOKEN, OOV_TOKEN, *tokens]
    if len(full) > rows:
        raise GatescopeError(
            f"layer {layer!r} (TextVectorization) has {len(full)} tokens (with '' and [UNK]) but the Embedding has "
            f"only {rows} rows"
        )
    placeholders = [f"<id {number}>" for number in range(len(full), rows)]
    while set(placeholders) & set(full):  # a real token spelled like a placeholder: make placeholders unique
        placeholders = [f"<{name}>" for name in placeholders]
    try:
        return Vocabulary(full + placeholders, unknown=OOV_TOKEN, padding=MASK_TOKEN)
    except GatescopeError as error:
        raise GatescopeError(f"layer {layer!r} (TextVectorization): {error}") from None
