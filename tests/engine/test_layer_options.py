"""Imported layers' options (ONNX clip, input_forget and direction="reverse"; Keras hard sigmoid gates) against a
plain NumPy reference written from the formulas, one step at a time."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from gatescope.engine import DirectionWeights, RecurrentLayer
from gatescope.engine.forward import run_layer, run_stack
from gatescope.engine.trace import LayerTrace
from tests.engine.test_backward import random_layer

GATE_FUNCTIONS = {
    "sigmoid": lambda a: 1.0 / (1.0 + np.exp(-a)),
    "hard_sigmoid": lambda a: np.clip(a / 6.0 + 0.5, 0.0, 1.0),  # Keras 3: relu6(x + 3) / 6
    "hard_sigmoid_keras2": lambda a: np.clip(0.2 * a + 0.5, 0.0, 1.0),  # Keras 2: clip(0.2 x + 0.5, 0, 1)
}
GATE_ORDER = {"lstm": ("input", "forget", "candidate", "output"), "gru": ("reset", "update", "candidate")}
TOLERANCE = {"float32": dict(rtol=1e-5, atol=2e-6), "float64": dict(rtol=1e-11, atol=1e-12)}
STEPS, FEATURES, UNITS = 7, 3, 4


def build_layer(
    seed: int, kind: str, bidirectional: bool = False, input_size: int = FEATURES, **options
) -> RecurrentLayer:
    """Random weights of unit scale: pre-activations of a few units, so that clips and hard sigmoids bite."""
    return random_layer(np.random.default_rng(seed), kind, input_size, UNITS, bidirectional, **options)


def reference(layer: RecurrentLayer, x: np.ndarray, h0: np.ndarray, c0: np.ndarray) -> dict[str, np.ndarray]:
    """Every recorded quantity of a layer, in float64, from the cell equations with the options written out."""
    T, D, H = x.shape[0], len(layer.directions), layer.hidden_size
    record: dict[str, np.ndarray] = {}

    def keep(name: str, t: int, d: int, values: np.ndarray) -> None:
        record.setdefault(name, np.zeros((T, D * H)))[t, d * H : (d + 1) * H] = values

    gate = GATE_FUNCTIONS[layer.gate_activation]

    def bound(a: np.ndarray) -> np.ndarray:
        return a if layer.clip is None else np.clip(a, -layer.clip, layer.clip)

    for d, weights in enumerate(layer.directions):
        W, R = weights.weight_ih.astype(float), weights.weight_hh.astype(float)
        b_ih, b_hh = weights.bias_ih.astype(float), weights.bias_hh.astype(float)
        h, c = h0[d].astype(float), c0[d].astype(float)
        reads_backwards = d == 1 or layer.reverse
        for t in reversed(range(T)) if reads_backwards else range(T):
            x_t = x[t].astype(float)
            if layer.kind == "lstm":
                p = np.zeros((3, H)) if weights.peephole is None else weights.peephole.astype(float)
                a_i, a_f, a_g, a_o = np.split(W @ x_t + b_ih + R @ h + b_hh, 4)
                a_i = bound(a_i + p[0] * c)
                i = gate(a_i)
                if layer.input_forget:  # ONNX: f = 1 - i; the forget gate's own weights are not read
                    a_f, f = -a_i, 1.0 - i
                else:
                    a_f = bound(a_f + p[1] * c)
                    f = gate(a_f)
                a_g = bound(a_g)
                g = np.tanh(a_g)
                c = f * c + i * g
                a_o = bound(a_o + p[2] * c)  # the output gate reads the new cell state
                o = gate(a_o)
                h = o * np.tanh(c)  # the cell state itself is not clipped
                values = dict(input=(i, a_i), forget=(f, a_f), candidate=(g, a_g), output=(o, a_o))
                keep("c", t, d, c)
            elif layer.kind == "gru":
                x_r, x_z, x_n = np.split(W @ x_t + b_ih, 3)
                R_r, R_z, R_n = np.split(R, 3)
                b_r, b_z, b_n = np.split(b_hh, 3)
                a_r = bound(x_r + R_r @ h + b_r)
                a_z = bound(x_z + R_z @ h + b_z)
                r, z = gate(a_r), gate(a_z)
                if layer.gru_convention == "pytorch":
                    a_n = bound(x_n + r * (R_n @ h + b_n))
                else:
                    a_n = bound(x_n + R_n @ (r * h) + b_n)
                n = np.tanh(a_n)
                h = (1.0 - z) * n + z * h
                values = dict(reset=(r, a_r), update=(z, a_z), candidate=(n, a_n))
            else:
                a = bound(W @ x_t + b_ih + R @ h + b_hh)
                h = np.maximum(a, 0.0) if layer.nonlinearity == "relu" else np.tanh(a)
                values = {}
                keep("hidden_preactivation", t, d, a)
            for name, (activation, preactivation) in values.items():
                keep(name, t, d, activation)
                keep(f"{name}_preactivation", t, d, preactivation)
            keep("h", t, d, h)
    return record


def recorded(trace: LayerTrace) -> dict[str, np.ndarray]:
    named = {"h": trace.h, **trace.gates}
    named.update({f"{name}_preactivation": values for name, values in trace.preactivations.items()})
    if trace.c is not None:
        named["c"] = trace.c
    if trace.hidden_preactivation is not None:
        named["hidden_preactivation"] = trace.hidden_preactivation
    return named


CASES = {
    "lstm_plain": dict(kind="lstm"),
    "lstm_clip": dict(kind="lstm", clip=0.8),
    "lstm_peepholes_clip": dict(kind="lstm", peepholes=True, clip=0.8),
    "lstm_input_forget": dict(kind="lstm", input_forget=True),
    "lstm_peepholes_input_forget_clip": dict(kind="lstm", peepholes=True, input_forget=True, clip=1.5),
    "lstm_hard_sigmoid": dict(kind="lstm", gate_activation="hard_sigmoid"),
    "lstm_hard_sigmoid_keras2": dict(kind="lstm", gate_activation="hard_sigmoid_keras2"),
    "lstm_peepholes_hard_sigmoid_clip": dict(kind="lstm", peepholes=True, gate_activation="hard_sigmoid", clip=2.0),
    "lstm_hard_sigmoid_input_forget": dict(kind="lstm", gate_activation="hard_sigmoid_keras2", input_forget=True),
    "gru_pytorch_clip": dict(kind="gru", clip=0.8),
    "gru_cho_clip": dict(kind="gru", gru_convention="cho", clip=0.8),
    "gru_pytorch_hard_sigmoid": dict(kind="gru", gate_activation="hard_sigmoid"),
    "gru_cho_hard_sigmoid_keras2": dict(kind="gru", gru_convention="cho", gate_activation="hard_sigmoid_keras2"),
    "gru_cho_hard_sigmoid_clip": dict(kind="gru", gru_convention="cho", gate_activation="hard_sigmoid", clip=1.2),
    "rnn_tanh_clip": dict(kind="rnn", clip=0.8),
    "rnn_relu_clip": dict(kind="rnn", nonlinearity="relu", clip=0.8),
    "lstm_reverse": dict(kind="lstm", reverse=True),
    "lstm_peepholes_reverse_clip": dict(kind="lstm", peepholes=True, reverse=True, clip=0.8),
    "gru_pytorch_reverse_hard_sigmoid": dict(kind="gru", reverse=True, gate_activation="hard_sigmoid"),
    "gru_cho_reverse": dict(kind="gru", gru_convention="cho", reverse=True),
    "rnn_relu_reverse": dict(kind="rnn", nonlinearity="relu", reverse=True),
    "lstm_bidirectional_clip": dict(kind="lstm", bidirectional=True, clip=0.8),
    "gru_cho_bidirectional_clip": dict(kind="gru", gru_convention="cho", bidirectional=True, clip=0.8),
    "rnn_bidirectional_clip": dict(kind="rnn", bidirectional=True, clip=0.8),
    "lstm_bidirectional_hard_sigmoid_input_forget": dict(
        kind="lstm", bidirectional=True, gate_activation="hard_sigmoid", input_forget=True
    ),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", CASES)
def test_every_recorded_value_follows_the_equations_with_the_options(case: str, dtype: str):
    options = dict(CASES[case])
    layer = build_layer(sum(map(ord, case)), dtype=dtype, **options)
    rng = np.random.default_rng(len(case))
    D = len(layer.directions)
    x = rng.normal(size=(STEPS, FEATURES)).astype(dtype)
    h0, c0 = rng.normal(size=(D, UNITS)).astype(dtype), rng.normal(size=(D, UNITS)).astype(dtype)

    trace = run_layer(layer, x, h0=h0, c0=c0 if layer.kind == "lstm" else None)
    expected = reference(layer, x, h0, c0)

    actual = recorded(trace)
    assert set(actual) == set(expected)
    for name, values in expected.items():
        assert actual[name].dtype == np.dtype(dtype)
        np.testing.assert_allclose(actual[name], values, err_msg=name, **TOLERANCE[dtype])


@pytest.mark.parametrize("case", [name for name in CASES if "clip" in name])
def test_clip_bounds_the_preactivations_the_activations_read(case: str):
    """Some pre-activation reaches the threshold, none passes it; an LSTM's cell state is not clipped."""
    layer = build_layer(sum(map(ord, case)), **CASES[case])
    x = np.random.default_rng(5).normal(size=(STEPS, FEATURES)) * 3
    trace = run_layer(layer, x)
    clip = layer.clip
    assert clip is not None
    preactivations = [*trace.preactivations.values()] + (
        [trace.hidden_preactivation] if trace.hidden_preactivation is not None else []
    )
    largest = max(float(np.abs(values).max()) for values in preactivations)
    assert largest == pytest.approx(clip, rel=1e-12)


def test_clip_leaves_the_lstm_cell_state_unclipped():
    """Every pre-activation 10, clipped to 0.3: i = f = o = sigmoid(0.3), g = tanh(0.3); c grows past 0.3 towards
    i g / (1 - f) = 0.39, and h reads tanh of the whole cell state (as onnxruntime's LSTM computes it)."""
    zeros = np.zeros((4 * UNITS, FEATURES)), np.zeros((4 * UNITS, UNITS))
    weights = DirectionWeights(*zeros, np.full(4 * UNITS, 10.0), np.zeros(4 * UNITS))
    layer = RecurrentLayer("lstm", FEATURES, UNITS, (weights,), clip=0.3)
    trace = run_layer(layer, np.ones((30, FEATURES)))
    gate, candidate = 1 / (1 + np.exp(-0.3)), np.tanh(0.3)
    c = np.zeros(UNITS)
    for t in range(30):
        c = gate * c + gate * candidate
        np.testing.assert_allclose(trace.c[t], c, rtol=1e-14)
    assert trace.c[-1, 0] == pytest.approx(gate * candidate / (1 - gate), rel=1e-6) and trace.c[-1, 0] > 0.39
    np.testing.assert_allclose(trace.h, gate * np.tanh(trace.c), rtol=1e-14)


@pytest.mark.parametrize("activation", ["hard_sigmoid", "hard_sigmoid_keras2"])
@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_hard_sigmoid_gates_saturate_and_record_true_preactivations(kind: str, activation: str):
    layer = build_layer(11, kind, gate_activation=activation)
    trace = run_layer(layer, np.random.default_rng(6).normal(size=(STEPS, FEATURES)) * 2)
    slope, edge = (1 / 6, 3.0) if activation == "hard_sigmoid" else (0.2, 2.5)
    for name in ("reset", "update") if kind == "gru" else ("input", "forget", "output"):
        gate, preactivation = trace.gates[name], trace.preactivations[name]
        np.testing.assert_allclose(gate, np.clip(slope * preactivation + 0.5, 0, 1), atol=1e-15)
    every_gate = np.concatenate([trace.gates[name] for name in trace.gates if name != "candidate"])
    every_pre = np.concatenate([trace.preactivations[name] for name in trace.gates if name != "candidate"])
    assert ((every_gate == 0) | (every_gate == 1)).any(), "some gate saturates"
    assert ((every_gate > 0) & (every_gate < 1)).any(), "some gate does not"
    np.testing.assert_array_equal(np.abs(every_pre) >= edge, (every_gate == 0) | (every_gate == 1))


@pytest.mark.parametrize("gate_activation", ["sigmoid", "hard_sigmoid"])
def test_input_forget_records_the_forget_gate_as_one_minus_the_input_gate(gate_activation: str):
    layer = build_layer(12, "lstm", peepholes=True, input_forget=True, gate_activation=gate_activation)
    trace = run_layer(layer, np.random.default_rng(7).normal(size=(STEPS, FEATURES)))
    np.testing.assert_allclose(trace.gates["forget"], 1.0 - trace.gates["input"], atol=1e-15)
    np.testing.assert_array_equal(trace.preactivations["forget"], -trace.preactivations["input"])
    # the weights the layer keeps (and saves) are the file's, forget rows included
    assert not np.array_equal(layer.directions[0].weight_ih[4:8], -layer.directions[0].weight_ih[:4])


def test_options_at_no_effect_give_the_plain_layers_trace():
    """A clip no value reaches and the sigmoid run the imported layers' loops; they compute what the plain loops do."""
    for kind in ("lstm", "gru", "rnn"):
        for extra in ({}, {"peepholes": True}) if kind == "lstm" else ({}, {"gru_convention": "cho"}):
            plain = build_layer(13, kind, **extra)
            clipped = dataclasses.replace(plain, clip=1e6)
            x = np.random.default_rng(8).normal(size=(STEPS, FEATURES))
            expected, actual = recorded(run_layer(plain, x)), recorded(run_layer(clipped, x))
            for name, values in expected.items():
                np.testing.assert_allclose(actual[name], values, rtol=1e-14, atol=1e-15, err_msg=f"{kind} {name}")


# ----------------------------------------------------------------------------------------------------------------
# a reverse layer
# ----------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["lstm", "gru", "rnn"])
def test_a_reverse_layer_is_a_forward_layer_over_the_reversed_sequence_with_rows_in_input_order(kind: str):
    forward = build_layer(14, kind, dtype="float32")
    backward = dataclasses.replace(forward, reverse=True)
    x = np.random.default_rng(9).normal(size=(STEPS, FEATURES)).astype(np.float32)

    on_reversed = recorded(run_layer(forward, np.ascontiguousarray(x[::-1])))
    trace = run_layer(backward, x)

    assert trace.reverse and not trace.bidirectional
    assert trace.directions == ("reverse",)
    assert backward.direction_names == ("reverse",)
    for name, values in recorded(trace).items():
        np.testing.assert_array_equal(values, on_reversed[name][::-1], err_msg=name)
        assert not values.flags.writeable


def test_a_stack_may_mix_forward_and_reverse_layers():
    first = build_layer(15, "gru", reverse=True)
    second = build_layer(16, "gru", input_size=UNITS)
    x = np.random.default_rng(10).normal(size=(STEPS, FEATURES))

    bottom, top = run_stack([first, second], x)

    assert bottom.directions == ("reverse",) and top.directions == ("forward",)
    np.testing.assert_array_equal(top.h, run_layer(second, bottom.h, index=1).h)
