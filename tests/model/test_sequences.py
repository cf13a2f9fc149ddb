"""Inputs that are not text: token ids typed as numbers, and number sequences read strictly from CSV or .npy."""

from __future__ import annotations

import numpy as np
import pytest

from gatescope import GatescopeError
from gatescope.model.sequences import (
    InputProblem,
    check_width,
    example_ids,
    example_sequence,
    ids_text,
    parse_ids,
    read_sequence,
)


def test_a_csv_of_numbers_is_one_row_per_step(tmp_path):
    path = tmp_path / "walk.csv"
    path.write_text("0.5,-1,2e-3\n1,2,3\n\n-4.25, 5 ,6\n", encoding="utf-8")
    sequence = read_sequence(path)
    np.testing.assert_array_equal(sequence, [[0.5, -1, 0.002], [1, 2, 3], [-4.25, 5, 6]])
    assert sequence.dtype == np.float64


def test_a_csv_of_one_column_is_one_feature_a_step(tmp_path):
    path = tmp_path / "level.csv"
    path.write_text("1\n2\n3\n", encoding="utf-8")
    assert read_sequence(path).shape == (3, 1)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("x,y\n1,2\n", r"line 1, column 1: 'x' is not a number.*no header row"),
        ("1,2\n3\n", "line 2 has 1 numbers but the first row has 2"),
        ("1,nan\n", "line 1, column 2: nan is not a finite number"),
        ("1,inf\n", "is not a finite number"),
        ("1,,2\n", r"column 2: '\(empty\)' is not a number"),
        ("\n\n", "no numbers in it"),
        ("", "no numbers in it"),
    ],
)
def test_a_csv_that_is_not_a_table_of_finite_numbers_is_refused_saying_where(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(GatescopeError, match=message) as error:
        read_sequence(path)
    assert str(error.value).startswith(str(path))


def test_binary_and_missing_files_are_refused(tmp_path):
    binary = tmp_path / "noise.csv"
    binary.write_bytes(b"\xff\xfe\x00\x81" * 10)
    with pytest.raises(GatescopeError, match="not a text file"):
        read_sequence(binary)
    with pytest.raises(GatescopeError, match="no such file"):
        read_sequence(tmp_path / "absent.csv")
    with pytest.raises(GatescopeError, match="is a folder"):
        read_sequence(tmp_path)


def test_an_npy_array_is_read_without_pickles(tmp_path):
    path = tmp_path / "series.npy"
    np.save(path, np.arange(12, dtype=np.float32).reshape(4, 3))
    np.testing.assert_array_equal(read_sequence(path), np.arange(12).reshape(4, 3))
    flat = tmp_path / "flat.npy"
    np.save(flat, np.array([1, 2, 3], dtype=np.int32))
    assert read_sequence(flat).shape == (3, 1)
    objects = tmp_path / "objects.npy"
    np.save(objects, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(GatescopeError, match="Python objects"):
        read_sequence(objects)


@pytest.mark.parametrize(
    ("array", "message"),
    [
        (np.zeros((2, 3, 4)), r"shape \(2, 3, 4\)"),
        (np.zeros((0, 3)), "empty"),
        (np.array([[1.0, np.nan]]), "row 1, column 2 is nan"),
        (np.array([["a", "b"]]), "<U1 values"),
    ],
)
def test_npy_arrays_that_are_no_sequence_of_finite_numbers_are_refused(tmp_path, array, message):
    path = tmp_path / "bad.npy"
    np.save(path, array)
    with pytest.raises(GatescopeError, match=message):
        read_sequence(path)


def test_an_npz_archive_is_not_a_sequence(tmp_path):
    path = tmp_path / "two.npz"
    np.savez(path, a=np.zeros(3))
    with pytest.raises(GatescopeError, match="zip archive"):
        read_sequence(path)


def test_the_width_check_names_both_sizes():
    check_width("walk.csv", np.zeros((5, 3)), 3)
    with pytest.raises(GatescopeError, match="walk.csv: 2 features a step, but the model reads 3"):
        check_width("walk.csv", np.zeros((5, 2)), 3)


def test_typed_ids_are_whole_numbers_in_range_with_their_places():
    ids, spans = parse_ids(" 3 17,  5", 20)
    np.testing.assert_array_equal(ids, [3, 17, 5])
    assert spans == [(1, 2), (3, 5), (8, 9)]
    assert ids_text(ids) == "3 17 5"


@pytest.mark.parametrize(
    ("text", "message", "place"),
    [
        ("3 20 5", "token id 20 is out of range: this model's ids run from 0 to 19", (2, 4)),
        ("3 -1", "token id -1 is out of range", (2, 4)),
        ("3 x", "'x' is not a token id", (2, 3)),
        ("3 2.5", "'2.5' is not a token id", (2, 5)),
        ("3 ²", "'²' is not a token id", (2, 3)),
        ("   ", "no token ids: type numbers from 0 to 19", (0, 3)),
    ],
)
def test_typed_ids_that_cannot_be_read_say_why_and_where(text, message, place):
    problem = parse_ids(text, 20)
    assert isinstance(problem, InputProblem)
    assert message in problem.message and (problem.start, problem.end) == place


def test_examples_fit_the_model():
    np.testing.assert_array_equal(example_ids(100), np.arange(1, 9))
    np.testing.assert_array_equal(example_ids(4), [1, 2, 3])
    np.testing.assert_array_equal(example_ids(1), [0])
    waves = example_sequence(3)
    assert waves.shape == (24, 3) and np.abs(waves).max() <= 1 and not np.allclose(waves[:, 0], waves[:, 1])
