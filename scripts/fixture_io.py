"""Helpers shared by the fixture generators (make_reference_fixtures.py, make_gradient_fixtures.py)."""

from __future__ import annotations

import json
import zlib
from pathlib import Path

import numpy as np


def case_seed(name: str) -> int:
    """A stable seed per case name, so one case can change without reseeding the others."""
    return zlib.crc32(name.encode("utf-8"))


def meta_array(meta: dict) -> np.ndarray:
    """JSON metadata as uint8 bytes, loadable with allow_pickle=False."""
    return np.frombuffer(json.dumps(meta, sort_keys=True).encode("utf-8"), dtype=np.uint8).copy()


def sfx(d: int) -> str:
    """PyTorch's parameter-name suffix for direction d (0 forward, 1 reverse)."""
    return "_reverse" if d == 1 else ""


def kind_meta(kind: str, *, peepholes: bool, gru_convention: str, nonlinearity: str) -> dict:
    """The meta entry only one kind has: LSTM ``peepholes``, GRU ``gru_convention``, RNN ``nonlinearity``."""
    return {
        "lstm": {"peepholes": peepholes},
        "gru": {"gru_convention": gru_convention},
        "rnn": {"nonlinearity": nonlinearity},
    }[kind]


def same_arrays(path: Path, arrays: dict) -> bool:
    """True when ``path`` already holds exactly these arrays (so an unchanged fixture is not rewritten)."""
    if not path.exists():
        return False
    try:
        with np.load(path, allow_pickle=False) as old:
            if sorted(old.files) != sorted(arrays):
                return False
            for k, v in arrays.items():
                o = old[k]
                if o.dtype != v.dtype or o.shape != v.shape or o.tobytes() != np.ascontiguousarray(v).tobytes():
                    return False
    except Exception:
        return False
    return True
