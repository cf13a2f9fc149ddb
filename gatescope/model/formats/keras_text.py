"""A Keras ``TextVectorization`` layer → gatescope's tokenizer and vocabulary, with a plain account of where
gatescope's tokenization differs from TensorFlow's.

Keras numbers its vocabulary ``0 = ""`` (the padding/mask id), ``1 = "[UNK]"`` (out of vocabulary), then the tokens;
the list sits in the layer's config (a vocabulary given to the constructor) or in the ``.keras`` archive's
``assets/layers/text_vectorization/vocabulary.txt`` (an adapted one), one token a line. Keras' standardization runs
TensorFlow string ops: ``lower`` lower-cases ASCII letters only; ``strip_punctuation`` deletes ASCII punctuation
``!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~'``; ``split="whitespace"`` splits at ASCII whitespace. gatescope's word tokenizer
splits punctuation into tokens of their own instead, and its lower-casing covers every script.
"""

from __future__ import annotations

from dataclasses import dataclass

from gatescope.errors import GatescopeError
from gatescope.model.formats.keras_config import VectorizerSpec
from gatescope.model.tokenize import CharTokenizer, Vocabulary, WordTokenizer

#: Keras' special tokens at ids 0 and 1.
MASK_TOKEN, OOV_TOKEN = "", "[UNK]"
_STANDARDIZE = (None, "lower_and_strip_punctuation", "lower", "strip_punctuation")
_SPLITS = ("whitespace", "character")


@dataclass(frozen=True)
class TextParts:
    """What a TextVectorization layer gives the model: a tokenizer and vocabulary (None when the file holds no
    vocabulary) and notes on how gatescope's tokenization differs from Keras'."""

    tokenizer: WordTokenizer | CharTokenizer | None
    vocabulary: Vocabulary | None
    notes: tuple[str, ...]
    description: str


def check_vectorizer(spec: VectorizerSpec) -> None:
    """Refuse settings gatescope cannot follow at all, before any weight is read."""
    what = f"layer {spec.name!r} (TextVectorization)"
    if spec.output_mode != "int":
        raise GatescopeError(
            f"{what} outputs {spec.output_mode!r} vectors; gatescope reads token sequences (output_mode='int')"
        )
    if spec.ngrams is not None:
        raise GatescopeError(f"{what} makes n-grams (ngrams={spec.ngrams!r}); gatescope reads single tokens")
    if spec.standardize not in _STANDARDIZE:
        raise GatescopeError(
            f"{what} standardizes text with a custom function ({_short(spec.standardize)}); gatescope never runs code "
            f"from a model file: give the vocabulary with --vocab and a model without TextVectorization"
        )
    if spec.split not in _SPLITS:
        reason = "reads each whole text as one token" if spec.split is None else f"splits with {_short(spec.split)}"
        raise GatescopeError(f"{what} {reason}; gatescope splits at whitespace or into characters")
    if isinstance(spec.vocabulary, str):
        raise GatescopeError(
            f"{what} reads its vocabulary from the file {spec.vocabulary!r}, which is not inside the model file; "
            f"give that file with --vocab (load_model(..., vocab=...))"
        )
    if spec.vocabulary is not None and not (
        isinstance(spec.vocabulary, list) and all(isinstance(token, str) for token in spec.vocabulary)
    ):
        raise GatescopeError(f"{what}: its vocabulary is not a list of strings")


def text_parts(spec: VectorizerSpec, asset_tokens: list[str] | None, rows: int) -> TextParts:
    """Tokenizer, vocabulary (numbering the embedding's ``rows``) and notes for a checked TextVectorization."""
    lowercase = spec.standardize in ("lower", "lower_and_strip_punctuation")
    strips = spec.standardize in ("strip_punctuation", "lower_and_strip_punctuation")
    character = spec.split == "character"
    tokenizer: WordTokenizer | CharTokenizer = CharTokenizer(lowercase) if character else WordTokenizer(lowercase)
    notes = []
    if spec.output_sequence_length is not None:
        notes.append(
            f"Keras pads every text with id 0 to {spec.output_sequence_length} tokens (and cuts longer ones); "
            f"gatescope reads only the text's own tokens"
        )
    description = f"TextVectorization({'character' if character else 'word'}"
    tokens = spec.vocabulary if spec.vocabulary is not None else asset_tokens
    if tokens is None:
        notes.append(
            "the file holds no vocabulary for its TextVectorization layer (a legacy .h5 does not keep an adapted "
            "one): the model reads token ids; give the vocabulary with --vocab"
        )
        return TextParts(None, None, tuple(notes), description + ", no vocabulary)")
    vocabulary = keras_vocabulary(spec.name, list(tokens), rows)
    notes.insert(0, _tokenizer_note(character, lowercase, strips))
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
        return Vocabulary(full + placeholders, unknown=OOV_TOKEN)
    except GatescopeError as error:
        raise GatescopeError(f"layer {layer!r} (TextVectorization): {error}") from None


def _tokenizer_note(character: bool, lowercase: bool, strips: bool) -> str:
    if character:
        parts = ["gatescope reads one character a token, as Keras' split='character' does"]
        if lowercase:
            parts.append("it lower-cases every letter where Keras lower-cases only A-Z")
        if strips:
            parts.append("punctuation characters, which Keras deletes, read as [UNK] tokens")
        parts.append("control characters (tabs, new lines), which Keras keeps, are dropped")
        return "; ".join(parts)
    parts = [
        "gatescope's word tokenizer splits punctuation into tokens of its own, where Keras splits only at spaces"
        + (' after deleting ASCII punctuation ("don\'t" → "dont")' if strips else ' ("cat," stays one token)')
    ]
    if lowercase:
        parts.append("it lower-cases every letter where Keras lower-cases only A-Z")
    parts.append("texts of lower-case words and spaces tokenize the same")
    return "; ".join(parts)


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
