"""gatescope's native model file: exact round trips of every kind of model, and dtype on loading."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

import gatescope
from gatescope import GatescopeError
from tests.helpers import (
    EMBEDDING_WIDTH,
    TEXT,
    UNITS,
    assert_models_identical,
    assert_traces_identical,
    make_model,
    metadata_of,
    model_input,
    read_arrays,
)

ROUND_TRIP_CASES = {
    "lstm": dict(kind="lstm"),
    "lstm_peepholes": dict(kind="lstm", peepholes=True),
    "lstm_bidirectional": dict(kind="lstm", bidirectional=True),
    "lstm_two_layers": dict(kind="lstm", layers=2),
    "lstm_peepholes_bidirectional_two_layers": dict(kind="lstm", layers=2, bidirectional=True, peepholes=True),
    "gru_pytorch": dict(kind="gru", gru_convention="pytorch"),
    "gru_cho": dict(kind="gru", gru_convention="cho"),
    "gru_cho_bidirectional_two_layers": dict(kind="gru", layers=2, bidirectional=True, gru_convention="cho"),
    "rnn_tanh": dict(kind="rnn", nonlinearity="tanh"),
    "rnn_relu": dict(kind="rnn", nonlinearity="relu"),
    "rnn_relu_bidirectional_two_layers": dict(kind="rnn", layers=2, bidirectional=True, nonlinearity="relu"),
    "lstm_bias_false": dict(kind="lstm", bias=False),
    "gru_bias_false_two_layers": dict(kind="gru", layers=2, bias=False),
    "rnn_bias_false": dict(kind="rnn", bias=False),
    "word_text_model": dict(kind="lstm", word_tokens=True),
    "text_model_without_head": dict(kind="gru", head=False),
    "head_without_labels": dict(kind="lstm", labels=False),
    "array_only_with_head": dict(kind="lstm", text=False),
    "array_only_without_head": dict(kind="gru", text=False, head=False, bidirectional=True),
    "float64_model": dict(kind="lstm", peepholes=True, dtype=np.float64),
}


@pytest.mark.parametrize("options", ROUND_TRIP_CASES.values(), ids=ROUND_TRIP_CASES.keys())
def test_save_then_load_round_trips_every_part_of_the_model_exactly(tmp_path: Path, options: dict) -> None:
    model = make_model(**options)
    path = tmp_path / "model.npz"
    dtype = options.get("dtype", np.float32)

    model.save(path)
    reloaded = gatescope.load_model(path, dtype=dtype)

    assert_models_identical(reloaded, model)
    assert reloaded.source == path


@pytest.mark.parametrize("options", ROUND_TRIP_CASES.values(), ids=ROUND_TRIP_CASES.keys())
def test_reloaded_model_produces_an_identical_trace(tmp_path: Path, options: dict) -> None:
    model = make_model(**options)
    path = tmp_path / "model.npz"
    model.save(path)
    reloaded = gatescope.load_model(path, dtype=options.get("dtype", np.float32))

    original_trace = model.run(model_input(model))
    reloaded_trace = reloaded.run(model_input(model))

    assert_traces_identical(reloaded_trace, original_trace)


def test_round_trip_keeps_a_custom_unknown_token_and_marks_the_same_tokens_unknown(tmp_path: Path) -> None:
    model = make_model("lstm", word_tokens=True)
    path = tmp_path / "words.npz"
    model.save(path)

    reloaded = gatescope.load_model(path)
    trace = reloaded.run("Hello mars, world")

    assert reloaded.vocabulary.unknown == "?"
    assert trace.tokens == ["Hello", "mars", ",", "world"]
    assert trace.unknown == [False, True, False, False]


def test_case_sensitive_word_tokenizer_stays_case_sensitive_after_a_round_trip(tmp_path: Path) -> None:
    model = make_model("gru", word_tokens=True)
    path = tmp_path / "words.npz"
    model.save(path)

    trace = gatescope.load_model(path).run("hello Hello")

    assert trace.unknown == [True, False]


def test_bias_free_model_is_saved_without_bias_arrays_and_reloads_with_zero_biases(tmp_path: Path) -> None:
    model = make_model("lstm", layers=2, bias=False)
    path = tmp_path / "model.npz"

    model.save(path)
    arrays = read_arrays(path)
    reloaded = gatescope.load_model(path)

    assert not any(name.startswith("bias_") for name in arrays)
    assert metadata_of(arrays)["cell"]["bias"] is False
    for layer in reloaded.layers:
        for direction in layer.directions:
            np.testing.assert_array_equal(direction.bias_ih, 0.0)
            np.testing.assert_array_equal(direction.bias_hh, 0.0)


def test_saved_file_holds_pytorch_named_arrays_and_json_metadata_readable_without_pickle(tmp_path: Path) -> None:
    path = tmp_path / "model.npz"
    make_model("lstm", bidirectional=True, peepholes=True).save(path)

    arrays = read_arrays(path)
    meta = metadata_of(arrays)

    assert set(arrays) == {
        "weight_ih_l0",
        "weight_hh_l0",
        "bias_ih_l0",
        "bias_hh_l0",
        "peephole_l0",
        "weight_ih_l0_reverse",
        "weight_hh_l0_reverse",
        "bias_ih_l0_reverse",
        "bias_hh_l0_reverse",
        "peephole_l0_reverse",
        "embedding",
        "head_weight",
        "head_bias",
        "__gatescope__",
    }
    assert arrays["weight_ih_l0"].shape == (4 * UNITS, EMBEDDING_WIDTH)
    assert arrays["peephole_l0"].shape == (3, UNITS)
    assert meta["format"] == "gatescope-model"
    assert meta["format_version"] == 1
    assert meta["cell"] == {
        "kind": "lstm",
        "layers": 1,
        "units": UNITS,
        "input_size": EMBEDDING_WIDTH,
        "bidirectional": True,
        "bias": True,
        "peepholes": True,
    }


def test_float32_file_loaded_as_float64_keeps_every_value_and_computes_in_float64(tmp_path: Path) -> None:
    model = make_model("lstm", layers=2, bidirectional=True, peepholes=True)
    path = tmp_path / "model.npz"
    model.save(path)

    wide = gatescope.load_model(path, dtype=np.float64)
    trace = wide.run(TEXT)

    assert wide.dtype == np.float64
    assert wide.embedding.dtype == np.float64
    assert wide.head.weight.dtype == np.float64
    for got, want in zip(wide.layers, model.layers):
        for got_dir, want_dir in zip(got.directions, want.directions):
            assert got_dir.weight_ih.dtype == np.float64
            np.testing.assert_array_equal(got_dir.weight_ih, want_dir.weight_ih.astype(np.float64))
            np.testing.assert_array_equal(got_dir.weight_hh, want_dir.weight_hh.astype(np.float64))
            np.testing.assert_array_equal(got_dir.peephole, want_dir.peephole.astype(np.float64))
    np.testing.assert_array_equal(wide.embedding, model.embedding.astype(np.float64))
    assert trace.layers[-1].h.dtype == np.float64
    assert trace.outputs.dtype == np.float64
    np.testing.assert_allclose(trace.layers[-1].h, model.run(TEXT).layers[-1].h, rtol=0, atol=1e-5)


def test_float64_file_loaded_with_the_default_dtype_computes_in_float32(tmp_path: Path) -> None:
    path = tmp_path / "model.npz"
    make_model("gru", dtype=np.float64).save(path)

    model = gatescope.load_model(path)

    assert model.dtype == np.float32
    assert model.run(TEXT).layers[0].h.dtype == np.float32


@pytest.mark.parametrize("dtype", [np.float16, np.int32, "complex64"])
def test_load_with_a_dtype_other_than_float32_or_float64_raises(tmp_path: Path, dtype) -> None:
    path = tmp_path / "model.npz"
    make_model("rnn").save(path)

    with pytest.raises(GatescopeError, match="float32 or float64"):
        gatescope.load_model(path, dtype=dtype)


def test_model_without_a_name_is_named_after_its_file(tmp_path: Path) -> None:
    model = make_model("rnn")
    model.name = ""
    path = tmp_path / "my-little-rnn.npz"
    model.save(path)

    assert gatescope.load_model(path).name == "my-little-rnn"


def test_built_in_model_saved_elsewhere_reloads_identically(tmp_path: Path) -> None:
    model = gatescope.load_model("bracket-counter")
    path = tmp_path / "copy.npz"

    model.save(path)
    copy = gatescope.load_model(path)

    assert_models_identical(copy, model)
    assert_traces_identical(copy.run("(a(b)c) d"), model.run("(a(b)c) d"))


def test_save_accepts_a_str_path_and_a_name_without_npz_suffix(tmp_path: Path) -> None:
    model = make_model("lstm")
    path = tmp_path / "model-file"

    model.save(str(path))

    assert sorted(os.listdir(tmp_path)) == ["model-file"]
    assert_models_identical(gatescope.load_model(path), model)
