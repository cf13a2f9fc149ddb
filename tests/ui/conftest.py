"""UI test helpers: small random text models of every kind, and a session ready to step."""

from __future__ import annotations

import numpy as np
import pytest

from gatescope.engine import layer_from_state_dict
from gatescope.engine.cells import gate_count
from gatescope.model.model import Head, Model
from gatescope.model.tokenize import Vocabulary, WordTokenizer

WORDS = ["<unk>", "the", "plot", "was", "dull", "but", "ending", "wonderful", "not", "good", "great", "bad", ".", ","]
SENTENCE = "the plot was dull but the ending was wonderful"


def make_text_model(
    kind: str = "lstm", units: int = 16, layers: int = 1, bidirectional: bool = False, seed: int = 0, embedding: int = 8
) -> Model:
    """A word-level model with random weights (for view tests: shapes and plumbing, not meaning)."""
    rng = np.random.default_rng(seed)
    G, D = gate_count(kind), 2 if bidirectional else 1
    arrays = {}
    for k in range(layers):
        inputs = embedding if k == 0 else D * units
        for suffix in ("", "_reverse")[:D]:
            arrays[f"weight_ih_l{k}{suffix}"] = rng.normal(0, 0.6, (G * units, inputs))
            arrays[f"weight_hh_l{k}{suffix}"] = rng.normal(0, 0.4, (G * units, units))
            arrays[f"bias_ih_l{k}{suffix}"] = rng.normal(0, 0.3, G * units)
            arrays[f"bias_hh_l{k}{suffix}"] = rng.normal(0, 0.3, G * units)
    stack = [layer_from_state_dict(arrays, k, kind, bidirectional=bidirectional) for k in range(layers)]
    head = Head(
        rng.normal(0, 0.5, (2, D * units)).astype(np.float32), np.zeros(2, np.float32), labels=["negative", "positive"]
    )
    return Model(
        layers=stack,
        tokenizer=WordTokenizer(),
        vocabulary=Vocabulary(WORDS),
        embedding=rng.normal(0, 1, (len(WORDS), embedding)).astype(np.float32),
        head=head,
        name=f"random-{kind}",
        description=f"random {kind} for tests",
    )


@pytest.fixture
def text_model() -> Model:
    return make_text_model("lstm", units=16)


@pytest.fixture
def session(qapp, text_model):
    from gatescope.ui.session import SessionModel

    return SessionModel(text_model, SENTENCE)
