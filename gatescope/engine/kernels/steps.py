"""What every kernel shares: the arrays of one direction's run and of its gradients, and small helpers.

Arrays are time-major with the batch last, (T, features, B), in the direction's own time order (a reverse
direction's step 0 reads the last input): every gate block of a step is one contiguous (H, B) slab, and the recurrent
product of a step is one call, ``np.dot(recurrent_weight.T, h_{t-1})``. The trace is the batch of one sequence
(B = 1), for which that call is the vector-matrix product ``h_{t-1} @ recurrent_weight`` bit for bit; training runs
the batch of a bucket, where it is one matrix product.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from gatescope.engine.layout import DirectionLayout
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


def present(array: FloatArray | None) -> FloatArray:
    """An array that the kind of layer guarantees (an LSTM's cells, say), typed as such."""
    assert array is not None
    return array


def constant(value: float, dtype: np.dtype[Any]) -> FloatArray:
    """A 0-d array: NumPy combines it with an array faster than a Python float."""
    return np.array(value, dtype)


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
