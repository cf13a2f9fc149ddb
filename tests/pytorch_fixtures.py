"""What the PyTorch and safetensors import tests share: the fixture cases' structure, their expected arrays, and
comparing a gatescope run with torch's."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import gatescope
from gatescope import GatescopeError, Model

IMPORTS = Path(__file__).parent / "model" / "imports"
FIXTURES = IMPORTS / "pytorch"
TOLERANCE = 1e-5
#: case -> (kind, layers, bidirectional, units, embedding rows or None, head outputs or None)
STRUCTURE = {
    "lstm_text": ("lstm", 1, False, 6, 20, 3),
    "lstm_bi2_checkpoint": ("lstm", 2, True, 5, 24, 2),
    "lstm_f64": ("lstm", 2, False, 5, 15, 2),
    "lstm_compiled": ("lstm", 1, True, 4, 10, 2),
    "lstm_series_head": ("lstm", 1, False, 6, None, 1),
    "lstm_bare": ("lstm", 2, True, 5, None, None),
    "gru_bi_text": ("gru", 1, True, 6, 18, 4),
    "gru2_dataparallel": ("gru", 2, False, 5, 22, 2),
    "gru_bf16": ("gru", 1, False, 6, 14, 3),
    "gru_emb_nohead": ("gru", 2, True, 4, 12, None),
    "gru_bare_nobias": ("gru", 1, True, 6, None, None),
    "rnn_bi2_text": ("rnn", 2, True, 4, 16, 1),
    "rnn_vocab_checkpoint": ("rnn", 1, False, 7, 12, 3),
    "rnn_bare": ("rnn", 2, False, 5, None, None),
}


def structure_of(model: Model) -> tuple:
    """A loaded model's structure as ``STRUCTURE`` lists it."""
    outputs = None if model.head is None else model.head.outputs
    return (model.kind, len(model.layers), model.bidirectional, model.units, model.id_count, outputs)


def expected(case: str, folder: Path = FIXTURES) -> dict[str, np.ndarray]:
    with np.load(folder / f"{case}.expected.npz", allow_pickle=False) as data:
        return {name: data[name] for name in data.files}


def dtype_of(case: str) -> type:
    return np.float64 if case.endswith("f64") else np.float32


def largest_difference(model: Model, reference: dict[str, np.ndarray]) -> float:
    """The largest difference between gatescope's run of ``reference["input"]`` and torch's every array."""
    trace = model.run(reference["input"])
    compared = 0
    worst = 0.0
    for k, layer in enumerate(trace.layers):
        pairs = [(layer.h, reference[f"layer {k} h"])]
        if layer.c is not None:
            pairs.append((layer.c, reference[f"layer {k} c"]))
        for ours, theirs in pairs:
            assert ours.shape == theirs.shape
            worst = max(worst, float(np.abs(ours - theirs).max()))
            compared += 1
    if "logits" in reference:
        worst = max(worst, float(np.abs(trace.logits - reference["logits"]).max()))
        worst = max(worst, float(np.abs(trace.outputs - reference["outputs"]).max()))
        compared += 2
    else:
        assert trace.logits is None
    assert compared == len(reference) - 1  # every array torch computed was compared
    return worst


def refusal(path: Path) -> str:
    """The GatescopeError message of loading ``path`` (which it must name), the path cut out."""
    with pytest.raises(GatescopeError) as caught:
        gatescope.load_model(path)
    message = str(caught.value)
    assert message.startswith(str(path)), message
    return message.replace(str(path), "<file>")


def fixture_arrays(case: str) -> dict[str, np.ndarray]:
    """The tensors of a fixture's state_dict as gatescope reads them (the file's own names)."""
    model = gatescope.load_model(FIXTURES / f"{case}.pt", dtype=dtype_of(case))
    names = model.provenance["state_dict"]
    arrays = {}
    for k, layer in enumerate(model.layers):
        for suffix, direction in zip(("", "_reverse"), layer.directions):
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                arrays[f"{names['recurrent']}{name}_l{k}{suffix}"] = np.array(getattr(direction, name))
    if model.embedding is not None:
        arrays[names["embedding"]] = np.array(model.embedding)
    if model.head is not None:
        arrays[f"{names['head']}weight"] = model.head.weight
        arrays[f"{names['head']}bias"] = model.head.bias
    return arrays
