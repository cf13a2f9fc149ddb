"""What the reference fixture cases (reference_torch.py, reference_onnx.py) share: sizes, dtypes, random inputs,
per-step traces checked against whole-sequence runs, and the fixture's meta and arrays."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch
from fixture_io import kind_meta, meta_array  # scripts/ is on sys.path when run directly

INPUT_SIZE = 5
HIDDEN_SIZE = 7
SEQ_LEN = 9

DTYPES = {
    "float32": (np.float32, torch.float32, 1e-6),
    "float64": (np.float64, torch.float64, 1e-12),
}


def close(a, b, tol: float, what: str) -> None:
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise AssertionError(f"{what}: shape {a.shape} != {b.shape}")
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol, err_msg=what)


# --------------------------------------------------------------------------
# random inputs shared by torch and onnx cases
# --------------------------------------------------------------------------


def make_inputs(rng: np.random.RandomState, num_states: int, kind: str):
    """x (T, in), h0 (S, H), c0 (S, H), drawn in float32 (float64 = exact upcast)."""
    x = rng.standard_normal((SEQ_LEN, INPUT_SIZE)).astype(np.float32)
    h0 = (0.5 * rng.standard_normal((num_states, HIDDEN_SIZE))).astype(np.float32)
    c0 = rng.standard_normal((num_states, HIDDEN_SIZE)).astype(np.float32) if kind == "lstm" else None
    return x, h0, c0


# --------------------------------------------------------------------------
# whole-sequence results and per-step traces, shared by the torch and onnx cases
# --------------------------------------------------------------------------


class RunResult(NamedTuple):
    """A whole-sequence run: output (T, D*H), h_n and c_n (L*D, H); c_n is None but for LSTMs."""

    output: np.ndarray
    h_n: np.ndarray
    c_n: np.ndarray | None


def time_steps(T, reverse):
    """The time indices in the order a direction reads them."""
    return range(T - 1, -1, -1) if reverse else range(T)


def record_step_gates(gates, step_gates, t, T):
    """Store one step's {name: (pre, act)} as row t of the per-gate traces (lists of T rows)."""
    for name, (pre, act) in step_gates.items():
        gates.setdefault(name, [[None] * T, [None] * T])
        gates[name][0][t] = pre
        gates[name][1][t] = act


def stack_gate_trace(gates):
    """Per-gate row lists -> {name: (pre (T, H), act (T, H) or None)}."""
    return {name: (np.stack(pre), None if act[0] is None else np.stack(act)) for name, (pre, act) in gates.items()}


def layer_arrays(k, kind, traces):
    """One layer's fixture arrays from its per-direction traces [(h, c, gates), ...]: forward units, then reverse."""
    arrays = {f"layer{k}_h": np.concatenate([h for h, _, _ in traces], axis=1)}
    if kind == "lstm":
        arrays[f"layer{k}_c"] = np.concatenate([c for _, c, _ in traces], axis=1)
    gates_all = {}
    for _, _, gates in traces:
        for name, ga in gates.items():
            gates_all.setdefault(name, []).append(ga)
    for name, per_dir in gates_all.items():
        arrays[f"layer{k}_pre_{name}"] = np.concatenate([p for p, _ in per_dir], axis=1)
        if per_dir[0][1] is not None:
            arrays[f"layer{k}_gate_{name}"] = np.concatenate([a for _, a in per_dir], axis=1)
    return arrays


def final_states(layers, idx):
    """The traced final states (idx 0: h, 1: c) of every layer and direction, laid out like h_n / c_n.

    A direction's final state is its trace at t=T-1 (forward) or t=0 (reverse).
    """
    return np.stack([traces[d][idx][-1 if d == 0 else 0] for traces in layers for d in range(len(traces))])


def check_traces(layers, arrays, result, tol, what, names):
    """The stepped traces reproduce the whole-sequence result (named ``names``: output, h_n, c_n)."""
    close(arrays[f"layer{len(layers) - 1}_h"], result.output, tol, f"{what}: top layer trace vs {names[0]}")
    close(final_states(layers, 0), result.h_n, tol, f"{what}: traced last h vs {names[1]}")
    if result.c_n is not None:
        close(final_states(layers, 1), result.c_n, tol, f"{what}: traced last c vs {names[2]}")


# --------------------------------------------------------------------------
# fixture contents, shared by the torch and onnx cases
# --------------------------------------------------------------------------


def engine_meta(
    *,
    case,
    source,
    kind,
    num_layers,
    bidirectional,
    bias,
    dtype_name,
    has_h0,
    peepholes=False,
    gru_convention="pytorch",
    nonlinearity="tanh",
):
    """The fixture's meta: sizes, layout and source, plus the entry only its kind has."""
    meta = {
        "case": case,
        "source": source,
        "kind": kind,
        "input_size": INPUT_SIZE,
        "hidden_size": HIDDEN_SIZE,
        "seq_len": SEQ_LEN,
        "num_layers": num_layers,
        "bidirectional": bidirectional,
        "bias": bias,
        "dtype": dtype_name,
        "has_initial_state": has_h0,
    }
    meta.update(kind_meta(kind, peepholes=peepholes, gru_convention=gru_convention, nonlinearity=nonlinearity))
    return meta


def fixture_arrays(meta, x, params, initial, result, arrays):
    """meta, x, the weights, the given initial states, the whole-sequence result, then the traces."""
    out = {"meta": meta_array(meta), "x": x}
    out.update(params)
    out.update(initial)
    out["output"] = result.output
    out["h_n"] = result.h_n
    if result.c_n is not None:
        out["c_n"] = result.c_n
    out.update(arrays)
    return out


def initial_state_arrays(has_h0, h0, c0):
    """{"h0", "c0" (LSTM)} when the case starts from given states, else nothing."""
    if not has_h0:
        return {}
    return {"h0": h0} if c0 is None else {"h0": h0, "c0": c0}
