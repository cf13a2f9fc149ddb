"""`gatescope gui --screenshot`: renders the real main window headless, for the README and for checks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.helpers import glyph_ink, image_array, listing


@pytest.mark.slow
def test_screenshot_command_writes_the_window_as_png(tmp_path: Path):
    target = tmp_path / "window.png"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "gatescope",
            "gui",
            "--screenshot",
            str(target),
            "--model",
            "bracket-counter",
            "--text",
            "(a(b)c) d",
            "--step",
            "3",
            "--size",
            "1200x800",
        ],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(target)
    pixels = image_array(target)
    assert pixels.shape == (800, 1200, 3)
    colours = np.unique(pixels.reshape(-1, 3), axis=0)
    assert len(colours) > 200  # heatmaps, strips and curves, not a blank window


def test_text_renders_as_letter_shapes_not_missing_glyph_boxes(qapp):
    # The font the app's labels, chips and headings use. Without a usable font Qt still lists its alias families
    # (Sans Serif, Serif, Monospace) but draws every letter as the same box, or as nothing.
    from PySide6.QtWidgets import QApplication

    font = QApplication.font()
    box = glyph_ink("\ue000", font)  # a private-use character no font draws: Qt's missing-glyph box
    letters = {letter: glyph_ink(letter, font) for letter in "aegoxIW"}

    for letter, ink in letters.items():
        assert ink.any(), f"{letter!r} draws nothing"
        assert not np.array_equal(ink, box), f"{letter!r} draws the missing-glyph box"
    assert len({ink.tobytes() for ink in letters.values()}) == len(letters)  # each letter its own shape
    rows = {letter: np.flatnonzero(ink.any(axis=1)) for letter, ink in letters.items()}
    columns = {letter: np.flatnonzero(ink.any(axis=0)) for letter, ink in letters.items()}
    assert rows["x"][0] > rows["I"][0]  # a lowercase letter stops at the x-height, below the capitals
    assert rows["g"][-1] > rows["x"][-1]  # "g" descends below the baseline
    assert np.ptp(columns["W"]) > 2 * np.ptp(columns["I"])  # "W" is wide, "I" narrow


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["--step", "99"], "--step 99"),
        (["--size", "big"], "WIDTHxHEIGHT"),
        (["--model", "no-such-model"], "no such built-in model"),
    ],
)
def test_bad_screenshot_arguments_exit_2_with_one_line(tmp_path: Path, capsys, argv, fragment):
    from gatescope.cli import main

    code = main(
        ["gui", "--screenshot", str(tmp_path / "x.png"), "--model", "bracket-counter", *argv]
        if "--model" not in argv
        else ["gui", "--screenshot", str(tmp_path / "x.png"), *argv]
    )
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and fragment in err
    assert not (tmp_path / "x.png").exists()


@pytest.mark.parametrize("text", ["", " \n "])
def test_screenshot_of_a_text_without_tokens_is_refused_not_replaced_by_the_example(tmp_path: Path, capsys, text):
    from gatescope.cli import main

    code = main(["gui", "--screenshot", str(tmp_path / "x.png"), "--model", "lstm-sentiment", "--text", text])

    assert code == 2
    assert capsys.readouterr().err == "gatescope: error: the text has no tokens to read: type a word or a character\n"
    assert not (tmp_path / "x.png").exists()


def test_gui_without_a_display_says_how_to_get_a_screenshot(monkeypatch, capsys):
    from gatescope.cli import main

    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    assert main(["gui"]) == 2
    assert "--screenshot" in capsys.readouterr().err


SCREENSHOT = ["--model", "bracket-counter", "--text", "(a)", "--size", "1200x800"]


def screenshot(capsys, target: Path, *extra: str) -> tuple[int, str]:
    from gatescope.cli import main

    code = main(["gui", "--screenshot", str(target), *SCREENSHOT, *extra])
    return code, capsys.readouterr().err


def test_an_existing_file_is_replaced_only_with_force(tmp_path: Path, capsys):
    target = tmp_path / "window.png"
    target.write_bytes(b"keep me")

    code, err = screenshot(capsys, target)
    assert code == 2 and err.count("\n") == 1 and "--force" in err
    assert target.read_bytes() == b"keep me" and listing(tmp_path) == ["window.png"]

    code, err = screenshot(capsys, target, "--force")
    assert code == 0 and err == ""
    assert image_array(target).shape == (800, 1200, 3) and listing(tmp_path) == ["window.png"]


def test_force_without_screenshot_is_refused(capsys):
    from gatescope.cli import main

    assert main(["gui", "--force"]) == 2
    assert "--force goes with --screenshot" in capsys.readouterr().err


@pytest.fixture
def mount_point(tmp_path: Path):
    """Mount a filesystem on a fresh folder (``mount(options...)``); unmounted after the test. Needs root."""
    mounted: list[Path] = []

    def mount(*options: str) -> Path:
        point = tmp_path / f"mount{len(mounted)}"
        point.mkdir()
        result = subprocess.run(["mount", *options, str(point)], capture_output=True, text=True)
        if result.returncode != 0:
            pytest.skip(f"cannot mount a filesystem here (needs root and a system that allows it): {result.stderr}")
        mounted.append(point)
        return point

    yield mount
    for point in reversed(mounted):
        subprocess.run(["umount", str(point)], check=True)


def test_a_full_disk_keeps_the_old_screenshot_and_exits_2(mount_point, capsys):
    disk = mount_point("-t", "tmpfs", "-o", "size=64k", "tmpfs")
    old = os.urandom(40_000)  # 10 of the disk's 16 blocks: a 1200x800 window does not fit in the rest
    (disk / "window.png").write_bytes(old)

    code, err = screenshot(capsys, disk / "window.png", "--force")
    assert code == 2 and err.count("\n") == 1 and err.startswith("gatescope: error: ")
    assert "No space left on device" in err
    assert (disk / "window.png").read_bytes() == old and listing(disk) == ["window.png"]

    code, err = screenshot(capsys, disk / "new.png")
    assert code == 2 and err.count("\n") == 1 and "No space left on device" in err
    assert listing(disk) == ["window.png"]


def test_a_read_only_folder_keeps_the_old_screenshot_and_exits_2(mount_point, capsys):
    disk = mount_point("-t", "tmpfs", "-o", "size=1m", "tmpfs")
    (disk / "window.png").write_bytes(b"keep me")
    subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)

    code, err = screenshot(capsys, disk / "window.png", "--force")
    assert code == 2 and err.count("\n") == 1 and err.startswith("gatescope: error: ")
    assert (disk / "window.png").read_bytes() == b"keep me" and listing(disk) == ["window.png"]
