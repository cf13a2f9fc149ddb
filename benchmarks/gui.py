"""Measure how the desktop app feels: step, retype, start-up and long-text numbers, printed as one JSON object.

Run:  .venv/bin/python benchmarks/gui.py [--steps 300]

Offscreen Qt, the whole main window at 1400x900, a 256-unit word-level LSTM, a 60-token text, tweening off (each
step is one repaint). A step is timed from session.set_step to the end of the event-loop pass that paints it.
Targets (issue 4): step median < 8 ms, p95 < 16 ms; retype < 50 ms; cold start < 2 s;
5,000-token text: step p95 < 16 ms and RSS < 1 GB.
Cell diagram (issue 5): with the cell view in front, one animation frame (a phase change or a step of the values
travelling along the wires, then the repaint) median and p95 < 16 ms, i.e. at least 60 frames/s.
Imported model (issue 15, keys "large_*"; --case large for this case alone): a 2-layer bidirectional LSTM of 512
units per direction (benchmarks/imported_model.py) on a 5,000-token text: the file loads in < 2 s, the run takes
<= 1.3x the recurrent mat-vec floor and happens off the GUI thread (stepping and typing stay responsive, the busy
sign appears, a newer text cancels the older run), step p95 < 16 ms, RSS < 1.5 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

WORDS = (
    "the plot was dull but ending wonderful acting great not good bad service food slow friendly room clean "
    "staff rude book story characters boring loved hated would recommend again never waste money . , !"
).split()


def benchmark_model(units: int = 256, embedding: int = 64, seed: int = 0):
    """A word-level LSTM with random weights of the benchmark's size (speed does not depend on training)."""
    from gatescope.engine import layer_from_state_dict
    from gatescope.model.model import Head, Model
    from gatescope.model.tokenize import Vocabulary, WordTokenizer

    rng = np.random.default_rng(seed)
    vocabulary = Vocabulary(["<unk>", *dict.fromkeys(WORDS)])
    arrays = {
        "weight_ih_l0": rng.normal(0, 0.3, (4 * units, embedding)),
        "weight_hh_l0": rng.normal(0, 0.1, (4 * units, units)),
        "bias_ih_l0": rng.normal(0, 0.2, 4 * units),
        "bias_hh_l0": np.zeros(4 * units),
    }
    layer = layer_from_state_dict(arrays, 0, "lstm", bidirectional=False)
    head = Head(
        rng.normal(0, 0.3, (2, units)).astype(np.float32), np.zeros(2, np.float32), labels=["negative", "positive"]
    )
    return Model(
        [layer],
        WordTokenizer(),
        vocabulary,
        rng.normal(0, 1, (len(vocabulary), embedding)),
        head,
        name="benchmark-lstm-256",
    )


def text_of(tokens: int, seed: int) -> str:
    return " ".join(np.random.default_rng(seed).choice(WORDS, tokens))


def rss_mb(field: str = "VmRSS") -> float:
    """This process's resident memory in MB (``field="VmHWM"``: its peak so far)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def shown_window(app, session):
    """The main window on ``session`` at 1400x900, shown and painted, tweening off (each step is one repaint)."""
    from gatescope.ui.window.main_window import MainWindow

    window = MainWindow(session, settings=None)
    window.stage.tweener.set_duration_ms(0)
    window.resize(1400, 900)
    window.show()
    for _ in range(3):
        app.processEvents()
    return window


def time_steps(app, session, steps: list[int]) -> np.ndarray:
    times = []
    for step in steps:
        started = time.perf_counter()
        session.set_step(step)
        app.processEvents()
        times.append((time.perf_counter() - started) * 1000)
    return np.array(times)


def time_cell_frames(app, session, frames: int, per_phase: int = 8) -> np.ndarray:
    """Frames of the phase animation: each phase starts (progress 0), then its values travel in ``per_phase`` steps."""
    times = []
    session.set_step(10, phase=0)
    app.processEvents()
    while len(times) < frames:
        started = time.perf_counter()
        if not session.next_phase():
            session.set_step(10, phase=0)
        session.set_phase_progress(0.0)
        app.processEvents()
        times.append((time.perf_counter() - started) * 1000)
        for k in range(1, per_phase + 1):
            started = time.perf_counter()
            session.set_phase_progress(k / per_phase)
            app.processEvents()
            times.append((time.perf_counter() - started) * 1000)
    return np.array(times[:frames])


def startup_seconds() -> float:
    """Cold start of a fresh process until the main window has painted once (built-in default model)."""
    child = (
        "import time, os; os.environ.setdefault('QT_QPA_PLATFORM', 'offscreen')\n"
        "from gatescope.ui.application import application\nfrom gatescope.ui.window.app import build_window\n"
        "app = application([]); window = build_window(None, None); window.resize(1400, 900); window.show()\n"
        "app.processEvents(); window.repaint(); print('painted', flush=True)\n"
        "window.close()\n"
    )
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", child],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    elapsed = time.perf_counter() - started
    process.wait(timeout=60)
    if "painted" not in line:
        raise SystemExit("start-up probe failed")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300, help="steps to time in each run")
    parser.add_argument("--case", choices=("all", "small", "large"), default="all", help="which cases to run")
    args = parser.parse_args()
    from gatescope.ui.application import application

    app = application([])
    result = {} if args.case == "large" else small_case(app, args.steps)
    if args.case != "small":
        from gui_large import large_case  # the scale case of issue 15, beside this script

        result.update(large_case(app, args.steps))
    print(json.dumps(result))


def small_case(app, step_count: int) -> dict[str, object]:
    """The 256-unit model on 60 and 5,000 tokens, the cell diagram, retyping and start-up."""
    from gatescope.ui.session import SessionModel

    startup = min(startup_seconds() for _ in range(3))
    session = SessionModel(benchmark_model(), text_of(60, 1))
    window = shown_window(app, session)
    rng = np.random.default_rng(2)
    sequential = [(k + 1) % 60 for k in range(step_count)]
    time_steps(app, session, sequential[:30])  # warm-up
    step_times = time_steps(app, session, sequential)
    jump_times = time_steps(app, session, [int(k) for k in rng.integers(0, 60, step_count)])

    window.stage.phase_tweener.set_duration_ms(0)  # the benchmark drives the phase progress itself
    window.stage.show_central_view("cell")
    for _ in range(3):
        app.processEvents()
    time_cell_frames(app, session, 30)  # warm-up
    cell_frames = time_cell_frames(app, session, step_count)
    window.stage.show_central_view("heatmaps")
    app.processEvents()

    retype = []
    for seed in range(20):
        started = time.perf_counter()
        session.set_text(text_of(60, 100 + seed))
        app.processEvents()
        retype.append((time.perf_counter() - started) * 1000)

    session.set_text(text_of(5000, 7))
    session.wait()  # 5,000 tokens run in the worker
    app.processEvents()
    long_steps = time_steps(app, session, [2500 + k for k in range(step_count)])
    long_jumps = time_steps(app, session, [int(k) for k in rng.integers(0, 5000, 50)])
    long_rss = rss_mb()
    window.close()

    result = {
        "step_ms_median": round(float(np.median(step_times)), 2),
        "step_ms_p95": round(float(np.percentile(step_times, 95)), 2),
        "jump_ms_median": round(float(np.median(jump_times)), 2),
        "retype_ms": round(float(np.median(retype)), 2),
        "startup_s": round(startup, 3),
        "long_text_step_ms_p95": round(float(np.percentile(long_steps, 95)), 2),
        "long_text_jump_ms_median": round(float(np.median(long_jumps)), 2),
        "long_text_rss_mb": round(long_rss, 1),
        "cell_frame_ms_median": round(float(np.median(cell_frames)), 2),
        "cell_frame_ms_p95": round(float(np.percentile(cell_frames, 95)), 2),
        "units": 256,
        "tokens": 60,
        "window": "1400x900 offscreen",
    }
    return result


if __name__ == "__main__":
    main()
