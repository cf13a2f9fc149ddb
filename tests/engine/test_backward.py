"""Backpropagation through time matches PyTorch autograd, finite differences, and the single-sequence engine.

Fixtures come from scripts/make_gradient_fixtures.py; torch is not needed here.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from gatescope.engine.bptt import (
    hidden_state_gradients,
    layer_backward,
    layer_forward,
    parameter_gradients_by_name,
    stack_backward,
    stack_forward,
)
from gatescope.engine.cells import DirectionWeights, RecurrentLayer, layer_from_state_dict
from gatescope.engine.forward import run_layer
from gatescope.errors import GatescopeError

FIXTURES = sorted((Path(__file__).parent / "gradient_fixtures").glob("*.npz"))
GRADIENT_RTOL = 1e-6
FORWARD_TOLERANCE = {"float32": 1e-5, "float64": 1e-9}


def load_case(path: Path) -> tuple[dict, dict[str, np.ndarray]]:
    with np.load(path, allow_pickle=False) as data:
        arrays = {name: data[name] for name in data.files}
    return json.loads(arrays.pop("meta").tobytes()), arrays


def build_layers(meta: dict, arrays: dict[str, np.ndarray], dtype: str = "float64") -> list[RecurrentLayer]:
    return [
        layer_from_state_dict(
            arrays,
            k,
            meta["kind"],
            bidirectional=meta["bidirectional"],
            dtype=dtype,
            gru_convention=meta.get("gru_convention", "pytorch"),
            nonlinearity=meta.get("nonlinearity", "tanh"),
        )
        for k in range(meta["num_layers"])
    ]


def relative_error(actual: np.ndarray, expected: np.ndarray) -> float:
    """max|a - b| / max|b| (the absolute error when b is all zeros)."""
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    scale = float(np.abs(expected).max())
    error = float(np.abs(np.asarray(actual, np.float64) - expected).max())
    return error / scale if scale > 0 else error


def assert_gradient(actual: np.ndarray, expected: np.ndarray, what: str, rtol: float = GRADIENT_RTOL) -> None:
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=1e-12, err_msg=what)
    assert relative_error(actual, expected) <= rtol, what


def run_case(meta: dict, arrays: dict[str, np.ndarray], dtype: str = "float64"):
    """Forward and backward through the whole stack as the fixture's loss defines it.

    Returns (output, h_n, c_n, grad_x, named weight grads, grad_h0, grad_c0); the state parts are None without states.
    """
    layers = build_layers(meta, arrays, dtype)
    D = 2 if meta["bidirectional"] else 1
    lstm = meta["kind"] == "lstm"
    if not meta["has_initial_state"]:
        output, caches = stack_forward(layers, arrays["x"])
        grad_x, grads = stack_backward(layers, caches, arrays["upstream_output"])
        h_n = np.concatenate([cache.final_states()[0] for cache in caches])
        c_n = np.concatenate([cache.final_states()[1] for cache in caches]) if lstm else None
        return output, h_n, c_n, grad_x, parameter_gradients_by_name(grads), None, None
    rows = [slice(k * D, (k + 1) * D) for k in range(len(layers))]
    caches, x = [], arrays["x"]
    for k, layer in enumerate(layers):
        x, cache = layer_forward(layer, x, arrays["h0"][rows[k]], arrays["c0"][rows[k]] if lstm else None)
        caches.append(cache)
    output = x
    h_n = np.concatenate([cache.final_states()[0] for cache in caches])
    c_n = np.concatenate([cache.final_states()[1] for cache in caches]) if lstm else None
    grad, grads_per_layer = arrays["upstream_output"], [None] * len(layers)
    h0_grads, c0_grads = [None] * len(layers), [None] * len(layers)
    for k in range(len(layers) - 1, -1, -1):
        grad, grads_per_layer[k], states = layer_backward(
            layers[k],
            caches[k],
            grad,
            arrays["upstream_h_n"][rows[k]],
            arrays["upstream_c_n"][rows[k]] if lstm else None,
        )
        h0_grads[k] = states["h0"]
        c0_grads[k] = states.get("c0")
    return (
        output,
        h_n,
        c_n,
        grad,
        parameter_gradients_by_name(grads_per_layer),
        np.concatenate(h0_grads),
        np.concatenate(c0_grads) if lstm else None,
    )


def weight_names(arrays: dict[str, np.ndarray]) -> list[str]:
    return [
        name for name in arrays if name.split("_l")[0] in ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "peephole")
    ]


# ----------------------------------------------------------------------------------------------------------------
# against PyTorch autograd
# ----------------------------------------------------------------------------------------------------------------


def test_fixtures_cover_every_kind_convention_and_training_shape():
    metas = [load_case(path)[0] for path in FIXTURES]
    assert len(metas) >= 16
    assert {m["kind"] for m in metas} == {"lstm", "gru", "rnn"}
    assert {m["dtype"] for m in metas} == {"float64"}
    assert {m.get("gru_convention") for m in metas if m["kind"] == "gru"} == {"pytorch", "cho"}
    assert {m.get("nonlinearity") for m in metas if m["kind"] == "rnn"} == {"tanh", "relu"}
    assert {m["bidirectional"] for m in metas if m["kind"] == "lstm" and m["peepholes"]} == {True, False}
    for kind in ("lstm", "gru", "rnn"):
        assert {(m["num_layers"], m["bidirectional"]) for m in metas if m["kind"] == kind} >= {(1, False), (2, True)}
    assert any(not m["bias"] for m in metas)
    assert any(m["upstream"] == "last" for m in metas)
    assert {m["kind"] for m in metas if m["has_initial_state"] and m["final_state_grads"]} == {"lstm", "gru"}
    assert sum(path.stat().st_size for path in FIXTURES) < 500_000


@pytest.mark.parametrize("path", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_gradients_match_pytorch_autograd(path: Path):
    meta, arrays = load_case(path)
    output, h_n, c_n, grad_x, grads, grad_h0, grad_c0 = run_case(meta, arrays)
    np.testing.assert_allclose(output, arrays["output"], rtol=0, atol=1e-9)
    np.testing.assert_allclose(h_n, arrays["h_n"], rtol=0, atol=1e-9)
    if c_n is not None:
        np.testing.assert_allclose(c_n, arrays["c_n"], rtol=0, atol=1e-9)
    assert grad_x.dtype == np.float64
    assert_gradient(grad_x, arrays["grad_x"], "grad_x")
    names = weight_names(arrays)
    assert set(names) <= set(grads)
    assert {name for name in grads if name not in names} == (
        set() if meta["bias"] else {name for name in grads if name.startswith("bias_")}
    )
    for name in names:
        assert grads[name].shape == arrays[name].shape, name
        assert_gradient(grads[name], arrays[f"grad_{name}"], f"grad_{name}")
    if meta["has_initial_state"]:
        assert_gradient(grad_h0, arrays["grad_h0"], "grad_h0")
        if c_n is not None:
            assert_gradient(grad_c0, arrays["grad_c0"], "grad_c0")
    if not meta["bias"]:  # a layer without biases has zero biases: their gradients are still defined
        assert all(np.any(grads[name] != 0) for name in grads if name.startswith("bias_"))


@pytest.mark.parametrize("path", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_float32_follows_the_layer_dtype_and_stays_close(path: Path):
    meta, arrays = load_case(path)
    output, _, _, grad_x, grads, grad_h0, _ = run_case(meta, arrays, "float32")
    assert output.dtype == grad_x.dtype == np.float32
    assert all(grad.dtype == np.float32 for grad in grads.values())
    np.testing.assert_allclose(output, arrays["output"], rtol=0, atol=1e-5)
    assert relative_error(grad_x, arrays["grad_x"]) < 1e-5
    for name in weight_names(arrays):
        assert relative_error(grads[name], arrays[f"grad_{name}"]) < 1e-5, name
    if grad_h0 is not None:
        assert grad_h0.dtype == np.float32 and relative_error(grad_h0, arrays["grad_h0"]) < 1e-5


# ----------------------------------------------------------------------------------------------------------------
# the same forward as the single-sequence engine
# ----------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("path", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_layer_forward_equals_run_layer_for_every_sequence(path: Path, dtype: str):
    meta, arrays = load_case(path)
    layers = build_layers(meta, arrays, dtype)
    D = 2 if meta["bidirectional"] else 1
    lstm = meta["kind"] == "lstm"
    x = arrays["x"].astype(dtype)
    for k, layer in enumerate(layers):
        rows = slice(k * D, (k + 1) * D)
        h0 = arrays["h0"][rows] if meta["has_initial_state"] else None
        c0 = arrays["c0"][rows] if meta["has_initial_state"] and lstm else None
        h, cache = layer_forward(layer, x, h0, c0)
        assert h.dtype == np.dtype(dtype) and h.shape == (meta["batch"], meta["seq_len"], D * meta["hidden_size"])
        for b in range(meta["batch"]):
            trace = run_layer(
                layer, np.ascontiguousarray(x[b]), k, None if h0 is None else h0[:, b], None if c0 is None else c0[:, b]
            )
            np.testing.assert_allclose(h[b], trace.h, rtol=0, atol=FORWARD_TOLERANCE[dtype])
            if lstm:
                np.testing.assert_allclose(cache.c()[b], trace.c, rtol=0, atol=FORWARD_TOLERANCE[dtype])
            else:
                assert cache.c() is None
        np.testing.assert_array_equal(cache.h(), h)
        x = h


# ----------------------------------------------------------------------------------------------------------------
# finite differences: an independent second proof, every kind and convention
# ----------------------------------------------------------------------------------------------------------------

FD_KINDS = {
    "lstm": dict(kind="lstm"),
    "lstm_peepholes": dict(kind="lstm", peepholes=True),
    "gru_pytorch": dict(kind="gru"),
    "gru_cho": dict(kind="gru", gru_convention="cho"),
    "rnn_tanh": dict(kind="rnn"),
    "rnn_relu": dict(kind="rnn", nonlinearity="relu"),
}


def random_layer(
    rng: np.random.Generator,
    kind: str,
    input_size: int,
    units: int,
    bidirectional: bool = True,
    peepholes: bool = False,
    gru_convention: str = "pytorch",
    nonlinearity: str = "tanh",
    dtype: str = "float64",
    **options,
) -> RecurrentLayer:
    """Weights drawn from N(0, 1); ``options`` are RecurrentLayer's keyword-only ones (clip, reverse, ...)."""
    rows = {"lstm": 4, "gru": 3, "rnn": 1}[kind] * units

    def draw(*shape):
        return rng.normal(size=shape).astype(dtype)

    directions = tuple(
        DirectionWeights(
            draw(rows, input_size), draw(rows, units), draw(rows), draw(rows), draw(3, units) if peepholes else None
        )
        for _ in range(2 if bidirectional else 1)
    )
    return RecurrentLayer(kind, input_size, units, directions, gru_convention, nonlinearity, **options)


def numeric_gradient(array: np.ndarray, evaluate, eps: float = 1e-6) -> np.ndarray:
    """Central differences of evaluate() with respect to every element of array (changed in place, then restored)."""
    grad = np.zeros_like(array)
    for index in np.ndindex(array.shape):
        kept = array[index]
        array[index] = kept + eps
        up = evaluate()
        array[index] = kept - eps
        down = evaluate()
        array[index] = kept
        grad[index] = (up - down) / (2 * eps)
    return grad


#: One-direction layers that read right to left (ONNX direction="reverse").
REVERSE_FD_KINDS = {
    "lstm_peepholes_reverse": dict(kind="lstm", peepholes=True, bidirectional=False, reverse=True),
    "gru_cho_reverse": dict(kind="gru", gru_convention="cho", bidirectional=False, reverse=True),
    "rnn_reverse": dict(kind="rnn", bidirectional=False, reverse=True),
}


@pytest.mark.parametrize("variant", {**FD_KINDS, **REVERSE_FD_KINDS})
def test_gradients_match_central_finite_differences(variant: str):
    rng = np.random.default_rng(sum(map(ord, variant)))
    layer = random_layer(rng, input_size=3, units=2, **{**FD_KINDS, **REVERSE_FD_KINDS}[variant])
    B, T, D, H = 2, 4, len(layer.directions), 2
    lstm = layer.kind == "lstm"
    x = rng.normal(size=(B, T, 3))
    upstream = rng.normal(size=(B, T, D * H))
    state_grads = rng.normal(size=(2, D, B, H))
    h0 = rng.normal(size=(D, B, H))
    c0 = rng.normal(size=(D, B, H)) if lstm else None

    # layers freeze their weights: perturb writable copies and build a fresh layer for every evaluation
    editable = [
        {
            name: np.array(getattr(w, name))
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "peephole")
            if getattr(w, name) is not None
        }
        for w in layer.directions
    ]

    def loss(x=x, h0=h0, c0=c0) -> float:
        directions = tuple(DirectionWeights(**{name: array.copy() for name, array in d.items()}) for d in editable)
        fresh = RecurrentLayer(
            layer.kind, 3, H, directions, layer.gru_convention, layer.nonlinearity, **layer.options()
        )
        h, cache = layer_forward(fresh, x, h0, c0)
        h_n, c_n = cache.final_states()
        total = (h * upstream).sum() + (h_n * state_grads[0]).sum()
        return float(total + ((c_n * state_grads[1]).sum() if lstm else 0.0))

    _, cache = layer_forward(layer, x, h0, c0)
    grad_x, grads, states = layer_backward(layer, cache, upstream, state_grads[0], state_grads[1] if lstm else None)
    tolerance = 1e-6
    assert relative_error(grad_x, numeric_gradient(x, loss)) < tolerance
    assert relative_error(states["h0"], numeric_gradient(h0, loss)) < tolerance
    if lstm:
        assert relative_error(states["c0"], numeric_gradient(c0, loss)) < tolerance
    expected_names = {"weight_ih", "weight_hh", "bias_ih", "bias_hh"} | ({"peephole"} if layer.peepholes else set())
    for d, weights in enumerate(editable):
        assert set(grads[d]) == expected_names
        for name, grad in grads[d].items():
            assert relative_error(grad, numeric_gradient(weights[name], loss)) < tolerance, (d, name)


@pytest.mark.parametrize("variant", FD_KINDS)
def test_state_gradients_are_totals_through_time(variant: str):
    """states["h"][:, t] is dLoss/dh_t: the h0 gradient of the rest of the sequence started from h_t, plus G_t."""
    rng = np.random.default_rng(7)
    layer = random_layer(rng, input_size=3, units=4, bidirectional=False, **FD_KINDS[variant])
    x = rng.normal(size=(3, 6, 3))
    upstream = rng.normal(size=(3, 6, 4))
    h, cache = layer_forward(layer, x)
    _, _, states = layer_backward(layer, cache, upstream)
    assert states["h"].shape == h.shape
    for t in range(5):
        c_t = cache.c()[None, :, t] if layer.kind == "lstm" else None
        _, rest = layer_forward(layer, x[:, t + 1 :], h[None, :, t], c_t)
        _, _, rest_states = layer_backward(layer, rest, upstream[:, t + 1 :])
        np.testing.assert_allclose(states["h"][:, t], rest_states["h0"][0] + upstream[:, t], rtol=1e-12, atol=1e-12)
        if layer.kind == "lstm":  # c_t also reaches the loss through h_t = o_t tanh(c_t) (and o_t's peephole)
            output_gate = np.stack([run_layer(layer, x[b]).gates["output"][t] for b in range(3)])
            squashed = np.tanh(cache.c()[:, t])
            through_h = states["h"][:, t] * output_gate * (1 - squashed**2)
            if layer.peepholes:
                output_pre_grad = states["h"][:, t] * squashed * output_gate * (1 - output_gate)
                through_h += output_pre_grad * layer.directions[0].peephole[2]
            np.testing.assert_allclose(states["c"][:, t], rest_states["c0"][0] + through_h, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(states["h"][:, -1], upstream[:, -1])


# ----------------------------------------------------------------------------------------------------------------
# batches
# ----------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [p for p in FIXTURES if "_l2_bi" in p.stem], ids=lambda p: p.stem)
def test_batch_gradients_are_sums_of_per_sequence_gradients(path: Path):
    meta, arrays = load_case(path)
    layers = build_layers(meta, arrays)
    output, caches = stack_forward(layers, arrays["x"])
    grad_x, grads = stack_backward(layers, caches, arrays["upstream_output"])
    batch = parameter_gradients_by_name(grads)
    summed = {name: np.zeros_like(grad) for name, grad in batch.items()}
    for b in range(meta["batch"]):
        one_output, one_caches = stack_forward(layers, arrays["x"][b : b + 1])
        one_grad_x, one_grads = stack_backward(layers, one_caches, arrays["upstream_output"][b : b + 1])
        np.testing.assert_allclose(one_output[0], output[b], rtol=0, atol=1e-12)
        np.testing.assert_allclose(one_grad_x[0], grad_x[b], rtol=0, atol=1e-12)
        for name, grad in parameter_gradients_by_name(one_grads).items():
            summed[name] += grad
    for name, grad in batch.items():
        np.testing.assert_allclose(grad, summed[name], rtol=1e-12, atol=1e-12, err_msg=name)


def test_inputs_are_left_untouched_and_outputs_have_the_documented_shapes():
    rng = np.random.default_rng(3)
    layer = random_layer(rng, "lstm", input_size=5, units=4, peepholes=True)
    x = rng.normal(size=(2, 7, 5))
    upstream = rng.normal(size=(2, 7, 8))
    x_before, upstream_before = x.copy(), upstream.copy()
    h, cache = layer_forward(layer, x)
    grad_x, grads, states = layer_backward(layer, cache, upstream, np.ones((2, 2, 4)), np.ones((2, 2, 4)))
    np.testing.assert_array_equal(x, x_before)
    np.testing.assert_array_equal(upstream, upstream_before)
    assert h.shape == (2, 7, 8) and grad_x.shape == x.shape
    assert [set(g) for g in grads] == [{"weight_ih", "weight_hh", "bias_ih", "bias_hh", "peephole"}] * 2
    for d, weights in enumerate(layer.directions):
        for name, grad in grads[d].items():
            assert grad.shape == getattr(weights, name).shape
    assert states["h0"].shape == states["c0"].shape == (2, 2, 4)
    assert states["h"].shape == states["c"].shape == (2, 7, 8)
    # a second backward pass over the same cache gives the same answer
    again = layer_backward(layer, cache, upstream, np.ones((2, 2, 4)), np.ones((2, 2, 4)))
    np.testing.assert_array_equal(again[0], grad_x)


def test_parameter_names_follow_pytorch_state_dict():
    rng = np.random.default_rng(4)
    layers = [random_layer(rng, "lstm", 3, 2, peepholes=True), random_layer(rng, "lstm", 4, 2, peepholes=True)]
    output, caches = stack_forward(layers, rng.normal(size=(1, 3, 3)))
    _, grads = stack_backward(layers, caches, np.ones_like(output))
    names = parameter_gradients_by_name(grads)
    expected = {
        f"{p}_l{k}{s}"
        for p in ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "peephole")
        for k in (0, 1)
        for s in ("", "_reverse")
    }
    assert set(names) == expected
    assert names["weight_ih_l1_reverse"].shape == (8, 4)


def test_hidden_state_gradients_of_one_sequence():
    rng = np.random.default_rng(5)
    layers = [random_layer(rng, "gru", 3, 4, gru_convention="cho"), random_layer(rng, "gru", 8, 4)]
    x = rng.normal(size=(6, 3))
    top = np.zeros((6, 8))
    top[-1] = 1.0  # last-step loss: the view shows how the gradient fades back in time
    flows = hidden_state_gradients(layers, x, top)
    assert [f.shape for f in flows] == [(6, 8), (6, 8)]
    output, caches = stack_forward(layers, x[None])
    grad, _, states = layer_backward(layers[1], caches[1], top[None])
    np.testing.assert_allclose(flows[1], states["h"][0], rtol=0, atol=0)
    _, _, states = layer_backward(layers[0], caches[0], grad)
    np.testing.assert_allclose(flows[0], states["h"][0], rtol=0, atol=0)


def test_bad_shapes_and_mismatched_caches_are_reported():
    rng = np.random.default_rng(6)
    layer = random_layer(rng, "rnn", 3, 2)
    other = random_layer(rng, "rnn", 3, 2)
    with pytest.raises(GatescopeError, match=re.escape("input has shape (4, 3); expected (batch, steps, 3)")):
        layer_forward(layer, rng.normal(size=(4, 3)))
    with pytest.raises(GatescopeError, match=re.escape("h0 has shape (1, 2, 2); expected (2, 2, 2) (directions, ")):
        layer_forward(layer, rng.normal(size=(2, 4, 3)), h0=np.zeros((1, 2, 2)))
    h, cache = layer_forward(layer, rng.normal(size=(2, 4, 3)))
    with pytest.raises(GatescopeError, match=re.escape("grad_h has shape (2, 4, 2); expected (2, 4, 4) like the")):
        layer_backward(layer, cache, np.ones((2, 4, 2)))
    with pytest.raises(GatescopeError, match="different layer"):
        layer_backward(other, cache, np.ones_like(h))
    with pytest.raises(GatescopeError, match="at least one layer"):
        stack_forward([], np.ones((1, 1, 3)))
