"""Generate the gradient fixtures that pin gatescope's NumPy backpropagation (gatescope/engine/bptt.py and the
kernels' backward steps) to PyTorch autograd.

Run it from the repository root with the separate fixtures environment (torch is needed only here, never by the
package or the tests)::

    python3 -m venv .venv-fixtures
    .venv-fixtures/bin/pip install torch==2.13.0 onnx numpy
    .venv-fixtures/bin/python scripts/make_gradient_fixtures.py          # (re)write changed files
    .venv-fixtures/bin/python scripts/make_gradient_fixtures.py --check  # verify only

It writes ``tests/engine/gradient_fixtures/*.npz``, float64, one file per case; the format is described in
``tests/engine/gradient_fixtures/README.md``. Each case is a batch (B=3, T=6, input 5, hidden 4), a loss
``sum(output * upstream_output)`` (plus ``sum(h_n * upstream_h_n) + sum(c_n * upstream_c_n)`` in the ``_states``
cases, which also start from given h0/c0), and the autograd gradients of that loss with respect to every weight,
the input x and the initial states.

* nn.LSTM / nn.GRU / nn.RNN (tanh and relu) cases take their gradients from the modules themselves.
* What torch.nn lacks -- LSTM peepholes (ONNX style: the input and forget gates read c_{t-1}, the output gate reads
  c_t) and the GRU "cho" convention (n = tanh(W_in x + b_in + W_hn (r * h) + b_hn)) -- is written by hand with
  torch ops (matmul, sigmoid, tanh) and differentiated by autograd. The hand-written forward is trustworthy because
  this script asserts, before writing anything, that
  - for every nn-module case it reproduces the module's output, h_n, c_n and every autograd gradient to 1e-12
    (relative to the largest magnitude), i.e. the same code without peepholes and with the "pytorch" GRU
    convention *is* nn.LSTM / nn.GRU / nn.RNN;
  - it reproduces the engine's forward reference fixtures from the ONNX reference implementation
    (``tests/engine/fixtures/onnx_*_float64.npz``: peepholes uni- and bidirectional, GRU linear_before_reset=0 and 1,
    with initial states) to 1e-12, so the peephole and "cho" variants mean exactly what ONNX means.

Weights, inputs and upstream gradients are drawn in float32 and upcast (so a float32 run sees the same values),
seeded per case from the case name: a rerun produces identical arrays. A file whose arrays are bitwise unchanged is
not rewritten. Every file loads with ``numpy.load(path, allow_pickle=False)``; ``meta`` is UTF-8 JSON as uint8.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from fixture_io import (  # scripts/ is on sys.path when run directly
    case_seed,
    emit,
    kind_meta,
    meta_array,
    parse_check,
    sfx,
    summarize,
)

ROOT = Path(__file__).resolve().parents[1]
OUT_DIR = ROOT / "tests" / "engine" / "gradient_fixtures"
ENGINE_FIXTURES = ROOT / "tests" / "engine" / "fixtures"

BATCH, SEQ_LEN, INPUT_SIZE, HIDDEN_SIZE = 3, 6, 5, 4
TORCH_VERSION = torch.__version__.split("+")[0]
TORCH_CLS = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}
# Scale-ups of torch's default init (U(-1/sqrt(H), 1/sqrt(H))) so that some gates saturate; milder for ReLU.
SCALE = {"tanh": 2.0, "relu": 1.0}
HAND_TOLERANCE = 1e-12

# name: kind, layers, bidirectional, and optional bias / nonlinearity / gru_convention / peepholes /
# upstream ("all" steps or only the "last" one) / states (initial states and final-state gradients)
CASES: dict[str, dict] = {
    "torch_lstm_l1": dict(kind="lstm", layers=1, bidirectional=False),
    "torch_lstm_l2_bi": dict(kind="lstm", layers=2, bidirectional=True),
    "torch_lstm_l2_bi_states": dict(kind="lstm", layers=2, bidirectional=True, states=True),
    "torch_lstm_l2_last": dict(kind="lstm", layers=2, bidirectional=False, upstream="last"),
    "torch_gru_l1": dict(kind="gru", layers=1, bidirectional=False),
    "torch_gru_l2_bi": dict(kind="gru", layers=2, bidirectional=True),
    "torch_gru_l2_bi_states": dict(kind="gru", layers=2, bidirectional=True, states=True),
    "torch_gru_nobias_bi": dict(kind="gru", layers=1, bidirectional=True, bias=False),
    "torch_rnn_l1": dict(kind="rnn", layers=1, bidirectional=False),
    "torch_rnn_l2_bi": dict(kind="rnn", layers=2, bidirectional=True),
    "torch_rnn_relu_l1": dict(kind="rnn", layers=1, bidirectional=False, nonlinearity="relu"),
    "torch_rnn_relu_l2_bi": dict(kind="rnn", layers=2, bidirectional=True, nonlinearity="relu"),
    "hand_lstm_peep_l1": dict(kind="lstm", layers=1, bidirectional=False, peepholes=True),
    "hand_lstm_peep_l2_bi_states": dict(kind="lstm", layers=2, bidirectional=True, peepholes=True, states=True),
    "hand_lstm_peep_bi_last": dict(kind="lstm", layers=1, bidirectional=True, peepholes=True, upstream="last"),
    "hand_gru_cho_l1": dict(kind="gru", layers=1, bidirectional=False, gru_convention="cho"),
    "hand_gru_cho_l2_bi": dict(kind="gru", layers=2, bidirectional=True, gru_convention="cho"),
    "hand_gru_cho_l2_bi_states": dict(kind="gru", layers=2, bidirectional=True, gru_convention="cho", states=True),
}
DEFAULTS = dict(bias=True, nonlinearity="tanh", gru_convention="pytorch", peepholes=False, upstream="all", states=False)


def relative_error(a, b) -> float:
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise AssertionError(f"shape {a.shape} != {b.shape}")
    scale = np.abs(b).max()
    return float(np.abs(a - b).max() / scale) if scale > 0 else float(np.abs(a).max())


def assert_close(a, b, what: str, tol: float = HAND_TOLERANCE) -> None:
    err = relative_error(a, b)
    if not err <= tol:
        raise AssertionError(f"{what}: relative error {err:.3e} > {tol:g}")


# --------------------------------------------------------------------------
# the hand-written forward (torch ops, PyTorch layout and gate order)
# --------------------------------------------------------------------------


def lstm_cell(x_t, h, c, w_ih, w_hh, b_ih, b_hh, peephole):
    pre = torch.matmul(x_t, w_ih.T) + torch.matmul(h, w_hh.T)
    if b_ih is not None:
        pre = pre + b_ih + b_hh
    pi, pf, pg, po = pre.chunk(4, dim=-1)
    if peephole is not None:  # ONNX: input and forget gates read c_{t-1}
        pi = pi + peephole[0] * c
        pf = pf + peephole[1] * c
    i, f, g = torch.sigmoid(pi), torch.sigmoid(pf), torch.tanh(pg)
    c = f * c + i * g
    if peephole is not None:  # ... the output gate reads c_t
        po = po + peephole[2] * c
    h = torch.sigmoid(po) * torch.tanh(c)
    return h, c


def gru_cell(x_t, h, w_ih, w_hh, b_ih, b_hh, convention):
    gi = torch.matmul(x_t, w_ih.T)
    if b_ih is not None:
        gi = gi + b_ih
    ir, iz, in_ = gi.chunk(3, dim=-1)
    w_hr, w_hz, w_hn = w_hh.chunk(3, dim=0)
    hr, hz = torch.matmul(h, w_hr.T), torch.matmul(h, w_hz.T)
    if b_hh is not None:
        b_hr, b_hz, b_hn = b_hh.chunk(3)
        hr, hz = hr + b_hr, hz + b_hz
    r, z = torch.sigmoid(ir + hr), torch.sigmoid(iz + hz)
    if convention == "pytorch":
        hn = torch.matmul(h, w_hn.T)
        if b_hh is not None:
            hn = hn + b_hn
        n = torch.tanh(in_ + r * hn)
    else:  # "cho": reset applied to h before the recurrent product
        rn = torch.matmul(r * h, w_hn.T)
        if b_hh is not None:
            rn = rn + b_hn
        n = torch.tanh(in_ + rn)
    return (1 - z) * n + z * h


def rnn_cell(x_t, h, w_ih, w_hh, b_ih, b_hh, nonlinearity):
    pre = torch.matmul(x_t, w_ih.T) + torch.matmul(h, w_hh.T)
    if b_ih is not None:
        pre = pre + b_ih + b_hh
    return torch.tanh(pre) if nonlinearity == "tanh" else torch.relu(pre)


def hand_forward(cfg: dict, params: dict, x, h0=None, c0=None):
    """x (B, T, in) -> output (B, T, D*H), h_n (L*D, B, H), c_n (LSTM) -- like nn.LSTM/GRU/RNN(batch_first=True)."""
    kind = cfg["kind"]
    D = 2 if cfg["bidirectional"] else 1
    B, T, _ = x.shape
    H = params["weight_hh_l0"].shape[1]
    layer_in = x
    h_n, c_n = [], []
    for k in range(cfg["layers"]):
        outs = []
        for d in range(D):
            s = f"_l{k}{sfx(d)}"
            w_ih, w_hh = params[f"weight_ih{s}"], params[f"weight_hh{s}"]
            b_ih, b_hh = params.get(f"bias_ih{s}"), params.get(f"bias_hh{s}")
            peephole = params.get(f"peephole{s}")
            zeros = torch.zeros(B, H, dtype=x.dtype)
            h = zeros if h0 is None else h0[k * D + d]
            c = (zeros if c0 is None else c0[k * D + d]) if kind == "lstm" else None
            hs = [None] * T
            for t in range(T - 1, -1, -1) if d == 1 else range(T):
                x_t = layer_in[:, t]
                if kind == "lstm":
                    h, c = lstm_cell(x_t, h, c, w_ih, w_hh, b_ih, b_hh, peephole)
                elif kind == "gru":
                    h = gru_cell(x_t, h, w_ih, w_hh, b_ih, b_hh, cfg["gru_convention"])
                else:
                    h = rnn_cell(x_t, h, w_ih, w_hh, b_ih, b_hh, cfg["nonlinearity"])
                hs[t] = h
            outs.append(torch.stack(hs, dim=1))
            h_n.append(h)
            c_n.append(c)
        layer_in = torch.cat(outs, dim=2)
    return layer_in, torch.stack(h_n), (torch.stack(c_n) if kind == "lstm" else None)


def check_hand_forward_against_onnx_fixtures() -> list[str]:
    """The hand-written cells reproduce the engine's float64 ONNX reference fixtures (peepholes, both GRU modes)."""
    checked = []
    for path in sorted(ENGINE_FIXTURES.glob("onnx_*_float64.npz")):
        with np.load(path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
        meta = json.loads(arrays.pop("meta").tobytes())
        cfg = dict(
            DEFAULTS,
            kind=meta["kind"],
            layers=meta["num_layers"],
            bidirectional=meta["bidirectional"],
            gru_convention=meta.get("gru_convention", "pytorch"),
        )
        params = {
            k: torch.from_numpy(v)
            for k, v in arrays.items()
            if k.split("_l")[0] in ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "peephole")
        }
        x = torch.from_numpy(arrays["x"])[None]
        h0 = torch.from_numpy(arrays["h0"])[:, None] if "h0" in arrays else None
        c0 = torch.from_numpy(arrays["c0"])[:, None] if "c0" in arrays else None
        with torch.no_grad():
            output, h_n, c_n = hand_forward(cfg, params, x, h0, c0)
        assert_close(output[0].numpy(), arrays["output"], f"{path.name}: hand-written output")
        assert_close(h_n[:, 0].numpy(), arrays["h_n"], f"{path.name}: hand-written h_n")
        if c_n is not None:
            assert_close(c_n[:, 0].numpy(), arrays["c_n"], f"{path.name}: hand-written c_n")
        checked.append(path.name)
    kinds = {
        name.split("_")[1] + ("_peep" if "peep" in name else "") + ("_cho" if "cho" in name else "") for name in checked
    }
    if not {"lstm_peep", "gru_cho", "gru", "lstm"} <= kinds:
        raise AssertionError(f"expected ONNX forward fixtures for peepholes and both GRU modes, found {checked}")
    return checked


# --------------------------------------------------------------------------
# cases
# --------------------------------------------------------------------------


@dataclass
class CaseInputs:
    """A case's input x (B, T, in), the upstream gradient of output, and (``states`` cases) initial states and
    upstream gradients of the final states, each (L*D, B, H); c0 / upstream_c_n for LSTMs only."""

    x: torch.Tensor
    upstream: torch.Tensor
    h0: torch.Tensor | None = None
    c0: torch.Tensor | None = None
    up_h_n: torch.Tensor | None = None
    up_c_n: torch.Tensor | None = None

    def state_leaves(self) -> list:
        """Fresh copies of h0 and c0 (None where absent) that autograd differentiates with respect to."""
        return [s.clone().requires_grad_(True) if s is not None else None for s in (self.h0, self.c0)]

    def state_labels(self) -> list[str]:
        return [label for label, s in (("h0", self.h0), ("c0", self.c0)) if s is not None]


def build_module(cfg: dict, seed: int) -> torch.nn.Module:
    """The case's nn module in float64: torch's seeded default init, scaled up so that some gates saturate."""
    torch.manual_seed(seed)
    kwargs = dict(
        input_size=INPUT_SIZE,
        hidden_size=HIDDEN_SIZE,
        num_layers=cfg["layers"],
        bias=cfg["bias"],
        bidirectional=cfg["bidirectional"],
        batch_first=True,
    )
    if cfg["kind"] == "rnn":
        kwargs["nonlinearity"] = cfg["nonlinearity"]
    module = TORCH_CLS[cfg["kind"]](**kwargs)
    with torch.no_grad():
        for p in module.parameters():
            p.mul_(SCALE[cfg["nonlinearity"]])
    return module.double()


def draw(rng: np.random.RandomState, *shape, scale=1.0) -> torch.Tensor:
    """Standard normal values drawn in float32, upcast to float64."""
    return torch.from_numpy((scale * rng.standard_normal(shape)).astype(np.float32).astype(np.float64))


def draw_inputs(cfg: dict, rng: np.random.RandomState, D: int) -> CaseInputs:
    """x, the upstream gradient of output (zero but for the last step in ``upstream="last"`` cases), then the states."""
    inputs = CaseInputs(x=draw(rng, BATCH, SEQ_LEN, INPUT_SIZE), upstream=draw(rng, BATCH, SEQ_LEN, D * HIDDEN_SIZE))
    if cfg["upstream"] == "last":
        inputs.upstream[:, :-1] = 0
    if cfg["states"]:
        shape = (cfg["layers"] * D, BATCH, HIDDEN_SIZE)
        inputs.h0 = draw(rng, *shape, scale=0.5)
        inputs.up_h_n = draw(rng, *shape)
        if cfg["kind"] == "lstm":
            inputs.c0 = draw(rng, *shape)
            inputs.up_c_n = draw(rng, *shape)
    return inputs


def draw_peepholes(cfg: dict, rng: np.random.RandomState, D: int) -> dict[str, torch.Tensor]:
    """``peephole_l{k}[_reverse]`` (3, H) for every layer and direction of a peephole case, else nothing."""
    peepholes = {}
    if cfg["peepholes"]:
        for k in range(cfg["layers"]):
            for d in range(D):
                peep = rng.uniform(-1, 1, (3, HIDDEN_SIZE)).astype(np.float32).astype(np.float64)
                peepholes[f"peephole_l{k}{sfx(d)}"] = torch.from_numpy(peep)
    return peepholes


def loss_of(inputs: CaseInputs, output, h_n, c_n):
    """sum(output * upstream), plus sum(h_n * upstream_h_n) + sum(c_n * upstream_c_n) where those are given."""
    loss = (output * inputs.upstream).sum()
    if inputs.up_h_n is not None:
        loss = loss + (h_n * inputs.up_h_n).sum()
    if inputs.up_c_n is not None:
        loss = loss + (c_n * inputs.up_c_n).sum()
    return loss


def gradients(inputs: CaseInputs, result, xs, weights: dict, names: list[str], states: list):
    """The gradients of the loss with respect to x, the weights (in ``names`` order) and the given initial states."""
    wrt = [xs] + [weights[k] for k in names] + [s for s in states if s is not None]
    return torch.autograd.grad(loss_of(inputs, *result), wrt)


def run_hand(cfg: dict, params: dict, names: list[str], inputs: CaseInputs):
    """((output, h_n, c_n), gradients) of the hand-written forward."""
    leaves = {k: v.clone().requires_grad_(True) for k, v in params.items()}
    xs = inputs.x.clone().requires_grad_(True)
    states = inputs.state_leaves()
    result = hand_forward(cfg, leaves, xs, *states)
    return result, gradients(inputs, result, xs, leaves, names, states)


def run_module(module: torch.nn.Module, kind: str, names: list[str], inputs: CaseInputs):
    """((output, h_n, c_n), gradients) of the nn module (c_n is None but for LSTMs)."""
    module.zero_grad()
    xs = inputs.x.clone().requires_grad_(True)
    states = inputs.state_leaves()
    if states[0] is None:
        output, state = module(xs)
    else:
        output, state = module(xs, (states[0], states[1]) if kind == "lstm" else states[0])
    h_n, c_n = state if kind == "lstm" else (state, None)
    result = (output, h_n, c_n)
    return result, gradients(inputs, result, xs, dict(module.named_parameters()), names, states)


def check_hand_matches_module(name: str, labels: list[str], hand, module) -> None:
    """The hand-written forward is the module, gradients included (``hand``, ``module``: (result, gradients))."""
    (hand_out, hand_h_n, hand_c_n), hand_grads = hand
    (output, h_n, c_n), grads = module
    assert_close(hand_out.detach().numpy(), output.detach().numpy(), f"{name}: hand-written output")
    assert_close(hand_h_n.detach().numpy(), h_n.detach().numpy(), f"{name}: hand-written h_n")
    if c_n is not None:
        assert_close(hand_c_n.detach().numpy(), c_n.detach().numpy(), f"{name}: hand-written c_n")
    for label, a, b in zip(labels, hand_grads, grads, strict=True):
        assert_close(a.numpy(), b.numpy(), f"{name}: hand-written grad of {label}")


def case_meta(name: str, cfg: dict, source: str) -> dict:
    meta = {
        "case": name,
        "source": source,
        "kind": cfg["kind"],
        "batch": BATCH,
        "input_size": INPUT_SIZE,
        "hidden_size": HIDDEN_SIZE,
        "seq_len": SEQ_LEN,
        "num_layers": cfg["layers"],
        "bidirectional": cfg["bidirectional"],
        "bias": cfg["bias"],
        "dtype": "float64",
        "upstream": cfg["upstream"],
        "has_initial_state": cfg["states"],
        "final_state_grads": cfg["states"],
    }
    meta.update(
        kind_meta(
            cfg["kind"],
            peepholes=cfg["peepholes"],
            gru_convention=cfg["gru_convention"],
            nonlinearity=cfg["nonlinearity"],
        )
    )
    return meta


def case_arrays(meta: dict, inputs: CaseInputs, params: dict, result, labels: list[str], grads) -> dict:
    """The fixture's arrays: meta, x, the weights, the states and upstream gradients, the result, the gradients."""
    output, h_n, c_n = result
    out: dict[str, np.ndarray] = {"meta": meta_array(meta), "x": inputs.x.numpy()}
    out.update({k: v.numpy() for k, v in params.items()})
    if inputs.h0 is not None:
        out["h0"] = inputs.h0.numpy()
        out["upstream_h_n"] = inputs.up_h_n.numpy()
        if inputs.c0 is not None:
            out["c0"] = inputs.c0.numpy()
            out["upstream_c_n"] = inputs.up_c_n.numpy()
    out["upstream_output"] = inputs.upstream.numpy()
    out["output"] = output.detach().numpy()
    out["h_n"] = h_n.detach().numpy()
    if c_n is not None:
        out["c_n"] = c_n.detach().numpy()
    for label, grad in zip(labels, grads, strict=True):
        out[f"grad_{label}"] = grad.numpy()
    return out


def build_case(name: str) -> tuple[dict, dict[str, np.ndarray]]:
    """One gradient fixture: (meta, arrays); an nn-module case is also checked against the hand-written forward."""
    cfg = dict(DEFAULTS, **CASES[name])
    kind = cfg["kind"]
    D = 2 if cfg["bidirectional"] else 1
    seed = case_seed(name)
    module = build_module(cfg, seed)
    rng = np.random.RandomState(seed)
    inputs = draw_inputs(cfg, rng, D)
    params = {k: v.detach().clone() for k, v in module.state_dict().items()}
    params.update(draw_peepholes(cfg, rng, D))
    names = list(params)
    labels = ["x", *names, *inputs.state_labels()]

    if name.startswith("hand_"):
        result, grads = run_hand(cfg, params, names, inputs)
        source = f"torch {TORCH_VERSION} autograd of a hand-written forward (torch ops)"
    else:
        result, grads = run_module(module, kind, names, inputs)
        source = f"torch {TORCH_VERSION} autograd of nn.{TORCH_CLS[kind].__name__}"
        check_hand_matches_module(name, labels, run_hand(cfg, params, names, inputs), (result, grads))

    meta = case_meta(name, cfg, source)
    return meta, case_arrays(meta, inputs, params, result, labels, grads)


def main(argv=None) -> int:
    check = parse_check(__doc__, argv)
    torch.set_num_threads(1)
    checked = check_hand_forward_against_onnx_fixtures()
    print(f"hand-written forward matches {len(checked)} ONNX forward fixtures: {', '.join(checked)}")
    report: list = []
    for name in CASES:
        _, arrays = build_case(name)
        emit(OUT_DIR / f"{name}.npz", arrays, check, report)
    return summarize(report, ROOT, f"torch {torch.__version__}, numpy {np.__version__}")


if __name__ == "__main__":
    sys.exit(main())
