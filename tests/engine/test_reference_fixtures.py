"""The engine reproduces PyTorch 2.13 (nn.LSTM/GRU/RNN) and ONNX reference LSTM/GRU outputs, gate by gate.

Fixtures come from scripts/make_reference_fixtures.py; torch and onnx are not needed here.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from gatescope.engine import GATE_NAMES, layer_from_state_dict, run_stack

FIXTURES = sorted((Path(__file__).parent / "fixtures").glob("*.npz"))
TOLERANCE = {"float32": 1e-5, "float64": 1e-9}


def load_case(path: Path) -> tuple[dict, dict[str, np.ndarray]]:
    with np.load(path, allow_pickle=False) as data:
        arrays = {name: data[name] for name in data.files}
    return json.loads(arrays.pop("meta").tobytes()), arrays


def run_case(meta: dict, arrays: dict[str, np.ndarray]):
    layers = [
        layer_from_state_dict(
            arrays,
            k,
            meta["kind"],
            bidirectional=meta["bidirectional"],
            dtype=meta["dtype"],
            gru_convention=meta.get("gru_convention", "pytorch"),
            nonlinearity=meta.get("nonlinearity", "tanh"),
        )
        for k in range(meta["num_layers"])
    ]
    return run_stack(layers, arrays["x"], arrays.get("h0"), arrays.get("c0"))


def test_fixtures_cover_every_cell_kind_convention_and_dtype():
    metas = [load_case(path)[0] for path in FIXTURES]
    assert len(metas) >= 38
    assert {m["kind"] for m in metas} == {"lstm", "gru", "rnn"}
    assert {m["dtype"] for m in metas} == {"float32", "float64"}
    assert {m.get("gru_convention") for m in metas if m["kind"] == "gru"} == {"pytorch", "cho"}
    assert any(m.get("peepholes") and m["bidirectional"] for m in metas)
    assert any(m["num_layers"] == 2 and m["bidirectional"] and m["has_initial_state"] for m in metas)
    assert any(not m["bias"] for m in metas)


@pytest.mark.parametrize("path", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_engine_matches_reference_in_every_recorded_value(path: Path):
    meta, arrays = load_case(path)
    tolerance = TOLERANCE[meta["dtype"]]
    traces = run_case(meta, arrays)
    H, D = meta["hidden_size"], 2 if meta["bidirectional"] else 1

    np.testing.assert_allclose(traces[-1].h, arrays["output"], rtol=0, atol=tolerance)
    h_n = np.concatenate([np.stack([t.h[-1, :H]] + ([t.h[0, H:]] if D == 2 else [])) for t in traces])
    np.testing.assert_allclose(h_n, arrays["h_n"], rtol=0, atol=tolerance)
    if meta["kind"] == "lstm":
        c_n = np.concatenate([np.stack([t.c[-1, :H]] + ([t.c[0, H:]] if D == 2 else [])) for t in traces])
        np.testing.assert_allclose(c_n, arrays["c_n"], rtol=0, atol=tolerance)
    compared = 0
    for k, trace in enumerate(traces):
        assert trace.h.dtype == np.dtype(meta["dtype"])
        np.testing.assert_allclose(trace.h, arrays[f"layer{k}_h"], rtol=0, atol=tolerance)
        if meta["kind"] == "lstm":
            np.testing.assert_allclose(trace.c, arrays[f"layer{k}_c"], rtol=0, atol=tolerance)
        if meta["kind"] == "rnn":
            np.testing.assert_allclose(
                trace.hidden_preactivation, arrays[f"layer{k}_pre_hidden"], rtol=0, atol=tolerance
            )
        for name in GATE_NAMES[meta["kind"]]:
            if f"layer{k}_gate_{name}" in arrays:
                np.testing.assert_allclose(
                    trace.gates[name],
                    arrays[f"layer{k}_gate_{name}"],
                    rtol=0,
                    atol=tolerance,
                    err_msg=f"layer {k} {name} gate",
                )
                np.testing.assert_allclose(
                    trace.preactivations[name],
                    arrays[f"layer{k}_pre_{name}"],
                    rtol=0,
                    atol=tolerance,
                    err_msg=f"layer {k} {name} pre-activation",
                )
                compared += 1
    assert meta["kind"] == "rnn" or compared == len(GATE_NAMES[meta["kind"]]) * len(traces)
