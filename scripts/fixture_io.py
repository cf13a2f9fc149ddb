"""Helpers shared by the fixture generators (make_reference_fixtures.py, make_gradient_fixtures.py): seeds, meta,
the --check option, and comparing or writing the .npz files."""

from __future__ import annotations

import argparse
import json
import sys
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


def parse_check(doc: str, argv: list[str] | None = None) -> bool:
    """The generators' one option, --check: regenerate in memory and compare with the files on disk."""
    ap = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    ap.add_argument(
        "--check", action="store_true", help="regenerate in memory and compare with the files on disk; write nothing"
    )
    return ap.parse_args(argv).check


def emit(path: Path, arrays: dict, check: bool, report: list, *, exact_savez: bool = False) -> None:
    """Compare (``check``) or write one fixture, noting (path, ok / DIFFERS / unchanged / written) in ``report``.

    Only finite numeric arrays are allowed. ``exact_savez`` writes with np.savez, as a user saves a state dict;
    otherwise np.savez_compressed. A file whose arrays are bitwise unchanged is not rewritten.
    """
    arrays = {k: np.ascontiguousarray(v) for k, v in arrays.items()}
    for k, v in arrays.items():
        if v.dtype.hasobject or v.dtype.kind not in "fiub":
            raise TypeError(f"{path.name}: {k} is not a plain numeric array ({v.dtype})")
        if not np.all(np.isfinite(v)):
            raise ValueError(f"{path.name}: {k} has non-finite values")
    unchanged = same_arrays(path, arrays)
    if check or unchanged:
        report.append((path, ("ok" if unchanged else "DIFFERS") if check else "unchanged"))
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    (np.savez if exact_savez else np.savez_compressed)(path, **arrays)
    if not same_arrays(path, arrays):
        raise RuntimeError(f"{path}: does not round-trip through np.load(allow_pickle=False)")
    report.append((path, "written"))


def summarize(report: list, root: Path, versions: str) -> int:
    """Print each file's status and size and a total line; the exit code, 1 when any file differs."""
    total = bad = 0
    for path, status in report:
        size = path.stat().st_size if path.exists() else 0
        total += size
        bad += status == "DIFFERS"
        print(f"{status:9s} {size:7d}  {path.relative_to(root)}")
    print(f"{len(report)} files, {total} bytes; {versions}")
    if bad:
        print(f"{bad} file(s) differ from a fresh generation", file=sys.stderr)
        return 1
    return 0
