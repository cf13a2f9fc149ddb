"""The PyTorch reference cases: nn.LSTM / nn.GRU / nn.RNN stepped one time step at a time, every step rebuilt from
functional ops, and the state-dict files of tests/model/fixtures."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from fixture_io import case_seed, sfx  # scripts/ is on sys.path when run directly
from reference_traces import (
    DTYPES,
    HIDDEN_SIZE,
    INPUT_SIZE,
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

TORCH_CLS = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}
TORCH_VERSION = torch.__version__.split("+")[0]

# Weight scale-ups applied to torch's default init (U(-1/sqrt(H), 1/sqrt(H)))
# so that gates saturate some of the time.
SCALE = {"weight_ih": 3.0, "weight_hh": 3.0, "bias_ih": 3.0, "bias_hh": 3.0}
# Milder for ReLU RNNs, whose state is unbounded.
SCALE_RELU = {"weight_ih": 1.5, "weight_hh": 1.0, "bias_ih": 1.5, "bias_hh": 1.0}


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
