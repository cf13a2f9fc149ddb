"""The ONNX reference cases: one-node LSTM / GRU models run by onnx.reference, their weights converted to PyTorch
layout, every step rebuilt from the gates in NumPy, and cross-checked with torch where the semantics coincide."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import onnx
import torch
from fixture_io import case_seed, sfx  # scripts/ is on sys.path when run directly
from onnx import TensorProto, helper
from onnx.reference import ReferenceEvaluator
from reference_torch import TORCH_CLS, run_torch_module
from reference_traces import (
    DTYPES,
    HIDDEN_SIZE,
    INPUT_SIZE,
    SEQ_LEN,
    RunResult,
    check_traces,
    close,
    engine_meta,
    fixture_arrays,
    initial_state_arrays,
    layer_arrays,
    make_inputs,
    record_step_gates,
    stack_gate_trace,
    time_steps,
)

ONNX_OPSET = 21
N_GATES = {"lstm": 4, "gru": 3, "rnn": 1}


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
