"""Saving a native model file is atomic: a failure, an interrupt or a bad folder leaves nothing half-written."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

import gatescope
from gatescope import GatescopeError
from gatescope.model.tokenize import Vocabulary
from tests.helpers import (
    SmallDisk,
    assert_models_identical,
    listing,
    make_model,
    make_text_model,
)


def test_saving_leaves_only_the_model_file_in_the_folder(tmp_path: Path) -> None:
    make_model("lstm", layers=2, bidirectional=True).save(tmp_path / "model.npz")

    assert sorted(os.listdir(tmp_path)) == ["model.npz"]


def test_saving_over_an_existing_model_replaces_it(tmp_path: Path) -> None:
    path = tmp_path / "model.npz"
    make_model("gru", seed=1).save(path)
    newer = make_model("rnn", seed=2)

    newer.save(path)

    assert_models_identical(gatescope.load_model(path), newer)
    assert sorted(os.listdir(tmp_path)) == ["model.npz"]


def test_write_failing_midway_raises_gatescope_error_and_keeps_the_old_file(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "model.npz"
    make_model("gru").save(path)
    before = path.read_bytes()

    def disk_full(stream, **arrays):
        stream.write(b"PK\x03\x04 half a model")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "savez_compressed", disk_full)
    with pytest.raises(GatescopeError) as caught:
        make_model("lstm").save(path)

    assert str(path) in str(caught.value)
    assert "No space left on device" in str(caught.value)
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["model.npz"]


def test_saving_onto_a_really_full_disk_raises_gatescope_error_and_keeps_the_old_file(small_disk: SmallDisk) -> None:
    path = small_disk.path / "model.npz"
    make_model("gru").save(path)
    before = path.read_bytes()
    small_disk.fill(leave=8192)  # room for the start of the new file, not for all of it
    bigger = make_text_model("lstm", units=64)  # about 70 KB compressed

    with pytest.raises(GatescopeError) as caught:
        bigger.save(path)

    assert str(caught.value) == f"{path}: cannot write (No space left on device)"
    assert path.read_bytes() == before
    assert listing(small_disk.path) == [SmallDisk.FILLER, "model.npz"]


def test_saving_into_a_read_only_folder_raises_gatescope_error_and_keeps_the_old_file(small_disk: SmallDisk) -> None:
    # A read-only file system stops root too, unlike a folder's mode bits.
    path = small_disk.path / "model.npz"
    make_model("gru").save(path)
    before = path.read_bytes()
    small_disk.make_read_only()

    with pytest.raises(GatescopeError) as caught:
        make_model("lstm").save(path)

    assert str(caught.value) == (
        f"{path}: cannot write in {small_disk.path} (read-only file system); choose a folder you can write to"
    )
    assert path.read_bytes() == before
    assert listing(small_disk.path) == ["model.npz"]


def test_interrupted_save_removes_its_temporary_file_and_lets_the_interrupt_through(
    tmp_path: Path, monkeypatch
) -> None:
    def interrupted(stream, **arrays):
        stream.write(b"PK\x03\x04")
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "savez_compressed", interrupted)
    with pytest.raises(KeyboardInterrupt):
        make_model("lstm").save(tmp_path / "model.npz")

    assert os.listdir(tmp_path) == []


def test_unwritable_folder_raises_gatescope_error_and_leaves_nothing(tmp_path: Path, monkeypatch) -> None:
    # Simulated, so the test means the same when run as root (who may write anywhere).
    def permission_denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", permission_denied)
    path = tmp_path / "model.npz"
    with pytest.raises(GatescopeError) as caught:
        make_model("lstm").save(path)

    assert str(caught.value) == f"{path}: cannot write it: permission denied; choose a folder you can write to"
    assert os.listdir(tmp_path) == []


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0, reason="needs POSIX permissions and a non-root user")
def test_read_only_folder_raises_gatescope_error_and_leaves_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(GatescopeError) as caught:
            make_model("lstm").save(folder / "model.npz")
        assert str(folder / "model.npz") in str(caught.value)
        assert os.listdir(folder) == []
    finally:
        folder.chmod(0o755)


def test_saving_into_a_missing_folder_raises_gatescope_error_naming_the_folder(tmp_path: Path) -> None:
    path = tmp_path / "no" / "such" / "folder" / "model.npz"

    with pytest.raises(GatescopeError) as caught:
        make_model("lstm").save(path)

    assert str(path.parent) in str(caught.value)
    assert "does not exist" in str(caught.value)
    assert os.listdir(tmp_path) == []


def test_saving_onto_a_directory_raises_gatescope_error_and_leaves_the_directory_alone(tmp_path: Path) -> None:
    target = tmp_path / "models"
    target.mkdir()
    (target / "keep.txt").write_text("mine")

    with pytest.raises(GatescopeError) as caught:
        make_model("lstm").save(target)

    assert str(target) in str(caught.value)
    assert sorted(os.listdir(tmp_path)) == ["models"]
    assert os.listdir(target) == ["keep.txt"]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_saved_model_file_gets_the_usual_permissions_not_the_private_temp_file_mode(tmp_path: Path) -> None:
    path = tmp_path / "model.npz"
    umask = os.umask(0o022)
    os.umask(umask)

    make_model("lstm").save(path)

    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ("numpy scalar in provenance", "Object of type float32 is not JSON serializable"),
        ("lone surrogate in vocabulary", "surrogates not allowed"),
    ],
)
def test_metadata_that_cannot_be_written_as_json_raises_gatescope_error_and_leaves_nothing(
    tmp_path: Path, change: str, reason: str
) -> None:
    model = make_model("lstm", word_tokens=True)
    if change == "numpy scalar in provenance":
        model.provenance = {"loss": np.float32(0.25)}
    else:
        model.vocabulary = Vocabulary(["?", "Hello", "world", "\ud800", ",", "don't"], unknown="?")

    with pytest.raises(GatescopeError) as caught:
        model.save(tmp_path / "model.npz")

    assert str(caught.value).startswith("metadata cannot be written as JSON (")
    assert reason in str(caught.value)
    assert str(caught.value).endswith("); use plain str, int, float, bool, list and dict values")
    assert os.listdir(tmp_path) == []
