"""Streaming animation writers: PNG sequence, GIF and MP4 read back by the standard readers; atomic, no Qt."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from gatescope.errors import GatescopeError
from gatescope.export import writers
from gatescope.export.writers import open_writer
from tests.helpers import SmallDisk, listing, output_files, read_mp4

COLOURS = [(230, 30, 30), (30, 200, 60), (40, 60, 220), (250, 220, 20), (20, 210, 220), (200, 40, 200), (128, 128, 128)]
FORMATS = ("png", "gif", "mp4")
QT_MODULES = ("PySide6", "pyqtgraph", "shiboken6", "PyQt5", "PyQt6", "PySide2")


def solid(width: int, height: int, colour: tuple[int, int, int]) -> np.ndarray:
    return np.broadcast_to(np.array(colour, np.uint8), (height, width, 3)).copy()


def write_all(kind: str, out: Path, frames: list[np.ndarray], fps: float = 25, **options) -> list[Path]:
    height, width = frames[0].shape[:2]
    with open_writer(kind, out, fps=fps, size=(width, height), **options) as writer:
        for frame in frames:
            writer.write(frame)
        assert writer.frames_written == len(frames)
        return writer.close()


def umasked(mode: int) -> int:
    current = os.umask(0o022)
    os.umask(current)
    return mode & ~current


def test_png_sequence_holds_every_frame_exactly(tmp_path: Path):
    frames = [solid(64, 48, colour) for colour in COLOURS]
    frames[2][10:20, 5:9] = (0, 0, 0)
    out = tmp_path / "frames"
    paths = write_all("png", out, frames)
    assert listing(tmp_path) == ["frames"]
    assert [path.name for path in paths] == [f"frame_{k:05d}.png" for k in range(1, 8)]
    assert listing(out) == [path.name for path in paths]
    for path, frame in zip(paths, frames):
        with Image.open(path) as image:
            assert (image.format, image.mode, image.size) == ("PNG", "RGB", (64, 48))
            assert np.array_equal(np.asarray(image), frame)
    assert out.stat().st_mode & 0o777 == umasked(0o777)
    assert paths[0].stat().st_mode & 0o777 == umasked(0o666)


def test_gif_loops_forever_with_the_frame_rate_and_colours(tmp_path: Path):
    frames = [solid(64, 48, colour) for colour in COLOURS]
    out = tmp_path / "run.gif"
    assert write_all("gif", out, frames, fps=25) == [out]
    assert listing(tmp_path) == ["run.gif"]
    assert out.stat().st_mode & 0o777 == umasked(0o666)
    with Image.open(out) as image:
        assert (image.format, image.n_frames, image.size) == ("GIF", 7, (64, 48))
        assert image.info["loop"] == 0
        for k, colour in enumerate(COLOURS):
            image.seek(k)
            assert image.info["duration"] == 40
            pixels = np.asarray(image.convert("RGB")).astype(int)
            assert np.abs(pixels - colour).max() <= 4, (k, pixels[0, 0])


def test_gif_frame_times_follow_fps_without_drift(tmp_path: Path):
    out = tmp_path / "thirty.gif"
    write_all("gif", out, [solid(8, 6, COLOURS[k % 7]) for k in range(30)], fps=30)
    with Image.open(out) as image:
        durations = []
        for k in range(image.n_frames):
            image.seek(k)
            durations.append(image.info["duration"])
    assert set(durations) == {30, 40}
    assert sum(durations) == 1000


def test_gif_of_many_colours_stays_close(tmp_path: Path):
    """More than 256 colours (a smooth 2-D gradient, the worst case for 256 colours, plus dark bars): close."""
    ramp_x = np.linspace(0, 255, 96)[None, :]
    ramp_y = np.linspace(0, 255, 64)[:, None]
    base = np.stack(np.broadcast_arrays(ramp_x, ramp_y, 255 - ramp_x / 2), axis=-1).astype(np.uint8)
    frames = []
    for k in range(3):
        frame = base.copy()
        frame[10 + k * 8 : 14 + k * 8, 20:70] = (10, 10, 10)
        frames.append(frame)
    assert len(np.unique(frames[0].reshape(-1, 3), axis=0)) > 256
    out = tmp_path / "gradient.gif"
    write_all("gif", out, frames)
    with Image.open(out) as image:
        for k, frame in enumerate(frames):
            image.seek(k)
            error = np.abs(np.asarray(image.convert("RGB")).astype(int) - frame)
            assert error.mean() < 6 and error.max() <= 48, (k, error.mean(), error.max())
            assert np.abs(error[10 + k * 8 : 14 + k * 8, 20:70]).max() <= 16  # the bar that moves is there


@pytest.mark.parametrize(("size", "encoded"), [((64, 48), (64, 48)), ((65, 47), (66, 48))])
def test_mp4_plays_back_every_frame_at_an_even_size(tmp_path: Path, size, encoded):
    width, height = size
    frames = [solid(width, height, colour) for colour in COLOURS]
    frames[0][:, width // 2 :] = (250, 250, 250)  # the right edge differs: padding must repeat it, not add black
    out = tmp_path / "run.mp4"
    assert write_all("mp4", out, frames, fps=25) == [out]
    assert listing(tmp_path) == ["run.mp4"]
    assert out.stat().st_mode & 0o777 == umasked(0o666)
    meta, decoded = read_mp4(out)
    assert tuple(meta["size"]) == encoded
    assert meta["fps"] == pytest.approx(25)
    assert len(decoded) == 7
    assert np.abs(decoded[0][:, -2:].astype(float) - 250).max() < 10
    for frame, colour in zip(decoded[1:], COLOURS[1:]):
        assert np.abs(frame.reshape(-1, 3).mean(axis=0) - colour).max() < 6, (colour, frame.mean(axis=(0, 1)))


@pytest.mark.parametrize("kind", FORMATS)
def test_abort_leaves_the_folder_as_it_was(tmp_path: Path, kind: str):
    (tmp_path / "notes.txt").write_text("keep me")
    before = listing(tmp_path)
    writer = open_writer(kind, tmp_path / f"run.{kind}", fps=10, size=(32, 24))
    for colour in COLOURS[:3]:
        writer.write(solid(32, 24, colour))
    writer.abort()
    writer.abort()
    assert listing(tmp_path) == before
    with pytest.raises(GatescopeError, match="aborted"):
        writer.close()
    with pytest.raises(GatescopeError, match="aborted"):
        writer.write(solid(32, 24, COLOURS[0]))


@pytest.mark.parametrize("kind", FORMATS)
def test_an_exception_inside_the_with_block_aborts_and_propagates(tmp_path: Path, kind: str):
    before = listing(tmp_path)
    with pytest.raises(KeyError, match="rendering failed"):
        with open_writer(kind, tmp_path / f"run.{kind}", fps=10, size=(32, 24)) as writer:
            writer.write(solid(32, 24, COLOURS[0]))
            raise KeyError("rendering failed")
    assert listing(tmp_path) == before


@pytest.mark.parametrize("kind", FORMATS)
def test_leaving_the_with_block_closes(tmp_path: Path, kind: str):
    out = tmp_path / f"run.{kind}"
    with open_writer(kind, out, fps=10, size=(32, 24)) as writer:
        writer.write(solid(32, 24, COLOURS[0]))
    assert listing(tmp_path) == [out.name]
    assert writer.close() == writer.close()


@pytest.mark.parametrize("kind", FORMATS)
def test_existing_output_is_kept_without_force_and_replaced_with_it(tmp_path: Path, kind: str):
    out = tmp_path / f"run.{kind}"
    if kind == "png":
        out.mkdir()
        for k in range(1, 11):
            (out / writers.frame_name(k)).write_bytes(b"old")
    else:
        out.write_bytes(b"old")
    before = listing(tmp_path)
    with pytest.raises(GatescopeError, match=r"already exists; pass --force to replace it"):
        open_writer(kind, out, fps=10, size=(32, 24))
    assert listing(tmp_path) == before
    assert (out / "frame_00001.png" if kind == "png" else out).read_bytes() == b"old"

    write_all(kind, out, [solid(32, 24, colour) for colour in COLOURS[:3]], force=True)
    assert listing(tmp_path) == [out.name]
    if kind == "png":
        assert listing(out) == [writers.frame_name(k) for k in (1, 2, 3)]
    else:
        assert out.read_bytes()[:3] != b"old" and out.stat().st_size > 100


def test_force_does_not_replace_a_folder_holding_other_files(tmp_path: Path):
    out = tmp_path / "frames"
    out.mkdir()
    (out / "thesis.tex").write_text("precious")
    with pytest.raises(GatescopeError, match="other files"):
        open_writer("png", out, fps=10, size=(32, 24), force=True)
    assert listing(tmp_path) == ["frames"] and listing(out) == ["thesis.tex"]


def test_force_does_not_replace_a_folder_by_a_file(tmp_path: Path):
    (tmp_path / "run.gif").mkdir()
    with pytest.raises(GatescopeError, match="is a folder"):
        open_writer("gif", tmp_path / "run.gif", fps=10, size=(32, 24), force=True)
    assert listing(tmp_path) == ["run.gif"]


@pytest.mark.parametrize("kind", FORMATS)
@pytest.mark.parametrize("where", ["under-a-file", "missing-folder"])
def test_an_unwritable_place_is_refused_before_anything_is_written(tmp_path: Path, kind: str, where: str):
    (tmp_path / "plain.txt").write_text("x")
    before = listing(tmp_path)
    parent = tmp_path / ("plain.txt" if where == "under-a-file" else "no-such-folder")
    expected = "is not a folder" if where == "under-a-file" else "does not exist; create it"
    with pytest.raises(GatescopeError, match=expected):
        open_writer(kind, parent / f"run.{kind}", fps=10, size=(32, 24))
    assert listing(tmp_path) == before


@pytest.mark.parametrize("kind", FORMATS)
@pytest.mark.parametrize(
    "shape, dtype", [((24, 32), np.uint8), ((32, 24, 3), np.uint8), ((24, 32, 4), np.uint8), ((24, 32, 3), np.float32)]
)
def test_a_frame_of_the_wrong_shape_or_type_is_refused(tmp_path: Path, kind: str, shape, dtype):
    with open_writer(kind, tmp_path / f"run.{kind}", fps=10, size=(32, 24)) as writer:
        with pytest.raises(GatescopeError) as caught:
            writer.write(np.zeros(shape, dtype))
        message = str(caught.value)
        assert "(24, 32, 3) uint8" in message and f"got shape {shape} {np.dtype(dtype)}" in message
        assert writer.frames_written == 0
        writer.abort()
    assert listing(tmp_path) == []


def test_bad_arguments_are_refused(tmp_path: Path):
    with pytest.raises(GatescopeError, match="unknown animation format 'webm'; choose one of png, gif, mp4"):
        open_writer("webm", tmp_path / "a.webm", fps=10, size=(32, 24))
    for fps in (0, -1, float("nan"), float("inf")):
        with pytest.raises(GatescopeError) as caught:
            open_writer("gif", tmp_path / "a.gif", fps=fps, size=(32, 24))
        assert str(caught.value) == f"frame rate must be a positive number of frames per second, not {fps!r}"
    for size in ((0, 24), (32.5, 24), (70000, 24)):
        with pytest.raises(GatescopeError) as caught:
            open_writer("gif", tmp_path / "a.gif", fps=10, size=size)
        assert str(caught.value) == f"size must be two whole numbers from 1 to 65535, not {size!r}"
    with pytest.raises(GatescopeError) as caught:
        open_writer("gif", tmp_path / "a.gif", fps=10, size=(32,))
    assert str(caught.value) == "size must be (width, height), not (32,)"
    assert listing(tmp_path) == []


@pytest.mark.parametrize("kind", FORMATS)
def test_closing_without_frames_writes_nothing(tmp_path: Path, kind: str):
    writer = open_writer(kind, tmp_path / f"run.{kind}", fps=10, size=(32, 24))
    with pytest.raises(GatescopeError, match="no frames were written"):
        writer.close()
    assert listing(tmp_path) == []


def test_a_png_encoding_error_surfaces_as_gatescope_error(tmp_path: Path):
    writer = open_writer("png", tmp_path / "frames", fps=10, size=(32, 24))
    writer.write(solid(32, 24, COLOURS[0]))
    (temporary,) = tmp_path.iterdir()  # the hidden folder being built
    deadline = time.monotonic() + 10
    while not (temporary / "frame_00001.png").exists() and time.monotonic() < deadline:
        time.sleep(0.005)
    shutil.rmtree(temporary)  # e.g. a disk that went away: the next frames cannot be saved
    with pytest.raises(GatescopeError) as caught:
        for _ in range(20):
            writer.write(solid(32, 24, COLOURS[1]))
        writer.close()
    # Whether a frame or the finishing step notices first depends on the encoder threads; either names the output
    # and the reason.
    assert re.fullmatch(
        rf"{re.escape(str(tmp_path / 'frames'))}: cannot write (frame \d+ )?\(No such file or directory\)",
        str(caught.value),
    )
    assert listing(tmp_path) == []


@pytest.mark.parametrize("kind", FORMATS)
def test_a_really_full_disk_surfaces_as_gatescope_error_and_keeps_the_old_output(small_disk: SmallDisk, kind: str):
    out = small_disk.path / f"run.{kind}"
    write_all(kind, out, [solid(32, 24, colour) for colour in COLOURS[:2]])
    before = output_files(out)
    small_disk.fill(leave=8 * 1024)  # room for two or three frames of noise, not for thirty
    noise = np.random.default_rng(0).integers(0, 256, (30, 48, 64, 3), np.uint8)  # about 3 KB a frame, compressed

    with pytest.raises(GatescopeError) as caught:
        write_all(kind, out, list(noise), force=True)

    message = str(caught.value)
    assert message.startswith(f"{out}: ")
    assert "No space left on device" in message  # for mp4 in ffmpeg's last words: "Error closing file: No space …"
    assert listing(small_disk.path) == sorted([SmallDisk.FILLER, out.name])
    assert output_files(out) == before


@pytest.mark.parametrize("kind", FORMATS)
def test_a_read_only_folder_is_refused_before_anything_is_written(small_disk: SmallDisk, kind: str):
    # A read-only file system stops root too; its mode bits still say anyone may write, so the reason matters.
    out = small_disk.path / f"run.{kind}"
    small_disk.make_read_only()

    with pytest.raises(GatescopeError) as caught:
        open_writer(kind, out, fps=10, size=(32, 24))

    assert str(caught.value) == (
        f"{out}: cannot write in {small_disk.path} (read-only file system); choose a folder you can write to"
    )
    assert listing(small_disk.path) == []


def test_ffmpeg_dying_surfaces_as_gatescope_error_and_cleans_up(tmp_path: Path):
    writer = open_writer("mp4", tmp_path / "run.mp4", fps=10, size=(320, 240))
    writer.write(solid(320, 240, COLOURS[0]))
    writer._process.kill()
    writer._process.wait()
    with pytest.raises(GatescopeError) as caught:
        for _ in range(50):
            writer.write(solid(320, 240, COLOURS[1]))
        writer.close()
    # ffmpeg's death shows either while a frame is piped in or when it is asked to finish.
    died = r"ffmpeg (stopped while receiving frame \d+|failed with exit code -?\d+)"
    assert re.match(rf"{re.escape(str(tmp_path / 'run.mp4'))}: {died}", str(caught.value))
    assert listing(tmp_path) == []


def test_the_writers_never_import_qt(tmp_path: Path):
    tree = ast.parse(Path(writers.__file__).read_text(encoding="utf-8"))
    names = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    names |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    assert not {name for name in names if name.split(".")[0] in QT_MODULES}
    probe = (
        "import sys, numpy as np\n"
        "from pathlib import Path\n"
        "from gatescope.export.writers import open_writer\n"
        "for kind in ('png', 'gif', 'mp4'):\n"
        "    with open_writer(kind, Path('out.' + kind), fps=5, size=(16, 8)) as w:\n"
        "        w.write(np.zeros((8, 16, 3), np.uint8))\n"
        f"print('QT:', sorted(m for m in sys.modules if m.split('.')[0] in {QT_MODULES!r}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(Path(writers.__file__).parents[2])},
    )
    assert result.returncode == 0, result.stderr
    assert "QT: []" in result.stdout
    assert listing(tmp_path) == ["out.gif", "out.mp4", "out.png"]
