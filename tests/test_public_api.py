"""The public names other parts and users' scripts rely on."""

from __future__ import annotations

import numpy as np

import gatescope


def test_public_names_exist():
    for name in ("load_model", "list_models", "Model", "Trace", "LayerTrace", "GatescopeError"):
        assert hasattr(gatescope, name), name
    assert issubclass(gatescope.GatescopeError, Exception)


def test_documented_usage_works_end_to_end():
    model = gatescope.load_model("bracket-counter")
    trace = model.run("(a(b)c)")
    assert isinstance(model, gatescope.Model) and isinstance(trace, gatescope.Trace)
    assert trace.tokens == list("(a(b)c)")
    layer = trace.layers[0]
    assert isinstance(layer, gatescope.LayerTrace)
    assert layer.kind == "lstm" and layer.h.shape == (7, 3) and layer.c.shape == (7, 3)
    assert set(layer.gates) == set(layer.preactivations) == {"input", "forget", "candidate", "output"}
    assert trace.outputs.shape == (7, 2) and trace.output_labels == ["outside brackets", "inside brackets"]
    array_trace = model.run(np.zeros((3, model.input_size)))
    assert array_trace.tokens == ["0", "1", "2"]
