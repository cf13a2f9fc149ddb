"""Bad metadata in a native model file is refused with a message that names the key and the problem."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gatescope.model.formats.native_layout import FORMAT_VERSION
from tests.helpers import (
    UNITS,
    make_model,
    metadata_of,
    read_arrays,
    refusal,
    with_metadata,
    write_arrays,
)


def edit_metadata(tmp_path: Path, arrays: dict, edit) -> Path:
    meta = metadata_of(arrays)
    edit(meta)
    return write_arrays(tmp_path / "model.npz", with_metadata(arrays, meta))


def test_unknown_cell_kind_raises_gatescope_error_naming_it(tmp_path: Path, reference_arrays: dict) -> None:
    path = edit_metadata(tmp_path, reference_arrays, lambda meta: meta["cell"].update(kind="transformer"))

    message = refusal(path)

    assert "unknown cell kind 'transformer'" in message


def test_unknown_gru_convention_raises_gatescope_error_naming_it(tmp_path: Path) -> None:
    saved = tmp_path / "gru.npz"
    make_model("gru").save(saved)
    path = edit_metadata(tmp_path, read_arrays(saved), lambda meta: meta["cell"].update(gru_convention="keras"))

    message = refusal(path)

    assert "unknown GRU convention 'keras'" in message


def test_unknown_rnn_nonlinearity_raises_gatescope_error_naming_it(tmp_path: Path) -> None:
    saved = tmp_path / "rnn.npz"
    make_model("rnn").save(saved)
    path = edit_metadata(tmp_path, read_arrays(saved), lambda meta: meta["cell"].update(nonlinearity="gelu"))

    message = refusal(path)

    assert "'gelu'" in message


def test_newer_format_version_raises_gatescope_error_asking_to_update(tmp_path: Path, reference_arrays: dict) -> None:
    newer = FORMAT_VERSION + 1
    path = edit_metadata(tmp_path, reference_arrays, lambda meta: meta.update(format_version=newer))

    message = refusal(path)

    assert f"format version {newer} is newer" in message
    assert "update gatescope" in message


def test_non_integer_format_version_is_reported_as_invalid_not_as_newer(tmp_path: Path, reference_arrays: dict) -> None:
    path = edit_metadata(tmp_path, reference_arrays, lambda meta: meta.update(format_version="1"))

    message = refusal(path)

    assert "newer" not in message


def test_other_format_name_raises_gatescope_error(tmp_path: Path, reference_arrays: dict) -> None:
    path = edit_metadata(tmp_path, reference_arrays, lambda meta: meta.update(format="keras-h5"))

    message = refusal(path)

    assert "'keras-h5'" in message
    assert "'gatescope-model'" in message


def test_metadata_without_cell_raises_gatescope_error_naming_the_key(tmp_path: Path, reference_arrays: dict) -> None:
    path = edit_metadata(tmp_path, reference_arrays, lambda meta: meta.pop("cell"))

    message = refusal(path)

    assert "missing 'cell'" in message


def test_metadata_units_of_the_wrong_type_raise_gatescope_error(tmp_path: Path, reference_arrays: dict) -> None:
    path = edit_metadata(tmp_path, reference_arrays, lambda meta: meta["cell"].update(units="3"))

    message = refusal(path)

    assert "'units' must be int, not str" in message


def test_metadata_units_unlike_the_weights_raise_gatescope_error_with_both_counts(
    tmp_path: Path, reference_arrays: dict
) -> None:
    path = edit_metadata(tmp_path, reference_arrays, lambda meta: meta["cell"].update(units=5))

    message = refusal(path)

    assert f"{UNITS} units" in message
    assert "metadata says 5" in message


def test_unknown_tokenizer_kind_raises_gatescope_error(tmp_path: Path, reference_arrays: dict) -> None:
    path = edit_metadata(tmp_path, reference_arrays, lambda meta: meta["tokenizer"].update(kind="bpe"))

    message = refusal(path)

    assert "'bpe'" in message


def test_vocabulary_with_a_repeated_token_raises_gatescope_error(tmp_path: Path, reference_arrays: dict) -> None:
    path = edit_metadata(tmp_path, reference_arrays, lambda meta: meta["vocabulary"]["tokens"].__setitem__(2, "a"))

    message = refusal(path)

    assert "'a' appears twice" in message


@pytest.mark.parametrize(
    ("payload", "problem"),
    [
        (b"{not json", "not valid JSON"),
        (b"\xff\xfe{}", "not valid JSON"),
        (b"", "not valid JSON"),
        (b"[1, 2, 3]", "must be a JSON object"),
        (b'"a string"', "must be a JSON object"),
        (b"null", "must be a JSON object"),
    ],
    ids=["broken-json", "not-utf8", "empty", "array", "string", "null"],
)
def test_metadata_that_is_not_a_json_object_raises_gatescope_error(
    tmp_path: Path, reference_arrays: dict, payload: bytes, problem: str
) -> None:
    arrays = {**reference_arrays, "__gatescope__": np.frombuffer(payload, np.uint8)}
    path = write_arrays(tmp_path / "model.npz", arrays)

    message = refusal(path)

    assert "'__gatescope__'" in message
    assert problem in message


def test_metadata_stored_as_floats_raises_gatescope_error_saying_it_must_be_bytes(
    tmp_path: Path, reference_arrays: dict
) -> None:
    arrays = {**reference_arrays, "__gatescope__": np.zeros(8, np.float32)}
    path = write_arrays(tmp_path / "model.npz", arrays)

    message = refusal(path)

    assert "UTF-8 JSON bytes" in message
