"""Imported layers' options in gatescope's native file: saved per layer, read back exactly, absent in files of
PyTorch's layers (which load with the defaults), and refused when malformed."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

import gatescope
from gatescope.model.formats.native_layout import FORMAT_VERSION, PLAIN_FORMAT_VERSION
from gatescope.model.model import Model
from tests.helpers import (
    assert_models_identical,
    assert_traces_identical,
    make_model,
    metadata_of,
    model_input,
    read_arrays,
    refusal,
    with_metadata,
    write_arrays,
)

LAYER_OPTIONS = [
    {"clip": 0.5, "input_forget": True, "gate_activation": "hard_sigmoid_keras2"},
    {"reverse": True},
    {},
]


def with_layer_options(model: Model, options: list[dict]) -> Model:
    layers = [dataclasses.replace(layer, **chosen) for layer, chosen in zip(model.layers, options)]
    return dataclasses.replace(model, layers=layers)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_layer_options_round_trip_with_every_trace_value(tmp_path: Path, dtype: type) -> None:
    model = with_layer_options(make_model("lstm", layers=3, peepholes=True, dtype=dtype), LAYER_OPTIONS)
    path = tmp_path / "imported.npz"

    model.save(path)
    loaded = gatescope.load_model(path, dtype=dtype)

    assert [layer.options() for layer in loaded.layers] == LAYER_OPTIONS
    assert_models_identical(loaded, model)
    assert_traces_identical(loaded.run(model_input(model)), model.run(model_input(model)))
    assert loaded.run(model_input(model)).layers[1].directions == ("reverse",)


def test_layer_options_are_listed_per_layer_in_a_version_2_file(tmp_path: Path) -> None:
    model = with_layer_options(make_model("gru", layers=2, gru_convention="cho"), [{}, {"clip": 3}])
    model.save(tmp_path / "model.npz")

    meta = metadata_of(read_arrays(tmp_path / "model.npz"))

    assert meta["format_version"] == FORMAT_VERSION == 2
    assert meta["cell"]["layer_options"] == [{}, {"clip": 3.0}]


def test_a_model_of_pytorchs_layers_is_written_as_before(tmp_path: Path) -> None:
    make_model("rnn", layers=2).save(tmp_path / "model.npz")

    meta = metadata_of(read_arrays(tmp_path / "model.npz"))

    assert meta["format_version"] == PLAIN_FORMAT_VERSION == 1
    assert "layer_options" not in meta["cell"]


def test_a_file_without_layer_options_loads_every_layer_with_the_defaults() -> None:
    for path in sorted((Path(gatescope.__file__).parent.parent / "resources" / "models").glob("*.npz")):
        assert all(layer.options() == {} for layer in gatescope.load_model(path).layers), path


def saved_with(tmp_path: Path, edit) -> Path:
    """A 2-layer LSTM file whose metadata ``edit`` changed."""
    make_model("lstm", layers=2).save(tmp_path / "model.npz")
    arrays = read_arrays(tmp_path / "model.npz")
    meta = metadata_of(arrays)
    edit(meta["cell"])
    return write_arrays(tmp_path / "edited.npz", with_metadata(arrays, meta))


@pytest.mark.parametrize(
    ("layer_options", "message"),
    [
        ([{"clip": 1.0}], "cell 'layer_options' lists 1 layers; the cell has 2"),
        ({"clip": 1.0}, "metadata 'layer_options' must be list, not dict"),
        ([{}, "reverse"], "each of cell 'layer_options' must be an object, not str"),
        ([{}, {"peepholes": True}], "unknown layer option 'peepholes' in cell 'layer_options'; expected clip"),
        ([{"clip": "0.5"}, {}], "layer option 'clip' must be int or float or null, not str"),
        ([{"reverse": 1}, {}], "layer option 'reverse' must be bool, not int"),
        ([{"clip": -1}, {}], "clip must be a positive finite number"),
        ([{}, {"gate_activation": "softsign"}], "unknown gate activation 'softsign'"),
        ([{}, {"activation": "relu"}], "activation 'relu' is not supported"),
    ],
)
def test_malformed_layer_options_are_refused_naming_the_problem(tmp_path: Path, layer_options, message: str) -> None:
    path = saved_with(tmp_path, lambda cell: cell.update(layer_options=layer_options))

    assert message in refusal(path)
