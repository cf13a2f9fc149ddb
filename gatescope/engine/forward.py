"""Run recurrent layers over a sequence for a trace, recording every gate, pre-activation, cell and hidden state.

The steps themselves are the kernels' (kernels/), run on a batch of one sequence; this module validates the input,
lays out the trace's arrays, runs each direction into its views of them (a reverse one over the reversed sequence,
writing its rows from the last to the first) and scales the recorded sigmoid pre-activations back from the halves the
kernels keep. The LayerTrace holds views of those arrays: nothing is copied after the steps, and a bidirectional
layer's two directions are never joined.

Recorded pre-activations are what each activation read: with ONNX's clip, the clipped values; hard sigmoid gates'
are their true pre-activations (the kernels keep those unhalved); with input_forget, the forget gate's is the input
gate's negated (f = 1 - i = sigmoid(-a_i)).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from gatescope.engine.cells import GATE_NAMES, RecurrentLayer
from gatescope.engine.kernels import Steps, record_direction
from gatescope.engine.kernels.steps import present
from gatescope.engine.layout import INTERNAL_ORDER, SIGMOID_BLOCKS
from gatescope.engine.memory import trace_empty
from gatescope.engine.trace import FloatArray, LayerTrace
from gatescope.errors import GatescopeError


def run_layer(
    layer: RecurrentLayer, x: FloatArray, index: int = 0, h0: FloatArray | None = None, c0: FloatArray | None = None
) -> LayerTrace:
    """Run a layer over x (T, input_size) and return its LayerTrace.

    h0, c0 : (directions, units) initial states, zeros when None.
    """
    H = layer.hidden_size
    D = len(layer.directions)
    dtype = layer.dtype
    h0 = np.zeros((D, H), dtype) if h0 is None else np.asarray(h0, dtype)
    c0 = (np.zeros((D, H), dtype) if c0 is None else np.asarray(c0, dtype)) if layer.kind == "lstm" else None
    arrays = _LayerArrays(layer.kind, x.shape[0], D, H, dtype)
    reverse = layer.reverse
    for d, layout in enumerate(layer.layouts):
        backwards = d == 1 or reverse
        x_dir = np.ascontiguousarray(x[::-1]) if backwards else x
        steps = arrays.steps(d, h0[d], None if c0 is None else c0[d])
        with np.errstate(over="ignore", invalid="ignore"):  # an overflow is reported below, as a GatescopeError
            record_direction(layout, x_dir[:, :, None], steps, arrays.scratch)
            if layout.gates_halved:
                steps.pre[:, : SIGMOID_BLOCKS[layer.kind]] *= 2  # record the true pre-activations of the sigmoid gates
        _check_no_overflow(steps.pre, x, index, reverse=backwards)

    def ordered(array: FloatArray) -> FloatArray:
        """A trace array in input order: a reverse layer's own rows ran from the last input to the first."""
        return array[::-1] if reverse else array

    gates: dict[str, FloatArray] = {}
    preactivations: dict[str, FloatArray] = {}
    for name in GATE_NAMES[layer.kind]:
        k = INTERNAL_ORDER[layer.kind].index(name)
        gates[name] = ordered(present(arrays.gates)[:, k])
        preactivations[name] = ordered(arrays.pre[:, k])
    return LayerTrace(
        index=index,
        kind=layer.kind,
        units=H,
        bidirectional=D == 2,
        h=ordered(arrays.h),
        c=None if arrays.c is None else ordered(arrays.c),
        gates=gates,
        preactivations=preactivations,
        hidden_preactivation=ordered(arrays.pre[:, 0]) if layer.kind == "rnn" else None,
        h0=h0.reshape(-1).copy(),
        c0=None if c0 is None else c0.reshape(-1).copy(),
        gru_convention=layer.gru_convention if layer.kind == "gru" else None,
        reverse=reverse,
    )


class _LayerArrays:
    """The arrays of one layer's trace, allocated once, and each direction's views of them (kernels.Steps).

    ``pre`` and ``gates`` are (T, G, D*H), gate blocks in the kernels' order, so the trace's (T, D*H) array of gate k
    is the slice [:, k]; ``h`` and ``c`` are (T, D*H) views of ``states`` and ``cells``, which hold a row more per
    direction for its initial state. An LSTM keeps its cells in ``block`` after its gates (G + 1 slots a row), so
    that the kernel forms i * g and f * c_{t-1} in one multiply.

    - One direction: rows in its own order (a reverse layer's trace views them backwards), as the kernel would lay
      out its own; c_{t-1} sits in the row of step t (gates start a row before the cells).
    - Two: rows in input order, forward units first; the forward direction's initial states in the first row of
      ``states`` and ``cells``, the reverse one's in the last, and the reverse direction's views run backwards; c_t
      sits in the row of step t.
    """

    def __init__(self, kind: str, T: int, D: int, H: int, dtype: np.dtype[Any]) -> None:
        G = len(INTERNAL_ORDER[kind])
        self.T, self.H = T, H
        self.pre: FloatArray = trace_empty((T, G, D * H), dtype)
        # Two directions' pre-activations interleave: each direction's inputs are projected here, then copied over.
        self.scratch = None if D == 1 else trace_empty((T, G * H, 1), dtype)
        self.states = trace_empty((T + D, D * H), dtype)
        self.cells: FloatArray | None = None
        self.gates: FloatArray | None = None
        if kind == "lstm":
            block = trace_empty((T + D, G + 1, D * H), dtype)
            self.gates, self.cells = block[D - 1 : T + D - 1, :G], block[:, G]
        elif kind == "gru":
            self.gates = trace_empty((T, G, D * H), dtype)
        self.h = self.states[1 : T + 1]
        self.c = None if self.cells is None else self.cells[1 : T + 1]

    def steps(self, direction: int, h0: FloatArray, c0: FloatArray | None) -> Steps:
        """Direction ``direction``'s views, in its own time order, with its initial states (H,) in row 0."""
        T, H = self.T, self.H
        units = slice(direction * H, (direction + 1) * H)
        rows, state_rows = (
            (slice(None), slice(0, T + 1)) if direction == 0 else (slice(None, None, -1), slice(T + 1, 0, -1))
        )
        h = self.states[state_rows, units, None]
        h[0, :, 0] = h0
        c = None
        if self.cells is not None and c0 is not None:
            c = self.cells[state_rows, units, None]
            c[0, :, 0] = c0
        gates = None if self.gates is None else self.gates[rows, :, units, None]
        return Steps(self.pre[rows, :, units, None], gates, h, c)


def _check_no_overflow(pre: FloatArray, x: FloatArray, index: int, reverse: bool) -> None:
    """GatescopeError when a pre-activation overflowed to infinity or NaN: the trace would hold NaN, silently."""
    if np.isfinite(pre.max()) and np.isfinite(pre.min()):  # max and min pass on NaN and infinity, without a copy
        return
    steps = np.flatnonzero(~np.isfinite(pre).reshape(pre.shape[0], -1).all(axis=1))
    step = int(pre.shape[0] - 1 - steps[-1] if reverse else steps[0])
    dtype = pre.dtype
    largest = float(np.abs(x).max())
    wider = " or compute in float64 (dtype=np.float64)" if dtype == np.float32 else ""
    raise GatescopeError(
        f"layer {index} overflows {dtype} at step {step}: its pre-activations pass ±{np.finfo(dtype).max:.2g} "
        f"(the values it reads reach {largest:.3g}); scale the input down{wider}"
    )


def run_stack(
    layers: Sequence[RecurrentLayer], x: FloatArray, h0: FloatArray | None = None, c0: FloatArray | None = None
) -> list[LayerTrace]:
    """Run stacked layers; layer k reads layer k-1's h. h0, c0: (layers * directions, units), PyTorch's layout."""
    if not layers:
        raise GatescopeError("a recurrent stack needs at least one layer")
    dtype = layers[0].dtype
    x = check_sequence(x, layers[0].input_size, dtype)
    D = len(layers[0].directions)
    H = layers[0].hidden_size
    if c0 is not None and layers[0].kind != "lstm":
        raise GatescopeError(f"c0 is a cell state, which only LSTM layers have; this is a {layers[0].kind.upper()}")
    h0 = _check_state(h0, "h0", len(layers), D, H, dtype)
    c0 = _check_state(c0, "c0", len(layers), D, H, dtype)
    traces = []
    for index, layer in enumerate(layers):
        rows = slice(index * D, (index + 1) * D)
        trace = run_layer(
            layer, x, index, None if h0 is None else h0[rows], None if c0 is None or layer.kind != "lstm" else c0[rows]
        )
        traces.append(trace)
        x = trace.h
    return traces


def check_sequence(x: object, input_size: int, dtype: np.dtype[Any]) -> FloatArray:
    """Validate an input sequence (T, input_size) and return it as a C-contiguous array of ``dtype``."""
    if not isinstance(x, np.ndarray):
        raise GatescopeError(f"input must be a NumPy array of shape (T, {input_size}), not {type(x).__name__}")
    if x.dtype.kind not in "fiu":
        raise GatescopeError(f"input must be real numbers, not {x.dtype}")
    if x.ndim != 2 or x.shape[1] != input_size:
        raise GatescopeError(f"input has shape {x.shape}; expected (T, {input_size}): T steps of {input_size} features")
    if x.shape[0] == 0:
        raise GatescopeError("input has no steps (T = 0)")
    if not np.all(np.isfinite(x)):
        raise GatescopeError("input contains NaN or infinite values")
    with np.errstate(over="ignore"):
        cast = np.ascontiguousarray(x, dtype=dtype)
    if not np.all(np.isfinite(cast)):
        raise _too_large("input", x, dtype)
    return cast


def _check_state(
    state: object, name: str, layers: int, directions: int, units: int, dtype: np.dtype[Any]
) -> FloatArray | None:
    if state is None:
        return None
    state = np.asarray(state)
    expected = (layers * directions, units)
    if state.shape != expected:
        raise GatescopeError(f"{name} has shape {state.shape}; expected {expected} (layers × directions, units)")
    if state.dtype.kind not in "fiu" or not np.all(np.isfinite(state)):
        raise GatescopeError(f"{name} must hold finite real numbers")
    with np.errstate(over="ignore"):
        cast = state.astype(dtype)
    if not np.all(np.isfinite(cast)):
        raise _too_large(name, state, dtype)
    return cast


def _too_large(name: str, values: np.ndarray, dtype: np.dtype[Any]) -> GatescopeError:
    """The error for finite values that become infinite in ``dtype`` (1e300 in float32)."""
    wider = " or compute in float64 (dtype=np.float64)" if dtype == np.float32 else ""
    return GatescopeError(
        f"{name} holds values up to {float(np.abs(values).max()):.3g}, too large for {dtype} (at most "
        f"±{np.finfo(dtype).max:.2g}); scale them down{wider}"
    )
