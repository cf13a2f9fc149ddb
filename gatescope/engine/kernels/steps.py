"""What every kernel shares: the arrays of one direction's run and of its gradients, and small helpers.

Arrays are time-major with a batch axis, (T, B, features), in the direction's own time order: a reverse direction's
step 0 reads the last input. The trace forward is the batch of one sequence (B = 1), training the batch of a bucket:
one code path, whose per-step calls NumPy treats alike for a (1, n) and an (n,) row (and BLAS the same).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from gatescope.engine.trace import FloatArray


@dataclass(eq=False)
class DirectionRun:
    """One direction's forward pass over a batch: every gate, pre-activation and state, kept for the backward pass.

    The states hold the initial state in row 0 and the state after step t in row t + 1.
    """

    pre: FloatArray  # (T, B, G*H) pre-activations in the internal layout: sigmoid gates halved (see layout.py)
    gates: FloatArray | None  # (T, B, G*H) activations in the internal gate order; None for RNN
    h: FloatArray  # (T+1, B, H)
    c: FloatArray | None  # LSTM (T+1, B, H), else None
    recurrent_candidate: FloatArray | None = None  # GRU "pytorch" (T, B, H): W_hn h_{t-1} + b_hn
    reset_hidden: FloatArray | None = None  # GRU "cho" (T, B, H): r_t * h_{t-1}

    @property
    def steps(self) -> int:
        return int(self.pre.shape[0])

    @property
    def batch(self) -> int:
        return int(self.pre.shape[1])


@dataclass(eq=False)
class DirectionGrads:
    """One direction's backward pass, in its own time order; weight gradients in the internal layout.

    ``pre`` is the gradient of the (half-scaled) pre-activations from the input side: what reaches W_ih, b_ih and
    the input. ``weight_hh`` and ``bias_hh`` are by internal row and half-scaled like ``pre``
    (``DirectionLayout.to_torch_rows`` turns them into PyTorch's); ``peephole`` is already in its true (3, H) form.
    """

    pre: FloatArray  # (T, B, G*H)
    weight_hh: FloatArray  # (G*H, H)
    bias_hh: FloatArray  # (G*H,)
    h: FloatArray  # (T, B, H): the total gradient reaching each h_t, from above and back through time
    h0: FloatArray  # (B, H)
    c: FloatArray | None = None  # LSTM (T, B, H): likewise for c_t, including the path through h_t
    c0: FloatArray | None = None  # LSTM (B, H)
    peephole: FloatArray | None = None  # LSTM with peepholes: (3, H) input, forget, output


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
    """The sum over steps and sequences of left[t, b] outer right[t, b]: (T, B, M), (T, B, N) -> (M, N)."""
    rows = left.shape[0] * left.shape[1]
    total: FloatArray = left.reshape(rows, -1).T @ right.reshape(rows, -1)
    return total


def backward_order(*arrays: FloatArray) -> Iterator[tuple[Any, ...]]:
    """Step-by-step rows of (T, ...) arrays, last step first: the order backpropagation through time visits them."""
    return zip(*(array[::-1] for array in arrays))
