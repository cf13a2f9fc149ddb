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

This file only lists the fixtures and writes them; the cases live beside it
(imported from ``scripts/``, which is on sys.path when the script is run):

* ``reference_torch.py`` -- the nn.LSTM / nn.GRU / nn.RNN cases and the
  state-dict files;
* ``reference_onnx.py`` -- the ONNX LSTM / GRU cases (one-node models run by
  ``onnx.reference``, converted to PyTorch layout);
* ``reference_traces.py`` -- what both share: sizes, dtypes, random inputs,
  per-step traces and the fixture's meta and arrays;
* ``fixture_io.py`` -- seeds, meta bytes, --check and writing, shared with
  ``make_gradient_fixtures.py``.

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

import sys
from pathlib import Path

import numpy as np
import onnx
import torch
from fixture_io import emit, parse_check, summarize  # scripts/ is on sys.path when run directly
from reference_onnx import ONNX_CASES, onnx_case
from reference_torch import STATE_DICT_CASES, TORCH_CASES, state_dict_case, torch_case
from reference_traces import DTYPES

ROOT = Path(__file__).resolve().parents[1]
ENGINE_DIR = ROOT / "tests" / "engine" / "fixtures"
MODEL_DIR = ROOT / "tests" / "model" / "fixtures"


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
    check = parse_check(__doc__, argv)
    torch.set_num_threads(1)
    report: list = []
    for path, arrays, exact in generate():
        emit(path, arrays, check, report, exact_savez=exact)
    return summarize(report, ROOT, f"torch {torch.__version__}, onnx {onnx.__version__}, numpy {np.__version__}")


if __name__ == "__main__":
    sys.exit(main())
