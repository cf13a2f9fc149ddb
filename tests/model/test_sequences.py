"""Inputs that are not text: token ids typed as numbers, and sequences of numbers from CSV and .npy files, with the
refusals the command line and the GUI show."""

from __future__ import annotations

import numpy as np
import pytest

from gatescope import GatescopeError
from gatescope.model.sequences import (
    InputProblem,
    example_ids,
    example_sequence,
    ids_text,
    locate_ids,
    parse_ids,
    read_sequence,
)


def test_ids_are_whole_numbers_separated_by_spaces_or_commas():
    ids = parse_ids(" 3 17,5\t0 ", rows=18)

    assert ids.dtype == np.int64 and ids.tolist() == [3, 17, 5, 0]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no token ids given"),
        ("3 x 5", "'x' is not a token id"),
        ("3 1.5", "'1.5' is not a token id"),
        ("-1", "token id -1 is out of range: this model's ids run from 0 to 9"),
        ("3 10", "token id 10 is out of range: this model's ids run from 0 to 9"),
        ("99999999999999999999999", "token id 99999999999999999999999 is out of range"),
    ],
)
def test_bad_ids_are_refused_saying_what_ids_are(text, message):
    with pytest.raises(GatescopeError, match=message):
        parse_ids(text, rows=10)


def test_a_csv_gives_one_step_per_row_and_skips_a_header_comments_and_blank_lines(tmp_path):
    path = tmp_path / "series.csv"
    path.write_text("# sensor log\ntemperature,pressure\n1.5,2\n\n-3e-1, 4\n", encoding="utf-8")

    steps = read_sequence(path, features=2)

    assert steps.shape == (2, 2) and steps.tolist() == [[1.5, 2.0], [-0.3, 4.0]]


@pytest.mark.parametrize("separator", [";", "\t", " "])
def test_a_csv_may_separate_values_with_semicolons_tabs_or_spaces(tmp_path, separator):
    path = tmp_path / "series.csv"
    path.write_text(f"1{separator}2\n3{separator}4\n", encoding="utf-8")

    assert read_sequence(path, features=2).tolist() == [[1, 2], [3, 4]]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "no rows of numbers"),
        ("a,b\n", "only a header row"),
        ("1,2\n3\n", "line 2 has 1 value but line 1 has 2"),
        ("1,2\n3,x\n", "line 2, column 2: 'x' is not a number"),
        ("1,2\n3,\n", "line 2, column 2 is empty"),
        ("1,2\nnan,4\n", "line 2, column 1 is nan; the input must be finite numbers"),
        ("1,2,3\n", "each step has 3 values but the model reads 2 features a step"),
    ],
)
def test_bad_csv_files_are_refused_naming_the_line_and_the_problem(tmp_path, content, message):
    path = tmp_path / "series.csv"
    path.write_text(content, encoding="utf-8")

    with pytest.raises(GatescopeError, match=message) as caught:
        read_sequence(path, features=2)
    assert str(caught.value).startswith(str(path))


def test_a_npy_gives_its_array_and_a_batch_of_one_or_a_single_feature_column(tmp_path):
    for array, features in ((np.ones((4, 3), np.float32), 3), (np.ones((1, 4, 3)), 3), (np.arange(4), 1)):
        np.save(tmp_path / "x.npy", array)
        assert read_sequence(tmp_path / "x.npy", features).shape == (4, features)


@pytest.mark.parametrize(
    ("array", "message"),
    [
        (np.ones((0, 3)), "the sequence has no steps"),
        (np.ones((4, 2)), "each step has 2 values but the model reads 3"),
        (np.ones((2, 4, 3)), r"the array has shape \(2, 4, 3\)"),
        (np.array([[1, np.inf, 2]]), "step 1, feature 2 is inf"),
        (np.array([["a", "b", "c"]]), "holds <U1 values; an input sequence is numbers"),
    ],
)
def test_bad_npy_arrays_are_refused(tmp_path, array, message):
    np.save(tmp_path / "x.npy", array)

    with pytest.raises(GatescopeError, match=message):
        read_sequence(tmp_path / "x.npy", features=3)


def test_a_pickled_object_array_is_refused_without_unpickling_it(tmp_path):
    np.save(tmp_path / "x.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)

    with pytest.raises(GatescopeError, match="x.npy"):
        read_sequence(tmp_path / "x.npy", features=1)


def test_binary_files_that_are_no_array_are_refused(tmp_path):
    path = tmp_path / "noise.bin"
    path.write_bytes(bytes(range(256)))

    with pytest.raises(GatescopeError, match="neither a .npy array nor a CSV"):
        read_sequence(path, features=1)


def test_typed_ids_come_with_their_places_in_the_text():
    ids, spans = locate_ids(" 3 17,  5", 20)
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
        ("   ", "no token ids given", (0, 3)),
    ],
)
def test_typed_ids_that_cannot_be_read_say_why_and_where(text, message, place):
    problem = locate_ids(text, 20)
    assert isinstance(problem, InputProblem)
    assert message in problem.message and (problem.start, problem.end) == place
    with pytest.raises(GatescopeError, match=message):  # the same words as the command line's
        parse_ids(text, 20)


def test_examples_fit_the_model():
    np.testing.assert_array_equal(example_ids(100), np.arange(1, 9))
    np.testing.assert_array_equal(example_ids(4), [1, 2, 3])
    np.testing.assert_array_equal(example_ids(1), [0])
    waves = example_sequence(3)
    assert waves.shape == (24, 3) and np.abs(waves).max() <= 1 and not np.allclose(waves[:, 0], waves[:, 1])


def test_a_folder_or_a_pipe_is_refused_before_it_is_opened(tmp_path):
    import os

    with pytest.raises(GatescopeError, match="is a folder"):
        read_sequence(tmp_path, features=1)
    pipe = tmp_path / "pipe.csv"
    os.mkfifo(pipe)
    with pytest.raises(GatescopeError, match="not a regular file"):
        read_sequence(pipe, features=1)
