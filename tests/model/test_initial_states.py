"""Specifications for a model's own initial states (``Model.h0`` / ``Model.c0``, which an ONNX file's initial_h /
initial_c fix): runs start from them unless given others, they are checked against the stack, and gatescope's own file
keeps them."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import gatescope
from gatescope import GatescopeError
from tests.helpers import SENTENCE, make_text_model


def with_states(kind: str = "lstm", **states: np.ndarray | None) -> gatescope.Model:
    return dataclasses.replace(make_text_model(kind, units=3, layers=2, bidirectional=True), **states)


def test_a_run_starts_from_the_models_states_unless_given_others() -> None:
    rng = np.random.default_rng(1)
    h0, c0 = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    model = with_states(h0=h0, c0=c0)
    plain = make_text_model("lstm", units=3, layers=2, bidirectional=True)
    np.testing.assert_array_equal(model.run(SENTENCE).layers[1].h, plain.run(SENTENCE, h0=h0, c0=c0).layers[1].h)
    np.testing.assert_array_equal(model.run(SENTENCE).layers[0].h0, h0[:2].reshape(-1).astype(np.float32))
    zeros = np.zeros((4, 3))
    np.testing.assert_array_equal(model.run(SENTENCE, h0=zeros, c0=zeros).layers[1].h, plain.run(SENTENCE).layers[1].h)


def test_an_lstm_given_only_h0_starts_its_cells_at_zero() -> None:
    model = with_states(h0=np.ones((4, 3)))
    assert model.c0 is not None and not np.any(model.c0) and model.c0.dtype == np.float32
    assert model.h0 is not None and not model.h0.flags.writeable


@pytest.mark.parametrize(
    ("kind", "states", "message"),
    [
        ("lstm", {"h0": np.ones((2, 3))}, r"h0 has shape \(2, 3\); expected \(4, 3\)"),
        ("gru", {"c0": np.ones((4, 3))}, "only LSTM layers have"),
        ("lstm", {"c0": np.full((4, 3), np.nan)}, "c0 contains NaN"),
    ],
)
def test_states_that_do_not_fit_the_stack_are_refused(kind: str, states: dict, message: str) -> None:
    with pytest.raises(GatescopeError, match=message):
        with_states(kind, **states)


def test_gatescopes_own_file_keeps_the_states(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    model = with_states(h0=rng.normal(size=(4, 3)), c0=rng.normal(size=(4, 3)))
    model.save(tmp_path / "stateful.npz")
    saved = gatescope.load_model(tmp_path / "stateful.npz")
    assert saved.h0 is not None and saved.c0 is not None and model.h0 is not None and model.c0 is not None
    np.testing.assert_array_equal(saved.h0, model.h0)
    np.testing.assert_array_equal(saved.c0, model.c0)
    np.testing.assert_array_equal(saved.run(SENTENCE).layers[1].c, model.run(SENTENCE).layers[1].c)


def test_a_model_without_states_writes_none(tmp_path: Path) -> None:
    make_text_model("gru", units=3).save(tmp_path / "plain.npz")
    with np.load(tmp_path / "plain.npz") as saved:
        assert "initial_h" not in saved.files and "initial_c" not in saved.files


def test_opening_a_native_model_imports_no_other_formats_reader_library() -> None:
    """onnx takes about a second to import and h5py a twentieth: only opening such a file may pay for it."""
    probe = (
        "import sys, gatescope\n"
        "gatescope.load_model('tests/model/fixtures/torch_state_dict_gru.npz')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('onnx', 'google', 'h5py', 'safetensors')))\n"
    )
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, "-c", probe], cwd=root, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
