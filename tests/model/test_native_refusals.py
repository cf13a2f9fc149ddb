"""Files that are not gatescope models — not a zip, damaged, odd members, pickles — are refused with a reason,
and nothing inside them is ever executed."""

from __future__ import annotations

import io
import pathlib
import zipfile
from pathlib import Path

import numpy as np
import pytest

from gatescope import GatescopeError
from gatescope.model.formats import native
from tests.helpers import (
    make_model,
    members_of,
    npy_bytes,
    refusal,
    write_arrays,
    write_members,
)


def test_text_file_raises_gatescope_error_naming_the_file_and_saying_it_is_not_an_npz(tmp_path: Path) -> None:
    path = tmp_path / "notes.npz"
    path.write_text("weight_ih_l0 = [[1, 2], [3, 4]]\n", encoding="utf-8")

    message = refusal(path)

    assert "its content matches none of the formats" in message


def test_empty_file_raises_gatescope_error_naming_the_file_and_saying_it_is_not_an_npz(tmp_path: Path) -> None:
    path = tmp_path / "empty.npz"
    path.write_bytes(b"")

    message = refusal(path)

    assert "its content matches none of the formats" in message


def test_truncated_file_raises_gatescope_error_naming_the_file(tmp_path: Path) -> None:
    whole = tmp_path / "whole.npz"
    make_model("lstm", layers=2).save(whole)
    data = whole.read_bytes()
    path = tmp_path / "half.npz"
    path.write_bytes(data[: len(data) // 2])

    refusal(path)


def test_truncated_file_message_says_the_archive_is_damaged_or_truncated(tmp_path: Path) -> None:
    whole = tmp_path / "whole.npz"
    make_model("lstm", layers=2).save(whole)
    data = whole.read_bytes()
    path = tmp_path / "half.npz"
    path.write_bytes(data[: len(data) // 2])

    message = refusal(path)

    assert "truncated" in message or "damaged" in message


def test_member_with_corrupted_compressed_bytes_raises_damaged_archive_error(tmp_path: Path) -> None:
    path = tmp_path / "model.npz"
    make_model("lstm", layers=2).save(path)
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("embedding.npy")
    data = bytearray(path.read_bytes())
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for offset in range(start + 4, start + info.compress_size - 4):
        data[offset] ^= 0x5A
    path.write_bytes(bytes(data))

    message = refusal(path)

    assert "damaged or truncated" in message


def test_directory_path_raises_gatescope_error_saying_it_is_not_a_file(tmp_path: Path) -> None:
    folder = tmp_path / "model.npz"
    folder.mkdir()

    message = refusal(folder)

    assert "not a file" in message


def test_missing_path_raises_gatescope_error_naming_the_path(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.npz"

    message = refusal(path)

    assert "no such" in message


def test_npz_with_neither_metadata_nor_pytorch_names_raises_gatescope_error(tmp_path: Path) -> None:
    path = write_arrays(tmp_path / "other.npz", {"w": np.ones((4, 3), np.float32), "b": np.zeros(4, np.float32)})

    message = refusal(path)

    assert "neither gatescope metadata nor PyTorch" in message


def test_npz_with_only_non_npy_members_raises_gatescope_error(tmp_path: Path) -> None:
    path = write_members(tmp_path / "docs.npz", [("README.txt", b"hello"), ("data.csv", b"1,2,3\n")])

    message = refusal(path)

    assert "neither gatescope metadata nor PyTorch" in message


# --- archive members ----------------------------------------------------------------------------


def test_member_that_is_not_npy_raises_gatescope_error_naming_the_member(
    tmp_path: Path, reference_arrays: dict
) -> None:
    path = write_members(tmp_path / "model.npz", [*members_of(reference_arrays), ("notes.txt", b"hi")])

    message = refusal(path)

    assert "unexpected member 'notes.txt'" in message


def test_npy_member_holding_bytes_that_are_not_npy_raises_gatescope_error(
    tmp_path: Path, reference_arrays: dict
) -> None:
    members = [
        (name, b"not an npy file at all" if name == "weight_ih_l0.npy" else data)
        for name, data in members_of(reference_arrays)
    ]
    path = write_members(tmp_path / "model.npz", members)

    message = refusal(path)

    assert "damaged or truncated" in message


def test_array_appearing_twice_raises_gatescope_error_naming_it(tmp_path: Path, reference_arrays: dict) -> None:
    again = ("weight_hh_l0.npy", npy_bytes(reference_arrays["weight_hh_l0"]))
    path = write_members(tmp_path / "model.npz", [*members_of(reference_arrays), again])

    message = refusal(path)

    assert "'weight_hh_l0' appears twice" in message


def test_array_shorter_than_its_header_says_raises_gatescope_error_saying_truncated(
    tmp_path: Path, reference_arrays: dict
) -> None:
    members = [
        (name, data[:-20] if name == "weight_hh_l1.npy" else data) for name, data in members_of(reference_arrays)
    ]
    path = write_members(tmp_path / "model.npz", members)

    message = refusal(path)

    assert "'weight_hh_l1' is truncated" in message


def test_array_header_claiming_a_huge_shape_is_refused_without_allocating_it(
    tmp_path: Path, reference_arrays: dict
) -> None:
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f4", "fortran_order": False, "shape": (1 << 24, 1 << 24)})
    members = [
        (name, header.getvalue() if name == "embedding.npy" else data) for name, data in members_of(reference_arrays)
    ]
    path = write_members(tmp_path / "model.npz", members)

    message = refusal(path)

    assert "'embedding'" in message
    assert "too large" in message


# --- pickles: never executed --------------------------------------------------------------------


class TouchesAFileWhenUnpickled:
    """Pickles as a call to Path.touch(marker): unpickling it creates the marker file."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (pathlib.Path.touch, (pathlib.Path(self.marker),))


def pickled_object_array(marker: Path) -> bytes:
    return npy_bytes(np.array([TouchesAFileWhenUnpickled(marker)], dtype=object), allow_pickle=True)


def test_the_pickle_payload_really_runs_code_when_numpy_is_allowed_to_unpickle_it(tmp_path: Path) -> None:
    # Shows the payload used below is live, so the tests that expect no marker file can fail.
    marker = tmp_path / "marker"

    np.load(io.BytesIO(pickled_object_array(marker)), allow_pickle=True)

    assert marker.exists()


@pytest.mark.parametrize("member", ["weight_ih_l0", "embedding", "head_bias", "__gatescope__"])
def test_object_array_is_refused_without_executing_its_pickle(
    tmp_path: Path, reference_arrays: dict, member: str
) -> None:
    marker = tmp_path / "pickle-ran"
    members = [
        (name, pickled_object_array(marker) if name == f"{member}.npy" else data)
        for name, data in members_of(reference_arrays)
    ]
    path = write_members(tmp_path / "model.npz", members)

    message = refusal(path)

    assert f"'{member}'" in message
    assert "Python objects" in message
    assert not marker.exists()


def test_raw_pickle_stored_as_a_member_is_refused_without_executing_it(tmp_path: Path, reference_arrays: dict) -> None:
    import pickle

    marker = tmp_path / "pickle-ran"
    members = [
        (name, pickle.dumps(TouchesAFileWhenUnpickled(marker)) if name == "weight_hh_l0.npy" else data)
        for name, data in members_of(reference_arrays)
    ]
    path = write_members(tmp_path / "model.npz", members)

    refusal(path)

    assert not marker.exists()


def test_reading_only_the_metadata_also_refuses_a_pickled_metadata_entry(
    tmp_path: Path, reference_arrays: dict
) -> None:
    marker = tmp_path / "pickle-ran"
    members = [
        (name, pickled_object_array(marker) if name == "__gatescope__.npy" else data)
        for name, data in members_of(reference_arrays)
    ]
    path = write_members(tmp_path / "model.npz", members)

    with pytest.raises(GatescopeError, match="Python objects"):
        native.read_metadata(path)

    assert not marker.exists()
