"""A model file is refused by the sizes its zip directory and .npy headers declare, before anything big is inflated:
members a format does not need are never opened, and the ones it needs are charged to one budget first."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest

from gatescope import GatescopeError
from gatescope.model.formats import native
from gatescope.model.formats.budget import MAX_ARRAY_BYTES, MAX_FILE_BYTES, ReadBudget, array_bytes
from gatescope.model.formats.npzfile import NpzArchive, read_npy
from gatescope.model.zoo import model_path
from tests.helpers import make_model, read_arrays, refusal, write_arrays
from tests.hostile_files import (
    npy_header,
    npz_with_bomb,
    run_cli_limited,
    write_npy_header_only,
    write_zip_with_bomb,
)

TWO_GB = 2_000_000_000


@pytest.fixture
def watch_opens(monkeypatch):
    """Call it after building the files: from then on it lists the zip members opened for reading, and opening one
    called 'padding.npy' or one declaring more than 100 MB fails the test at once (nothing may inflate it)."""

    def watch() -> list[str]:
        names: list[str] = []
        original = zipfile.ZipFile.open

        def spying_open(archive, name, mode="r", *args, **kwargs):
            info = name if isinstance(name, zipfile.ZipInfo) else archive.getinfo(name)
            names.append(info.filename)
            if mode == "r" and (info.filename == "padding.npy" or info.file_size > 100_000_000):
                raise AssertionError(f"inflated {info.filename} ({info.file_size:,} bytes declared)")
            return original(archive, name, mode, *args, **kwargs)

        monkeypatch.setattr(zipfile.ZipFile, "open", spying_open)
        return names

    return watch


def _saved(tmp_path: Path, **options) -> Path:
    path = tmp_path / "model.npz"
    make_model(**options).save(path)
    return path


def test_extra_member_inflating_to_2_gb_is_refused_by_name_without_being_opened(tmp_path, watch_opens) -> None:
    bomb = npz_with_bomb(_saved(tmp_path, kind="lstm", layers=2), tmp_path / "bomb.npz", inflated=TWO_GB)

    opened = watch_opens()
    message = refusal(bomb)

    assert "unexpected array padding" in message
    assert "padding.npy" not in opened


def test_extra_member_beside_a_pytorch_state_dict_is_refused_by_name_without_being_opened(
    tmp_path, watch_opens
) -> None:
    arrays = read_arrays(_saved(tmp_path, kind="gru", text=False, head=False))
    state_dict = write_arrays(tmp_path / "state_dict.npz", {k: v for k, v in arrays.items() if k != "__gatescope__"})
    bomb = npz_with_bomb(state_dict, tmp_path / "bomb.npz", inflated=TWO_GB)

    opened = watch_opens()
    message = refusal(bomb)

    assert "unexpected arrays padding" in message
    assert opened == []


def test_needed_member_declaring_more_than_the_file_budget_is_refused_before_any_weight_is_opened(
    tmp_path, watch_opens
) -> None:
    source = _saved(tmp_path, kind="lstm")
    members = [(info.filename, data) for info, data in _members(source) if info.filename != "embedding.npy"]
    bomb = write_zip_with_bomb(tmp_path / "bomb.npz", members, "embedding.npy", npy_header((TWO_GB,), "|u1"), TWO_GB)

    opened = watch_opens()
    message = refusal(bomb)

    assert "'embedding'" in message and "2 GB" in message and "too large" in message
    assert opened == ["__gatescope__.npy"]


def test_member_inflating_to_more_than_its_zip_entry_declares_is_refused_as_damaged(tmp_path) -> None:
    source = _saved(tmp_path, kind="lstm")
    members = [(info.filename, data) for info, data in _members(source) if info.filename != "embedding.npy"]
    header = npy_header((9, 4))
    bomb = write_zip_with_bomb(
        tmp_path / "bomb.npz", members, "embedding.npy", header, 200_000_000, declared=len(header) + 9 * 4 * 4
    )

    message = refusal(bomb)

    assert "damaged" in message  # zipfile stops at the declared size and finds the CRC wrong


def test_npy_header_disagreeing_with_the_size_its_zip_entry_declares_is_refused_as_damaged(tmp_path) -> None:
    source = _saved(tmp_path, kind="lstm")
    members = [(info.filename, data) for info, data in _members(source) if info.filename != "embedding.npy"]
    header = npy_header((9, 4))
    bomb = write_zip_with_bomb(tmp_path / "bomb.npz", members, "embedding.npy", header, 9 * 4 * 4 + 1000)

    message = refusal(bomb)

    assert "'embedding' holds 1,144 bytes, more than its header declares (144)" in message


def test_reading_the_metadata_opens_no_other_member(tmp_path, watch_opens) -> None:
    bomb = npz_with_bomb(_saved(tmp_path, kind="lstm"), tmp_path / "bomb.npz", inflated=TWO_GB)

    opened = watch_opens()
    meta = native.read_metadata(bomb)

    assert meta["name"] == "test-lstm"
    assert opened == ["__gatescope__.npy"]


def test_a_shipped_model_loads_within_the_budget() -> None:
    path = model_path("lstm-sentiment")
    assert path is not None
    with NpzArchive(path) as archive:
        declared = sum(archive.declared_size(name) for name in archive.names)

    assert declared < MAX_FILE_BYTES / 100


def test_budget_refuses_what_its_reservations_add_up_to_and_names_the_largest() -> None:
    budget = ReadBudget("model.npz", total=1000, per_array=600)
    budget.reserve({"a": 400, "b": 300})

    with pytest.raises(GatescopeError, match=r"model.npz: .* declare 1.3 kB in all \(the largest, 'c', 600 bytes\)"):
        budget.reserve({"c": 600})


def test_array_bytes_does_not_wrap_around_for_shapes_beyond_int64() -> None:
    assert array_bytes((1 << 32, 1 << 32), np.dtype("<f4")) == 1 << 66


# --- standalone .npy files (gatescope trace --array) ---------------------------------------------------------------


def test_npy_whose_header_claims_a_huge_shape_is_refused_without_allocating(tmp_path) -> None:
    path = write_npy_header_only(tmp_path / "huge.npy", (10**6, 10**6))

    with pytest.raises(GatescopeError, match=r"huge.npy' claims 4 TB .* refused as too large"):
        read_npy(path)


def test_npy_whose_header_claims_more_than_the_file_holds_is_refused_as_truncated(tmp_path) -> None:
    path = tmp_path / "short.npy"
    path.write_bytes(npy_header((1000, 4)) + bytes(100))

    with pytest.raises(GatescopeError, match=r"is truncated \(100 of 16,000 bytes\)"):
        read_npy(path)


@pytest.mark.parametrize(
    "array",
    [
        np.arange(12, dtype=">f4").reshape(3, 4),
        np.asfortranarray(np.arange(24.0).reshape(2, 3, 4)),
        np.zeros((0, 5), np.float32),
        np.array(2.5),
    ],
    ids=["big-endian", "fortran-order", "empty", "scalar"],
)
def test_npy_reads_back_exactly_what_numpy_saved(tmp_path, array: np.ndarray) -> None:
    path = tmp_path / "x.npy"
    np.save(path, array)

    read = read_npy(path)

    assert read.dtype == array.dtype and read.shape == array.shape and read.flags.c_contiguous
    np.testing.assert_array_equal(read, array)


def test_per_array_cap_is_below_the_file_budget() -> None:
    assert MAX_ARRAY_BYTES <= MAX_FILE_BYTES


# --- the exact case of issue 14, in a fresh process with little memory ----------------------------------------------


@pytest.mark.slow
def test_trace_refuses_a_2_gb_zip_bomb_in_a_process_limited_to_1_gb(tmp_path) -> None:
    bomb = npz_with_bomb(_saved(tmp_path, kind="lstm"), tmp_path / "bomb.npz", inflated=TWO_GB)

    result = run_cli_limited(["trace", str(bomb), "ab"], address_space=1_000_000_000)

    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("gatescope: error:") and "padding" in result.stderr


def _members(path: Path) -> list[tuple[zipfile.ZipInfo, bytes]]:
    with zipfile.ZipFile(path) as archive:
        return [(info, archive.read(info)) for info in archive.infolist()]
