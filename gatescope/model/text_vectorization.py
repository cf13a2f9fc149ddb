"""Keras' ``TextVectorization`` layer as a gatescope tokenizer: the one mapping the Keras model reader
(:mod:`gatescope.model.formats.keras_text`) and ``--vocab`` with a TextVectorization config or vocabulary.txt
(:mod:`gatescope.model.vocab_readers`) both use.

What Keras does (``keras/src/layers/preprocessing/text_vectorization.py``, TensorFlow string ops), and the tokenizer
that does the same:

- ``standardize="lower"``: ``tf.strings.lower`` without an encoding lower-cases A-Z only ("Élan" stays "Élan") →
  the normalize step ``lowercase_ascii``.
- ``standardize="strip_punctuation"``: deletes ``!"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~`` (Python's
  ``string.punctuation``; no other character) anywhere in the text, before splitting → the step
  ``strip_punctuation`` on each token: the same, since none of these is whitespace.
  ``"lower_and_strip_punctuation"`` does both, ``None`` neither.
- ``split="whitespace"``: ``tf.strings.split`` at runs of ASCII whitespace (space, tab, new line, \\v, \\f, \\r;
  not a no-break space), no empty tokens → ``WordTokenizer(split="ascii_whitespace")``. A token that stripping
  leaves empty ("...", "-") is dropped, as Keras never sees it; each token's span covers its original characters
  ("don't" reads as the key "dont").
- ``split="character"``: ``tf.strings.unicode_split`` into code points, spaces, tabs and new lines included →
  ``CharTokenizer(keep_controls=True)``; stripped punctuation leaves no token.

Not followed (refused): a custom standardize or split function, ``split=None`` (the whole text one token),
n-grams, output modes other than ``"int"``.

An adapted vocabulary is saved as ``vocabulary.txt``, the tokens joined by new lines, and read back with Python's
``splitlines``; a character vocabulary holding a character that breaks lines ("\\n", "\\r", "\\v", "\\f", ...,
adapted from text with new lines) then reads back wrong: Keras itself refuses the file or loses those tokens.
:func:`vocabulary_file_tokens` reads such a file as Keras wrote it instead.
"""

from __future__ import annotations

from gatescope.model.tokenize import CharTokenizer, WordTokenizer

#: Keras' special tokens at ids 0 (padding / mask) and 1 (out of vocabulary).
MASK_TOKEN, OOV_TOKEN = "", "[UNK]"
#: Each standardize gatescope follows → normalize steps, in Keras' order (lower-case, then strip).
STANDARDIZE: dict[str | None, tuple[str, ...]] = {
    "lower_and_strip_punctuation": ("lowercase_ascii", "strip_punctuation"),
    "lower": ("lowercase_ascii",),
    "strip_punctuation": ("strip_punctuation",),
    None: (),
}
SPLITS = ("whitespace", "character")


def refusal(standardize: object, split: object, output_mode: object = "int", ngrams: object = None) -> str | None:
    """Why gatescope cannot tokenize as a TextVectorization with these settings does (words to follow "the layer"),
    or None when it can."""
    if output_mode != "int":
        return f"outputs {output_mode!r} vectors; gatescope reads token sequences (output_mode='int')"
    if ngrams is not None:
        return f"makes n-grams (ngrams={ngrams!r}); gatescope reads single tokens"
    if not isinstance(standardize, (str, type(None))) or standardize not in STANDARDIZE:
        return (
            f"standardizes text with a custom function ({_short(standardize)}), which gatescope never runs; it "
            f"follows lower_and_strip_punctuation, lower, strip_punctuation or none"
        )
    if split not in SPLITS:
        reason = "reads each whole text as one token (split=None)" if split is None else f"splits with {_short(split)}"
        return f"{reason}; gatescope follows split='whitespace' or 'character'"
    return None


def tokenizer(standardize: str | None, split: str) -> WordTokenizer | CharTokenizer:
    """The tokenizer giving the tokens TextVectorization gives, for settings :func:`refusal` accepts."""
    steps = STANDARDIZE[standardize]
    if split == "character":
        return CharTokenizer(lowercase=False, normalize=steps, keep_controls=True)
    return WordTokenizer(lowercase=False, split="ascii_whitespace", normalize=steps)


def vocabulary_file_tokens(text: str) -> tuple[list[str], bool]:
    """The tokens of a TextVectorization ``vocabulary.txt``, and whether Keras' own reading differs.

    Keras writes the tokens joined by new lines (``\\r\\n`` on Windows) and its ``load_assets`` reads them back with
    ``splitlines``, dropping trailing empty lines. A vocabulary adapted from text with new lines holds characters that
    break lines ("\\n", "\\r", "\\v", "\\f", "\\x1c"-"\\x1e", "\\x85", "\\u2028", "\\u2029"): Keras then reads
    them as empty lines, refusing the file ("" repeated) or, when they come last, losing them. These are read as Keras
    wrote them, as the model learnt them (True): split at Keras' line ends, a pair of empty lines between tokens being
    the token "\\n" (empty lines at the very end, as likely a blank line, are dropped as Keras drops them). Any other
    text is read as Keras reads it (False)."""
    lines = text.splitlines()
    while lines and lines[-1] == "":
        lines.pop()
    pieces = text.split("\r\n" if text.startswith("\r\n") else "\n")
    while pieces and pieces[-1] == "":  # blank lines at the end, dropped as Keras drops them
        pieces.pop()
    written = pieces[:1]
    number = 1
    while number < len(pieces):
        if pieces[number] == "" and pieces[number + 1 : number + 2] == [""]:
            written.append("\n")
            number += 2
        else:
            written.append(pieces[number])
            number += 1
    if written != lines and written[:2] == [MASK_TOKEN, OOV_TOKEN] and len(set(written)) == len(written):
        return written, True
    return lines, False


#: Said of a vocabulary :func:`vocabulary_file_tokens` read as Keras wrote it.
BROKEN_LINES_NOTE = (
    "its vocabulary.txt holds characters that break lines (e.g. a new line, adapted from text with new lines), which "
    "Keras' own loading reads as empty lines, losing them or refusing the file; gatescope read the tokens as Keras "
    "wrote them, as the model learnt them"
)


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
