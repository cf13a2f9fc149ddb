"""A one-direction layer that reads right to left (ONNX direction="reverse"): its phases' wires start each step from
the next token's state (its gradients are checked with every kind's, in test_backward.py)."""

from __future__ import annotations

import numpy as np
import pytest

from gatescope.engine.forward import run_layer
from gatescope.engine.phases import cell_flows, layer_state_before
from tests.engine.test_layer_options import FEATURES, STEPS, UNITS, build_layer


@pytest.mark.parametrize("kind", ["lstm", "gru", "rnn"])
def test_each_step_of_a_reverse_layer_starts_from_the_next_tokens_state(kind: str):
    layer = build_layer(20, kind, reverse=True)
    x = np.random.default_rng(1).normal(size=(STEPS, FEATURES))
    h0, c0 = np.full((1, UNITS), 0.25), np.full((1, UNITS), -0.5)
    trace = run_layer(layer, x, h0=h0, c0=c0 if kind == "lstm" else None)

    before = layer_state_before(trace, trace.h, trace.h0)
    (flow,) = cell_flows(layer, trace, x)

    np.testing.assert_array_equal(before[:-1], trace.h[1:])
    np.testing.assert_array_equal(before[-1], h0[0])
    assert flow.direction == "reverse"
    np.testing.assert_array_equal(flow.wires["h_prev"], before)
    np.testing.assert_array_equal(flow.wires["hidden"], trace.h)
    if kind == "lstm":
        c_prev = flow.wires["c_prev"]
        np.testing.assert_array_equal(c_prev[:-1], trace.c[1:])
        np.testing.assert_array_equal(c_prev[-1], c0[0])
        np.testing.assert_allclose(flow.wires["kept"] + flow.wires["written"], trace.c, rtol=1e-12)
        np.testing.assert_allclose(flow.wires["output"] * np.tanh(trace.c), trace.h, rtol=1e-12)
    elif kind == "gru":
        z = flow.wires["update"]
        np.testing.assert_allclose((1 - z) * flow.wires["candidate"] + z * before, trace.h, rtol=1e-12)
    else:
        np.testing.assert_allclose(np.tanh(flow.wires["preactivation"]), trace.h, rtol=1e-12)


def test_the_reverse_units_of_a_reverse_layer_are_all_its_units():
    trace = run_layer(build_layer(21, "gru", reverse=True), np.ones((3, FEATURES)))
    assert [trace.reads_right_to_left(unit) for unit in range(UNITS)] == [True] * UNITS
    bidirectional = run_layer(build_layer(21, "gru", bidirectional=True), np.ones((3, FEATURES)))
    assert [bidirectional.reads_right_to_left(unit) for unit in range(2 * UNITS)] == [False] * UNITS + [True] * UNITS
