"""The engine's one weight layout: how a direction's PyTorch-shaped weights are laid out for the kernels, and back.

Every kernel, for the trace and for training alike, works in this layout, built once per layer (cells.py):

- Gate blocks in the internal order, sigmoid gates first so one slice covers them: LSTM input, forget, output,
  candidate; GRU reset, update, candidate; RNN one block. PyTorch's order is LSTM i,f,g,o and GRU r,z,n.
- Sigmoid rows pre-scaled by 0.5, so that one ``tanh`` call computes every gate of a step:
  sigmoid(x) = 0.5 + 0.5 * tanh(x / 2), and scaling by a power of two is exact. Kernels therefore hold the
  pre-activations of sigmoid gates halved; gradients of weights are scaled back by the same 0.5 (``to_torch_rows``).
- The input weights keep PyTorch's (G*H, in) orientation (``x @ input_weight.T``), the recurrent ones are transposed
  to (H, G*H) for ``h @ recurrent_weight``: the faster BLAS calls for a whole sequence and for one step. The kernels
  call the latter as ``recurrent_weight.T @ h`` on (H, batch) columns, for one sequence the very same BLAS call.
- Matrices start on a 64-byte boundary (NumPy guarantees 16): OpenBLAS's matrix-vector kernel runs about a quarter
  faster on a recurrent matrix aligned to 32 bytes or more, with the same result.
- Every bias that can be added before the time loop is summed into ``input_bias``. Only the GRU's b_hn in the
  PyTorch convention stays apart (it sits inside r * (W_hn h + b_hn)); the Cho convention keeps W_hn apart, applied
  to r * h.

Imported layers' options (cells.RecurrentLayer) change the layout, not the weights a layer keeps:

- Hard sigmoid gates are not halved (their rows have scale 1): the kernels hold their true pre-activations.
- ONNX's clip becomes ``clip_bound``, the threshold per row at the kernels' scale (halved on halved rows, which
  clips exactly as the true pre-activation at the threshold would).
- ONNX's input_forget (f = 1 - i) lays the input gate's rows out negated in the forget gate's place:
  f = sigmoid(-a_i) = 1 - sigmoid(a_i), and the same for both hard sigmoids, and clipping is symmetric. The steps
  stay those of a plain LSTM.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from gatescope.engine.trace import FloatArray

if TYPE_CHECKING:
    from gatescope.engine.cells import DirectionWeights

#: Gate blocks per kind in PyTorch's weight layout (LSTM i,f,g,o; GRU r,z,n).
TORCH_GATE_ORDER: dict[str, tuple[str, ...]] = {
    "lstm": ("input", "forget", "candidate", "output"),
    "gru": ("reset", "update", "candidate"),
    "rnn": ("hidden",),
}
#: Gate blocks per kind in the kernels' layout: sigmoid gates first.
INTERNAL_ORDER: dict[str, tuple[str, ...]] = {
    "lstm": ("input", "forget", "output", "candidate"),
    "gru": ("reset", "update", "candidate"),
    "rnn": ("hidden",),
}
#: Per kind, how many leading internal blocks are sigmoid gates.
SIGMOID_BLOCKS: dict[str, int] = {"lstm": 3, "gru": 2, "rnn": 0}
#: Rows of a peephole array (3, units).
PEEPHOLE_ORDER = ("input", "forget", "output")
#: Bytes at which every laid-out matrix and the kernels' per-step buffers start: a cache line.
ALIGNMENT = 64
#: The gate activation computed through tanh on halved rows; any other keeps its rows at scale 1.
HALVED_ACTIVATION = "sigmoid"


@dataclass(frozen=True, eq=False)
class DirectionLayout:
    """One direction's weights as the kernels read them (see the module docstring); H = units, G = gate blocks."""

    kind: str
    gru_convention: str
    nonlinearity: str
    input_weight: FloatArray  # (G*H, in), sigmoid rows scaled by 0.5
    input_bias: FloatArray  # (G*H,): every bias that can be added before the loop, scaled like input_weight
    recurrent_weight: FloatArray  # (H, G*H); GRU "cho": (H, 2H), reset and update only
    candidate_weight: FloatArray | None  # GRU "cho": W_hn.T (H, H), applied as (r * h) @ candidate_weight
    candidate_bias: FloatArray | None  # GRU "pytorch": b_hn (H,), added inside the reset product
    peephole: FloatArray | None  # LSTM: (3, H) input, forget, output, scaled like the gates' rows
    scale: FloatArray  # (G*H,): 0.5 on sigmoid rows (1 for hard sigmoid gates), 1 elsewhere
    gate_activation: str = HALVED_ACTIVATION
    clip_bound: FloatArray | None = None  # (G*H, 1): ONNX clip threshold at each row's scale; None: no clip

    @property
    def units(self) -> int:
        return int(self.recurrent_weight.shape[0])

    @property
    def gates_halved(self) -> bool:
        """Whether the kernels hold the sigmoid gates' pre-activations halved (for the tanh form of the sigmoid)."""
        return self.gate_activation == HALVED_ACTIVATION

    @property
    def plain(self) -> bool:
        """True for PyTorch's steps (sigmoid gates, no clip), which the kernels' fastest loops run."""
        return self.gates_halved and self.clip_bound is None

    @property
    def sigmoid_width(self) -> int:
        """Columns of the sigmoid gates, which lead every row."""
        return SIGMOID_BLOCKS[self.kind] * self.units

    def to_torch_rows(self, internal: FloatArray) -> FloatArray:
        """Gradients by internal row (of the half-scaled pre-activations) -> PyTorch's row order and true scale.

        ``internal`` is (G*H,) or (G*H, n); the result is a new array of the same shape.
        """
        scale = self.scale if internal.ndim == 1 else self.scale[:, None]
        scaled: FloatArray = internal * scale
        return _reorder(scaled, INTERNAL_ORDER[self.kind], TORCH_GATE_ORDER[self.kind])


def lay_out(
    kind: str,
    gru_convention: str,
    nonlinearity: str,
    weights: DirectionWeights,
    *,
    clip: float | None = None,
    gate_activation: str = HALVED_ACTIVATION,
    input_forget: bool = False,
) -> DirectionLayout:
    """Lay out one direction's PyTorch-shaped weights (validated by RecurrentLayer, with its options) for the
    kernels."""
    torch_order, order = TORCH_GATE_ORDER[kind], INTERNAL_ORDER[kind]
    H = weights.weight_hh.shape[1]
    dtype = weights.weight_ih.dtype
    if input_forget:
        weights = _forget_as_negated_input(weights, H)
    sigmoid_width = SIGMOID_BLOCKS[kind] * H
    scale = np.ones(len(order) * H, dtype)
    scale[:sigmoid_width] = 0.5 if gate_activation == HALVED_ACTIVATION else 1.0
    bias = weights.bias_ih + weights.bias_hh
    candidate_weight = candidate_bias = None
    recurrent = _reorder(weights.weight_hh, torch_order, order)
    if kind == "gru" and gru_convention == "pytorch":
        bias[2 * H :] = weights.bias_ih[2 * H :]  # b_hn sits inside r * (W_hn h + b_hn): keep it out of the input bias
        candidate_bias = np.ascontiguousarray(weights.bias_hh[2 * H :])
    elif kind == "gru":
        candidate_weight = aligned(recurrent[2 * H :].T)
        recurrent = recurrent[: 2 * H]
    return DirectionLayout(
        kind=kind,
        gru_convention=gru_convention,
        nonlinearity=nonlinearity,
        input_weight=aligned(_reorder(weights.weight_ih, torch_order, order) * scale[:, None]),
        input_bias=_reorder(bias, torch_order, order) * scale,
        recurrent_weight=aligned(recurrent.T * scale[: recurrent.shape[0]]),
        candidate_weight=candidate_weight,
        candidate_bias=candidate_bias,
        peephole=None if weights.peephole is None else np.ascontiguousarray(weights.peephole * scale[0]),
        scale=scale,
        gate_activation=gate_activation,
        clip_bound=None if clip is None else np.ascontiguousarray((np.asarray(clip, dtype) * scale)[:, None]),
    )


def _forget_as_negated_input(weights: DirectionWeights, H: int) -> DirectionWeights:
    """ONNX's input_forget: a copy of an LSTM direction's weights whose forget gate rows (PyTorch's block 1, peephole
    row 1) are its input gate's (block 0, row 0) negated, so that f = activation(-a_i) = 1 - i."""

    def coupled(rows: FloatArray) -> FloatArray:
        blocks = rows.reshape(-1, H, *rows.shape[1:]).copy()
        blocks[1] = -blocks[0]
        result: FloatArray = blocks.reshape(rows.shape)
        return result

    peephole = None if weights.peephole is None else coupled(weights.peephole.reshape(-1))
    return replace(
        weights,
        weight_ih=coupled(weights.weight_ih),
        weight_hh=coupled(weights.weight_hh),
        bias_ih=coupled(weights.bias_ih),
        bias_hh=coupled(weights.bias_hh),
        peephole=None if peephole is None else peephole.reshape(3, H),
    )


def aligned_empty(shape: tuple[int, ...], dtype: np.dtype[Any]) -> FloatArray:
    """An uninitialised C-contiguous array whose data starts on an ALIGNMENT-byte boundary."""
    size = int(np.prod(shape)) * dtype.itemsize
    buffer = np.empty(size + ALIGNMENT, np.uint8)
    start = -buffer.ctypes.data % ALIGNMENT
    array: FloatArray = buffer[start : start + size].view(dtype).reshape(shape)
    return array


def aligned(values: FloatArray) -> FloatArray:
    """A C-contiguous, ALIGNMENT-byte aligned copy of ``values``."""
    array = aligned_empty(values.shape, values.dtype)
    array[...] = values
    return array


def _reorder(rows: FloatArray, source: tuple[str, ...], target: tuple[str, ...]) -> FloatArray:
    """A copy of ``rows`` (G*H, ...) with its G blocks moved from the ``source`` gate order to ``target``."""
    blocks = rows.reshape(len(source), -1, *rows.shape[1:])
    picked: FloatArray = blocks[[source.index(gate) for gate in target]]
    return picked.reshape(rows.shape)
