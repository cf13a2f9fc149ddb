"""Interrupt `gatescope export` at random moments and tally what happens: clean exits, crashes, swallowed
interrupts, leftover files, ffmpeg processes left running.

    python scripts/interrupt_trials.py --tries 21 --formats png gif mp4 --signal INT [--source DIR]

Each try runs one export in a fresh folder, in its own session (as a terminal job would be): SIGINT and SIGHUP go to
the whole process group, as a terminal's Ctrl-C or hang-up does; SIGTERM goes to gatescope alone, as `kill` does.
The moment is drawn at random between the start and the length of an uninterrupted run. Prints one line per try and
a tally per format; the numbers depend on the machine, so this is a script, not a test. ``--source`` runs the
gatescope package found in DIR instead (e.g. an older commit unpacked with ``git archive``), to compare.

Outcomes: clean (the signal's exit code, one line on stderr, nothing left behind); crashed (killed by SIGSEGV,
SIGABRT or SIGBUS); swallowed (exit 0 with output written after the signal, often after a traceback); left-files;
startup (killed by the signal while Python was still importing gatescope, before its command started and before
any output: for SIGINT, Python's own KeyboardInterrupt traceback); late (the output was complete when the signal
came); hung; other-<exit code>.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

TEXT = "the plot was dull but the ending was wonderful"
EXPECTED_CODE = {"INT": 130, "TERM": 143, "HUP": 129}


def export_command(fmt: str, out: str, tween: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "gatescope",
        "export",
        "--model",
        "lstm-sentiment",
        "--text",
        TEXT,
        "--format",
        fmt,
        "--out",
        out,
        "--tween",
        str(tween),
    ]


def processes_mentioning(text: str) -> list[int]:
    """Ids of live processes whose command line contains ``text`` (an ffmpeg writing into a try's folder)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                cmdline = handle.read().decode("utf-8", "replace")
            with open(f"/proc/{entry}/stat") as handle:
                state = handle.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if text in cmdline and state != "Z":
            found.append(int(entry))
    return found


def one_try(fmt: str, delay: float, signame: str, tween: int, env: dict[str, str]) -> dict:
    with tempfile.TemporaryDirectory(prefix="gatescope-interrupt-") as folder:
        out = f"out.{fmt}"
        process = subprocess.Popen(
            export_command(fmt, out, tween),
            cwd=folder,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        time.sleep(delay)
        sent_at = time.time()
        number = getattr(signal, f"SIG{signame}")
        try:
            if signame == "TERM":
                process.send_signal(number)
            else:
                os.killpg(process.pid, number)
        except ProcessLookupError:
            pass
        try:
            stdout, stderr = process.communicate(timeout=120)
            hung = False
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            stdout, stderr = process.communicate()
            hung = True
        time.sleep(0.2)
        stray = processes_mentioning(folder)
        for pid in stray:
            os.kill(pid, signal.SIGKILL)
        names = sorted(os.listdir(folder))
        output = Path(folder, out)
        written = [output, *(output.iterdir() if output.is_dir() else [])] if output.exists() else []
        last_write = max((path.stat().st_mtime for path in written), default=0.0)
        left = [name for name in names if name != out]  # the output itself is there only if the export completed
        return {
            "code": process.returncode,
            "hung": hung,
            "traceback": "Traceback" in stderr,
            "in_main": ", in main\n" in stderr,
            "stderr_lines": stderr.strip().count("\n") + 1 if stderr.strip() else 0,
            "last": stderr.strip().splitlines()[-1] if stderr.strip() else "",
            "left": left,
            "stray": len(stray),
            "out_exists": out in names,
            "written_after_signal": last_write > sent_at,
        }


def classify(result: dict, signame: str) -> str:
    code = result["code"]
    if result["hung"]:
        return "hung"
    if code is not None and code < 0 and -code in (signal.SIGSEGV, signal.SIGABRT, signal.SIGBUS):
        return "crashed"
    if code == 0 and (result["traceback"] or result["written_after_signal"]):
        return "swallowed"
    if result["left"] or result["stray"]:
        return "left-files"
    if code == EXPECTED_CODE[signame] and not result["traceback"] and result["stderr_lines"] == 1:
        return "clean"
    if result["out_exists"] and not result["traceback"]:
        return "late"
    if code == -getattr(signal, f"SIG{signame}") and not result["out_exists"] and not result["in_main"]:
        return "startup"  # the signal's own action (for SIGINT, Python's KeyboardInterrupt) before any output
    return f"other-{code}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tries", type=int, default=20)
    parser.add_argument("--formats", nargs="+", default=["png", "gif", "mp4"])
    parser.add_argument("--signal", choices=sorted(EXPECTED_CODE), default="INT")
    parser.add_argument("--tween", type=int, default=6)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--source", metavar="DIR", help="import gatescope from DIR (PYTHONPATH)")
    args = parser.parse_args()
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    if args.source:
        env["PYTHONPATH"] = os.path.abspath(args.source)
    rng = random.Random(args.seed)
    for fmt in args.formats:
        with tempfile.TemporaryDirectory() as folder:
            started = time.monotonic()
            subprocess.run(export_command(fmt, "x", args.tween), cwd=folder, env=env, capture_output=True, check=True)
            length = time.monotonic() - started
        tally: Counter[str] = Counter()
        leftovers = strays = tracebacks = 0
        codes: Counter[int | None] = Counter()
        for number in range(args.tries):
            delay = rng.uniform(0.05, length)
            result = one_try(fmt, delay, args.signal, args.tween, env)
            kind = classify(result, args.signal)
            tally[kind] += 1
            codes[result["code"]] += 1
            leftovers += bool(result["left"])
            strays += bool(result["stray"])
            tracebacks += result["traceback"]
            print(
                f"{fmt} try {number + 1:2d} at {delay:4.2f}/{length:4.2f} s: {kind:9s} exit {result['code']}, "
                f"left {result['left']}, stray ffmpeg {result['stray']}, last line: {result['last'][:90]!r}",
                flush=True,
            )
        print(
            f"== {fmt} SIG{args.signal}, {args.tries} tries: {dict(tally)}; exit codes {dict(codes)}; "
            f"tries leaving files {leftovers}; with a traceback {tracebacks}; leaving ffmpeg running {strays}",
            flush=True,
        )


if __name__ == "__main__":
    main()
