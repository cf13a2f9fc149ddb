"""Generate the reference fixtures that pin gatescope's NumPy RNN engine to
PyTorch and ONNX semantics.

Run it from the repository root with a *separate* environment that has torch
and onnx (they are needed only here, never by the package or the test run)::

    python3 -m venv .venv-fixtures
    .venv-fixtures/bin/pip install torch==2.13.0 onnx numpy
    .venv-fixtures/bin/python scripts/make_reference_fixtures.py          # (re)write
    .venv-fixtures/bin/python scripts/make_reference_fixtures.py --check  # verify only

It writes:

* ``tests/engine/fixtures/*.npz`` -- one file per engine case (torch nn.LSTM /
  nn.GRU / nn.RNN, and ONNX LSTM / GRU through ``onnx.reference``), in float32
  and float64.  The format is described in ``tests/engine/fixtures/README.md``.
* ``tests/model/fixtures/torch_state_dict_{kind}.npz`` -- a module's
  ``state_dict`` saved exactly as
  ``numpy.savez(path, **{k: v.numpy() for k, v in sd.items()})``, plus
  ``torch_state_dict_{kind}_expected.npz`` with an input and the module's
  outputs for it.

Everything is seeded (per case, from the case name), so a rerun produces the
same arrays.  A file whose arrays are bitwise unchanged is not rewritten (zip
members carry timestamps, so rewriting would give spurious diffs).  ``--check``
regenerates everything in memory and exits non-zero if any file on disk differs.

Every file loads with ``numpy.load(path, allow_pickle=False)``: only numeric
arrays; the ``meta`` entry is the UTF-8 bytes of a JSON object as a uint8 array.

While generating, the script asserts that

* the per-step traces (obtained by stepping single-layer, single-direction
  modules / one-node ONNX models one time step at a time) reproduce the full
  module's ``output``, ``h_n`` and ``c_n``;
* the gates, recomputed with functional ops from the module's own weights and
  the traced h_{t-1} (and c_{t-1}), rebuild h_t (and c_t) to 1e-6 (float32) /
  1e-12 (float64);
* the ONNX cases without peepholes (LSTM) and with linear_before_reset=1 (GRU)
  give the same result as torch modules loaded with the converted weights,
  which cross-checks the ONNX -> PyTorch gate-order conversion.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import NamedTuple

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from fixture_io import case_seed, kind_meta, meta_array, same_arrays, sfx  # scripts/ is on sys.path when run directly
from onnx import TensorProto, helper
from onnx.reference import ReferenceEvaluator

ROOT = Path(__file__).resolve().parents[1]
ENGINE_DIR = ROOT / "tests" / "engine" / "fixtures"
MODEL_DIR = ROOT / "tests" / "model" / "fixtures"

INPUT_SIZE = 5
HIDDEN_SIZE = 7
SEQ_LEN = 9
ONNX_OPSET = 21

DTYPES = {
    "float32": (np.float32, torch.float32, 1e-6),
    "float64": (np.float64, torch.float64, 1e-12),
}
N_GATES = {"lstm": 4, "gru": 3, "rnn": 1}
TORCH_CLS = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}
TORCH_VERSION = torch.__version__.split("+")[0]

# Weight scale-ups applied to torch's default init (U(-1/sqrt(H), 1/sqrt(H)))
# so that gates saturate some of the time.
SCALE = {"weight_ih": 3.0, "weight_hh": 3.0, "bias_ih": 3.0, "bias_hh": 3.0}
# Milder for ReLU RNNs, whose state is unbounded.
SCALE_RELU = {"weight_ih": 1.5, "weight_hh": 1.0, "bias_ih": 1.5, "bias_hh": 1.0}


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
# gate computations (torch functional, PyTorch layout & gate order)
# --------------------------------------------------------------------------


def torch_gate_step(kind, nonlinearity, w_ih, w_hh, b_ih, b_hh, x_t, h_prev, c_prev):
    """One step from functional ops; returns (h, c, gates: dict name -> (pre, act))."""
    gi = F.linear(x_t, w_ih, b_ih)
    gh = F.linear(h_prev, w_hh, b_hh)
    if kind == "lstm":
        pi, pf, pg, po = (gi + gh).chunk(4, dim=-1)
        i, f, g, o = torch.sigmoid(pi), torch.sigmoid(pf), torch.tanh(pg), torch.sigmoid(po)
        c = f * c_prev + i * g
        h = o * torch.tanh(c)
        return h, c, {"input": (pi, i), "forget": (pf, f), "candidate": (pg, g), "output": (po, o)}
    if kind == "gru":
        ir, iz, in_ = gi.chunk(3, dim=-1)
        hr, hz, hn = gh.chunk(3, dim=-1)
        pr, pz = ir + hr, iz + hz
        r, z = torch.sigmoid(pr), torch.sigmoid(pz)
        pn = in_ + r * hn
        n = torch.tanh(pn)
        h = (1 - z) * n + z * h_prev
        return h, None, {"reset": (pr, r), "update": (pz, z), "candidate": (pn, n)}
    pre = gi + gh
    h = torch.tanh(pre) if nonlinearity == "tanh" else torch.relu(pre)
    return h, None, {"hidden": (pre, None)}


# --------------------------------------------------------------------------
# gate computations (numpy, PyTorch layout & gate order) for the ONNX cases
# --------------------------------------------------------------------------


def _sigmoid(v):
    return 1 / (1 + np.exp(-v))


def np_gate_step(kind, gru_convention, w_ih, w_hh, b_ih, b_hh, peep, x_t, h_prev, c_prev):
    gi = w_ih @ x_t + b_ih
    if kind == "lstm":
        gh = w_hh @ h_prev + b_hh
        pi, pf, pg, po = np.split(gi + gh, 4)
        if peep is not None:
            pi = pi + peep[0] * c_prev
            pf = pf + peep[1] * c_prev
        i, f, g = _sigmoid(pi), _sigmoid(pf), np.tanh(pg)
        c = f * c_prev + i * g
        if peep is not None:
            po = po + peep[2] * c
        o = _sigmoid(po)
        h = o * np.tanh(c)
        return h, c, {"input": (pi, i), "forget": (pf, f), "candidate": (pg, g), "output": (po, o)}
    assert kind == "gru"
    w_hr, w_hz, w_hn = np.split(w_hh, 3)
    b_hr, b_hz, b_hn = np.split(b_hh, 3)
    ir, iz, in_ = np.split(gi, 3)
    pr = ir + w_hr @ h_prev + b_hr
    pz = iz + w_hz @ h_prev + b_hz
    r, z = _sigmoid(pr), _sigmoid(pz)
    if gru_convention == "pytorch":
        pn = in_ + r * (w_hn @ h_prev + b_hn)
    else:  # "cho": reset applied to h before the recurrent product
        pn = in_ + w_hn @ (r * h_prev) + b_hn
    n = np.tanh(pn)
    h = (1 - z) * n + z * h_prev
    return h, None, {"reset": (pr, r), "update": (pz, z), "candidate": (pn, n)}


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


# --------------------------------------------------------------------------
# torch cases
# --------------------------------------------------------------------------

TORCH_CASES = {
    # name: (num_layers, bidirectional, bias, has_initial_state)
    "l1": (1, False, True, False),
    "l2_bi_h0": (2, True, True, True),
    "l2_h0": (2, False, True, True),
    "nobias": (1, True, False, False),
}


def build_torch_module(kind, num_layers, bidirectional, bias, nonlinearity, seed):
    torch.manual_seed(seed)
    kwargs = dict(
        input_size=INPUT_SIZE, hidden_size=HIDDEN_SIZE, num_layers=num_layers, bias=bias, bidirectional=bidirectional
    )
    if kind == "rnn":
        kwargs["nonlinearity"] = nonlinearity
    mod = TORCH_CLS[kind](**kwargs)
    scale = SCALE_RELU if nonlinearity == "relu" else SCALE
    with torch.no_grad():
        for name, p in mod.named_parameters():
            p.mul_(scale[name.split("_l")[0]])
    mod.eval()
    return mod


def build_torch_sub_module(kind, nonlinearity, params, dtype_t):
    """A single-layer, single-direction module holding one direction's weights (w_ih, w_hh, b_ih, b_hh)."""
    w_ih, w_hh, b_ih, b_hh = params
    bias = b_ih is not None
    kwargs = dict(input_size=w_ih.shape[1], hidden_size=HIDDEN_SIZE, num_layers=1, bias=bias)
    if kind == "rnn":
        kwargs["nonlinearity"] = nonlinearity
    sub = TORCH_CLS[kind](**kwargs).to(dtype_t)
    sd = {"weight_ih_l0": w_ih, "weight_hh_l0": w_hh}
    if bias:
        sd.update(bias_ih_l0=b_ih, bias_hh_l0=b_hh)
    sub.load_state_dict(sd, strict=True)
    sub.eval()
    return sub


def run_torch_module(mod, kind, x, h0, c0, has_h0):
    """Run a module over the whole sequence (from h0/c0 when has_h0, else from zeros)."""
    with torch.no_grad():
        if has_h0:
            output, state = mod(x, (h0, c0)) if kind == "lstm" else mod(x, h0)
        else:
            output, state = mod(x)
    h_n, c_n = state if kind == "lstm" else (state, None)
    return RunResult(output.numpy(), h_n.numpy(), None if c_n is None else c_n.numpy())


def torch_trace_direction(kind, nonlinearity, params, layer_in, h0, c0, reverse, dtype_t, tol, what):
    """Step a single-layer, single-direction module over layer_in (T, in).

    Returns arrays in original time order: h (T, H), c (T, H) or None,
    gates {name: (pre (T,H), act (T,H) or None)}.
    """
    w_ih, w_hh, b_ih, b_hh = params
    sub = build_torch_sub_module(kind, nonlinearity, params, dtype_t)
    T = layer_in.shape[0]
    hs = [None] * T
    cs = [None] * T
    gates = {}
    h = h0.reshape(1, HIDDEN_SIZE)
    c = c0.reshape(1, HIDDEN_SIZE) if kind == "lstm" else None
    with torch.no_grad():
        for t in time_steps(T, reverse):
            x_t = layer_in[t : t + 1]  # (1, in): unbatched, seq len 1
            # gates from functional ops using the module's h_{t-1}, c_{t-1}
            gh_, gc_, g = torch_gate_step(
                kind, nonlinearity, w_ih, w_hh, b_ih, b_hh, layer_in[t], h[0], c[0] if c is not None else None
            )
            if kind == "lstm":
                _, (h, c) = sub(x_t, (h, c))
            else:
                _, h = sub(x_t, h)
            close(gh_.numpy(), h[0].numpy(), tol, f"{what} t={t}: h rebuilt from gates")
            if kind == "lstm":
                close(gc_.numpy(), c[0].numpy(), tol, f"{what} t={t}: c rebuilt from gates")
            hs[t] = h[0].numpy().copy()
            cs[t] = c[0].numpy().copy() if c is not None else None
            step_gates = {
                name: (pre.numpy().copy(), act.numpy().copy() if act is not None else None)
                for name, (pre, act) in g.items()
            }
            record_step_gates(gates, step_gates, t, T)
        # the stepped trace must agree with running the same sub-module on the
        # whole (possibly flipped) sequence at once
        seq = torch.flip(layer_in, [0]) if reverse else layer_in
        c_start = c0.reshape(1, -1) if c0 is not None else None
        whole = run_torch_module(sub, kind, seq, h0.reshape(1, -1), c_start, has_h0=True)
    out_full = np.flip(whole.output, 0) if reverse else whole.output
    close(np.stack(hs), out_full, tol, f"{what}: stepped vs whole-sequence")
    return np.stack(hs), (np.stack(cs) if kind == "lstm" else None), stack_gate_trace(gates)


def torch_trace_layers(kind, nonlinearity, sd, x, h_init, c_init, num_layers, D, dtype_t, tol, what):
    """Trace every layer and direction of a module (state dict sd) over x; each layer reads the previous one's h.

    Returns (arrays, layers): the fixture's per-layer arrays, and per layer the per-direction (h, c, gates).
    """
    arrays, layers = {}, []
    layer_in = x
    for k in range(num_layers):
        traces = []
        for d in range(D):
            s = f"_l{k}{sfx(d)}"
            params = (sd[f"weight_ih{s}"], sd[f"weight_hh{s}"], sd.get(f"bias_ih{s}"), sd.get(f"bias_hh{s}"))
            c_start = c_init[k * D + d] if c_init is not None else None
            trace = torch_trace_direction(
                kind,
                nonlinearity,
                params,
                layer_in,
                h_init[k * D + d],
                c_start,
                reverse=(d == 1),
                dtype_t=dtype_t,
                tol=tol,
                what=f"{what} layer{k} dir{d}",
            )
            traces.append(trace)
        arrays.update(layer_arrays(k, kind, traces))
        layers.append(traces)
        layer_in = torch.from_numpy(arrays[f"layer{k}_h"])
    return arrays, layers


def torch_inputs(seed, num_states, kind, np_dtype):
    """x, h0 and c0 (LSTM, else None) as tensors of the case's dtype."""
    x32, h0_32, c0_32 = make_inputs(np.random.RandomState(seed), num_states, kind)
    x = torch.from_numpy(x32.astype(np_dtype))
    h0 = torch.from_numpy(h0_32.astype(np_dtype))
    c0 = torch.from_numpy(c0_32.astype(np_dtype)) if kind == "lstm" else None
    return x, h0, c0


def torch_case(kind, case, dtype_name, nonlinearity="tanh"):
    """One nn.LSTM / GRU / RNN fixture: (file name, arrays), its traces checked against the module."""
    num_layers, bidirectional, bias, has_h0 = TORCH_CASES[case]
    base = f"torch_{kind}_{case}" if nonlinearity == "tanh" else f"torch_{kind}_relu_{case}"
    np_dtype, dtype_t, tol = DTYPES[dtype_name]
    D = 2 if bidirectional else 1
    num_states = num_layers * D
    what = f"{base}/{dtype_name}"
    seed = case_seed(base)

    mod = build_torch_module(kind, num_layers, bidirectional, bias, nonlinearity, seed).to(dtype_t)
    x, h0, c0 = torch_inputs(seed, num_states, kind, np_dtype)
    result = run_torch_module(mod, kind, x, h0, c0, has_h0)

    zeros = torch.zeros(num_states, HIDDEN_SIZE, dtype=dtype_t)
    h_init = h0 if has_h0 else zeros
    c_init = (c0 if has_h0 else zeros) if kind == "lstm" else None
    sd = {k: v.detach() for k, v in mod.state_dict().items()}
    arrays, layers = torch_trace_layers(kind, nonlinearity, sd, x, h_init, c_init, num_layers, D, dtype_t, tol, what)
    check_traces(layers, arrays, result, tol, what, ("output", "h_n", "c_n"))

    meta = engine_meta(
        case=base,
        source=f"torch {TORCH_VERSION} nn.{TORCH_CLS[kind].__name__}",
        kind=kind,
        num_layers=num_layers,
        bidirectional=bidirectional,
        bias=bias,
        dtype_name=dtype_name,
        has_h0=has_h0,
        nonlinearity=nonlinearity,
    )
    params = {k: v.numpy() for k, v in sd.items()}
    initial = initial_state_arrays(has_h0, h0.numpy(), c0.numpy() if c0 is not None else None)
    return f"{base}_{dtype_name}.npz", fixture_arrays(meta, x.numpy(), params, initial, result, arrays)


# --------------------------------------------------------------------------
# onnx cases
# --------------------------------------------------------------------------

ONNX_CASES = {
    # name: (kind, bidirectional, has_initial_state, peepholes, linear_before_reset)
    "onnx_lstm_peep_l1": ("lstm", False, False, True, None),
    "onnx_lstm_peep_bi_h0": ("lstm", True, True, True, None),
    "onnx_lstm_l1": ("lstm", False, False, False, None),
    "onnx_gru_cho_l1": ("gru", False, False, None, 0),
    "onnx_gru_cho_bi_h0": ("gru", True, True, None, 0),
    "onnx_gru_lbr1_l1": ("gru", False, False, None, 1),
}

# ONNX gate order -> PyTorch gate order, as block indices into the ONNX layout.
ONNX_TO_TORCH_BLOCKS = {
    "lstm": [0, 2, 3, 1],  # ONNX i,o,f,c  -> torch i,f,g,o
    "gru": [1, 0, 2],  # ONNX z,r,h    -> torch r,z,n
}
ONNX_P_TO_ROWS = [0, 2, 1]  # ONNX P i,o,f -> rows input, forget, output


class OnnxWeights(NamedTuple):
    """ONNX-layout parameters, leading axis D: W (D, G*H, in), R (D, G*H, H), B (D, 2*G*H), P (D, 3*H) or None."""

    W: np.ndarray
    R: np.ndarray
    B: np.ndarray
    P: np.ndarray | None

    def direction(self, d):
        """Direction d alone (leading axis 1), for a one-direction model."""
        sl = slice(d, d + 1)
        return OnnxWeights(self.W[sl], self.R[sl], self.B[sl], None if self.P is None else self.P[sl])


def onnx_gru_convention(kind, lbr):
    """linear_before_reset=1 is PyTorch's GRU, 0 is Cho's; None for LSTMs."""
    return None if kind != "gru" else ("pytorch" if lbr == 1 else "cho")


def onnx_blocks_to_torch(kind, a):
    """Reorder the leading (G*H) axis of an ONNX weight/bias into PyTorch order."""
    blocks = np.split(a, N_GATES[kind], axis=0)
    return np.concatenate([blocks[i] for i in ONNX_TO_TORCH_BLOCKS[kind]], axis=0)


def onnx_model(kind, direction, elem_type, D, with_h0, with_p, lbr, n_in=INPUT_SIZE):
    G = N_GATES[kind]
    H = HIDDEN_SIZE
    inputs = [
        helper.make_tensor_value_info("X", elem_type, ["T", 1, n_in]),
        helper.make_tensor_value_info("W", elem_type, [D, G * H, n_in]),
        helper.make_tensor_value_info("R", elem_type, [D, G * H, H]),
        helper.make_tensor_value_info("B", elem_type, [D, 2 * G * H]),
    ]
    node_inputs = ["X", "W", "R", "B", ""]
    if with_h0:
        inputs.append(helper.make_tensor_value_info("initial_h", elem_type, [D, 1, H]))
        node_inputs.append("initial_h")
        if kind == "lstm":
            inputs.append(helper.make_tensor_value_info("initial_c", elem_type, [D, 1, H]))
            node_inputs.append("initial_c")
    elif kind == "lstm" and with_p:
        node_inputs += ["", ""]
    if kind == "lstm" and with_p:
        inputs.append(helper.make_tensor_value_info("P", elem_type, [D, 3 * H]))
        node_inputs.append("P")
    while node_inputs[-1] == "":
        node_inputs.pop()
    outputs = [
        helper.make_tensor_value_info("Y", elem_type, ["T", D, 1, H]),
        helper.make_tensor_value_info("Y_h", elem_type, [D, 1, H]),
    ]
    if kind == "lstm":
        outputs.append(helper.make_tensor_value_info("Y_c", elem_type, [D, 1, H]))
    attrs = dict(direction=direction, hidden_size=H)
    if kind == "gru":
        attrs["linear_before_reset"] = lbr
    node = helper.make_node(kind.upper(), node_inputs, [o.name for o in outputs], **attrs)
    graph = helper.make_graph([node], f"{kind}_{direction}", inputs, outputs)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", ONNX_OPSET)])
    onnx.checker.check_model(model)
    return ReferenceEvaluator(model)


def draw_onnx_weights(rng, kind, D, peep, np_dtype):
    """Native ONNX-layout parameters, drawn in float32 (float64 is the exact upcast)."""
    G = N_GATES[kind]
    H = HIDDEN_SIZE
    s = 3.5 / np.sqrt(H)
    W = rng.uniform(-s, s, (D, G * H, INPUT_SIZE)).astype(np.float32).astype(np_dtype)
    R = rng.uniform(-s, s, (D, G * H, H)).astype(np.float32).astype(np_dtype)
    B = rng.uniform(-s, s, (D, 2 * G * H)).astype(np.float32).astype(np_dtype)
    P = rng.uniform(-1, 1, (D, 3 * H)).astype(np.float32).astype(np_dtype) if peep else None
    return OnnxWeights(W, R, B, P)


def onnx_inputs(rng, kind, D, has_h0, np_dtype):
    """x, and h0 / c0 (LSTM, else None) as given or zeros when the case has no initial state."""
    x32, h0_32, c0_32 = make_inputs(rng, D, kind)
    x = x32.astype(np_dtype)
    h0 = h0_32.astype(np_dtype) if has_h0 else np.zeros((D, HIDDEN_SIZE), np_dtype)
    c0 = (c0_32.astype(np_dtype) if has_h0 else np.zeros((D, HIDDEN_SIZE), np_dtype)) if kind == "lstm" else None
    return x, h0, c0


def onnx_feeds(kind, weights, x, h0, c0, has_h0):
    """Feeds for a model built by onnx_model: x (T, in) and, when has_h0, the initial states (D, H)."""
    feeds = {"X": x[:, None, :], "W": weights.W, "R": weights.R, "B": weights.B}
    if has_h0:
        feeds["initial_h"] = h0[:, None, :]
        if kind == "lstm":
            feeds["initial_c"] = c0[:, None, :]
    if weights.P is not None:
        feeds["P"] = weights.P
    return feeds


def run_onnx_full(kind, lbr, weights, x, h0, c0, has_h0, elem_type):
    """Run the whole sequence, every direction, through one ONNX node."""
    D = weights.W.shape[0]
    direction = "bidirectional" if D == 2 else "forward"
    sess = onnx_model(kind, direction, elem_type, D, has_h0, weights.P is not None, lbr)
    full = sess.run(None, onnx_feeds(kind, weights, x, h0, c0, has_h0))
    Y, Y_h = full[0], full[1]
    assert Y.dtype == x.dtype, (Y.dtype, x.dtype)
    output = Y[:, :, 0, :].reshape(SEQ_LEN, D * HIDDEN_SIZE)  # (T, D, 1, H) -> forward units, then reverse
    return RunResult(output, Y_h[:, 0, :], full[2][:, 0, :] if kind == "lstm" else None)


def onnx_params_to_torch(kind, weights):
    """The PyTorch-layout parameters (names, gate order, split biases, peephole rows) of ONNX weights."""
    tp = {}
    for d in range(weights.W.shape[0]):
        s_ = f"_l0{sfx(d)}"
        tp[f"weight_ih{s_}"] = onnx_blocks_to_torch(kind, weights.W[d])
        tp[f"weight_hh{s_}"] = onnx_blocks_to_torch(kind, weights.R[d])
        wb, rb = np.split(weights.B[d], 2)
        tp[f"bias_ih{s_}"] = onnx_blocks_to_torch(kind, wb)
        tp[f"bias_hh{s_}"] = onnx_blocks_to_torch(kind, rb)
        if weights.P is not None:
            tp[f"peephole{s_}"] = np.stack(np.split(weights.P[d], 3))[ONNX_P_TO_ROWS]
    return tp


def onnx_trace_direction(kind, lbr, weights, tp, x, h0, c0, d, elem_type, tol, what):
    """Step a one-direction, one-node model one time step at a time, and rebuild every step from the gates.

    Returns like torch_trace_direction: h (T, H), c (T, H) or None, gates {name: (pre (T, H), act (T, H))}.
    """
    s_ = f"_l0{sfx(d)}"
    names = ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "peephole")
    torch_params = [tp.get(f"{p}{s_}") for p in names]  # no peephole entry without peepholes
    wd = weights.direction(d)
    sess = onnx_model(kind, "reverse" if d == 1 else "forward", elem_type, 1, True, wd.P is not None, lbr)
    h = h0[d]
    c = c0[d] if kind == "lstm" else None
    h_tr = [None] * SEQ_LEN
    c_tr = [None] * SEQ_LEN
    gates = {}
    for t in time_steps(SEQ_LEN, d == 1):
        res = sess.run(None, onnx_feeds(kind, wd, x[t : t + 1], h[None], None if c is None else c[None], True))
        gh_, gc_, g = np_gate_step(kind, onnx_gru_convention(kind, lbr), *torch_params, x[t], h, c)
        h = res[1][0, 0]
        close(gh_, h, tol, f"{what} dir{d} t={t}: h rebuilt from gates")
        if kind == "lstm":
            c = res[2][0, 0]
            close(gc_, c, tol, f"{what} dir{d} t={t}: c rebuilt from gates")
        h_tr[t] = h
        c_tr[t] = c
        record_step_gates(gates, g, t, SEQ_LEN)
    return np.stack(h_tr), (np.stack(c_tr) if kind == "lstm" else None), stack_gate_trace(gates)


def cross_check_with_torch(kind, bidirectional, tp, x, h0, c0, result, dtype_t, tol, what):
    """An nn module loaded with the converted weights gives the ONNX result: checks the gate-order conversion."""
    mod = TORCH_CLS[kind](INPUT_SIZE, HIDDEN_SIZE, num_layers=1, bidirectional=bidirectional).to(dtype_t)
    mod.load_state_dict({k: torch.from_numpy(v) for k, v in tp.items()}, strict=True)
    tc0 = torch.from_numpy(c0) if kind == "lstm" else None
    t_res = run_torch_module(mod, kind, torch.from_numpy(x), torch.from_numpy(h0), tc0, has_h0=True)
    close(t_res.output, result.output, tol, f"{what}: torch with converted weights vs onnx Y")
    close(t_res.h_n, result.h_n, tol, f"{what}: torch h_n vs onnx Y_h")
    if kind == "lstm":
        close(t_res.c_n, result.c_n, tol, f"{what}: torch c_n vs onnx Y_c")


def onnx_case(name, dtype_name):
    """One ONNX LSTM / GRU fixture: (file name, arrays), in PyTorch layout, its traces checked against the node."""
    kind, bidirectional, has_h0, peep, lbr = ONNX_CASES[name]
    np_dtype, dtype_t, tol = DTYPES[dtype_name]
    elem_type = TensorProto.FLOAT if dtype_name == "float32" else TensorProto.DOUBLE
    D = 2 if bidirectional else 1
    what = f"{name}/{dtype_name}"
    rng = np.random.RandomState(case_seed(name))

    weights = draw_onnx_weights(rng, kind, D, peep, np_dtype)
    x, h0, c0 = onnx_inputs(rng, kind, D, has_h0, np_dtype)
    result = run_onnx_full(kind, lbr, weights, x, h0, c0, has_h0, elem_type)

    tp = onnx_params_to_torch(kind, weights)
    traces = [onnx_trace_direction(kind, lbr, weights, tp, x, h0, c0, d, elem_type, tol, what) for d in range(D)]
    arrays = layer_arrays(0, kind, traces)
    check_traces([traces], arrays, result, tol, what, ("Y", "Y_h", "Y_c"))
    # cross-check against torch where the semantics coincide
    if (kind == "lstm" and not peep) or (kind == "gru" and lbr == 1):
        cross_check_with_torch(kind, bidirectional, tp, x, h0, c0, result, dtype_t, tol, what)

    meta = engine_meta(
        case=name,
        source=f"onnx {onnx.__version__} reference {kind.upper()} (opset {ONNX_OPSET})",
        kind=kind,
        num_layers=1,
        bidirectional=bidirectional,
        bias=True,
        dtype_name=dtype_name,
        has_h0=has_h0,
        peepholes=bool(peep),
        gru_convention=onnx_gru_convention(kind, lbr),
    )
    initial = initial_state_arrays(has_h0, h0, c0)
    return f"{name}_{dtype_name}.npz", fixture_arrays(meta, x, tp, initial, result, arrays)


# --------------------------------------------------------------------------
# state-dict files
# --------------------------------------------------------------------------

STATE_DICT_CASES = {
    # kind: (num_layers, bidirectional)
    "lstm": (2, True),
    "gru": (2, False),
    "rnn": (1, False),
}


def state_dict_case(kind):
    num_layers, bidirectional = STATE_DICT_CASES[kind]
    seed = case_seed(f"torch_state_dict_{kind}")
    mod = build_torch_module(kind, num_layers, bidirectional, True, "tanh", seed)
    x, _, _ = make_inputs(np.random.RandomState(seed), 1, kind)
    with torch.no_grad():
        output, state = mod(torch.from_numpy(x))
    sd = {k: v.numpy() for k, v in mod.state_dict().items()}
    expected = {"x": x, "output": output.numpy()}
    if kind == "lstm":
        expected["h_n"] = state[0].numpy()
        expected["c_n"] = state[1].numpy()
    else:
        expected["h_n"] = state.numpy()
    return sd, expected


# --------------------------------------------------------------------------
# writing
# --------------------------------------------------------------------------


def check_arrays(name: str, arrays: dict) -> None:
    for k, v in arrays.items():
        if not isinstance(v, np.ndarray) or v.dtype.hasobject or v.dtype.kind not in "fiub":
            raise TypeError(f"{name}: {k} is not a plain numeric array ({type(v)}, {getattr(v, 'dtype', None)})")
        if not np.all(np.isfinite(v)):
            raise ValueError(f"{name}: {k} has non-finite values")


def emit(path: Path, arrays: dict, check: bool, exact_savez: bool, report: list) -> None:
    arrays = {k: np.ascontiguousarray(v) for k, v in arrays.items()}
    check_arrays(path.name, arrays)
    unchanged = same_arrays(path, arrays)
    if check:
        report.append((path, "ok" if unchanged else "DIFFERS"))
        return
    if unchanged:
        report.append((path, "unchanged"))
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    if exact_savez:
        np.savez(path, **arrays)
    else:
        np.savez_compressed(path, **arrays)
    if not same_arrays(path, arrays):
        raise RuntimeError(f"{path}: does not round-trip through np.load(allow_pickle=False)")
    report.append((path, "written"))


def generate():
    """Yield (path, arrays, exact_savez) for every fixture."""
    for kind in ("lstm", "gru", "rnn"):
        for case in TORCH_CASES:
            for dt in DTYPES:
                fname, arrays = torch_case(kind, case, dt)
                yield ENGINE_DIR / fname, arrays, False
    for dt in DTYPES:
        fname, arrays = torch_case("rnn", "l1", dt, nonlinearity="relu")
        yield ENGINE_DIR / fname, arrays, False
    for name in ONNX_CASES:
        for dt in DTYPES:
            fname, arrays = onnx_case(name, dt)
            yield ENGINE_DIR / fname, arrays, False
    for kind in STATE_DICT_CASES:
        sd, expected = state_dict_case(kind)
        yield MODEL_DIR / f"torch_state_dict_{kind}.npz", sd, True
        yield MODEL_DIR / f"torch_state_dict_{kind}_expected.npz", expected, False


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--check", action="store_true", help="regenerate in memory and compare with the files on disk; write nothing"
    )
    args = ap.parse_args(argv)

    torch.set_num_threads(1)
    report: list = []
    for path, arrays, exact in generate():
        emit(path, arrays, args.check, exact, report)
    total = 0
    bad = 0
    for path, status in report:
        size = path.stat().st_size if path.exists() else 0
        total += size
        bad += status == "DIFFERS"
        print(f"{status:9s} {size:7d}  {path.relative_to(ROOT)}")
    print(
        f"{len(report)} files, {total} bytes; torch {torch.__version__}, onnx {onnx.__version__}, "
        f"numpy {np.__version__}"
    )
    if bad:
        print(f"{bad} file(s) differ from a fresh generation", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
