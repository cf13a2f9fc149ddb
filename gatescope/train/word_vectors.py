"""Pretrained word vectors for the sentiment models' embedding (data/word_vectors.npz, training only).

The file is made by scripts/make_word_vectors.py: 20,000 common English words, each embedded alone by the sentence
model all-MiniLM-L6-v2 and projected onto 48 principal components. A model trained with ``[model] word_vectors =
true`` starts its embedding rows from these vectors and, unless ``[training] tune_word_vectors = true``, keeps
them: words it never saw in a labelled review then still sit beside the words it did see.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from gatescope.errors import GatescopeError
from gatescope.train.datafiles import data_file

PATH = Path(__file__).resolve().parent / "data" / "word_vectors.npz"  # where a source checkout keeps it


@functools.lru_cache(maxsize=1)
def load_word_vectors() -> tuple[tuple[str, ...], np.ndarray]:
    """The words (most frequent first) and their vectors, (N, dims) float32 (read-only)."""
    source = data_file(PATH.name)
    try:
        with source.open("rb") as handle, np.load(handle, allow_pickle=False) as data:
            words = tuple(str(word) for word in data["words"])
            vectors = data["vectors"].astype(np.float32)
    except (OSError, KeyError, ValueError) as error:
        raise GatescopeError(
            f"{source}: cannot read the word vectors ({error}); regenerate them with scripts/make_word_vectors.py"
        ) from None
    if vectors.ndim != 2 or len(vectors) != len(words) or not np.isfinite(vectors).all():
        raise GatescopeError(f"{source}: words and vectors do not match; regenerate with scripts/make_word_vectors.py")
    vectors.flags.writeable = False
    return words, vectors
