"""Animation export: the app's views offscreen, frame by frame, into every format; the GUI and the command line
make the same frames; cancel and failure leave nothing; bad arguments exit 2."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from gatescope.engine.phases import PHASES
from gatescope.errors import GatescopeError
from gatescope.export import animation
from gatescope.export.animation import ExportCancelled, export_animation
from gatescope.export.settings import AnimationSettings, frame_count, frame_plan
from tests.helpers import SENTENCE, SmallDisk, listing, make_text_model, output_files, read_mp4

SMALL = (320, 180)


@pytest.fixture
def model():
    return make_text_model("lstm", units=8)


@pytest.fixture
def session(qapp, model):
    from gatescope.ui.session import SessionModel

    return SessionModel(model, SENTENCE)


def png_frames(folder: Path) -> list[np.ndarray]:
    return [np.asarray(Image.open(folder / name).convert("RGB")) for name in sorted(os.listdir(folder))]


@pytest.mark.parametrize(
    "by, tween, kind",
    [("token", 0, "lstm"), ("token", 2, "gru"), ("phase", 0, "lstm"), ("phase", 3, "gru"), ("phase", 1, "rnn")],
)
def test_frame_count_is_tokens_times_phases_times_tween(by, tween, kind):
    settings = AnimationSettings(by=by, tween=tween, first=2, last=5).checked(9)
    plan = frame_plan(settings, kind)
    phases = len(PHASES[kind]) if by == "phase" else 1
    assert len(plan) == frame_count(settings, kind) == 4 * phases * (tween + 1)
    assert plan[-1].step == 5 and plan[-1].progress == 1.0 and plan[-1].position == 5.0
    if by == "token" and tween:
        assert 2 < plan[tween + 1].position < 3  # the second token glides in from the first


@pytest.mark.parametrize("fmt", ["png", "gif", "mp4", "svg"])
def test_each_format_opens_with_its_standard_reader(qapp, model, tmp_path, fmt):
    suffix = {"gif": ".gif", "mp4": ".mp4"}.get(fmt, "")
    out = tmp_path / f"anim{suffix}"
    settings = AnimationSettings(view="cell", by="phase", tween=0, first=1, last=2, size=SMALL, format=fmt, fps=6)
    paths = export_animation(model, SENTENCE, settings, out)
    frames = 2 * len(PHASES["lstm"])
    if fmt == "png":
        images = png_frames(out)
        assert len(images) == frames == len(paths) and images[0].shape == (180, 320, 3)
        assert len(np.unique(images[3].reshape(-1, 3), axis=0)) > 50  # a drawing, not a blank frame
        assert not np.array_equal(images[0], images[1])  # the phases differ
    elif fmt == "gif":
        with Image.open(out) as gif:
            assert (gif.n_frames, gif.size, gif.info["loop"]) == (frames, (320, 180), 0)
            gif.seek(4)
            assert len(gif.convert("RGB").getcolors(100000)) > 20
    elif fmt == "mp4":
        meta, decoded = read_mp4(out)
        assert len(decoded) == frames and decoded[0].shape == (180, 320, 3)
        assert decoded[2].std() > 10
    else:
        names = sorted(os.listdir(out))
        assert len(names) == frames and names[0] == "frame_00001.svg"
        root = ElementTree.parse(out / names[5]).getroot()
        assert root.tag.endswith("svg") and root.get("viewBox") == "0 0 320 180"
        texts = "".join(element.text or "" for element in root.iter() if element.tag.endswith("text"))
        assert "forget" in texts or "σ" in texts  # vector text, not just a picture


def test_scale_multiplies_the_pixels(qapp, model, tmp_path):
    out = tmp_path / "frames"
    settings = AnimationSettings(view="step", first=0, last=0, size=SMALL, scale=2.0, format="png")
    export_animation(model, SENTENCE, settings, out)
    assert png_frames(out)[0].shape == (360, 640, 3)


def test_cancel_leaves_nothing(qapp, model, tmp_path):
    before = listing(tmp_path)
    seen = []

    def progress(done, total, seconds_left):
        seen.append((done, total))
        return done < 3

    for fmt, name in (("gif", "a.gif"), ("png", "frames"), ("mp4", "a.mp4")):
        with pytest.raises(ExportCancelled):
            export_animation(
                model,
                SENTENCE,
                AnimationSettings(view="heatmaps", size=SMALL, format=fmt),
                tmp_path / name,
                progress=progress,
            )
    assert listing(tmp_path) == before
    assert seen[0] == (1, 9) and seen[2] == (3, 9)


def test_failure_in_the_middle_leaves_nothing(qapp, model, tmp_path, monkeypatch):
    calls = {"n": 0}
    original = animation.FrameRenderer.rgb

    def failing(stage):
        calls["n"] += 1
        if calls["n"] == 3:
            raise GatescopeError("disk full (simulated)")
        return original(stage)

    monkeypatch.setattr(animation.FrameRenderer, "rgb", failing)
    with pytest.raises(GatescopeError, match="simulated"):
        export_animation(model, SENTENCE, AnimationSettings(view="step", size=SMALL, format="mp4"), tmp_path / "a.mp4")
    assert listing(tmp_path) == []


@pytest.mark.parametrize("fmt, name", [("gif", "a.gif"), ("svg", "frames")])
def test_a_really_full_disk_fails_with_its_reason_and_keeps_the_earlier_export(qapp, model, small_disk, fmt, name):
    out = small_disk.path / name
    settings = AnimationSettings(view="heatmaps", first=0, last=1, size=SMALL, format=fmt)
    export_animation(model, SENTENCE, settings, out)
    before = output_files(out)
    small_disk.fill()

    with pytest.raises(GatescopeError) as caught:
        export_animation(model, SENTENCE, AnimationSettings(view="heatmaps", size=SMALL, format=fmt), out, force=True)

    assert str(caught.value).startswith(f"{out}: cannot write frame ")
    assert str(caught.value).endswith(" (No space left on device)")
    assert listing(small_disk.path) == sorted([SmallDisk.FILLER, name])
    assert output_files(out) == before


@pytest.mark.parametrize(
    "change, expected",
    [
        ({"view": "poster"}, "--view 'poster': choose one of window, heatmaps, cell, step"),
        ({"first": 9}, "--from 9: the text has tokens 0 to 8"),
        ({"first": 3, "last": 2}, "--to 2: give a token from 3 to 8"),
        ({"tween": -1}, "--tween -1: give 0 (no in-between frames) to 240"),
        ({"scale": 9.0}, "--scale 9: give 0.25 to 4 (2 = twice the pixels, for slides)"),
        ({"size": (50, 50)}, "--size 50x50: "),
        ({"format": "avi"}, "--format 'avi': animation formats are png, gif, mp4, svg"),
        ({"layer": 3}, "layer 3: the model has layers 0 to 0"),
        ({"unit": 8}, "--unit 8: the model has units 0 to 7"),
        ({"unit": -1}, "--unit -1: the model has units 0 to 7"),
    ],
)
def test_bad_settings_are_refused_before_anything_is_written(qapp, model, tmp_path, change, expected):
    settings = AnimationSettings(**{"size": SMALL, "format": "gif", **change})
    with pytest.raises(GatescopeError) as caught:
        export_animation(model, SENTENCE, settings, tmp_path / "a.gif")
    assert str(caught.value) == expected or (expected.endswith(": ") and str(caught.value).startswith(expected))
    assert listing(tmp_path) == []


def test_settings_check_the_selected_unit_against_the_units_of_a_layer():
    settings = AnimationSettings(unit=15).checked(steps=9, layers=1, units=16)

    assert settings.unit == 15
    with pytest.raises(GatescopeError) as caught:
        AnimationSettings(unit=16).checked(steps=9, layers=1, units=16)
    assert str(caught.value) == "--unit 16: the model has units 0 to 15"


def test_export_command_refuses_a_unit_the_model_does_not_have(qapp, capsys, tmp_path):
    from gatescope.cli import main

    argv = ["--model", "bracket-counter", "--text", "(a)", "--format", "gif", "--unit", "999"]
    code = main(["export", *argv, "--out", str(tmp_path / "a.gif")])

    assert (code, capsys.readouterr().err) == (2, "gatescope: error: --unit 999: the model has units 0 to 2\n")
    assert listing(tmp_path) == []


def run_cli(*argv: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key != "QT_QPA_PLATFORM"}  # it must set it itself
    env.pop("DISPLAY", None)
    return subprocess.run(
        [sys.executable, "-m", "gatescope", "export", *argv],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
        env=env,
    )


@pytest.mark.slow
def test_gui_export_and_cli_export_make_identical_frames(qtbot, tmp_path):
    import gatescope
    from gatescope.ui.session import SessionModel
    from gatescope.ui.window.export_dialog import ExportAnimationDialog, run_animation_export
    from gatescope.ui.window.main_window import MainWindow

    text = "the plot was dull but the ending was wonderful"
    window = MainWindow(SessionModel(gatescope.load_model("lstm-sentiment"), text), settings=None)
    qtbot.addWidget(window)
    dialog = ExportAnimationDialog(window.session, None, window)
    qtbot.addWidget(dialog)
    dialog.view_box.setCurrentIndex(dialog.view_box.findData("cell"))
    dialog.by_box.setCurrentIndex(dialog.by_box.findData("phase"))
    dialog.range_box.setCurrentIndex(1)
    dialog.first_box.setValue(4)
    dialog.last_box.setValue(5)
    dialog.tween_box.setValue(1)
    dialog.width_box.setValue(640)
    dialog.height_box.setValue(360)
    dialog.format_box.setCurrentIndex(dialog.format_box.findData("png"))
    gui_out = tmp_path / "gui"
    paths = run_animation_export(window, window.session, dialog.settings(), gui_out)
    assert paths is not None and len(paths) == 2 * 6 * 2

    result = run_cli(
        "--model",
        "lstm-sentiment",
        "--text",
        text,
        "--format",
        "png",
        "--out",
        "cli",
        "--view",
        "cell",
        "--by",
        "phase",
        "--from",
        "3",
        "--to",
        "4",
        "--tween",
        "1",
        "--size",
        "640x360",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "cli"
    gui, cli = png_frames(gui_out), png_frames(tmp_path / "cli")
    assert len(gui) == len(cli) == 24
    for number, (a, b) in enumerate(zip(gui, cli, strict=True)):
        assert np.array_equal(a, b), f"frame {number + 1} differs"


@pytest.mark.slow
@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["--model", "no-such-model"], "no such built-in model"),
        (["--size", "huge"], "WIDTHxHEIGHT"),
        (["--to", "99"], "--to 99"),
        (["--format", "avi"], "invalid choice"),
        (["--out", "missing/dir/a.gif"], "does not exist"),
        (["--out", "exists.gif"], "already exists"),
    ],
)
def test_bad_export_arguments_exit_2_with_one_line_and_write_nothing(tmp_path, argv, fragment):
    (tmp_path / "exists.gif").write_bytes(b"keep me")
    base = {"--model": "lstm-sentiment", "--text": "not good", "--format": "gif", "--out": "a.gif"}
    for key, value in zip(argv[::2], argv[1::2]):
        base[key] = value
    result = run_cli(*[part for pair in base.items() for part in pair], cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("gatescope: error: ")
    assert fragment in result.stderr
    assert "Traceback" not in result.stderr
    assert sorted(os.listdir(tmp_path)) == ["exists.gif"] and (tmp_path / "exists.gif").read_bytes() == b"keep me"


@pytest.mark.slow
def test_cli_exports_trace_data_and_a_gif(tmp_path):
    for fmt in ("csv", "json", "npz"):
        result = run_cli(
            "--model", "bracket-counter", "--text", "(a)", "--format", fmt, "--out", f"t.{fmt}", cwd=tmp_path
        )
        assert result.returncode == 0, result.stderr
    rows = list(csv.reader((tmp_path / "t.csv").read_text().splitlines()))
    assert rows[0] == ["token_index", "token", "layer", "direction", "quantity", "unit", "value"] and len(rows) > 30
    assert json.loads((tmp_path / "t.json").read_text())["tokens"] == ["(", "a", ")"]
    with np.load(tmp_path / "t.npz") as arrays:
        assert arrays["layer0/forget"].shape == (3, 3)
    result = run_cli(
        "--model",
        "bracket-counter",
        "--text",
        "(a)",
        "--format",
        "gif",
        "--out",
        "b.gif",
        "--size",
        "400x300",
        "--view",
        "heatmaps",
        "--tween",
        "2",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    with Image.open(tmp_path / "b.gif") as gif:
        assert gif.n_frames == 3 * 3 and gif.size == (400, 300)


def test_gui_trace_export_writes_tidy_csv(qtbot, session, tmp_path):
    from gatescope.ui.window.export_dialog import save_trace
    from gatescope.ui.window.main_window import MainWindow

    window = MainWindow(session, settings=None)
    qtbot.addWidget(window)
    path = save_trace(window, session, tmp_path / "trace", "Tidy CSV (*.csv)")
    assert path == tmp_path / "trace.csv"
    rows = list(csv.DictReader(path.read_text().splitlines()))
    layer = session.layer_trace
    expected = session.steps * (4 + 2 + 4) * layer.units + session.steps * 2  # gates, c, h, pre-activations; head
    assert len(rows) == expected
    assert listing(tmp_path) == ["trace.csv"]


def test_export_dialog_remembers_its_settings(qtbot, session, tmp_path):
    from PySide6.QtCore import QSettings

    from gatescope.ui.window.export_dialog import ExportAnimationDialog

    qsettings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    first = ExportAnimationDialog(session, qsettings)
    qtbot.addWidget(first)
    first.view_box.setCurrentIndex(first.view_box.findData("heatmaps"))
    first.format_box.setCurrentIndex(first.format_box.findData("mp4"))
    first.tween_box.setValue(5)
    first.fps_box.setValue(12.0)
    first.scale_box.setCurrentIndex(2)
    first.path_edit.setText(str(tmp_path / "clip.mp4"))
    first.remember()
    second = ExportAnimationDialog(session, qsettings)
    qtbot.addWidget(second)
    settings = second.settings()
    assert (settings.view, settings.format, settings.tween, settings.fps, settings.scale) == (
        "heatmaps",
        "mp4",
        5,
        12.0,
        2.0,
    )
    assert second.out_path() == tmp_path / "gatescope.mp4"
    assert "frames" in second.summary.text()


@pytest.mark.parametrize("typed", ["~n", "~nosuchuser/clip.gif"])
def test_export_dialog_says_when_the_path_names_an_unknown_user(qtbot, session, typed):
    from gatescope.ui.window.export_dialog import ExportAnimationDialog

    dialog = ExportAnimationDialog(session, None)
    qtbot.addWidget(dialog)

    dialog.path_edit.setText(typed)  # on every keystroke: "~n" is on the way to "~nosuchuser"

    user = typed[1:].split("/")[0]
    assert dialog.summary.text() == (
        f"⚠ {typed}: there is no user '{user}' on this system (~{user} stands for their home folder); check the name "
        f"or give the full path"
    )
    assert dialog.out_path() is None and not dialog.export_button.isEnabled()


def test_export_dialog_expands_the_home_folder(qtbot, session, tmp_path, monkeypatch):
    from gatescope.ui.window.export_dialog import ExportAnimationDialog

    monkeypatch.setenv("HOME", str(tmp_path))
    dialog = ExportAnimationDialog(session, None)
    qtbot.addWidget(dialog)

    dialog.path_edit.setText("~/clip.gif")

    assert dialog.out_path() == tmp_path / "clip.gif" and dialog.export_button.isEnabled()


def test_cancel_in_the_progress_dialog_leaves_nothing(qtbot, session, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QProgressDialog

    from gatescope.ui.window.export_dialog import run_animation_export
    from gatescope.ui.window.main_window import MainWindow

    window = MainWindow(session, settings=None)
    qtbot.addWidget(window)
    asked = []

    def cancelled(dialog) -> bool:
        asked.append(dialog.value())
        return len(asked) >= 3  # the user presses Cancel during the third frame

    monkeypatch.setattr(QProgressDialog, "wasCanceled", cancelled)
    settings = AnimationSettings(view="cell", by="phase", size=SMALL, format="mp4")
    assert run_animation_export(window, session, settings, tmp_path / "clip.mp4") is None
    assert asked == [1, 2, 3] and listing(tmp_path) == []


def test_export_dialog_starts_from_what_the_app_shows(qtbot, session):
    from gatescope.ui.window.export_dialog import ExportAnimationDialog

    dialog = ExportAnimationDialog(session, None, view="cell", by="phase")
    qtbot.addWidget(dialog)
    settings = dialog.settings()
    assert (settings.view, settings.by, settings.format) == ("cell", "phase", "gif")
    assert "× 6 phases" in dialog.summary.text()
