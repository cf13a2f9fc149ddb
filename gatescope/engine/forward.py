"""Run recurrent layers over a sequence, recording every gate, pre-activation, cell and hidden state.

Fast path: one matmul projects every step's input at once; the Python loop does only the recurrent product and
pointwise updates, writing into preallocated arrays with ``out=``. Sigmoid gates come from one ``tanh`` call on
weights pre-scaled by 0.5 (see cells.py); recorded pre-activations are scaled back after the loop.

Per step the loop costs a handful of NumPy calls, so it avoids everything else: the rows it works on come from ``zip``
over views made once (no indexing or slicing per step), constants are 0-d arrays, and a one-direction layer's trace
holds views into the loop's arrays instead of copies. Time it with benchmarks/engine.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from gatescope.engine.cells import GATE_NAMES, LayerLayout, RecurrentLayer, internal_order
from gatescope.engine.trace import FloatArray, LayerTrace
from gatescope.errors import GatescopeError


@dataclass(eq=False)
class DirectionRun:
    """Raw arrays of one direction: pre-activations and activations in the internal gate layout, c and h."""

    pre: FloatArray  # (T, G*H), internal order (sigmoid gates first); RNN: (T, H)
    act: FloatArray | None  # (T, G*H), possibly a view with longer rows; None for RNN
    c: FloatArray | None
    h: FloatArray


def run_direction(
    layer: RecurrentLayer, layout: LayerLayout, x: FloatArray, h0: FloatArray, c0: FloatArray | None
) -> DirectionRun:
    """Run one direction over x (T, input_size), in time order; the caller reverses for a reverse direction."""
    pre = np.matmul(x, layout.input_weight.T)
    pre += layout.input_bias
    if layer.kind == "lstm":
        assert c0 is not None
        if layout.peephole is None:
            return _lstm(layout, pre, h0, c0)
        return _lstm_peephole(layout, pre, h0, c0)
    if layer.kind == "gru":
        if layer.gru_convention == "pytorch":
            return _gru_reset_after(layout, pre, h0)
        return _gru_reset_before(layout, pre, h0)
    return _rnn(layout, pre, h0, layer.nonlinearity)


def _constant(value: float, dtype: np.dtype) -> FloatArray:
    """A 0-d array: NumPy combines it with an array faster than a Python float."""
    return np.array(value, dtype)


def _lstm(layout: LayerLayout, pre: FloatArray, h0: FloatArray, c0: FloatArray) -> DirectionRun:
    """LSTM: c_t = f * c_{t-1} + i * g, h_t = o * tanh(c_t)."""
    T, G = pre.shape
    H = G // 4
    # Row t holds the gates of step t (input, forget, output, candidate) followed by c_{t-1}: [i f] and [g c_{t-1}]
    # are then adjacent, so one multiply forms both i * g and f * c_{t-1}.
    rows = np.empty((T + 1, 5 * H), pre.dtype)
    rows[0, 4 * H :] = c0
    act, c = rows[:T, : 4 * H], rows[1:, 4 * H :]
    h = np.empty((T, H), pre.dtype)
    recurrent = layout.recurrent_weight
    half = _constant(0.5, pre.dtype)
    product = np.empty(G, pre.dtype)
    terms = np.empty(2 * H, pre.dtype)
    written, kept = terms[:H], terms[H:]
    squashed_cell = np.empty(H, pre.dtype)
    steps = zip(pre, act, act[:, : 3 * H], act[:, : 2 * H], rows[:T, 3 * H :], act[:, 2 * H : 3 * H], c, h)
    h_prev = h0
    for pre_t, act_t, sigmoids_t, input_forget_t, candidate_cell_t, output_t, c_t, h_t in steps:
        np.dot(h_prev, recurrent, out=product)
        pre_t += product
        np.tanh(pre_t, out=act_t)
        sigmoids_t *= half  # tanh(x/2) -> sigmoid(x) = 0.5 + 0.5 * tanh(x/2)
        sigmoids_t += half
        np.multiply(input_forget_t, candidate_cell_t, out=terms)  # [i * g, f * c_{t-1}]: written, kept
        np.add(written, kept, out=c_t)
        np.tanh(c_t, out=squashed_cell)
        np.multiply(output_t, squashed_cell, out=h_t)
        h_prev = h_t
    pre[:, : 3 * H] *= 2
    return DirectionRun(pre, act, c, h)


def _lstm_peephole(layout: LayerLayout, pre: FloatArray, h0: FloatArray, c0: FloatArray) -> DirectionRun:
    """LSTM with ONNX peepholes: input and forget gates read c_{t-1}, the output gate reads c_t."""
    T, G = pre.shape
    H = G // 4
    act = np.empty_like(pre)
    c = np.empty((T, H), pre.dtype)
    h = np.empty((T, H), pre.dtype)
    recurrent = layout.recurrent_weight
    assert layout.peephole is not None
    peep_input_forget = layout.peephole[:2]  # (2, H), broadcast against c_{t-1}
    peep_output = layout.peephole[2]
    half = _constant(0.5, pre.dtype)
    product = np.empty(G, pre.dtype)
    look = np.empty((2, H), pre.dtype)
    written = np.empty(H, pre.dtype)
    squashed_cell = np.empty(H, pre.dtype)
    # Input and forget gates as (T, 2, H), so one call adds both peephole terms; internal order: i, f, o, g.
    input_forget_pre, input_forget = pre.reshape(T, 4, H)[:, :2], act.reshape(T, 4, H)[:, :2]
    steps = zip(
        pre,
        input_forget_pre,
        input_forget,
        act[:, :H],
        act[:, H : 2 * H],
        pre[:, 2 * H : 3 * H],
        act[:, 2 * H : 3 * H],
        pre[:, 3 * H :],
        act[:, 3 * H :],
        c,
        h,
    )
    h_prev, c_prev = h0, c0
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
    ) in steps:
        np.dot(h_prev, recurrent, out=product)
        pre_t += product
        np.multiply(peep_input_forget, c_prev, out=look)
        input_forget_pre_t += look
        np.tanh(input_forget_pre_t, out=input_forget_t)
        input_forget_t *= half
        input_forget_t += half
        np.tanh(candidate_pre_t, out=candidate_t)
        np.multiply(forget_t, c_prev, out=c_t)
        np.multiply(input_t, candidate_t, out=written)
        c_t += written
        np.multiply(peep_output, c_t, out=written)
        output_pre_t += written
        np.tanh(output_pre_t, out=output_t)
        output_t *= half
        output_t += half
        np.tanh(c_t, out=squashed_cell)
        np.multiply(output_t, squashed_cell, out=h_t)
        h_prev, c_prev = h_t, c_t
    pre[:, : 3 * H] *= 2
    return DirectionRun(pre, act, c, h)


def _gru_reset_after(layout: LayerLayout, pre: FloatArray, h0: FloatArray) -> DirectionRun:
    """GRU, PyTorch convention: n = tanh(W_n x + b_in + r * (R_n h + b_hn))."""
    T, G = pre.shape
    H = G // 3
    act = np.empty_like(pre)
    h = np.empty((T, H), pre.dtype)
    recurrent = layout.recurrent_weight
    candidate_bias = layout.candidate_bias
    half = _constant(0.5, pre.dtype)
    product = np.empty(G, pre.dtype)
    gates_product, candidate_product = product[: 2 * H], product[2 * H :]
    # One row of each per step; internal order: reset, update, candidate.
    steps = zip(pre[:, : 2 * H], act[:, : 2 * H], act[:, :H], act[:, H : 2 * H], pre[:, 2 * H :], act[:, 2 * H :], h)
    h_prev = h0
    for gates_pre_t, gates_t, reset_t, update_t, candidate_pre_t, candidate_t, h_t in steps:
        np.dot(h_prev, recurrent, out=product)
        gates_pre_t += gates_product
        np.tanh(gates_pre_t, out=gates_t)
        gates_t *= half  # tanh(x/2) -> sigmoid(x)
        gates_t += half
        candidate_product += candidate_bias
        candidate_product *= reset_t
        candidate_pre_t += candidate_product
        np.tanh(candidate_pre_t, out=candidate_t)
        # h = (1 - z) * n + z * h_prev = n + z * (h_prev - n)
        np.subtract(h_prev, candidate_t, out=h_t)
        h_t *= update_t
        h_t += candidate_t
        h_prev = h_t
    pre[:, : 2 * H] *= 2
    return DirectionRun(pre, act, None, h)


def _gru_reset_before(layout: LayerLayout, pre: FloatArray, h0: FloatArray) -> DirectionRun:
    """GRU, Cho et al. 2014 convention: n = tanh(W_n x + R_n (r * h) + b)."""
    T, G = pre.shape
    H = G // 3
    act = np.empty_like(pre)
    h = np.empty((T, H), pre.dtype)
    recurrent = layout.recurrent_weight
    candidate_weight = layout.candidate_weight
    half = _constant(0.5, pre.dtype)
    product = np.empty(2 * H, pre.dtype)
    reset_hidden = np.empty(H, pre.dtype)
    candidate_product = np.empty(H, pre.dtype)
    steps = zip(pre[:, : 2 * H], act[:, : 2 * H], act[:, :H], act[:, H : 2 * H], pre[:, 2 * H :], act[:, 2 * H :], h)
    h_prev = h0
    for gates_pre_t, gates_t, reset_t, update_t, candidate_pre_t, candidate_t, h_t in steps:
        np.dot(h_prev, recurrent, out=product)
        gates_pre_t += product
        np.tanh(gates_pre_t, out=gates_t)
        gates_t *= half  # tanh(x/2) -> sigmoid(x)
        gates_t += half
        np.multiply(reset_t, h_prev, out=reset_hidden)
        np.dot(reset_hidden, candidate_weight, out=candidate_product)
        candidate_pre_t += candidate_product
        np.tanh(candidate_pre_t, out=candidate_t)
        np.subtract(h_prev, candidate_t, out=h_t)
        h_t *= update_t
        h_t += candidate_t
        h_prev = h_t
    pre[:, : 2 * H] *= 2
    return DirectionRun(pre, act, None, h)


def _rnn(layout: LayerLayout, pre: FloatArray, h0: FloatArray, nonlinearity: str) -> DirectionRun:
    T, H = pre.shape
    h = np.empty((T, H), pre.dtype)
    recurrent = layout.recurrent_weight
    product = np.empty(H, pre.dtype)
    zero = _constant(0.0, pre.dtype)
    relu = nonlinearity == "relu"
    h_prev = h0
    for pre_t, h_t in zip(pre, h):
        np.dot(h_prev, recurrent, out=product)
        pre_t += product
        if relu:
            np.maximum(pre_t, zero, out=h_t)
        else:
            np.tanh(pre_t, out=h_t)
        h_prev = h_t
    return DirectionRun(pre, None, None, h)


def run_layer(
    layer: RecurrentLayer, x: FloatArray, index: int = 0, h0: FloatArray | None = None, c0: FloatArray | None = None
) -> LayerTrace:
    """Run a layer over x (T, input_size) and return its LayerTrace.

    h0, c0 : (directions, units) initial states, zeros when None.
    """
    T = x.shape[0]
    H = layer.hidden_size
    D = len(layer.directions)
    dtype = layer.dtype
    h0 = np.zeros((D, H), dtype) if h0 is None else np.asarray(h0, dtype)
    c0 = (np.zeros((D, H), dtype) if c0 is None else np.asarray(c0, dtype)) if layer.kind == "lstm" else None
    runs = []
    for d, layout in enumerate(layer.layouts):
        x_dir = x if d == 0 else np.ascontiguousarray(x[::-1])
        runs.append(run_direction(layer, layout, x_dir, h0[d], None if c0 is None else c0[d]))

    names = internal_order(layer.kind)

    def join(pick) -> FloatArray:
        parts = [pick(run) for run in runs]
        if D == 1:
            return parts[0]  # a (T, H) view of the run's arrays, no copy
        joined = np.empty((T, D * H), dtype)
        joined[:, :H] = parts[0]
        joined[:, H:] = parts[1][::-1]
        return joined

    gates: dict[str, FloatArray] = {}
    preactivations: dict[str, FloatArray] = {}
    if layer.kind != "rnn":
        for name in GATE_NAMES[layer.kind]:
            k = names.index(name)
            gates[name] = join(lambda run, k=k: run.act[:, k * H : (k + 1) * H])
            preactivations[name] = join(lambda run, k=k: run.pre[:, k * H : (k + 1) * H])
    return LayerTrace(
        index=index,
        kind=layer.kind,
        units=H,
        bidirectional=D == 2,
        h=runs[0].h if D == 1 else join(lambda run: run.h),
        c=None if layer.kind != "lstm" else (runs[0].c if D == 1 else join(lambda run: run.c)),
        gates=gates,
        preactivations=preactivations,
        hidden_preactivation=(runs[0].pre if D == 1 else join(lambda run: run.pre)) if layer.kind == "rnn" else None,
        h0=h0.reshape(-1).copy(),
        c0=None if c0 is None else c0.reshape(-1).copy(),
        gru_convention=layer.gru_convention if layer.kind == "gru" else None,
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


def check_sequence(x: object, input_size: int, dtype: np.dtype) -> FloatArray:
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
    return np.ascontiguousarray(x, dtype=dtype)


def _check_state(
    state: object, name: str, layers: int, directions: int, units: int, dtype: np.dtype
) -> FloatArray | None:
    if state is None:
        return None
    state = np.asarray(state)
    expected = (layers * directions, units)
    if state.shape != expected:
        raise GatescopeError(f"{name} has shape {state.shape}; expected {expected} (layers × directions, units)")
    if state.dtype.kind not in "fiu" or not np.all(np.isfinite(state)):
        raise GatescopeError(f"{name} must hold finite real numbers")
    return state.astype(dtype)
