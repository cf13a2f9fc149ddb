"""What every kernel shares: the arrays of one direction's run and of its gradients, where its steps write, and small
helpers.

Arrays are time-major with the batch last, (T, features, B), in the direction's own time order (a reverse
direction's step 0 reads the last input): every gate block of a step is one (H, B) slab, and the recurrent product of
a step is one call, ``np.dot(recurrent_weight.T, h_{t-1})``. The trace is the batch of one sequence (B = 1), for which
that call is the vector-matrix product ``h_{t-1} @ recurrent_weight`` bit for bit; training runs the batch of a
bucket, where it is one matrix product.

The time loops read and write through ``Steps``: views with the gate blocks on an axis of their own, (T, G, H, B).
Training's are its own contiguous arrays; a trace's are views into the trace's arrays themselves (forward.py), where
a bidirectional layer keeps both directions side by side, (T, G, 2H) in input order, so that a direction's gate
blocks of one step lie 2H apart and a reverse direction's rows run backwards. Every per-step view has its units
contiguous, and the recurrent product reads h_{t-1} as a contiguous vector and writes a contiguous scratch row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from gatescope.engine.layout import DirectionLayout, aligned_empty
from gatescope.engine.trace import FloatArray

#: np.dot without its ``__array_function__`` dispatch, a Python-level call on every use that plain arrays never need:
#: the same C function (the same BLAS call), a tenth of a microsecond sooner, which a 128-unit step notices.
matrix_product: Callable[..., FloatArray] = getattr(np.dot, "_implementation", np.dot)


@dataclass(eq=False)
class DirectionRun:
    """One direction's forward pass over a batch: every gate, pre-activation and state, kept for the backward pass.

    The states hold the initial state in row 0 and the state after step t in row t + 1.
    """

    pre: FloatArray  # (T, G*H, B) pre-activations, internal layout (sigmoid gates halved); unless kept, the gates
    gates: FloatArray | None  # (T, G*H, B) activations in the internal gate order; None for RNN
    h: FloatArray  # (T+1, H, B)
    c: FloatArray | None  # LSTM (T+1, H, B), else None
    recurrent_candidate: FloatArray | None = None  # GRU "pytorch" (T, H, B): W_hn h_{t-1} + b_hn
    reset_hidden: FloatArray | None = None  # GRU "cho" (T, H, B): r_t * h_{t-1}

    @property
    def steps(self) -> int:
        return int(self.h.shape[0]) - 1

    @property
    def batch(self) -> int:
        return int(self.h.shape[2])


@dataclass(eq=False)
class DirectionGrads:
    """One direction's backward pass, in its own time order; weight gradients in the internal layout.

    ``pre`` is the gradient of the (half-scaled) pre-activations from the input side: what reaches W_ih, b_ih and
    the input. ``weight_hh`` and ``bias_hh`` are by internal row and half-scaled like ``pre``
    (``DirectionLayout.to_torch_rows`` turns them into PyTorch's); ``peephole`` is already in its true (3, H) form.
    """

    pre: FloatArray  # (T, G*H, B)
    weight_hh: FloatArray  # (G*H, H)
    bias_hh: FloatArray  # (G*H,)
    h: FloatArray  # (T, H, B): the total gradient reaching each h_t, from above and back through time
    h0: FloatArray  # (H, B)
    c: FloatArray | None = None  # LSTM (T, H, B): likewise for c_t, including the path through h_t
    c0: FloatArray | None = None  # LSTM (H, B)
    peephole: FloatArray | None = None  # LSTM with peepholes: (3, H) input, forget, output


@dataclass(eq=False)
class Steps:
    """Where one direction's steps write: every array in the direction's own time order, batch last.

    ``pre`` enters with the inputs' side of the pre-activations (``project_inputs``) and leaves with the
    pre-activations (sigmoid gates' halved); ``gates`` receives the activations (``pre`` itself in training, where the
    gates overwrite it). The states hold the initial state in row 0 and the state after step t in row t + 1.
    """

    pre: FloatArray  # (T, G, H, B)
    gates: FloatArray | None  # (T, G, H, B); None for RNN
    h: FloatArray  # (T+1, H, B)
    c: FloatArray | None = None  # LSTM (T+1, H, B), else None

    @classmethod
    def of(cls, run: DirectionRun) -> Steps:
        """The steps that fill a run's own arrays."""
        blocks = run.pre.shape[1] // run.h.shape[1]
        gates = None if run.gates is None else gate_blocks(run.gates, blocks)
        return cls(gate_blocks(run.pre, blocks), gates, run.h, run.c)


def gate_blocks(rows: FloatArray, blocks: int) -> FloatArray:
    """(T, G*H, B) -> the view (T, G, H, B) with each gate block on an axis of its own (splitting an axis never
    copies)."""
    T, width, B = rows.shape
    split: FloatArray = rows.reshape(T, blocks, width // blocks, B)
    return split


def merged_blocks(blocks: FloatArray) -> FloatArray | None:
    """(T, G, H, B) -> the view (T, G*H, B) of the same elements, or None when the gate blocks do not follow each
    other in memory (a bidirectional trace's)."""
    T, G, H, B = blocks.shape
    if G > 1 and H > 1 and blocks.strides[1] != H * blocks.strides[2]:
        return None
    rows: FloatArray = blocks.reshape(T, G * H, B)
    return None if rows.flags.owndata else rows  # never a copy: what is written into it must land in ``blocks``


def paired(first: FloatArray, second: FloatArray) -> FloatArray:
    """A view (T, 2, ...) whose [t, 0] is first[t] and [t, 1] is second[t], for one ufunc call on both a step.

    The two must be views of equal shape and strides into one allocation, at a fixed distance from each other: every
    element the view addresses is then an element of one of them. When second[t] directly follows first[t] the view is
    contiguous, as a slice of both would be.
    """
    same_strides = all(n == 1 or a == b for n, a, b in zip(first.shape, first.strides, second.strides))
    if first.shape != second.shape or not same_strides or _root(first) is not _root(second):
        raise ValueError("paired views must be of one array, with equal shapes and strides")
    distance = second.__array_interface__["data"][0] - first.__array_interface__["data"][0]
    view: FloatArray = np.lib.stride_tricks.as_strided(
        first, (first.shape[0], 2, *first.shape[1:]), (first.strides[0], distance, *first.strides[1:])
    )
    return view


def _root(array: np.ndarray) -> object:
    """The array that owns the memory a view looks into."""
    while isinstance(array.base, np.ndarray):
        array = array.base
    return array.base if array.base is not None else array


def project_inputs(layout: DirectionLayout, x: FloatArray, out: FloatArray) -> FloatArray:
    """The input side of every step's pre-activations, W_ih x_t + the biases, into ``out`` (T, G*H, B).

    x is (T, input_size, B). One sequence takes one (T, in) @ (in, G*H) product for all steps, the trace's; a batch
    one (G*H, in) @ (in, B) product per step.
    """
    if x.shape[2] == 1:
        pre = out[:, :, 0]
        np.matmul(x[:, :, 0], layout.input_weight.T, out=pre)
        pre += layout.input_bias
    else:
        np.matmul(layout.input_weight, x, out=out)
        out += layout.input_bias[:, None]
    return out


def start_run(layout: DirectionLayout, x: FloatArray, h0: FloatArray, training: bool) -> DirectionRun:
    """A run before its first step, for kernels that keep pre-activations and gates in arrays of their own: the inputs
    projected into ``pre``; ``gates`` (``pre`` itself in training, where the gates overwrite it); h0 in row 0 of h."""
    T, _, B = x.shape
    dtype = x.dtype
    pre = project_inputs(layout, x, np.empty((T, layout.input_weight.shape[0], B), dtype))
    gates = pre if training else np.empty_like(pre)
    h = aligned_empty((T + 1, layout.units, B), dtype)
    h[0] = h0
    return DirectionRun(pre, gates, h, None)


def present(array: FloatArray | None) -> FloatArray:
    """An array that the kind of layer guarantees (an LSTM's cells, say), typed as such."""
    assert array is not None
    return array


def constant(value: float, dtype: np.dtype[Any]) -> FloatArray:
    """A 0-d array: NumPy combines it with an array faster than a Python float."""
    return np.array(value, dtype)


def gate_activation(layout: DirectionLayout, dtype: np.dtype[Any]) -> Callable[[FloatArray, FloatArray], None]:
    """The layer's gate activation as a function ``(pre, out)`` of one step's gate rows at the layout's scale.

    For the loops of imported layers' options (the plain loops spell the sigmoid out inline): the sigmoid through
    tanh of the halved rows; Keras 3's hard sigmoid relu6(x + 3) / 6 as its TensorFlow, JAX and PyTorch backends
    compute it; Keras 2's clip(0.2 x + 0.5, 0, 1) as tf.keras computes it.
    """
    # NumPy 2.4 deprecates a positional ``out`` for maximum and minimum only.
    add, multiply, divide, maximum, minimum, tanh = np.add, np.multiply, np.divide, np.maximum, np.minimum, np.tanh
    zero, half, one = constant(0.0, dtype), constant(0.5, dtype), constant(1.0, dtype)
    three, six, fifth = constant(3.0, dtype), constant(6.0, dtype), constant(0.2, dtype)

    def sigmoid(pre: FloatArray, out: FloatArray) -> None:
        tanh(pre, out)
        multiply(out, half, out)
        add(out, half, out)

    def hard_sigmoid(pre: FloatArray, out: FloatArray) -> None:
        add(pre, three, out)
        maximum(out, zero, out=out)
        minimum(out, six, out=out)
        divide(out, six, out)

    def hard_sigmoid_keras2(pre: FloatArray, out: FloatArray) -> None:
        multiply(pre, fifth, out)
        add(out, half, out)
        maximum(out, zero, out=out)
        minimum(out, one, out=out)

    functions = {"sigmoid": sigmoid, "hard_sigmoid": hard_sigmoid, "hard_sigmoid_keras2": hard_sigmoid_keras2}
    return functions[layout.gate_activation]


def clipper(layout: DirectionLayout, blocks: slice) -> Callable[[FloatArray], None]:
    """A function that bounds gate ``blocks`` of one step's pre-activations, (blocks, H, B), to ONNX's clip in place;
    one that does nothing for a layer without clip."""
    if layout.clip_bound is None:
        return _unclipped
    high = layout.clip_bound.reshape(-1, layout.units, 1)[blocks]
    low = -high
    maximum, minimum = np.maximum, np.minimum

    def clip(pre: FloatArray) -> None:
        maximum(pre, low, out=pre)
        minimum(pre, high, out=pre)

    return clip


def _unclipped(pre: FloatArray) -> None:
    """No clip."""


def sigmoid_slope(gates: FloatArray, out: FloatArray) -> None:
    """out = d gate / d (half pre-activation) = 2 s (1 - s), for sigmoid activations s."""
    np.subtract(1, gates, out=out)
    out *= gates
    out *= 2


def tanh_slope(values: FloatArray, out: FloatArray) -> None:
    """out = 1 - tanh^2, from tanh values."""
    np.multiply(values, values, out=out)
    np.subtract(1, out, out=out)


def outer_sum(left: FloatArray, right: FloatArray) -> FloatArray:
    """The sum over steps and sequences of left[t, :, b] outer right[t, :, b]: (T, M, B), (T, N, B) -> (M, N).

    One sequence is one product of (M, T) and (T, N) views; a batch adds one (M, B) @ (B, N) product per step into
    the result, which allocates nothing of the batch's size (a copy for one big product made training slower).
    """
    if left.shape[2] == 1:
        single: FloatArray = left[:, :, 0].T @ right[:, :, 0]
        return single
    total: FloatArray = left[0] @ right[0].T
    product = np.empty_like(total)
    for left_t, right_t in zip(left[1:], right[1:]):
        matrix_product(left_t, right_t.T, product)
        total += product
    return total


def backward_order(*arrays: FloatArray) -> Iterator[tuple[Any, ...]]:
    """Step-by-step rows of (T, ...) arrays, last step first: the order backpropagation through time visits them."""
    return zip(*(array[::-1] for array in arrays))
