"""Write what Keras' ``TextVectorization`` does to tricky texts, on TensorFlow itself: the tokens it looks up and the
ids it gives, for every standardize × split gatescope follows (tests/model/imports/keras/text_vectorization_tf.json).
tests/model/imports/test_keras.py and tests/model/test_vocab_files.py check that gatescope tokenizes these texts into
the same tokens and ids, without TensorFlow.

Run it from the repository root with TensorFlow and Keras installed (never needed by the package or the tests)::

    python scripts/make_text_vectorization_fixtures.py          # write the file
    python scripts/make_text_vectorization_fixtures.py --check  # compare with the committed file only

Each setting's vocabulary is the one Keras adapts on every other text (the rest then holds unknown tokens), leaving
out the text with a NUL character: ``get_vocabulary()`` goes through NumPy byte strings, which drop a trailing NUL, so
an adapted ``"\x00"`` token would read back as a second ``""``. ``tokens`` are what the layer looks each text up as
(its standardize and split: ``TextVectorization._preprocess``), ``ids`` the layer's output (ragged, no padding).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import unicodedata
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ["KERAS_BACKEND"] = "tensorflow"

import keras
import tensorflow as tf

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "model" / "imports" / "keras" / "text_vectorization_tf.json"

TEXTS = [
    "Don't stop: the U.S.A. isn't far-off!",
    "Élan, ÉCOLE and École; ÀÉÎÕÜ vs àéîõü",
    "İstanbul ΣΟΦΙΑ Straße ǅ KELVIN\u212a",
    "emoji 👍🏽 and 👨\u200d👩\u200d👧 family 🇫🇷!!",
    "multiple   spaces\tand\ttabs\nand\r\nnew lines\x0bvt\x0cff",
    "no-break\u00a0space, thin\u2009space, wide\u3000space, nel\u0085here",
    "... --- !!! ? (a) [b] {c}",
    "  leading and trailing  ",
    "café vs cafe\u0301, naïve",
    "“curly quotes” — em–dash … ‘single’ «guillemets»",
    "snake_case #hashtag @user a.b@c.de 3.14 $5 100% x^2 ~tilde `tick` back\\slash",
    "",
    "\x00nul\x1cfs\x1fus\x7fdel",
    "zero\u200bwidth joiner\u200dhere\ufeffbom",
]
STANDARDIZE = ["lower_and_strip_punctuation", "lower", "strip_punctuation", None]
SPLITS = ["whitespace", "character"]


def setting(standardize: str | None, split: str) -> dict:
    """The adapted vocabulary, and every text's tokens and ids, for one standardize × split."""
    layer = keras.layers.TextVectorization(standardize=standardize, split=split, ragged=True)
    layer.adapt([text for text in TEXTS[::2] if "\x00" not in text])
    vocabulary = layer.get_vocabulary()
    tokens = [[token.decode("utf-8") for token in row] for row in layer._preprocess(tf.constant(TEXTS)).to_list()]
    ids = layer(tf.constant(TEXTS)).to_list()
    return {"standardize": standardize, "split": split, "vocabulary": vocabulary, "tokens": tokens, "ids": ids}


def expectations() -> dict:
    return {
        "written_by": "scripts/make_text_vectorization_fixtures.py",
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "texts": TEXTS,
        "settings": [setting(standardize, split) for standardize in STANDARDIZE for split in SPLITS],
    }


def _dumped(value: object, indent: str = "") -> str:
    """JSON with one line per text (lists of scalars on one line), in UTF-8 but with invisible characters escaped."""
    inner = indent + " "
    if isinstance(value, dict):
        items = [f"{inner}{json.dumps(key)}: {_dumped(item, inner)}" for key, item in value.items()]
        return "{\n" + ",\n".join(items) + f"\n{indent}}}"
    if isinstance(value, list) and any(isinstance(item, (list, dict)) for item in value):
        return "[\n" + ",\n".join(inner + _dumped(item, inner) for item in value) + f"\n{indent}]"
    text = json.dumps(value, ensure_ascii=False)
    return "".join(json.dumps(ch)[1:-1] if _invisible(ch) else ch for ch in text)


def _invisible(character: str) -> bool:
    """True for a character one cannot see or tell apart in print: spaces other than " ", controls, combining marks,
    the Kelvin sign."""
    return not character.isprintable() or unicodedata.category(character) == "Mn" or character == "\u212a"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed file, write nothing")
    args = parser.parse_args()
    data = expectations()
    text = _dumped(data) + "\n"
    if args.check:
        committed = json.loads(OUT.read_text(encoding="utf-8"))
        same = {key: value for key, value in committed.items() if key not in ("tensorflow", "keras")} == {
            key: value for key, value in data.items() if key not in ("tensorflow", "keras")
        }
        print(f"{OUT.name}: {'same' if same else 'DIFFERENT'} (TensorFlow {tf.__version__}, Keras {keras.__version__})")
        return 0 if same else 1
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)} (TensorFlow {tf.__version__}, Keras {keras.__version__})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
