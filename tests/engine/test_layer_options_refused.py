"""Imported layers' options: values the engine cannot run are refused when the layer is built, and training refuses
the options it has no derivatives for."""

from __future__ import annotations

import numpy as np
import pytest

from gatescope import GatescopeError
from gatescope.engine import layer_from_state_dict
from gatescope.engine.bptt import hidden_state_gradients, layer_forward
from tests.engine.test_layer_options import FEATURES, UNITS, build_layer

BAD_OPTIONS = [
    ("lstm", dict(clip=0.0), "clip must be a positive finite number"),
    ("gru", dict(clip=-1.5), "not -1.5"),
    ("rnn", dict(clip=float("nan")), "not nan"),
    ("lstm", dict(clip=float("inf")), "not inf"),
    ("lstm", dict(clip=True), "not True"),
    ("lstm", dict(clip="3"), "not '3'"),
    ("gru", dict(input_forget=True), "GRU layers have no forget gate"),
    ("rnn", dict(input_forget=True), "RNN layers have no forget gate"),
    ("lstm", dict(input_forget=1), "input_forget must be True or False, not 1"),
    ("lstm", dict(reverse="yes"), "reverse must be True or False"),
    ("lstm", dict(bidirectional=True, reverse=True), "a bidirectional layer already reads both ways"),
    ("lstm", dict(gate_activation="hard_tanh"), "unknown gate activation 'hard_tanh'; expected one of sigmoid"),
    ("rnn", dict(gate_activation="hard_sigmoid"), "an RNN has no gates"),
    ("lstm", dict(activation="relu"), "activation 'relu' is not supported"),
    ("rnn", dict(activation="relu"), "an RNN's is its nonlinearity"),
]


@pytest.mark.parametrize(("kind", "options", "message"), BAD_OPTIONS)
def test_options_the_engine_cannot_run_are_refused_naming_the_value(kind: str, options: dict, message: str):
    with pytest.raises(GatescopeError, match=message.replace("(", r"\(")):
        build_layer(30, kind, **options)


def test_the_state_dict_builder_passes_the_options_on():
    arrays = {
        "weight_ih_l0": np.ones((4 * UNITS, FEATURES)),
        "weight_hh_l0": np.ones((4 * UNITS, UNITS)),
    }
    layer = layer_from_state_dict(arrays, 0, "lstm", bidirectional=False, clip=2, input_forget=True, reverse=True)
    assert layer.options() == {"clip": 2.0, "input_forget": True, "reverse": True}
    assert type(layer.clip) is float
    assert layer_from_state_dict(arrays, 0, "lstm", bidirectional=False, clip=np.float32(0.5)).clip == 0.5
    with pytest.raises(GatescopeError, match="unknown gate activation 'relu'"):
        layer_from_state_dict(arrays, 0, "lstm", bidirectional=False, gate_activation="relu")


def test_a_layer_with_default_options_has_none_to_report():
    assert build_layer(31, "gru", gru_convention="cho").options() == {}


@pytest.mark.parametrize(
    ("kind", "options", "named"),
    [
        ("lstm", dict(clip=3.0), "ONNX clip"),
        ("gru", dict(clip=3.0, gate_activation="hard_sigmoid"), "ONNX clip or hard_sigmoid gates"),
        ("lstm", dict(input_forget=True), "ONNX input_forget"),
        ("gru", dict(gate_activation="hard_sigmoid_keras2"), "hard_sigmoid_keras2 gates"),
        ("rnn", dict(clip=1.0, reverse=True), "ONNX clip"),
    ],
)
def test_training_refuses_options_without_derivatives(kind: str, options: dict, named: str):
    layer = build_layer(32, kind, **options)
    x = np.ones((1, 3, FEATURES))
    with pytest.raises(GatescopeError, match=f"gradients are not available for layers with {named}:"):
        layer_forward(layer, x)
    with pytest.raises(GatescopeError, match="gradients are not available"):
        hidden_state_gradients([layer], x[0], np.ones((3, UNITS)))
