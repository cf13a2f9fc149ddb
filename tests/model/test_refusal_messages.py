"""What the API says about input it cannot use: file paths the file system refuses, unknown users' homes, data types,
numbers too large for the computation, steps out of range, a missing save path. Every refusal is a GatescopeError
whose message names what was found and what to do."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

import gatescope
from gatescope import GatescopeError, Model
from gatescope.model.zoo import model_path
from tests.helpers import leftovers, make_model

LONG_NAME = "a" * 300  # longer than the 255 bytes a name may have on every common file system


@pytest.fixture(scope="module")
def bracket_counter() -> Model:
    return gatescope.load_model("bracket-counter")


@pytest.fixture(scope="module")
def sentiment() -> Model:
    return gatescope.load_model("lstm-sentiment")


def message(call) -> str:
    with pytest.raises(GatescopeError) as caught:
        call()
    return str(caught.value)


# --- paths: reading a model ---------------------------------------------------------------------------------------


def test_model_name_longer_than_the_file_system_allows_says_the_name_is_too_long() -> None:
    assert message(lambda: gatescope.load_model(LONG_NAME)) == (
        f"{'a' * 40}…{'a' * 40} (300 characters): cannot read it: the name is too long for the file system "
        f"(a name of 300 bytes; at most 255 here); choose a shorter name"
    )


def test_model_file_name_longer_than_the_file_system_allows_says_the_name_is_too_long(tmp_path: Path) -> None:
    path = tmp_path / f"{LONG_NAME}.npz"

    text = message(lambda: gatescope.load_model(path))

    assert text.startswith(f"{str(path)[:40]}…{'a' * 36}.npz ({len(str(path))} characters): cannot read it: ")
    assert text.endswith(
        "the name is too long for the file system (a name of 304 bytes; at most 255 here); choose a shorter name"
    )


def test_model_path_in_an_unknown_users_home_says_there_is_no_such_user() -> None:
    assert message(lambda: gatescope.load_model("~nosuchuser/model.npz")) == (
        "~nosuchuser/model.npz: there is no user 'nosuchuser' on this system (~nosuchuser stands for their home "
        "folder); check the name or give the full path"
    )


def test_model_path_through_a_loop_of_symbolic_links_says_so(tmp_path: Path) -> None:
    loop = tmp_path / "model.npz"
    loop.symlink_to(loop)

    assert message(lambda: gatescope.load_model(loop)) == (
        f"{loop}: cannot read it: too many levels of symbolic links (a link leads back to itself); fix the link or "
        f"give the real path"
    )


def test_model_path_in_the_home_folder_is_expanded(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    shutil.copy(model_path("bracket-counter"), tmp_path / "mine.npz")

    model = gatescope.load_model("~/mine.npz")

    assert model.source == tmp_path / "mine.npz"


def test_a_name_no_file_can_have_is_no_built_in_model() -> None:
    assert model_path(LONG_NAME) is None


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("", "no model given: pass a built-in model name or a file path"),
        ("   ", "no model given: pass a built-in model name or a file path"),
        (42, "load_model takes a built-in model name or a file path, not int"),
        (None, "load_model takes a built-in model name or a file path, not NoneType"),
        (b"bracket-counter", "load_model takes a built-in model name or a file path, not bytes"),
    ],
)
def test_load_model_with_no_usable_source_says_what_it_takes(source, expected: str) -> None:
    assert message(lambda: gatescope.load_model(source)) == expected


# --- data types ---------------------------------------------------------------------------------------------------

CHOICE = "a model computes in float32 or float64: pass np.float32 (the default) or np.float64"


@pytest.mark.parametrize(
    ("dtype", "expected"),
    [
        ("bogus", f"dtype='bogus' is not a NumPy data type; {CHOICE}"),
        (None, f"dtype=None: {CHOICE}"),
        (np.int64, f"dtype=int64: {CHOICE}"),
        ("float16", f"dtype=float16: {CHOICE}"),
        (np.complex128, f"dtype=complex128: {CHOICE}"),
    ],
)
def test_load_model_with_a_dtype_it_cannot_compute_in_says_which_it_can(dtype, expected: str) -> None:
    assert message(lambda: gatescope.load_model("bracket-counter", dtype=dtype)) == expected


@pytest.mark.parametrize("dtype", [np.float32, "float32", np.dtype("float32"), np.float64, "float64"])
def test_load_model_accepts_float32_and_float64_by_type_or_name(dtype) -> None:
    assert gatescope.load_model("bracket-counter", dtype=dtype).dtype == np.dtype(dtype)


# --- numbers too large for the computation ------------------------------------------------------------------------


def test_input_too_large_for_float32_is_refused_instead_of_giving_nan(sentiment: Model) -> None:
    assert message(lambda: sentiment.run(np.full((3, 48), 1e300))) == (
        "input holds values up to 1e+300, too large for float32 (at most ±3.4e+38); scale them down or compute in "
        "float64 (dtype=np.float64)"
    )


@pytest.mark.parametrize("value", [3e38, 4e37])  # 4e37: only the sigmoid gates' pre-activation (10 x) overflows
def test_input_that_overflows_the_gates_is_refused_naming_the_layer_and_step(bracket_counter: Model, value) -> None:
    x = np.zeros((5, bracket_counter.input_size))
    x[3] = value  # fits in float32, but the weighted sum of a gate does not

    assert message(lambda: bracket_counter.run(x)) == (
        f"layer 0 overflows float32 at step 3: its pre-activations pass ±3.4e+38 (the values it reads reach "
        f"{value:.3g}); scale the input down or compute in float64 (dtype=np.float64)"
    )


def test_float64_overflow_is_refused_too() -> None:
    model = gatescope.load_model("lstm-sentiment", dtype=np.float64)

    assert message(lambda: model.run(np.full((2, 48), 1.7e308))) == (
        "layer 0 overflows float64 at step 0: its pre-activations pass ±1.8e+308 (the values it reads reach "
        "1.7e+308); scale the input down"
    )


def test_initial_state_too_large_for_float32_is_refused(bracket_counter: Model) -> None:
    assert message(lambda: bracket_counter.run("(a)", h0=np.full((1, 3), 1e300))) == (
        "h0 holds values up to 1e+300, too large for float32 (at most ±3.4e+38); scale them down or compute in "
        "float64 (dtype=np.float64)"
    )


def test_large_inputs_that_fit_still_run(sentiment: Model) -> None:
    trace = sentiment.run(np.full((3, 48), 1e30))

    assert np.all(np.isfinite(trace.outputs))


# --- steps ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("step", [999, 3, -4])
def test_prediction_after_a_step_the_trace_does_not_have_names_the_steps_it_has(
    bracket_counter: Model, step: int
) -> None:
    trace = bracket_counter.run("(a)")

    assert message(lambda: trace.prediction(step)) == (
        f"step {step}: the trace has steps 0 to 2 (one per token; -1 is the last)"
    )


def test_prediction_step_must_be_a_whole_number(bracket_counter: Model) -> None:
    trace = bracket_counter.run("(a)")

    assert message(lambda: trace.prediction(1.5)) == "step must be a whole number (a token's index), not float"


def test_prediction_counts_negative_steps_from_the_end(bracket_counter: Model) -> None:
    trace = bracket_counter.run("(a(")

    assert trace.prediction(-3) == trace.prediction(0)
    assert trace.prediction(np.int64(2)) == trace.prediction()


# --- saving ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (None, "expected a file path (str or pathlib.Path), not None"),
        (b"model.npz", "expected a file path (str or pathlib.Path), not bytes"),
        ("", "no file path given (the path is empty); give a file name"),
    ],
)
def test_save_without_a_usable_path_says_what_it_takes(path, expected: str) -> None:
    assert message(lambda: make_model("lstm").save(path)) == expected


def test_save_under_a_name_longer_than_the_file_system_allows_says_so_and_leaves_nothing(tmp_path: Path) -> None:
    path = tmp_path / f"{LONG_NAME}.npz"

    text = message(lambda: make_model("lstm").save(path))

    assert text.endswith(
        "cannot write it: the name is too long for the file system (a name of 304 bytes; at most 255 here); choose a "
        "shorter name"
    )
    assert leftovers(tmp_path) == []


def test_save_under_the_longest_name_the_file_system_allows_works(tmp_path: Path) -> None:
    path = tmp_path / f"{'m' * 251}.npz"  # 255 bytes: the temporary file beside it must not be longer

    make_model("lstm").save(path)

    assert os.listdir(tmp_path) == [path.name]


def test_save_into_an_unknown_users_home_says_there_is_no_such_user() -> None:
    assert message(lambda: make_model("lstm").save("~nosuchuser/model.npz")) == (
        "~nosuchuser/model.npz: there is no user 'nosuchuser' on this system (~nosuchuser stands for their home "
        "folder); check the name or give the full path"
    )


def test_save_into_the_home_folder_is_expanded(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))

    make_model("lstm").save("~/mine.npz")

    assert gatescope.load_model(tmp_path / "mine.npz").kind == "lstm"
