"""Arrays that do not fit the metadata (missing, extra, wrong shape, NaN, wrong dtype, sizes that disagree) are
refused with a message that names the array, what was found and what was expected."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.helpers import (
    CHARACTERS,
    EMBEDDING_WIDTH,
    UNITS,
    make_model,
    metadata_of,
    read_arrays,
    refusal,
    with_metadata,
    write_arrays,
)


@pytest.mark.parametrize("name", ["weight_hh_l1", "bias_ih_l0", "embedding", "head_bias"])
def test_missing_array_raises_gatescope_error_naming_it(tmp_path: Path, reference_arrays: dict, name: str) -> None:
    arrays = {key: value for key, value in reference_arrays.items() if key != name}
    path = write_arrays(tmp_path / "model.npz", arrays)

    message = refusal(path)

    assert f"missing array {name}" in message


def test_several_missing_arrays_are_all_named(tmp_path: Path, reference_arrays: dict) -> None:
    arrays = {key: value for key, value in reference_arrays.items() if not key.endswith("_l1")}
    path = write_arrays(tmp_path / "model.npz", arrays)

    message = refusal(path)

    for name in ("weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1"):
        assert name in message


@pytest.mark.parametrize("name", ["weight_ih_l2", "peephole_l0", "weight_ih_l0_reverse", "optimizer_state"])
def test_extra_array_raises_gatescope_error_naming_it(tmp_path: Path, reference_arrays: dict, name: str) -> None:
    arrays = {**reference_arrays, name: np.zeros((4 * UNITS, UNITS), np.float32)}
    path = write_arrays(tmp_path / "model.npz", arrays)

    message = refusal(path)

    assert "unexpected array" in message
    assert name in message


def test_metadata_describing_fewer_layers_than_the_file_holds_names_the_extra_arrays(
    tmp_path: Path, reference_arrays: dict
) -> None:
    meta = metadata_of(reference_arrays)
    meta["cell"]["layers"] = 1
    path = write_arrays(tmp_path / "model.npz", with_metadata(reference_arrays, meta))

    message = refusal(path)

    assert "unexpected arrays" in message
    assert "weight_ih_l1" in message


@pytest.mark.parametrize(
    ("name", "bad_shape", "expected_shape"),
    [
        ("weight_ih_l0", (4 * UNITS + 1, EMBEDDING_WIDTH), (4 * UNITS, EMBEDDING_WIDTH)),
        ("bias_ih_l0", (4 * UNITS + 2,), (4 * UNITS,)),
        ("bias_hh_l1", (UNITS,), (4 * UNITS,)),
        ("weight_ih_l1", (4 * UNITS - 1, UNITS), (4 * UNITS, UNITS)),
    ],
)
def test_wrong_weight_shape_message_states_found_and_expected_shapes(
    tmp_path: Path, reference_arrays: dict, name: str, bad_shape: tuple, expected_shape: tuple
) -> None:
    arrays = {**reference_arrays, name: np.zeros(bad_shape, np.float32)}
    path = write_arrays(tmp_path / "model.npz", arrays)

    message = refusal(path)

    assert str(bad_shape) in message
    assert str(expected_shape) in message


def test_wrong_peephole_shape_message_states_found_and_expected_shapes(tmp_path: Path) -> None:
    saved = tmp_path / "peepholes.npz"
    make_model("lstm", peepholes=True).save(saved)
    arrays = {**read_arrays(saved), "peephole_l0": np.zeros((2, UNITS), np.float32)}
    path = write_arrays(tmp_path / "model.npz", arrays)

    message = refusal(path)

    assert "peephole" in message
    assert f"(2, {UNITS})" in message
    assert f"(3, {UNITS})" in message


def test_wrong_weight_shape_message_names_the_array_with_its_layer(tmp_path: Path, reference_arrays: dict) -> None:
    arrays = {**reference_arrays, "weight_ih_l1": np.zeros((4 * UNITS + 1, UNITS), np.float32)}
    path = write_arrays(tmp_path / "model.npz", arrays)

    message = refusal(path)

    assert "weight_ih_l1" in message


def test_weight_hh_with_the_wrong_unit_count_is_named_with_its_found_and_expected_shape(
    tmp_path: Path, reference_arrays: dict
) -> None:
    arrays = {**reference_arrays, "weight_hh_l0": np.zeros((4 * UNITS, UNITS + 1), np.float32)}
    path = write_arrays(tmp_path / "model.npz", arrays)

    message = refusal(path)

    assert "weight_hh_l0" in message
    assert f"(12, {UNITS + 1})" in message
    assert f"(12, {UNITS})" in message


def test_array_only_model_whose_weight_ih_disagrees_with_metadata_input_size_is_refused(tmp_path: Path) -> None:
    saved = tmp_path / "arrays.npz"
    make_model("gru", text=False, head=False).save(saved)
    arrays = {**read_arrays(saved), "weight_ih_l0": np.zeros((3 * UNITS, EMBEDDING_WIDTH + 1), np.float32)}
    path = write_arrays(tmp_path / "model.npz", arrays)

    message = refusal(path)

    assert f"(9, {EMBEDDING_WIDTH + 1})" in message
    assert f"(9, {EMBEDDING_WIDTH})" in message


def test_weight_hh_with_the_wrong_unit_count_is_refused(tmp_path: Path, reference_arrays: dict) -> None:
    arrays = {**reference_arrays, "weight_hh_l0": np.zeros((4 * UNITS, UNITS + 1), np.float32)}
    path = write_arrays(tmp_path / "model.npz", arrays)

    refusal(path)


@pytest.mark.parametrize("bad", [np.zeros(4 * UNITS, np.float32), np.float32(1.0)], ids=["1-D", "0-D"])
def test_weight_that_is_not_2d_raises_gatescope_error_saying_2d(
    tmp_path: Path, reference_arrays: dict, bad: np.ndarray
) -> None:
    arrays = {**reference_arrays, "weight_ih_l0": bad}
    path = write_arrays(tmp_path / "model.npz", arrays)

    message = refusal(path)

    assert "2-D" in message


def test_scalar_weight_hh_message_reports_the_scalar_shape(tmp_path: Path, reference_arrays: dict) -> None:
    arrays = {**reference_arrays, "weight_hh_l0": np.float32(1.0)}
    path = write_arrays(tmp_path / "model.npz", arrays)

    message = refusal(path)

    assert "weight_hh" in message
    assert "()" in message


@pytest.mark.parametrize(
    ("name", "value", "position"),
    [
        ("weight_ih_l0", np.nan, (0, 0)),
        ("weight_hh_l1", np.inf, (5, 2)),
        ("bias_ih_l0", -np.inf, (3,)),
        ("embedding", np.nan, (2, 1)),
        ("head_weight", np.inf, (1, 0)),
        ("head_bias", np.nan, (0,)),
    ],
)
def test_nan_or_infinite_weight_raises_gatescope_error(
    tmp_path: Path, reference_arrays: dict, name: str, value: float, position: tuple
) -> None:
    poisoned = reference_arrays[name].copy()
    poisoned[position] = value
    path = write_arrays(tmp_path / "model.npz", {**reference_arrays, name: poisoned})

    message = refusal(path)

    assert "NaN or infinite" in message


@pytest.mark.parametrize(
    ("name", "dtype"),
    [
        ("weight_hh_l0", np.int32),
        ("embedding", np.int64),
        ("head_bias", np.int8),
        ("bias_ih_l1", np.bool_),
        ("weight_ih_l1", np.complex64),
    ],
)
def test_non_float_weights_raise_gatescope_error_naming_the_array_and_dtype(
    tmp_path: Path, reference_arrays: dict, name: str, dtype
) -> None:
    arrays = {**reference_arrays, name: reference_arrays[name].astype(dtype)}
    path = write_arrays(tmp_path / "model.npz", arrays)

    message = refusal(path)

    assert f"'{name}'" in message
    assert str(np.dtype(dtype)) in message
    assert "floating point" in message


def test_vocabulary_larger_than_the_embedding_raises_gatescope_error_with_both_sizes(
    tmp_path: Path, reference_arrays: dict
) -> None:
    meta = metadata_of(reference_arrays)
    meta["vocabulary"]["tokens"].append("z")
    path = write_arrays(tmp_path / "model.npz", with_metadata(reference_arrays, meta))

    message = refusal(path)

    assert f"embedding has {len(CHARACTERS)} rows" in message
    assert f"vocabulary has {len(CHARACTERS) + 1} tokens" in message


def test_embedding_with_fewer_rows_than_the_vocabulary_raises_gatescope_error(
    tmp_path: Path, reference_arrays: dict
) -> None:
    arrays = {**reference_arrays, "embedding": reference_arrays["embedding"][:-2]}
    path = write_arrays(tmp_path / "model.npz", arrays)

    message = refusal(path)

    assert f"embedding has {len(CHARACTERS) - 2} rows" in message


def test_embedding_width_unlike_the_first_layer_input_size_raises_gatescope_error(
    tmp_path: Path, reference_arrays: dict
) -> None:
    arrays = {**reference_arrays, "embedding": np.zeros((len(CHARACTERS), EMBEDDING_WIDTH + 2), np.float32)}
    path = write_arrays(tmp_path / "model.npz", arrays)

    message = refusal(path)

    assert f"embedding gives {EMBEDDING_WIDTH + 2} features but layer 0 reads {EMBEDDING_WIDTH}" in message


def test_head_width_unlike_the_top_layer_raises_gatescope_error(tmp_path: Path, reference_arrays: dict) -> None:
    arrays = {**reference_arrays, "head_weight": np.zeros((2, UNITS + 1), np.float32)}
    path = write_arrays(tmp_path / "model.npz", arrays)

    message = refusal(path)

    assert f"head reads {UNITS + 1} features but the top layer gives {UNITS}" in message


def test_head_bias_length_unlike_head_weight_rows_raises_gatescope_error(
    tmp_path: Path, reference_arrays: dict
) -> None:
    arrays = {**reference_arrays, "head_bias": np.zeros(3, np.float32)}
    path = write_arrays(tmp_path / "model.npz", arrays)

    message = refusal(path)

    assert "(3,)" in message
    assert f"(2, {UNITS})" in message


def test_label_count_unlike_head_outputs_raises_gatescope_error(tmp_path: Path, reference_arrays: dict) -> None:
    meta = metadata_of(reference_arrays)
    meta["head"]["labels"] = ["negative", "neutral", "positive"]
    path = write_arrays(tmp_path / "model.npz", with_metadata(reference_arrays, meta))

    message = refusal(path)

    assert "2 outputs but 3 labels" in message
