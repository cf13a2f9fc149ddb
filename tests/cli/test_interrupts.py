"""Stopping signals during `gatescope export` and `gatescope gui --screenshot`, sent to real processes: the work stops
between frames, removes its temporary output, says one line and exits 128 + the signal's number (130 for Ctrl-C,
143 for SIGTERM, 129 for SIGHUP); no ffmpeg outlives it. A run killed outright leaves recognisable temporary files,
which the next export into the same folder removes."""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gatescope.atomic import PREFIX, host_tag
from tests.helpers import listing

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc and sends POSIX signals"),
]

LONG_TEXT = "the plot was dull but the ending was wonderful and not at all what I feared"
WAIT = 120  # seconds: a bound on waiting for a slow machine, never a measurement
ENV = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}


def start_export(folder: Path, fmt: str, out: str, *extra: str) -> subprocess.Popen:
    """`gatescope export` in a session of its own, as a terminal job: hundreds of frames, far more than the test
    lets it write."""
    command = [sys.executable, "-m", "gatescope", "export", "--model", "lstm-sentiment", "--text", LONG_TEXT]
    command += ["--format", fmt, "--out", out, "--tween", "40", "--size", "320x180", *extra]
    return subprocess.Popen(
        command, cwd=folder, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )


def wait_for_temporary_output(folder: Path, process: subprocess.Popen) -> str:
    """The hidden temporary file or folder of the export, once the writer has made it (the frames are coming)."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        hidden = [name for name in listing(folder) if name.startswith(".")]
        if hidden:
            return hidden[0]
        assert process.poll() is None, f"the export ended first: {process.communicate()}"
        time.sleep(0.01)
    raise AssertionError("no temporary output appeared")


def processes_mentioning(text: str) -> dict[int, str]:
    """Live or zombie processes whose command line mentions ``text``, with their state letter."""
    found = {}
    for entry in os.listdir("/proc"):
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().decode("utf-8", "replace")
            state = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if entry.isdigit() and text in cmdline:
            found[int(entry)] = state
    return found


def wait_for_ffmpeg(folder: Path) -> int:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        found = processes_mentioning(str(folder))
        if found:
            return next(iter(found))
        time.sleep(0.01)
    raise AssertionError("ffmpeg did not start")


def process_is_gone(pid: int) -> bool:
    """Neither running nor a zombie waiting to be reaped."""
    return not Path(f"/proc/{pid}").exists()


@pytest.mark.parametrize(
    "fmt, name, code, words",
    [
        ("png", "INT", 130, "interrupted"),
        ("gif", "INT", 130, "interrupted"),
        ("mp4", "INT", 130, "interrupted"),
        ("mp4", "TERM", 143, "terminated (SIGTERM)"),
        ("gif", "HUP", 129, "hung up (SIGHUP)"),
    ],
)
def test_a_stopping_signal_ends_the_export_with_one_line_its_exit_code_and_nothing_left(
    tmp_path: Path, fmt: str, name: str, code: int, words: str
):
    (tmp_path / "notes.txt").write_text("keep me")
    process = start_export(tmp_path, fmt, f"clip.{fmt}")
    wait_for_temporary_output(tmp_path, process)
    ffmpeg = wait_for_ffmpeg(tmp_path) if fmt == "mp4" else None

    number = getattr(signal, f"SIG{name}")
    if name == "TERM":
        process.send_signal(number)  # as `kill` does: gatescope alone
    else:
        os.killpg(process.pid, number)  # as a terminal's Ctrl-C or hang-up does: the whole foreground job
    stdout, stderr = process.communicate(timeout=WAIT)

    assert process.returncode == code, stderr
    assert stderr == f"gatescope: {words}; nothing was written\n"
    assert stdout == ""
    assert listing(tmp_path) == ["notes.txt"]
    if ffmpeg is not None:
        assert process_is_gone(ffmpeg), f"ffmpeg {ffmpeg} is still there: {processes_mentioning(str(tmp_path))}"


QT_SLOT_SENDS_SIGINT = """
import os, signal, sys
from PySide6.QtCore import QTimer
from gatescope.cli import main
from gatescope.ui.application import headless_application

app = headless_application()
# The signal arrives while Qt runs a Python slot: the moment a KeyboardInterrupt used to be printed and dropped.
QTimer.singleShot(0, lambda: os.kill(os.getpid(), signal.SIGINT))
sys.exit(main(sys.argv[1:]))
"""


def run_python(folder: Path, *arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *arguments], capture_output=True, text=True, cwd=folder, env=ENV, timeout=WAIT
    )


@pytest.mark.parametrize(
    "argv",
    [
        ["export", "--model", "bracket-counter", "--text", "(a)", "--format", "gif", "--out", "a.gif"],
        ["gui", "--screenshot", "window.png", "--model", "bracket-counter", "--size", "640x480"],
    ],
)
def test_ctrl_c_inside_a_qt_slot_is_not_swallowed(tmp_path: Path, argv: list[str]):
    result = run_python(tmp_path, "-c", QT_SLOT_SENDS_SIGINT, *argv)
    assert result.returncode == 130, result.stderr
    assert result.stderr == "gatescope: interrupted; nothing was written\n"
    assert result.stdout == "" and listing(tmp_path) == []


def test_a_killed_exports_leftovers_go_with_the_next_export_into_the_folder(tmp_path: Path):
    process = start_export(tmp_path, "gif", "a.gif")
    leftover = wait_for_temporary_output(tmp_path, process)
    process.kill()  # SIGKILL: no chance to clean up
    process.communicate(timeout=WAIT)
    assert leftover.startswith(f"{PREFIX}{process.pid}-{host_tag()}-") and leftover.endswith(".a.gif.tmp")
    live = f"{PREFIX}{os.getpid()}-{host_tag()}-abcd1234.b.gif.tmp"  # this process is alive: its file stays
    elsewhere = f"{PREFIX}1-anotherhost-abcd1234.b.gif.tmp"  # another machine's: not ours to judge
    stranger = ".a.gif.k2j4h5g6.tmp"  # not the pattern
    for name in (live, elsewhere, stranger, "notes.txt"):
        (tmp_path / name).write_text("keep me")

    export = ["-m", "gatescope", "export", "--model", "bracket-counter", "--text", "(a)"]
    result = run_python(tmp_path, *export, "--format", "gif", "--out", "b.gif")

    assert result.returncode == 0, result.stderr
    assert listing(tmp_path) == sorted([elsewhere, live, stranger, "b.gif", "notes.txt"])


def read_until(process: subprocess.Popen, text: str) -> str:
    """Read the process's stderr until a line holding ``text``; everything read so far."""
    assert process.stderr is not None
    seen = ""
    with selectors.DefaultSelector() as selector:
        selector.register(process.stderr, selectors.EVENT_READ)
        deadline = time.monotonic() + WAIT
        while text not in seen:
            assert time.monotonic() < deadline and process.poll() is None, seen
            if selector.select(timeout=1):
                seen += process.stderr.readline()
    return seen


@pytest.mark.parametrize("name, code, words", [("INT", 130, "interrupted"), ("TERM", 143, "terminated (SIGTERM)")])
def test_a_stopping_signal_closes_the_idle_app_as_its_close_button_would(
    tmp_path: Path, name: str, code: int, words: str
):
    home = {name: str(tmp_path) for name in ("HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME")}
    process = subprocess.Popen(
        [sys.executable, "-m", "gatescope", "gui", "--model", "bracket-counter", "--text", "(ab)"],
        cwd=tmp_path,
        env={**ENV, **home},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        # The offscreen platform says this when the window is shown; then the app waits for events.
        read_until(process, "propagateSizeHints")
        os.killpg(process.pid, getattr(signal, f"SIG{name}"))
        stdout, stderr = process.communicate(timeout=WAIT)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == code, stderr
    assert stderr.splitlines()[-1] == f"gatescope: {words}"
    assert "Traceback" not in stderr
    settings = (tmp_path / "gatescope" / "gatescope.conf").read_text()
    assert "text=(ab)" in settings  # the main window closed the ordinary way and saved its preferences
