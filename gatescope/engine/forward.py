"""Run recurrent layers over a sequence for a trace, recording every gate, pre-activation, cell and hidden state.

The steps themselves are the kernels' (kernels/), run on a batch of one sequence; this module validates the input,
runs each direction (a reverse one over the reversed sequence), scales the recorded sigmoid pre-activations back from
the halves the kernels keep, and joins the directions into a LayerTrace. A one-direction layer's trace holds views
into the kernel's arrays instead of copies.

Recorded pre-activations are what each activation read: with ONNX's clip, the clipped values; hard sigmoid gates'
are their true pre-activations (the kernels keep those unhalved); with input_forget, the forget gate's is the input
gate's negated (f = 1 - i = sigmoid(-a_i)).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from gatescope.engine.cells import GATE_NAMES, RecurrentLayer
from gatescope.engine.kernels import run_direction
from gatescope.engine.kernels.steps import present
from gatescope.engine.layout import INTERNAL_ORDER
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
    runs = []
    reverse = layer.reverse
    for d, layout in enumerate(layer.layouts):
        x_dir = np.ascontiguousarray(x[::-1]) if d == 1 or reverse else x
        with np.errstate(over="ignore", invalid="ignore"):  # an overflow is reported below, as a GatescopeError
            run = run_direction(layout, x_dir[:, :, None], h0[d, :, None], None if c0 is None else c0[d, :, None])
            if layout.gates_halved:
                run.pre[:, : layout.sigmoid_width] *= 2  # record the true pre-activations of the sigmoid gates
        _check_no_overflow(run.pre, x, index, reverse=d == 1 or reverse)
        runs.append(run)
    gates: dict[str, FloatArray] = {}
    preactivations: dict[str, FloatArray] = {}
    for name in GATE_NAMES[layer.kind]:
        k = INTERNAL_ORDER[layer.kind].index(name)
        gates[name] = _join([present(run.gates)[:, k * H : (k + 1) * H, 0] for run in runs], reverse)
        preactivations[name] = _join([run.pre[:, k * H : (k + 1) * H, 0] for run in runs], reverse)
    return LayerTrace(
        index=index,
        kind=layer.kind,
        units=H,
        bidirectional=D == 2,
        h=_join([run.h[1:, :, 0] for run in runs], reverse),
        c=_join([run.c[1:, :, 0] for run in runs if run.c is not None], reverse) if layer.kind == "lstm" else None,
        gates=gates,
        preactivations=preactivations,
        hidden_preactivation=_join([run.pre[:, :, 0] for run in runs], reverse) if layer.kind == "rnn" else None,
        h0=h0.reshape(-1).copy(),
        c0=None if c0 is None else c0.reshape(-1).copy(),
        gru_convention=layer.gru_convention if layer.kind == "gru" else None,
        reverse=reverse,
    )


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


def _join(parts: list[FloatArray], reverse: bool = False) -> FloatArray:
    """One (T, H) array per direction -> the trace's (T, D*H): forward units first, the reverse direction's rows put
    back in input order. A one-direction layer keeps the run's array itself, a view (rows reversed for a ``reverse``
    layer, which reads right to left), no copy."""
    if len(parts) == 1:
        return parts[0][::-1] if reverse else parts[0]
    H = parts[0].shape[1]
    joined = np.empty((parts[0].shape[0], 2 * H), parts[0].dtype)
    joined[:, :H] = parts[0]
    joined[:, H:] = parts[1][::-1]
    return joined


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
