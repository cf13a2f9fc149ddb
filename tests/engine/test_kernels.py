"""The kernels: one weight layout, each kind's backward steps the exact derivative of its forward steps, and one
forward pass shared by the trace and by training."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from gatescope.engine.bptt import layer_forward
from gatescope.engine.forward import run_layer
from gatescope.engine.kernels import KERNELS, backward_direction, run_direction
from gatescope.engine.kernels.steps import paired
from gatescope.engine.layout import INTERNAL_ORDER, SIGMOID_BLOCKS, TORCH_GATE_ORDER, DirectionLayout
from tests.engine.test_backward import FD_KINDS, numeric_gradient, random_layer, relative_error

VARIANTS = FD_KINDS


# ----------------------------------------------------------------------------------------------------------------
# the layout
# ----------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("variant", VARIANTS)
def test_layout_puts_sigmoid_gates_first_with_halved_rows(variant: str):
    rng = np.random.default_rng(1)
    layer = random_layer(rng, input_size=2, units=3, bidirectional=False, **VARIANTS[variant])
    weights, layout = layer.directions[0], layer.layouts[0]
    H = layer.hidden_size
    for k, gate in enumerate(INTERNAL_ORDER[layer.kind]):
        torch_rows = slice(
            TORCH_GATE_ORDER[layer.kind].index(gate) * H, (TORCH_GATE_ORDER[layer.kind].index(gate) + 1) * H
        )
        factor = 0.5 if k * H < layout.sigmoid_width else 1.0
        np.testing.assert_array_equal(layout.input_weight[k * H : (k + 1) * H], factor * weights.weight_ih[torch_rows])
        if layout.candidate_weight is None or gate != "candidate":
            recurrent = layout.recurrent_weight[:, k * H : (k + 1) * H]
            np.testing.assert_array_equal(recurrent, factor * weights.weight_hh[torch_rows].T)
    assert layout.sigmoid_width == {"lstm": 3, "gru": 2, "rnn": 0}[layer.kind] * H


@pytest.mark.parametrize("variant", VARIANTS)
def test_laid_out_matrices_start_on_a_cache_line(variant: str):
    """BLAS's matrix-vector product is markedly faster on a 32-byte aligned matrix; NumPy promises only 16."""
    layer = random_layer(np.random.default_rng(3), input_size=3, units=5, bidirectional=True, **VARIANTS[variant])
    for layout in layer.layouts:
        for matrix in (layout.input_weight, layout.recurrent_weight, layout.candidate_weight):
            if matrix is not None:
                assert matrix.ctypes.data % 64 == 0 and matrix.flags.c_contiguous


def test_gradients_go_back_to_pytorch_rows_at_true_scale():
    rng = np.random.default_rng(2)
    layout = random_layer(rng, "lstm", input_size=2, units=2, bidirectional=False).layouts[0]
    internal = np.repeat(np.arange(4.0), 2)  # block k holds k: input 0, forget 1, output 2, candidate 3
    torch = layout.to_torch_rows(internal)
    # PyTorch order i, f, g, o; sigmoid gates' gradients halved like their pre-activations
    np.testing.assert_array_equal(torch, [0, 0, 0.5, 0.5, 3, 3, 1, 1])
    np.testing.assert_array_equal(
        layout.to_torch_rows(internal[:, None] * np.ones((1, 3))), torch[:, None] * np.ones(3)
    )


# ----------------------------------------------------------------------------------------------------------------
# backward steps against their own forward steps
# ----------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("variant", VARIANTS)
def test_backward_steps_are_the_derivative_of_the_forward_steps(variant: str):
    """A kernel alone, from its inputs to every state: the loss weighs every h_t, h_T and c_T."""
    rng = np.random.default_rng(sum(map(ord, variant)))
    layer = random_layer(rng, input_size=2, units=3, bidirectional=False, **VARIANTS[variant])
    base = layer.layouts[0]
    kernel = KERNELS[layer.kind]
    T, B, H = 4, 2, 3
    lstm = layer.kind == "lstm"
    x = rng.normal(size=(T, 2, B))  # the kernels' layout: time, features, batch
    h0, c0 = rng.normal(size=(H, B)), rng.normal(size=(H, B)) if lstm else None
    upstream, final_h, final_c = rng.normal(size=(T, H, B)), rng.normal(size=(H, B)), rng.normal(size=(H, B))
    bias, recurrent = base.input_bias.copy(), base.recurrent_weight.copy()
    candidate = None if base.candidate_weight is None else base.candidate_weight.copy()

    def layout() -> DirectionLayout:
        return dataclasses.replace(base, input_bias=bias, recurrent_weight=recurrent, candidate_weight=candidate)

    def loss() -> float:
        run = kernel.forward(layout(), x, h0, c0, training=True)
        total = (run.h[1:] * upstream).sum() + (run.h[-1] * final_h).sum()
        return float(total + ((run.c[-1] * final_c).sum() if lstm else 0.0))

    run = kernel.forward(layout(), x, h0, c0, training=True)
    grads = kernel.backward(layout(), run, upstream.copy(), final_h, final_c if lstm else None)

    tolerance = 1e-6
    # grads.pre is the gradient of the (internal) pre-activations: what reaches the input bias and, through the
    # input weights, x
    assert relative_error(grads.pre.sum(axis=(0, 2)), numeric_gradient(bias, loss)) < tolerance
    assert relative_error(np.matmul(base.input_weight.T, grads.pre), numeric_gradient(x, loss)) < tolerance
    assert relative_error(grads.h0, numeric_gradient(h0, loss)) < tolerance
    if lstm:
        assert relative_error(grads.c0, numeric_gradient(c0, loss)) < tolerance
    # weight_hh is by internal row: the transpose of recurrent_weight (and for "cho" of candidate_weight below it)
    expected_hh = numeric_gradient(recurrent, loss).T
    if candidate is not None:
        expected_hh = np.concatenate([expected_hh, numeric_gradient(candidate, loss).T])
    assert relative_error(grads.weight_hh, expected_hh) < tolerance


def test_backward_leaves_the_run_as_it_was():
    rng = np.random.default_rng(8)
    layer = random_layer(rng, "lstm", input_size=2, units=3, bidirectional=False, peepholes=True)
    run = run_direction(layer.layouts[0], rng.normal(size=(5, 2, 4)), np.zeros((3, 4)), np.zeros((3, 4)))
    kept = dataclasses.asdict(run)  # copies
    upstream = rng.normal(size=(5, 3, 4))
    first = backward_direction(layer.layouts[0], run, upstream.copy(), np.zeros((3, 4)), np.zeros((3, 4)))
    second = backward_direction(layer.layouts[0], run, upstream.copy(), np.zeros((3, 4)), np.zeros((3, 4)))
    for name, value in dataclasses.asdict(run).items():
        np.testing.assert_array_equal(value, kept[name], err_msg=name)
    np.testing.assert_array_equal(first.pre, second.pre)


# ----------------------------------------------------------------------------------------------------------------
# one forward pass for the trace and for training
# ----------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("variant", VARIANTS)
def test_a_batch_of_one_is_the_trace_bit_for_bit(variant: str, dtype: str):
    rng = np.random.default_rng(9)
    layer = random_layer(rng, units=5, input_size=4, bidirectional=True, dtype=dtype, **VARIANTS[variant])
    x = rng.normal(size=(7, 4)).astype(dtype)
    h0 = rng.normal(size=(2, 5)).astype(dtype)
    c0 = rng.normal(size=(2, 5)).astype(dtype) if layer.kind == "lstm" else None

    trace = run_layer(layer, x, h0=h0, c0=c0)
    h, cache = layer_forward(layer, x[None], h0[:, None], None if c0 is None else c0[:, None])

    np.testing.assert_array_equal(h[0], trace.h)
    if c0 is not None:
        np.testing.assert_array_equal(cache.c()[0], trace.c)
    for d in range(2):
        gates = cache.runs[d].gates
        if gates is not None:  # the trace's gates are the run's, reverse rows back in input order
            forward_units = trace.gates["forget" if layer.kind == "lstm" else "update"][:, d * 5 : (d + 1) * 5]
            k = INTERNAL_ORDER[layer.kind].index("forget" if layer.kind == "lstm" else "update")
            np.testing.assert_array_equal(gates[:, k * 5 : (k + 1) * 5, 0], forward_units[:: -1 if d else 1])


@pytest.mark.parametrize("variant", VARIANTS)
def test_training_lets_the_gates_overwrite_the_preactivations_and_nothing_else_changes(variant: str):
    rng = np.random.default_rng(11)
    layout = random_layer(rng, input_size=3, units=4, bidirectional=False, **VARIANTS[variant]).layouts[0]
    x, h0, c0 = rng.normal(size=(6, 3, 2)), rng.normal(size=(4, 2)), rng.normal(size=(4, 2))
    kept = run_direction(layout, x, h0, c0, training=False)
    overwritten = run_direction(layout, x, h0, c0, training=True)
    np.testing.assert_array_equal(overwritten.h, kept.h)
    activations = "h" if kept.gates is None else "gates"  # an RNN's pre-activations become its states
    np.testing.assert_array_equal(getattr(overwritten, activations), getattr(kept, activations))
    assert np.shares_memory(overwritten.pre, getattr(overwritten, activations))
    assert not np.shares_memory(kept.pre, getattr(kept, activations))


#: Every loop of the kernels: PyTorch's, and imported layers' options, which run loops of their own.
TRACE_VARIANTS = {
    **VARIANTS,
    "lstm_clip_peepholes": dict(kind="lstm", peepholes=True, clip=0.7),
    "lstm_hard_sigmoid": dict(kind="lstm", gate_activation="hard_sigmoid"),
    "lstm_input_forget": dict(kind="lstm", input_forget=True),
    "gru_cho_clip_keras2": dict(kind="gru", gru_convention="cho", clip=0.6, gate_activation="hard_sigmoid_keras2"),
    "gru_hard_sigmoid": dict(kind="gru", gate_activation="hard_sigmoid"),
    "rnn_clip": dict(kind="rnn", clip=0.5),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("variant", TRACE_VARIANTS)
@pytest.mark.parametrize("directions", ["bidirectional", "reverse"])
def test_a_trace_is_each_direction_run_alone_in_its_own_arrays_bit_for_bit(variant: str, dtype: str, directions: str):
    """The trace's kernels write into strided views of the trace's arrays, a reverse direction's rows backwards; a run
    into the kernel's own contiguous arrays gives the very same numbers."""
    rng = np.random.default_rng(12)
    options = dict(TRACE_VARIANTS[variant])
    bidirectional = directions == "bidirectional"
    if not bidirectional:
        options["reverse"] = True
    H, T = 6, 9
    layer = random_layer(rng, units=H, input_size=4, bidirectional=bidirectional, dtype=dtype, **options)
    D = len(layer.directions)
    x = rng.normal(size=(T, 4)).astype(dtype)
    h0 = rng.normal(size=(D, H)).astype(dtype)
    c0 = rng.normal(size=(D, H)).astype(dtype) if layer.kind == "lstm" else None

    trace = run_layer(layer, x, h0=h0, c0=c0)

    for d, layout in enumerate(layer.layouts):
        x_own = x[::-1] if d == 1 or layer.reverse else x  # the direction's own time order
        alone = run_direction(
            layout, np.ascontiguousarray(x_own)[:, :, None], h0[d, :, None], None if c0 is None else c0[d, :, None]
        )
        if layout.gates_halved:
            alone.pre[:, : SIGMOID_BLOCKS[layer.kind] * H] *= 2

        def own_order(array: np.ndarray, d: int = d) -> np.ndarray:
            """Direction d's units of a trace array, in its own time order."""
            units = array[:, d * H : (d + 1) * H]
            return units[::-1] if d == 1 or layer.reverse else units

        np.testing.assert_array_equal(own_order(trace.h), alone.h[1:, :, 0])
        if trace.c is not None:
            np.testing.assert_array_equal(own_order(trace.c), alone.c[1:, :, 0])
        if trace.hidden_preactivation is not None:
            np.testing.assert_array_equal(own_order(trace.hidden_preactivation), alone.pre[:, :, 0])
        for name in trace.gates:
            rows = slice(INTERNAL_ORDER[layer.kind].index(name) * H, (INTERNAL_ORDER[layer.kind].index(name) + 1) * H)
            np.testing.assert_array_equal(own_order(trace.gates[name]), alone.gates[:, rows, 0], err_msg=name)
            np.testing.assert_array_equal(own_order(trace.preactivations[name]), alone.pre[:, rows, 0], err_msg=name)


@pytest.mark.parametrize("kind", ["lstm", "gru", "rnn"])
def test_a_bidirectional_trace_is_views_of_the_arrays_its_kernels_wrote(kind: str):
    """Nothing is joined or copied after the steps: every gate of a layer is a view of one array, every
    pre-activation of another (an LSTM's cells beside its gates)."""
    rng = np.random.default_rng(13)
    trace = run_layer(random_layer(rng, kind, input_size=3, units=4), rng.normal(size=(5, 3)))
    quantities = [*trace.preactivations.values(), *([trace.hidden_preactivation] if kind == "rnn" else [])]
    assert all(array.base is not None and array.base is quantities[0].base for array in quantities)
    gates = [*trace.gates.values(), *([trace.c] if kind == "lstm" else [])]
    assert all(array.base is not None and array.base is gates[0].base for array in gates)
    assert trace.h.flags.c_contiguous  # the layer above projects it in one matrix product


def test_paired_views_put_two_arrays_of_one_buffer_side_by_side():
    block = np.arange(60.0).reshape(6, 2, 5)
    pairs = paired(block[1:, 0], block[:-1, 1])  # each row's first half with the row before's second half
    for t in range(5):
        np.testing.assert_array_equal(pairs[t, 0], block[t + 1, 0])
        np.testing.assert_array_equal(pairs[t, 1], block[t, 1])
    assert paired(block[:, 0], block[:, 1])[0].flags.c_contiguous
    with pytest.raises(ValueError):
        paired(block[:, 0], np.zeros((6, 5)))  # another buffer
    with pytest.raises(ValueError):
        paired(block[:, 0], block[::-1, 1])  # rows the other way


def test_a_batch_runs_each_sequence_as_alone():
    rng = np.random.default_rng(10)
    layer = random_layer(rng, "gru", units=4, input_size=3, bidirectional=True, gru_convention="cho")
    x = rng.normal(size=(3, 6, 3))
    h, _ = layer_forward(layer, x)
    for b in range(3):
        np.testing.assert_allclose(h[b], run_layer(layer, x[b]).h, rtol=0, atol=1e-12)
