"""Elman RNN kernels: h_t = tanh or relu(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh), forward steps and backpropagation."""

from __future__ import annotations

import numpy as np

from gatescope.engine.kernels.steps import (
    DirectionGrads,
    DirectionRun,
    Steps,
    backward_order,
    clipper,
    constant,
    matrix_product,
    outer_sum,
    project_inputs,
    tanh_slope,
)
from gatescope.engine.layout import DirectionLayout, aligned_empty
from gatescope.engine.trace import FloatArray


def forward(
    layout: DirectionLayout, x: FloatArray, h0: FloatArray, c0: FloatArray | None = None, training: bool = False
) -> DirectionRun:
    """Run the steps over x (T, input_size, B) from h0 (H, B) in arrays of the run's own; see kernels.run_direction."""
    T, _, B = x.shape
    H = layout.units
    h = aligned_empty((T + 1, H, B), x.dtype)
    h[0] = h0
    pre = project_inputs(layout, x, h[1:] if training else np.empty((T, H, B), x.dtype))
    run = DirectionRun(pre, None, h, None)
    record(layout, Steps.of(run))
    return run


def record(layout: DirectionLayout, steps: Steps) -> None:
    """Run the steps into ``steps``, whose inputs are projected and initial state in place; see
    kernels.record_direction."""
    pre, h = steps.pre[:, 0], steps.h
    relu = layout.nonlinearity == "relu"
    if layout.clip_bound is not None:
        _clipped_steps(layout, steps, relu)
        return
    recurrent = layout.recurrent_weight.T  # recurrent @ h_{t-1}
    product = aligned_empty(h.shape[1:], h.dtype)
    zero = constant(0.0, h.dtype)
    dot, add, maximum, tanh = matrix_product, np.add, np.maximum, np.tanh
    h_prev = h[0]
    for pre_t, h_t in zip(pre, h[1:]):
        dot(recurrent, h_prev, product)
        add(pre_t, product, pre_t)
        if relu:
            maximum(pre_t, zero, out=h_t)
        else:
            tanh(pre_t, h_t)
        h_prev = h_t


def _clipped_steps(layout: DirectionLayout, steps: Steps, relu: bool) -> None:
    """The steps of an imported layer with ONNX's clip: the pre-activation bounded before the nonlinearity."""
    recurrent = layout.recurrent_weight.T
    clip = clipper(layout, slice(None))
    h = steps.h
    for step, pre_t in enumerate(steps.pre):
        pre_t += matrix_product(recurrent, h[step])
        clip(pre_t)
        h[step + 1] = np.maximum(pre_t[0], 0) if relu else np.tanh(pre_t[0])


def backward(
    layout: DirectionLayout,
    run: DirectionRun,
    grad_h: FloatArray,
    grad_h_n: FloatArray,
    grad_c_n: FloatArray | None = None,
) -> DirectionGrads:
    """Backpropagate through the steps of ``run``; grad_h (T, H, B) enters with the gradients from above and leaves
    with the totals, grad_h_n (H, B) is the gradient arriving at the final state."""
    current = run.h[1:]
    grads = np.empty_like(current)
    if layout.nonlinearity == "relu":
        np.greater(current, 0, out=grads)
    else:
        tanh_slope(current, grads)
    recurrent = layout.recurrent_weight  # recurrent @ grads_t
    grad_h_rec = grad_h_n.copy()
    dot, add, multiply = matrix_product, np.add, np.multiply
    for dh, grads_t in backward_order(grad_h, grads):
        add(dh, grad_h_rec, dh)
        multiply(grads_t, dh, grads_t)
        dot(recurrent, grads_t, grad_h_rec)
    return DirectionGrads(grads, outer_sum(grads, run.h[:-1]), grads.sum(axis=(0, 2)), grad_h, grad_h_rec)
