"""GRU kernels, both reset conventions: the forward steps and their backpropagation through time.

r, z = sigmoid(...); h_t = (1 - z) * n + z * h_{t-1}, computed as n + z * (h_{t-1} - n). The candidate n is
  "pytorch" (PyTorch, ONNX linear_before_reset=1, Keras reset_after=True): tanh(W_n x + b_in + r * (W_hn h + b_hn))
  "cho" (Cho et al. 2014, ONNX linear_before_reset=0, Keras reset_after=False): tanh(W_n x + b_n + W_hn (r * h))
Internal gate order: reset, update, candidate (layout.py). The loops follow the rules in lstm.py's docstring;
imported layers' clip and hard sigmoid gates take a loop of their own.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable

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
    present,
    sigmoid_slope,
    start_run,
    tanh_slope,
)
from gatescope.engine.layout import DirectionLayout, aligned_empty
from gatescope.engine.trace import FloatArray


def forward(
    layout: DirectionLayout, x: FloatArray, h0: FloatArray, c0: FloatArray | None = None, training: bool = False
) -> DirectionRun:
    """Run the steps over x (T, input_size, B) from h0 (H, B) in arrays of the run's own; see kernels.run_direction."""
    run = start_run(layout, x, h0, training)
    # What the candidate reads of h_{t-1}: W_hn h_{t-1} + b_hn ("pytorch") or r_t * h_{t-1} ("cho"). Training keeps it
    # for the backward pass; a trace needs it only within its step, so one scratch row serves (writing a (T, H) array
    # the trace never reads made a 512-unit GRU 7% slower).
    if not training:
        record(layout, Steps.of(run))
        return run
    recurrent_term = np.empty((run.steps, layout.units, run.batch), x.dtype)
    _run_steps(layout, Steps.of(run), recurrent_term)
    if layout.gru_convention == "pytorch":
        run.recurrent_candidate = recurrent_term
    else:
        run.reset_hidden = recurrent_term
    return run


def record(layout: DirectionLayout, steps: Steps) -> None:
    """Run the steps into ``steps``, whose inputs are projected and initial state in place; see
    kernels.record_direction."""
    _run_steps(layout, steps, itertools.repeat(np.empty(steps.h.shape[1:], steps.pre.dtype)))


def _run_steps(layout: DirectionLayout, steps: Steps, terms: Iterable[FloatArray]) -> None:
    """``terms`` are the rows that receive what the candidate reads of h_{t-1}."""
    if layout.plain:
        _steps(layout, steps, terms)
    else:
        _option_steps(layout, steps, terms)


def _steps(layout: DirectionLayout, steps: Steps, terms: Iterable[FloatArray]) -> None:
    """PyTorch's steps."""
    pre, gates, h = steps.pre, present(steps.gates), steps.h
    _, _, H, B = pre.shape
    dtype = pre.dtype
    reset_after = layout.gru_convention == "pytorch"
    recurrent = layout.recurrent_weight.T  # (3H, H) ("cho": (2H, H)): recurrent @ h_{t-1}
    # The candidate's own recurrent parameter: b_hn added to W_hn h ("pytorch"), or W_hn applied to r * h ("cho").
    candidate_recurrent = present(layout.candidate_bias)[:, None] if reset_after else present(layout.candidate_weight).T
    half = constant(0.5, dtype)
    product = aligned_empty((recurrent.shape[0], B), dtype)  # "pytorch": r, z and candidate rows; "cho": r, z
    gates_product = gate_blocks(product[None, : 2 * H], 2)[0]
    candidate_product = product[2 * H :] if reset_after else np.empty((H, B), dtype)
    dot, add, subtract, multiply, tanh = matrix_product, np.add, np.subtract, np.multiply, np.tanh
    rows = zip(
        pre[:, :2],
        gates[:, :2],
        gates[:, 0],
        gates[:, 1],
        pre[:, 2],
        gates[:, 2],
        terms,
        h[1:],
    )
    h_prev = h[0]
    for gates_pre_t, gates_t, reset_t, update_t, candidate_pre_t, candidate_t, recurrent_term_t, h_t in rows:
        dot(recurrent, h_prev, product)
        add(gates_pre_t, gates_product, gates_pre_t)
        tanh(gates_pre_t, gates_t)
        multiply(gates_t, half, gates_t)  # tanh(x/2) -> sigmoid(x)
        add(gates_t, half, gates_t)
        if reset_after:  # r * (W_hn h + b_hn)
            add(candidate_product, candidate_recurrent, recurrent_term_t)
            multiply(recurrent_term_t, reset_t, candidate_product)
        else:  # W_hn (r * h)
            multiply(reset_t, h_prev, recurrent_term_t)
            dot(candidate_recurrent, recurrent_term_t, candidate_product)
        add(candidate_pre_t, candidate_product, candidate_pre_t)
        tanh(candidate_pre_t, candidate_t)
        subtract(h_prev, candidate_t, h_t)  # h = n + z * (h_prev - n)
        multiply(h_t, update_t, h_t)
        add(h_t, candidate_t, h_t)
        h_prev = h_t


def _option_steps(layout: DirectionLayout, steps: Steps, terms: Iterable[FloatArray]) -> None:
    """Imported layers' steps: ONNX clip and any gate activation, both conventions. The candidate's pre-activation
    is clipped whole, its reset term included (as onnxruntime does)."""
    pre, gates, h = steps.pre, present(steps.gates), steps.h
    _, _, H, B = pre.shape
    reset_after = layout.gru_convention == "pytorch"
    recurrent = layout.recurrent_weight.T
    product = aligned_empty((recurrent.shape[0], B), pre.dtype)
    gates_product = gate_blocks(product[None, : 2 * H], 2)[0]
    sigmoid_blocks, candidate_block = slice(0, 2), slice(2, 3)
    squash = gate_activation(layout, pre.dtype)
    clip_gates, clip_candidate = clipper(layout, sigmoid_blocks), clipper(layout, candidate_block)
    for step, term in zip(range(pre.shape[0]), terms):
        pre_t, gates_t, h_prev = pre[step], gates[step], h[step]
        matrix_product(recurrent, h_prev, product)
        pre_t[:2] += gates_product
        clip_gates(pre_t[sigmoid_blocks])
        squash(pre_t[sigmoid_blocks], gates_t[sigmoid_blocks])
        reset = gates_t[0]
        if reset_after:  # r * (W_hn h + b_hn)
            np.add(product[2 * H :], present(layout.candidate_bias)[:, None], term)
            pre_t[2] += reset * term
        else:  # W_hn (r * h)
            np.multiply(reset, h_prev, term)
            pre_t[2] += present(layout.candidate_weight).T @ term
        clip_candidate(pre_t[candidate_block])
        np.tanh(pre_t[2], gates_t[2])
        candidate = gates_t[2]
        h[step + 1] = candidate + gates_t[1] * (h_prev - candidate)


def backward(
    layout: DirectionLayout,
    run: DirectionRun,
    grad_h: FloatArray,
    grad_h_n: FloatArray,
    grad_c_n: FloatArray | None = None,
) -> DirectionGrads:
    """Backpropagate through the steps of ``run``; grad_h (T, H, B) enters with the gradients from above and leaves
    with the totals, grad_h_n (H, B) is the gradient arriving at the final state."""
    gates = run.gates
    assert gates is not None
    H = gates.shape[1] // 3
    h_prev = run.h[:-1]
    reset, update, candidate = gates[:, :H], gates[:, H : 2 * H], gates[:, 2 * H :]
    # Local factors for all steps at once; the loop multiplies them by the incoming dh.
    grads = np.empty_like(gates)
    sigmoid_slope(gates[:, : 2 * H], grads[:, : 2 * H])
    tanh_slope(candidate, grads[:, 2 * H :])
    grads[:, H : 2 * H] *= h_prev - candidate  # update: dh * (h_prev - n)
    grads[:, 2 * H :] *= 1 - update  # candidate: dh * (1 - z)
    # reset: dn' * (W_hn h + b_hn) ("pytorch"), or d(r h) * h_prev ("cho")
    reset_hidden = run.reset_hidden
    grads[:, :H] *= h_prev if reset_hidden is not None else present(run.recurrent_candidate)
    grad_h_rec = grad_h_n.copy()
    recurrent_grads = _backward_steps(layout, grads, reset, update, grad_h, grad_h_rec)
    if reset_hidden is None:
        weight_hh = outer_sum(recurrent_grads, h_prev)
    else:  # the candidate's recurrent weights multiply r * h
        weight_hh = np.concatenate([outer_sum(grads[:, : 2 * H], h_prev), outer_sum(grads[:, 2 * H :], reset_hidden)])
    return DirectionGrads(grads, weight_hh, recurrent_grads.sum(axis=(0, 2)), grad_h, grad_h_rec)


def _backward_steps(
    layout: DirectionLayout,
    grads: FloatArray,
    reset: FloatArray,
    update: FloatArray,
    grad_h: FloatArray,
    grad_h_rec: FloatArray,
) -> FloatArray:
    """The time loop, last step first: grads (T, 3H, B) enter with local factors and leave as gradients.

    Returns the gradients at the recurrent product: ``grads`` itself for "cho"; for "pytorch" a new array with r and
    z as in ``grads`` and the candidate's times r.
    """
    T, G, B = grads.shape
    H = G // 3
    reset_after = layout.gru_convention == "pytorch"
    recurrent_grads = np.empty_like(grads) if reset_after else grads
    recurrent = layout.recurrent_weight  # (H, 3H); "cho": (H, 2H): recurrent @ grads_t
    candidate = recurrent  # "pytorch" has no candidate weights of its own
    if layout.candidate_weight is not None:
        candidate = layout.candidate_weight  # "cho": (H, H), the gradient of r * h is candidate @ grads_t
    reset_hidden_grad = np.empty((H, B), grads.dtype)
    written = np.empty((H, B), grads.dtype)
    dot, add, multiply, copyto = matrix_product, np.add, np.multiply, np.copyto
    steps = backward_order(
        grad_h,
        grads[:, :H],
        grads[:, : 2 * H],
        grads.reshape(T, 3, H, B)[:, 1:],
        grads[:, 2 * H :],
        recurrent_grads,
        recurrent_grads[:, : 2 * H],
        recurrent_grads[:, 2 * H :],
        reset,
        update,
    )
    for dh, reset_t, gates_t, update_candidate_t, candidate_t, back_t, back_gates_t, back_candidate_t, r, z in steps:
        add(dh, grad_h_rec, dh)
        multiply(update_candidate_t, dh, update_candidate_t)
        if reset_after:  # n read r * (W_hn h + b_hn)
            multiply(reset_t, candidate_t, reset_t)
            copyto(back_gates_t, gates_t)
            multiply(candidate_t, r, back_candidate_t)
            dot(recurrent, back_t, grad_h_rec)
        else:  # n read W_hn (r * h)
            dot(candidate, candidate_t, reset_hidden_grad)
            multiply(reset_t, reset_hidden_grad, reset_t)
            dot(recurrent, gates_t, grad_h_rec)
            multiply(reset_hidden_grad, r, written)
            add(grad_h_rec, written, grad_h_rec)
        multiply(dh, z, written)
        add(grad_h_rec, written, grad_h_rec)
    return recurrent_grads
