"""Fixtures of the model tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.helpers import make_model, read_arrays


@pytest.fixture
def reference_arrays(tmp_path: Path) -> dict[str, np.ndarray]:
    """Arrays of a saved 2-layer character LSTM: 3 units, 4-wide embedding of 9 tokens, 2-label head."""
    path = tmp_path / "reference.npz"
    make_model("lstm", layers=2).save(path)
    return read_arrays(path)
