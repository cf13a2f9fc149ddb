"""LSTM kernels: the forward steps (with and without ONNX peepholes) and their backpropagation through time.

c_t = f * c_{t-1} + i * g, h_t = o * tanh(c_t); with peepholes the input and forget gates also read c_{t-1} and the
output gate c_t. Internal gate order: input, forget, output, candidate (layout.py); arrays (T, features, B)
(steps.py). Imported layers' clip and hard sigmoid gates take a loop of their own, so that PyTorch's layers do no
step more; their input_forget is in the layout.

The time loops do only the recurrent product and pointwise updates, writing into preallocated arrays. Per step they
cost a handful of NumPy calls, so they avoid everything else: rows come from ``zip`` over views made once, ufuncs are
local names called with a positional ``out``, constants are 0-d arrays. Time them with benchmarks/engine.py.
"""

from __future__ import annotations

import numpy as np

from gatescope.engine.kernels.steps import (
    DirectionGrads,
    DirectionRun,
    Steps,
    backward_order,
    clipper,
    constant,
    gate_activation,
    gate_blocks,
    matrix_product,
    outer_sum,
    paired,
    present,
    project_inputs,
    sigmoid_slope,
    tanh_slope,
)
from gatescope.engine.layout import DirectionLayout, aligned_empty
from gatescope.engine.trace import FloatArray


def forward(
    layout: DirectionLayout, x: FloatArray, h0: FloatArray, c0: FloatArray | None, training: bool = False
) -> DirectionRun:
    """Run the steps over x (T, input_size, B) from h0, c0 (H, B) in arrays of the run's own; see
    kernels.run_direction."""
    assert c0 is not None
    T, _, B = x.shape
    G = layout.input_weight.shape[0]
    dtype = x.dtype
    # Row t holds the gates of step t (input, forget, output, candidate) followed by c_{t-1}: [i f] and [g c_{t-1}]
    # are then adjacent, so one multiply forms both i * g and f * c_{t-1}.
    rows = np.empty((T + 1, G + G // 4, B), dtype)
    gates, c = rows[:T, :G], rows[:, G:]
    c[0] = c0
    pre = project_inputs(layout, x, gates if training else np.empty((T, G, B), dtype))
    h = aligned_empty((T + 1, G // 4, B), dtype)
    h[0] = h0
    run = DirectionRun(pre, gates, h, c)
    record(layout, Steps.of(run))
    return run


def record(layout: DirectionLayout, steps: Steps) -> None:
    """Run the steps into ``steps``, whose inputs are projected and initial states in place; see
    kernels.record_direction."""
    if not layout.plain:
        _option_steps(layout, steps)
    elif layout.peephole is None:
        _steps(layout, steps)
    else:
        _peephole_steps(layout, steps, layout.peephole)


def _steps(layout: DirectionLayout, steps: Steps) -> None:
    """PyTorch's steps."""
    pre, gates, h, c = steps.pre, present(steps.gates), steps.h, present(steps.c)
    _, G, H, B = pre.shape
    dtype = pre.dtype
    recurrent = layout.recurrent_weight.T  # (4H, H): recurrent @ h_{t-1}
    half = constant(0.5, dtype)
    product = aligned_empty((G * H, B), dtype)
    product_blocks = gate_blocks(product[None], G)[0]
    terms = np.empty((2, H, B), dtype)
    written, kept = terms
    squashed_cell = np.empty((H, B), dtype)
    dot, add, multiply, tanh = matrix_product, np.add, np.multiply, np.tanh
    rows = zip(
        pre,
        gates,
        gates[:, :3],
        gates[:, :2],
        paired(gates[:, 3], c[:-1]),  # [g c_{t-1}], one view for one multiply with [i f]
        gates[:, 2],
        c[1:],
        h[1:],
    )
    h_prev = h[0]
    for pre_t, gates_t, sigmoids_t, input_forget_t, candidate_cell_t, output_t, c_t, h_t in rows:
        dot(recurrent, h_prev, product)
        add(pre_t, product_blocks, pre_t)
        tanh(pre_t, gates_t)
        multiply(sigmoids_t, half, sigmoids_t)  # tanh(x/2) -> sigmoid(x) = 0.5 + 0.5 * tanh(x/2)
        add(sigmoids_t, half, sigmoids_t)
        multiply(input_forget_t, candidate_cell_t, terms)  # [i * g, f * c_{t-1}]: written, kept
        add(written, kept, c_t)
        tanh(c_t, squashed_cell)
        multiply(output_t, squashed_cell, h_t)
        h_prev = h_t


def _peephole_steps(layout: DirectionLayout, steps: Steps, peephole: FloatArray) -> None:
    """ONNX peepholes: the input and forget gates read c_{t-1}, the output gate reads c_t."""
    pre, gates, h, c = steps.pre, present(steps.gates), steps.h, present(steps.c)
    _, G, H, B = pre.shape
    dtype = pre.dtype
    recurrent = layout.recurrent_weight.T  # (4H, H)
    peep_input_forget, peep_output = peephole[:2, :, None], peephole[2, :, None]  # (2, H, 1) and (H, 1)
    half = constant(0.5, dtype)
    product = aligned_empty((G * H, B), dtype)
    product_blocks = gate_blocks(product[None], G)[0]
    look = np.empty((2, H, B), dtype)
    written = np.empty((H, B), dtype)
    squashed_cell = np.empty((H, B), dtype)
    dot, add, multiply, tanh = matrix_product, np.add, np.multiply, np.tanh
    # Input and forget gates as (2, H, B), so one call adds both peephole terms.
    rows = zip(
        pre,
        pre[:, :2],
        gates[:, :2],
        gates[:, 0],
        gates[:, 1],
        pre[:, 2],
        gates[:, 2],
        pre[:, 3],
        gates[:, 3],
        c[1:],
        h[1:],
    )
    h_prev, c_prev = h[0], c[0]
    for (
        pre_t,
        input_forget_pre_t,
        input_forget_t,
        input_t,
        forget_t,
        output_pre_t,
        output_t,
        candidate_pre_t,
        candidate_t,
        c_t,
        h_t,
    ) in rows:
        dot(recurrent, h_prev, product)
        add(pre_t, product_blocks, pre_t)
        multiply(peep_input_forget, c_prev, look)
        add(input_forget_pre_t, look, input_forget_pre_t)
        tanh(input_forget_pre_t, input_forget_t)
        multiply(input_forget_t, half, input_forget_t)
        add(input_forget_t, half, input_forget_t)
        tanh(candidate_pre_t, candidate_t)
        multiply(forget_t, c_prev, c_t)
        multiply(input_t, candidate_t, written)
        add(c_t, written, c_t)
        multiply(peep_output, c_t, written)
        add(output_pre_t, written, output_pre_t)
        tanh(output_pre_t, output_t)
        multiply(output_t, half, output_t)
        add(output_t, half, output_t)
        tanh(c_t, squashed_cell)
        multiply(output_t, squashed_cell, h_t)
        h_prev, c_prev = h_t, c_t


def _option_steps(layout: DirectionLayout, steps: Steps) -> None:
    """Imported layers' steps: ONNX clip and any gate activation, with or without peepholes.

    Each pre-activation is clipped once all its terms are in: with peepholes, the output gate's only after c_t.
    """
    pre, gates, h, c = steps.pre, present(steps.gates), steps.h, present(steps.c)
    T, G, H, B = pre.shape
    dtype = pre.dtype
    recurrent = layout.recurrent_weight.T  # (4H, H)
    peephole = layout.peephole
    # The gates that are ready before the cell update: all three, or input and forget when the output gate peeks at c_t.
    ready = slice(0, 3 if peephole is None else 2)
    output, candidate = slice(2, 3), slice(3, 4)
    squash = gate_activation(layout, dtype)
    clip_ready, clip_output, clip_candidate = (clipper(layout, blocks) for blocks in (ready, output, candidate))
    product = aligned_empty((G * H, B), dtype)
    product_blocks = gate_blocks(product[None], G)[0]
    written = np.empty((H, B), dtype)
    squashed_cell = np.empty_like(written)
    dot, add, multiply, tanh = matrix_product, np.add, np.multiply, np.tanh
    for step in range(T):
        pre_t, gates_t, c_prev, c_t = pre[step], gates[step], c[step], c[step + 1]
        dot(recurrent, h[step], product)
        add(pre_t, product_blocks, pre_t)
        if peephole is not None:  # the input and forget gates read c_{t-1}
            pre_t[0] += peephole[0, :, None] * c_prev
            pre_t[1] += peephole[1, :, None] * c_prev
        clip_ready(pre_t[ready])
        clip_candidate(pre_t[candidate])
        squash(pre_t[ready], gates_t[ready])
        tanh(pre_t[candidate], gates_t[candidate])
        multiply(gates_t[1], c_prev, c_t)
        multiply(gates_t[0], gates_t[3], written)
        add(c_t, written, c_t)
        if peephole is not None:  # the output gate reads c_t
            pre_t[2] += peephole[2, :, None] * c_t
            clip_output(pre_t[output])
            squash(pre_t[output], gates_t[output])
        tanh(c_t, squashed_cell)
        multiply(gates_t[2], squashed_cell, h[step + 1])


def backward(
    layout: DirectionLayout, run: DirectionRun, grad_h: FloatArray, grad_h_n: FloatArray, grad_c_n: FloatArray | None
) -> DirectionGrads:
    """Backpropagate through the steps of ``run``.

    grad_h (T, H, B) holds the gradients arriving at each h_t from above and leaves with the totals; grad_h_n and
    grad_c_n (H, B) are those arriving at the final states.
    """
    gates, c = run.gates, run.c
    assert gates is not None and c is not None and grad_c_n is not None
    H = c.shape[1]
    squashed = np.tanh(c[1:])
    # Local factors for all steps at once; the loop multiplies them by the incoming dh or dc.
    grads = np.empty_like(gates)
    sigmoid_slope(gates[:, : 3 * H], grads[:, : 3 * H])
    tanh_slope(gates[:, 3 * H :], grads[:, 3 * H :])
    grads[:, :H] *= gates[:, 3 * H :]  # input: dc * g
    grads[:, H : 2 * H] *= c[:-1]  # forget: dc * c_{t-1}
    grads[:, 2 * H : 3 * H] *= squashed  # output: dh * tanh(c)
    grads[:, 3 * H :] *= gates[:, :H]  # candidate: dc * i
    through_h = np.empty_like(squashed)  # dc_t / dh_t = o * (1 - tanh(c)^2)
    tanh_slope(squashed, through_h)
    through_h *= gates[:, 2 * H : 3 * H]
    grad_c = np.empty_like(squashed)
    grad_h_rec, grad_c_rec = grad_h_n.copy(), grad_c_n.copy()
    _backward_steps(layout, grads, gates, through_h, grad_h, grad_c, grad_h_rec, grad_c_rec)
    return DirectionGrads(
        pre=grads,
        weight_hh=outer_sum(grads, run.h[:-1]),
        bias_hh=grads.sum(axis=(0, 2)),
        h=grad_h,
        h0=grad_h_rec,
        c=grad_c,
        c0=grad_c_rec,
        peephole=None if layout.peephole is None else _peephole_grads(grads, c),
    )


def _backward_steps(
    layout: DirectionLayout,
    grads: FloatArray,
    gates: FloatArray,
    through_h: FloatArray,
    grad_h: FloatArray,
    grad_c: FloatArray,
    grad_h_rec: FloatArray,
    grad_c_rec: FloatArray,
) -> None:
    """The time loop, last step first: grads (T, 4H, B) enter with local factors and leave as gradients."""
    T, G, B = grads.shape
    H = G // 4
    recurrent = layout.recurrent_weight  # (H, 4H): recurrent @ grads_t
    peephole = layout.peephole
    peep_input_forget = None if peephole is None else peephole[:2, :, None]  # (2, H, 1)
    peep_output = None if peephole is None else peephole[2, :, None]  # (H, 1)
    look = np.empty((2, H, B), grads.dtype)
    look_input, look_forget = look[0], look[1]
    written = np.empty((H, B), grads.dtype)
    dot, add, multiply = matrix_product, np.add, np.multiply
    steps = backward_order(
        grad_h,
        grad_c,
        grads,
        grads.reshape(T, 4, H, B)[:, :2],
        grads[:, 2 * H : 3 * H],
        grads[:, 3 * H :],
        through_h,
        gates[:, H : 2 * H],
    )
    for dh, dc, grads_t, input_forget_t, output_t, candidate_t, through_h_t, forget_t in steps:
        add(dh, grad_h_rec, dh)
        multiply(output_t, dh, output_t)
        multiply(dh, through_h_t, dc)
        add(dc, grad_c_rec, dc)
        if peep_output is not None:  # the output gate read c_t
            multiply(output_t, peep_output, written)
            add(dc, written, dc)
        multiply(input_forget_t, dc, input_forget_t)
        multiply(candidate_t, dc, candidate_t)
        multiply(dc, forget_t, grad_c_rec)
        if peep_input_forget is not None:  # the input and forget gates read c_{t-1}
            multiply(input_forget_t, peep_input_forget, look)
            add(grad_c_rec, look_input, grad_c_rec)
            add(grad_c_rec, look_forget, grad_c_rec)
        dot(recurrent, grads_t, grad_h_rec)


def _peephole_grads(grads: FloatArray, c: FloatArray) -> FloatArray:
    """(3, H) gradients of the peephole weights: input and forget read c_{t-1}, output reads c_t."""
    H = c.shape[1]
    peephole = np.empty((3, H), grads.dtype)
    peephole[0] = np.einsum("thb,thb->h", grads[:, :H], c[:-1])
    peephole[1] = np.einsum("thb,thb->h", grads[:, H : 2 * H], c[:-1])
    peephole[2] = np.einsum("thb,thb->h", grads[:, 2 * H : 3 * H], c[1:])
    peephole *= 0.5  # sigmoid gates: the layout halved their pre-activations
    return peephole
