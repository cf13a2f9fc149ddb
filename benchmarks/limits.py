"""Time and peak memory of the hostile and impatient inputs of issue 14, each run as a ``gatescope`` command.

Run:  .venv/bin/python benchmarks/limits.py [--source CHECKOUT] [--only NAME ...] [--repeat N]

Each case runs in a fresh process under an address-space limit (``--limit-gb``, default 6), so that an old checkout
that inflates or allocates what it should refuse fails with MemoryError instead of taking the machine's memory.
``peak_mb`` is the largest sum of the resident memory of the command and its children (ffmpeg) sampled every 20 ms;
``seconds`` is the wall time. ``--source`` runs another checkout's ``gatescope`` package with this interpreter (e.g.
an export of the commit before the fix: ``git archive fb4b0c7 | tar -x -C /tmp/before``), for before/after figures.
The hostile files are built by ``tests/hostile_files.py`` in a temporary folder.

Cases: ``bomb-extra`` a gatescope model plus a 2 GB zero-filled member deflated to 2 MB; ``bomb-torch`` the same
beside a PyTorch state_dict; ``bomb-needed`` a model whose embedding member declares 2 GB; ``bomb-window`` the app's
main window (offscreen) opening ``bomb-extra`` as File → Open does, its stderr saying how long the window froze;
``npy-header`` ``--array`` with a header claiming (10^6, 10^6) float32; ``units`` ``--units 0-99999999``;
``export-huge`` ``--size 8000x8000 --scale 4``; ``csv``, ``json``, ``csv-out``, ``json-out`` a 100,000-character
text as CSV or JSON on standard output or to a file.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.hostile_files import npz_with_bomb, write_npy_header_only  # noqa: E402

TEXT_CHARACTERS = 100_000
MODEL = "lstm-brackets"
#: The app's main window, offscreen, opening a file as File → Open does; prints how long the window was frozen.
WINDOW_OPENS = """
import sys, time
from PySide6.QtWidgets import QMessageBox
import gatescope
from gatescope.ui.application import headless_application
from gatescope.ui.session import SessionModel
from gatescope.ui.window.main_window import MainWindow
app = headless_application()
said = []
QMessageBox.warning = lambda parent, title, text: said.append(text)
window = MainWindow(SessionModel(gatescope.load_model({model!r}), "(a)"), settings=None)
window.show()
app.processEvents()
started = time.perf_counter()
window.load_model({path!r})
frozen = time.perf_counter() - started
message = " ".join(said[0].split())[:100] if said else "nothing"
print(f"window froze {{frozen * 1000:.0f}} ms; said: {{message}}", file=sys.stderr)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=ROOT, help="checkout whose gatescope package runs")
    parser.add_argument("--only", nargs="*", help="run only these cases")
    parser.add_argument("--repeat", type=int, default=1, help="runs per case (each line is one run)")
    parser.add_argument("--limit-gb", type=float, default=6.0, help="address-space limit of each command")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        cases = build_cases(Path(folder))
        print(f"{'case':<12} {'exit':>4} {'seconds':>8} {'peak_mb':>8}  last line of stderr")
        for name, argv in cases.items():
            if args.only and name not in args.only:
                continue
            for _ in range(args.repeat):
                code, seconds, peak, said = measure(argv, args.source, int(args.limit_gb * 1e9), Path(folder))
                print(f"{name:<12} {code:>4} {seconds:>8.2f} {peak:>8.0f}  {said[:150]}", flush=True)


def build_cases(folder: Path) -> dict[str, list[str]]:
    """Every case's arguments to ``python -m gatescope`` (or to ``python -c``), its hostile files made in ``folder``."""
    from gatescope.model.zoo import model_path
    from tests.helpers import make_model

    model_file = model_path(MODEL)
    assert model_file is not None
    bomb = npz_with_bomb(model_file, folder / "bomb.npz")
    torch_file = folder / "state_dict.npz"
    make_model("lstm", text=False, head=False).save(folder / "native.npz")
    _state_dict_of(folder / "native.npz", torch_file)
    torch_bomb = npz_with_bomb(torch_file, folder / "torch-bomb.npz")
    needed = npz_with_bomb(
        _without(model_file, "embedding", folder / "no-embedding.npz"), folder / "needed.npz", "embedding"
    )
    header = write_npy_header_only(folder / "huge.npy", (10**6, 10**6))
    text = ("(ab(cd)ef) gh((ij)k) " * (TEXT_CHARACTERS // 20 + 1))[:TEXT_CHARACTERS]
    out = folder / "out"
    return {
        "bomb-extra": ["trace", str(bomb), "(a)"],
        "bomb-torch": ["trace", str(torch_bomb), "--array", str(_array(folder))],
        "bomb-needed": ["trace", str(needed), "(a)"],
        "bomb-window": ["-c", WINDOW_OPENS.format(model=MODEL, path=str(bomb))],
        "npy-header": ["trace", MODEL, "--array", str(header)],
        "units": ["trace", MODEL, "(a)", "--units", "0-99999999"],
        "export-huge": ["export", "--model", MODEL, "--text", "(a)", "--format", "png", "--size", "8000x8000",
                        "--scale", "4", "--out", str(out / "frames"), "--force"],
        "csv": ["trace", MODEL, text, "--format", "csv"],
        "json": ["trace", MODEL, text, "--format", "json"],
        "csv-out": ["trace", MODEL, text, "--format", "csv", "--out", str(out / "t.csv"), "--force"],
        "json-out": ["trace", MODEL, text, "--format", "json", "--out", str(out / "t.json"), "--force"],
    }  # fmt: skip


def measure(argv: list[str], source: Path, limit: int, folder: Path) -> tuple[int, float, float, str]:
    """(exit code, seconds, peak resident MB of the process tree, last stderr line) of one command."""
    (folder / "out").mkdir(exist_ok=True)
    command = [sys.executable, *(argv if argv[0] == "-c" else ["-m", "gatescope", *argv])]
    env = {**os.environ, "PYTHONPATH": str(source), "QT_QPA_PLATFORM": "offscreen"}
    started = time.perf_counter()
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(
            ["prlimit", f"--as={limit}", *command], stdout=subprocess.DEVNULL, stderr=errors, env=env, cwd=folder
        )
        peak = 0
        while process.poll() is None:
            peak = max(peak, tree_rss(process.pid))
            time.sleep(0.02)
        seconds = time.perf_counter() - started
        errors.seek(0)
        lines = errors.read().decode("utf-8", "replace").strip().splitlines()
    return process.returncode, seconds, peak / 1e6, lines[-1] if lines else ""


def tree_rss(root: int) -> int:
    """Resident bytes of ``root`` and all its descendants now (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                parent = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry))
    total, pending = 0, [root]
    while pending:
        pid = pending.pop()
        pending += children.get(pid, [])
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            pass
    return total


def _without(model_file: Path, name: str, path: Path) -> Path:
    """A copy of ``model_file`` without member ``name``.npy."""
    import zipfile

    with zipfile.ZipFile(model_file) as source, zipfile.ZipFile(path, "w") as target:
        for info in source.infolist():
            if info.filename != f"{name}.npy":
                target.writestr(info, source.read(info))
    return path


def _state_dict_of(native_file: Path, path: Path) -> None:
    """The recurrent weights of a native model file saved as a plain PyTorch-style state_dict .npz."""
    import numpy as np

    with np.load(native_file, allow_pickle=False) as arrays:
        np.savez(path, **{name: arrays[name] for name in arrays.files if name != "__gatescope__"})


def _array(folder: Path) -> Path:
    import numpy as np

    path = folder / "x.npy"
    np.save(path, np.ones((3, 4), np.float32))
    return path


if __name__ == "__main__":
    main()
