"""gui.py's scale case (issue 15): an imported 2-layer bidirectional LSTM, 512 units per direction, 5,000 tokens.

Keys (all prefixed "large_"):
- load_native_s, load_state_dict_s: gatescope.load_model of the native .npz and of the module's state_dict .npz
  (fastest of three; the file in the page cache).
- run_s, floor_s, run_over_floor: Model.run on the main thread against the recurrent mat-vec floor of the whole
  stack (benchmarks/engine.py's ``recurrent_floor``, one per direction and layer), median of alternating repeats.
- fresh_memory_ms_per_mb: first writes to memory the process never had, per MB, over writing it again (a trace
  and the engine's scratch are about 800 MB of fresh arrays a run here).
- worker_run_s: from session.set_text to the trace installed, the run in the worker, the event loop spinning.
- stall_ms_max: the longest event-loop pass while that run computes (what a key press or a step waits at most);
  install_ms: the pass that installs the new trace in every view and paints it (on the GUI thread, once a run).
- step_ms_p95_during_run: steps (with the views repainting) while a run computes.
- busy_sign_shown: the status bar's "Running 5,000 tokens…" appeared during the run, and went after.
- key_ms_p95 / key_ms_max: a key typed into the text box while a run computes, until its pass of the event loop is
  done; key_ms_p95_idle: the same with nothing running (a 5,000-word text box relays out its paragraph per key).
- newer_text_s: typing during a run ends in a newer text; from its commit to its trace installed (the older run
  cancelled at its next checkpoint, then the newer one's whole run).
- step_ms_median / step_ms_p95 / jump_ms_median: stepping the 5,000-token trace afterwards, heatmaps in front.
- rss_mb (after), peak_rss_mb (VmHWM, the whole run, two traces alive while the newer text ran).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from engine import recurrent_floor
from gui import rss_mb, shown_window, text_of, time_steps
from imported_model import load_seconds, state_dict, write_files

TOKENS = 5000


def fresh_memory_ms_per_mb(megabytes: int = 200) -> float:
    """What writing memory the process never had costs, per MB: a trace is mostly fresh arrays, and where first
    touches are slow (virtual machines that hand memory back to their host) that shows in the run's time."""
    started = time.perf_counter()
    block = np.empty(megabytes * 2**18, np.float32)
    block.fill(1.0)
    elapsed = time.perf_counter() - started
    started = time.perf_counter()
    block.fill(2.0)  # the same pages again: the write alone
    return (elapsed - (time.perf_counter() - started)) * 1000 / megabytes


def run_against_floor(model, text: str, repeats: int = 3) -> tuple[float, float]:
    """Median seconds of Model.run(text) and of the stack's recurrent products alone, alternating."""
    weights = state_dict()
    layers_and_directions = sum(len(layer.directions) for layer in model.layers)
    floor = recurrent_floor(weights["weight_hh_l0"], TOKENS)  # every layer's W_hh has this shape
    runs, floors = [], []
    for _ in range(repeats):
        started = time.perf_counter()
        for _ in range(layers_and_directions):
            floor()
        floors.append(time.perf_counter() - started)
        started = time.perf_counter()
        trace = model.run(text)
        runs.append(time.perf_counter() - started)
        del trace
    return statistics.median(runs), statistics.median(floors)


def spin_until_idle(app, window, on_pass=None) -> tuple[float, list[float], bool]:
    """Spin the event loop while the window's run computes: seconds taken, each pass's ms (the last one installs
    the trace and paints it), busy sign seen."""
    started, passes, seen = time.perf_counter(), [], False
    while window.session.busy:
        began = time.perf_counter()
        if on_pass is not None:
            on_pass()
        app.processEvents()
        if not window.session.busy:
            app.processEvents()  # the paint of the new trace
        passes.append((time.perf_counter() - began) * 1000)
        seen = seen or window.run_indicator.isVisible()
        time.sleep(0.002)
    return time.perf_counter() - started, passes, seen


def large_case(app, step_count: int) -> dict[str, object]:
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QTextCursor
    from PySide6.QtTest import QTest

    import gatescope
    from gatescope.ui.session import SessionModel

    with tempfile.TemporaryDirectory(prefix="gatescope-scale-") as folder:
        files = write_files(Path(folder))
        load_native = load_seconds(files["native"])
        load_state_dict = load_seconds(files["state_dict"])
        model = gatescope.load_model(files["native"])
    text = text_of(TOKENS, 7)
    run_s, floor_s = run_against_floor(model, text)
    fresh_ms = fresh_memory_ms_per_mb()

    session = SessionModel(model, "the plot was dull")
    window = shown_window(app, session)

    session.set_text(text)  # 5,000 tokens: the worker
    worker_run_s, passes, sign_seen = spin_until_idle(app, window)
    assert session.steps == TOKENS, "the run did not arrive"
    sign_gone = not window.run_indicator.isVisible()

    # Stepping while another text runs: every 50 ms a step, the views repainting.
    session.set_text(text_of(TOKENS, 8))
    during: list[float] = []
    last = [time.perf_counter()]

    def step_now_and_then():
        if time.perf_counter() - last[0] > 0.05:
            during.extend(time_steps(app, session, [(session.step + 1) % TOKENS]))
            last[0] = time.perf_counter()

    spin_until_idle(app, window, step_now_and_then)

    editor = window.stage.text_input
    editor.moveCursor(QTextCursor.MoveOperation.End)

    def type_keys(characters: str) -> list[float]:
        """ms per key typed at the end of the text box, 50 ms apart (inside the debounce: no run starts)."""
        times = []
        for character in characters:
            began = time.perf_counter()
            QTest.keyClick(editor, character)
            app.processEvents()
            times.append((time.perf_counter() - began) * 1000)
            time.sleep(0.05)
        return times

    keys_idle = type_keys(" good")  # nothing running: what a key costs in a 5,000-word text box
    QTest.keyClick(editor, Qt.Key.Key_Escape)
    for _ in range(5):
        QTest.keyClick(editor, Qt.Key.Key_Backspace)
    editor.commit()  # back to the shown text: nothing runs
    assert not session.busy

    # Typing while a run computes: keys into the text box; after the debounce the newer text cancels the older run.
    session.set_text(text_of(TOKENS, 9))
    editor.moveCursor(QTextCursor.MoveOperation.End)
    keys = type_keys(" great")
    QTest.keyClick(editor, Qt.Key.Key_Return)  # commit now: the newer text
    committed = time.perf_counter()
    spin_until_idle(app, window)
    newer_text_s = time.perf_counter() - committed
    assert session.steps == TOKENS + 1, "the newer text did not win"

    window.stage.show_central_view("heatmaps")
    app.processEvents()
    time_steps(app, session, [2000 + k for k in range(30)])  # warm-up
    steps = time_steps(app, session, [2500 + k for k in range(step_count)])
    jumps = time_steps(app, session, [int(k) for k in np.random.default_rng(3).integers(0, TOKENS, 50)])
    rss, peak = rss_mb(), rss_mb("VmHWM")
    window.close()
    app.processEvents()
    return {
        "large_load_native_s": round(load_native, 3),
        "large_load_state_dict_s": round(load_state_dict, 3),
        "large_run_s": round(run_s, 3),
        "large_floor_s": round(floor_s, 3),
        "large_run_over_floor": round(run_s / floor_s, 2),
        "large_fresh_memory_ms_per_mb": round(fresh_ms, 2),
        "large_worker_run_s": round(worker_run_s, 3),
        "large_stall_ms_max": round(max(passes[:-1]), 1),
        "large_install_ms": round(passes[-1], 1),
        "large_step_ms_p95_during_run": round(float(np.percentile(during, 95)), 2) if during else None,
        "large_busy_sign_shown": bool(sign_seen and sign_gone),
        "large_key_ms_p95": round(float(np.percentile(keys, 95)), 2),
        "large_key_ms_max": round(max(keys), 2),
        "large_key_ms_p95_idle": round(float(np.percentile(keys_idle, 95)), 2),
        "large_newer_text_s": round(newer_text_s, 3),
        "large_step_ms_median": round(float(np.median(steps)), 2),
        "large_step_ms_p95": round(float(np.percentile(steps, 95)), 2),
        "large_jump_ms_median": round(float(np.median(jumps)), 2),
        "large_rss_mb": round(rss, 1),
        "large_peak_rss_mb": round(peak, 1),
        "large_model": f"2-layer bidirectional LSTM, {model.units} units per direction, embedding 64",
        "large_tokens": TOKENS,
    }
