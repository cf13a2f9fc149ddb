"""The temporary side of atomic output: one recognisable name pattern, leftovers of dead processes removed (and only
those), and an error the disk reports when data is flushed stopping the rename."""

from __future__ import annotations

import errno
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from gatescope.atomic import PREFIX, host_tag, remove_leftovers
from gatescope.errors import GatescopeError
from gatescope.export.writers import FORMATS, PngImageWriter, open_writer
from tests.helpers import listing

posix_only = pytest.mark.skipif(os.name != "posix", reason="process liveness is asked with kill(pid, 0)")


def dead_pid() -> int:
    """The id of a process that has ended (and been reaped)."""
    process = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(process.stdout)


def leftover(pid: int, name: str, kind: str = "tmp", host: str | None = None) -> str:
    return f"{PREFIX}{pid}-{host_tag() if host is None else host}-k2j4h5g6.{name}.{kind}"


@pytest.mark.parametrize("kind", FORMATS)
def test_a_writer_names_its_temporary_output_with_the_pattern_and_its_process(tmp_path: Path, kind: str):
    writer = open_writer(kind, tmp_path / f"run.{kind}", fps=10, size=(32, 24))
    (name,) = listing(tmp_path)
    writer.abort()
    pattern = rf"\.gatescope-{os.getpid()}-{re.escape(host_tag())}-[a-z0-9_]{{8}}\.run\.{kind}\.tmp"
    assert re.fullmatch(pattern, name)


@posix_only
def test_leftovers_of_dead_processes_go_and_everything_else_stays(tmp_path: Path):
    dead = dead_pid()
    gone_file, gone_folder = leftover(dead, "a.gif"), leftover(dead, "frames")
    kept = [
        leftover(os.getpid(), "b.gif"),  # a live process: an export still running
        leftover(dead, "c.gif", host="elsewhere"),  # another machine sharing the folder
        ".a.gif.k2j4h5g6.tmp",  # not the pattern
        f"{PREFIX}notes.txt",
        "a.gif",
    ]
    for name in (gone_file, *kept):
        (tmp_path / name).write_text("x")
    (tmp_path / gone_folder).mkdir()
    (tmp_path / gone_folder / "frame_00001.png").write_text("x")

    assert sorted(remove_leftovers(tmp_path)) == sorted([gone_file, gone_folder])
    assert listing(tmp_path) == sorted(kept)


@posix_only
def test_a_folder_set_aside_by_a_process_that_died_between_its_renames_is_put_back(tmp_path: Path):
    dead = dead_pid()
    (tmp_path / leftover(dead, "frames", "old")).mkdir()  # the old frames, renamed away
    (tmp_path / leftover(dead, "frames", "old") / "frame_00001.png").write_text("old")
    (tmp_path / leftover(dead, "frames")).mkdir()  # the new frames, never renamed into place
    (tmp_path / leftover(dead, "shots", "old")).mkdir()  # replaced: the new "shots" did arrive
    (tmp_path / "shots").mkdir()

    remove_leftovers(tmp_path)

    assert listing(tmp_path) == ["frames", "shots"]
    assert (tmp_path / "frames" / "frame_00001.png").read_text() == "old"


def test_an_error_the_disk_reports_on_flushing_keeps_the_old_file(tmp_path: Path, monkeypatch):
    """Simulated: a full disk that takes the data into the cache and refuses it on fsync, as delayed allocation and
    network file systems do. Without the fsync the rename would put a file the disk never held in the old one's
    place."""
    target = tmp_path / "window.png"
    target.write_bytes(b"the old screenshot")

    def refuse(descriptor: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", refuse)
    with pytest.raises(GatescopeError, match="No space left on device"):
        with PngImageWriter(target, size=(32, 24), force=True) as writer:
            writer.write(np.zeros((24, 32, 3), np.uint8))
            writer.close()
    assert target.read_bytes() == b"the old screenshot"
    assert listing(tmp_path) == ["window.png"]


@posix_only
def test_saving_a_model_or_a_trace_file_uses_the_pattern_and_tidies_a_dead_writers_leftovers(tmp_path: Path):
    import gatescope
    from gatescope.export.trace_data import write_trace

    dead = leftover(dead_pid(), "model.npz")
    (tmp_path / dead).write_bytes(b"half a model")
    model = gatescope.load_model("bracket-counter")
    model.save(tmp_path / "model.npz")
    assert listing(tmp_path) == ["model.npz"]
    (tmp_path / leftover(dead_pid(), "trace.csv")).write_bytes(b"half a trace")
    write_trace(model.run("(a)"), tmp_path / "trace.csv", "csv", None, model.name)
    assert listing(tmp_path) == ["model.npz", "trace.csv"]
