"""Phases of one step: the intermediate vectors equal the cell's own equations."""

from __future__ import annotations

import numpy as np
import pytest

from gatescope.engine.phases import PHASES, layer_state_before, phase_index, trace_flows, wire_phase
from tests.helpers import SENTENCE, make_text_model


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def flows_for(kind: str, bidirectional: bool = False, layers: int = 1, layer: int = 0):
    model = make_text_model(kind, units=6, layers=layers, bidirectional=bidirectional)
    trace = model.run(SENTENCE)
    return model, trace, trace_flows(model.layers, trace, layer)


@pytest.mark.parametrize("bidirectional", [False, True])
def test_lstm_wires_follow_the_cell_equations(bidirectional):
    _model, trace, flows = flows_for("lstm", bidirectional)
    assert [flow.direction for flow in flows] == (["forward", "reverse"] if bidirectional else ["forward"])
    for flow in flows:
        w = flow.wires
        np.testing.assert_allclose(w["kept"] + w["written"], w["cell"], atol=1e-6)
        np.testing.assert_allclose(w["output"] * w["cell_tanh"], w["hidden"], atol=1e-6)
        np.testing.assert_allclose(w["kept"], w["forget"] * w["c_prev"], atol=1e-7)
        np.testing.assert_array_equal(w["x"], trace.inputs)
    forward = flows[0].wires
    np.testing.assert_array_equal(forward["h_prev"][1:], forward["hidden"][:-1])
    assert not forward["h_prev"][0].any() and not forward["c_prev"][0].any()
    if bidirectional:
        reverse = flows[1].wires  # reads right to left: its "previous" state is the next token's
        np.testing.assert_array_equal(reverse["h_prev"][:-1], reverse["hidden"][1:])
        assert not reverse["h_prev"][-1].any()


def test_gru_reset_product_rebuilds_the_candidate_pytorch_convention():
    model, trace, (flow,) = flows_for("gru")
    weights, H = model.layers[0].directions[0], 6
    w = flow.wires
    inside = trace.inputs @ weights.weight_ih[2 * H :].T + weights.bias_ih[2 * H :] + w["reset_applied"]
    np.testing.assert_allclose(np.tanh(inside), w["candidate"], atol=1e-6)
    expected = w["reset"] * (w["h_prev"] @ weights.weight_hh[2 * H :].T + weights.bias_hh[2 * H :])
    np.testing.assert_allclose(w["reset_applied"], expected, atol=1e-6)
    np.testing.assert_allclose(w["kept"] + w["written"], w["hidden"], atol=1e-6)


def test_rnn_hidden_is_the_squashed_preactivation():
    _model, _trace, (flow,) = flows_for("rnn")
    np.testing.assert_allclose(np.tanh(flow.wires["preactivation"]), flow.wires["hidden"], atol=1e-6)


def test_upper_layer_reads_the_layer_below():
    _model, trace, (flow,) = flows_for("gru", layers=2, layer=1)
    np.testing.assert_array_equal(flow.wires["x"], trace.layers[0].h)


def test_every_wire_is_produced_by_exactly_one_phase():
    for kind, phases in PHASES.items():
        _model, _trace, (flow,) = flows_for(kind)
        produced = wire_phase(kind)
        assert set(produced) == set(flow.wires), kind
        assert phases[0].key == "combine" and phases[-1].key == "hidden"


def test_phase_order_per_cell_kind():
    assert [p.key for p in PHASES["lstm"]] == ["combine", "forget", "input", "cell", "output", "hidden"]
    assert [p.key for p in PHASES["gru"]] == ["combine", "reset", "update", "candidate", "hidden"]
    assert [p.key for p in PHASES["rnn"]] == ["combine", "hidden"]


def test_phase_index_takes_numbers_and_names():
    assert phase_index("lstm", "forget") == 1 and phase_index("gru", "3") == 3 and phase_index("rnn", 1) == 1
    with pytest.raises(ValueError, match="combine, forget"):
        phase_index("lstm", "reset")
    with pytest.raises(ValueError, match="0..1"):
        phase_index("rnn", 2)


def test_state_before_each_step_reads_forward_units_from_the_left_and_reverse_units_from_the_right():
    model = make_text_model("lstm", units=3, bidirectional=True)
    layer = model.run(SENTENCE, h0=np.full((2, 3), 0.25), c0=np.full((2, 3), -0.5)).layers[0]
    before = layer_state_before(layer, layer.h, layer.h0)
    np.testing.assert_array_equal(before[0, :3], layer.h0[:3])
    np.testing.assert_array_equal(before[1:, :3], layer.h[:-1, :3])
    np.testing.assert_array_equal(before[-1, 3:], layer.h0[3:])
    np.testing.assert_array_equal(before[:-1, 3:], layer.h[1:, 3:])
    assert layer_state_before(layer, layer.c, layer.c0)[0, 0] == -0.5
