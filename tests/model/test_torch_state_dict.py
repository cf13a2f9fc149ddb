"""Specifications for loading a PyTorch nn.LSTM / nn.GRU / nn.RNN state_dict saved with numpy.savez.

Fixtures (scripts/make_reference_fixtures.py, PyTorch 2.13): ``torch_state_dict_{kind}.npz`` is
``np.savez(path, **{k: v.numpy() for k, v in module.state_dict().items()})`` and ``..._expected.npz`` holds the
module's input ``x`` (T=9, 5 features), ``output``, ``h_n`` and, for the LSTM, ``c_n``.
"""

from __future__ import annotations

import io
import pathlib
import zipfile
from pathlib import Path

import numpy as np
import pytest

import gatescope
from gatescope import GatescopeError, Model, Trace

FIXTURES = Path(__file__).parent / "fixtures"
KINDS = ("lstm", "gru", "rnn")
#: kind -> (layers, bidirectional, units, input_size), as the fixture script builds the modules
STRUCTURE = {"lstm": (2, True, 7, 5), "gru": (2, False, 7, 5), "rnn": (1, False, 7, 5)}
TOLERANCE = 1e-5


def fixture_path(kind: str) -> Path:
    return FIXTURES / f"torch_state_dict_{kind}.npz"


def read_arrays(path: Path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as data:
        return {name: data[name] for name in data.files}


def state_dict(kind: str) -> dict[str, np.ndarray]:
    return read_arrays(fixture_path(kind))


def expected(kind: str) -> dict[str, np.ndarray]:
    return read_arrays(FIXTURES / f"torch_state_dict_{kind}_expected.npz")


def write_arrays(path: Path, arrays: dict[str, np.ndarray]) -> Path:
    np.savez(path, **arrays)
    return path


def final_states(model: Model, trace: Trace) -> tuple[np.ndarray, np.ndarray | None]:
    """h_n and c_n in PyTorch's layout (layers * directions, units) from a trace."""
    H = model.units
    h_n, c_n = [], []
    for layer in trace.layers:
        h_n.append(layer.h[-1, :H])
        if layer.c is not None:
            c_n.append(layer.c[-1, :H])
        if layer.bidirectional:  # the reverse direction ends at step 0
            h_n.append(layer.h[0, H:])
            if layer.c is not None:
                c_n.append(layer.c[0, H:])
    return np.stack(h_n), (np.stack(c_n) if c_n else None)


def refusal(path: Path) -> str:
    """The GatescopeError message of loading path, with the path cut out; fails on any other outcome."""
    with pytest.raises(GatescopeError) as caught:
        gatescope.load_model(path)
    message = str(caught.value)
    assert str(path) in message, f"message does not name the file: {message}"
    return message.replace(str(path), "<file>")


# --- loading the fixtures -----------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_state_dict_loads_with_kind_layers_directions_units_and_input_size_inferred(kind: str) -> None:
    layers, bidirectional, units, input_size = STRUCTURE[kind]

    model = gatescope.load_model(fixture_path(kind))

    assert model.kind == kind
    assert len(model.layers) == layers
    assert model.bidirectional is bidirectional
    assert model.units == units
    assert model.input_size == input_size
    assert model.dtype == np.float32
    assert not model.reads_text
    assert model.head is None


@pytest.mark.parametrize("kind", KINDS)
def test_state_dict_model_reproduces_pytorch_output_and_final_states(kind: str) -> None:
    model = gatescope.load_model(fixture_path(kind))
    reference = expected(kind)

    trace = model.run(reference["x"])
    h_n, c_n = final_states(model, trace)

    assert trace.layers[-1].h.dtype == np.float32
    np.testing.assert_allclose(trace.layers[-1].h, reference["output"], rtol=0, atol=TOLERANCE)
    np.testing.assert_allclose(h_n, reference["h_n"], rtol=0, atol=TOLERANCE)
    if kind == "lstm":
        np.testing.assert_allclose(c_n, reference["c_n"], rtol=0, atol=TOLERANCE)
    else:
        assert c_n is None


@pytest.mark.parametrize("kind", KINDS)
def test_state_dict_loaded_as_float64_also_reproduces_pytorch(kind: str) -> None:
    model = gatescope.load_model(fixture_path(kind), dtype=np.float64)
    reference = expected(kind)

    trace = model.run(reference["x"])

    assert trace.layers[-1].h.dtype == np.float64
    np.testing.assert_allclose(trace.layers[-1].h, reference["output"], rtol=0, atol=TOLERANCE)


@pytest.mark.parametrize("kind", KINDS)
def test_state_dict_model_is_named_after_its_file_and_describes_its_origin(kind: str) -> None:
    model = gatescope.load_model(fixture_path(kind))

    assert model.name == f"torch_state_dict_{kind}"
    assert f"PyTorch nn.{kind.upper()}" in model.description
    assert model.provenance["file"] == f"torch_state_dict_{kind}.npz"
    assert model.source == fixture_path(kind)


def test_state_dict_model_counts_parameters_as_pytorch_does() -> None:
    model = gatescope.load_model(fixture_path("lstm"))

    assert model.parameter_count() == sum(array.size for array in state_dict("lstm").values())


@pytest.mark.parametrize("prefix", ["lstm.", "encoder.rnn."])
def test_state_dict_with_one_module_prefix_loads_and_gives_the_same_output(tmp_path: Path, prefix: str) -> None:
    arrays = {prefix + name: value for name, value in state_dict("lstm").items()}
    path = write_arrays(tmp_path / "prefixed.npz", arrays)
    reference = expected("lstm")

    model = gatescope.load_model(path)
    trace = model.run(reference["x"])

    assert (model.kind, len(model.layers), model.bidirectional, model.units) == ("lstm", 2, True, 7)
    np.testing.assert_allclose(trace.layers[-1].h, reference["output"], rtol=0, atol=TOLERANCE)


def test_state_dict_without_biases_loads_as_zero_biases(tmp_path: Path) -> None:
    full = state_dict("gru")
    without = write_arrays(tmp_path / "nobias.npz", {k: v for k, v in full.items() if not k.startswith("bias")})
    zeroed = write_arrays(
        tmp_path / "zeroed.npz", {k: (np.zeros_like(v) if k.startswith("bias") else v) for k, v in full.items()}
    )
    x = expected("gru")["x"]

    trace = gatescope.load_model(without).run(x)

    np.testing.assert_array_equal(trace.layers[-1].h, gatescope.load_model(zeroed).run(x).layers[-1].h)
    assert not np.allclose(trace.layers[-1].h, expected("gru")["output"], atol=TOLERANCE)


def test_state_dict_model_saved_natively_reloads_with_an_identical_trace(tmp_path: Path) -> None:
    model = gatescope.load_model(fixture_path("lstm"))
    path = tmp_path / "native.npz"
    x = expected("lstm")["x"]

    model.save(path)
    reloaded = gatescope.load_model(path)

    np.testing.assert_array_equal(reloaded.run(x).layers[-1].h, model.run(x).layers[-1].h)
    np.testing.assert_array_equal(reloaded.run(x).layers[0].c, model.run(x).layers[0].c)


@pytest.mark.parametrize("kind", KINDS)
def test_running_text_on_a_state_dict_model_says_it_cannot_read_text(kind: str) -> None:
    model = gatescope.load_model(fixture_path(kind))

    with pytest.raises(GatescopeError) as caught:
        model.run("hello world")

    assert "cannot read text" in str(caught.value)
    assert "(T, 5)" in str(caught.value)


# --- refused state_dicts ------------------------------------------------------------------------


def test_mixed_prefixes_raise_gatescope_error_naming_both_modules(tmp_path: Path) -> None:
    arrays = {("decoder." if "_l1" in name else "encoder.") + name: value for name, value in state_dict("lstm").items()}
    path = write_arrays(tmp_path / "mixed.npz", arrays)

    message = refusal(path)

    assert "several modules" in message
    assert "encoder." in message
    assert "decoder." in message


def test_prefixed_and_unprefixed_names_together_raise_gatescope_error(tmp_path: Path) -> None:
    arrays = {("lstm." if "_l1" in name else "") + name: value for name, value in state_dict("lstm").items()}
    path = write_arrays(tmp_path / "mixed.npz", arrays)

    message = refusal(path)

    assert "several modules" in message


def test_projection_weight_raises_gatescope_error_saying_proj_size_is_unsupported(tmp_path: Path) -> None:
    arrays = {**state_dict("lstm"), "weight_hr_l0": np.zeros((4, 7), np.float32)}
    path = write_arrays(tmp_path / "proj.npz", arrays)

    message = refusal(path)

    assert "proj_size" in message
    assert "weight_hr" in message


def test_bias_ih_without_bias_hh_raises_gatescope_error_naming_the_missing_array(tmp_path: Path) -> None:
    arrays = {name: value for name, value in state_dict("rnn").items() if name != "bias_hh_l0"}
    path = write_arrays(tmp_path / "half-bias.npz", arrays)

    message = refusal(path)

    assert "missing" in message
    assert "bias_hh_l0" in message


@pytest.mark.parametrize("rows", [29, 2 * 7, 5 * 7], ids=["not-a-multiple", "two-blocks", "five-blocks"])
def test_recurrent_weight_rows_that_fit_no_cell_kind_raise_gatescope_error(tmp_path: Path, rows: int) -> None:
    arrays = {**state_dict("rnn"), "weight_hh_l0": np.zeros((rows, 7), np.float32)}
    path = write_arrays(tmp_path / "rows.npz", arrays)

    message = refusal(path)

    assert f"({rows}, 7)" in message
    assert "4×, 3× or 1×" in message


def test_missing_array_of_a_layer_raises_gatescope_error_naming_it(tmp_path: Path) -> None:
    arrays = {name: value for name, value in state_dict("gru").items() if name != "weight_ih_l1"}
    path = write_arrays(tmp_path / "missing.npz", arrays)

    message = refusal(path)

    assert "missing" in message
    assert "weight_ih_l1" in message


def test_gap_in_layer_numbers_raises_gatescope_error_naming_the_missing_layer(tmp_path: Path) -> None:
    arrays = {name.replace("_l1", "_l2"): value for name, value in state_dict("gru").items()}
    path = write_arrays(tmp_path / "gap.npz", arrays)

    message = refusal(path)

    for name in ("weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1"):
        assert name in message


def test_reverse_direction_missing_from_one_layer_raises_gatescope_error(tmp_path: Path) -> None:
    arrays = {name: value for name, value in state_dict("lstm").items() if not name.endswith("_l1_reverse")}
    path = write_arrays(tmp_path / "half-bidirectional.npz", arrays)

    message = refusal(path)

    assert "weight_ih_l1_reverse" in message


def test_whole_model_state_dict_with_other_modules_raises_gatescope_error_naming_them(tmp_path: Path) -> None:
    arrays = {"lstm." + name: value for name, value in state_dict("rnn").items()}
    arrays.update({"embedding.weight": np.zeros((10, 5), np.float32), "fc.weight": np.zeros((2, 7), np.float32)})
    path = write_arrays(tmp_path / "whole.npz", arrays)

    message = refusal(path)

    assert "embedding.weight" in message
    assert "fc.weight" in message


def test_layers_of_different_widths_raise_gatescope_error(tmp_path: Path) -> None:
    arrays = {**state_dict("gru"), "weight_hh_l1": np.zeros((18, 6), np.float32)}
    path = write_arrays(tmp_path / "widths.npz", arrays)

    refusal(path)


def test_integer_weights_raise_gatescope_error_naming_the_array(tmp_path: Path) -> None:
    arrays = state_dict("gru")
    arrays["weight_hh_l1"] = arrays["weight_hh_l1"].astype(np.int64)
    path = write_arrays(tmp_path / "int.npz", arrays)

    message = refusal(path)

    assert "'weight_hh_l1' is int64" in message


def test_infinite_weight_raises_gatescope_error(tmp_path: Path) -> None:
    arrays = state_dict("lstm")
    arrays["bias_ih_l1_reverse"] = arrays["bias_ih_l1_reverse"].copy()
    arrays["bias_ih_l1_reverse"][4] = np.inf
    path = write_arrays(tmp_path / "inf.npz", arrays)

    message = refusal(path)

    assert "NaN or infinite" in message


class TouchesAFileWhenUnpickled:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (pathlib.Path.touch, (pathlib.Path(self.marker),))


def test_pickled_object_array_in_a_state_dict_is_refused_without_executing_it(tmp_path: Path) -> None:
    marker = tmp_path / "pickle-ran"
    payload = io.BytesIO()
    np.save(payload, np.array([TouchesAFileWhenUnpickled(marker)], dtype=object), allow_pickle=True)
    path = tmp_path / "evil.npz"
    with zipfile.ZipFile(path, "w") as archive:
        for name, value in state_dict("rnn").items():
            member = io.BytesIO()
            np.save(member, value)
            archive.writestr(f"{name}.npy", payload.getvalue() if name == "bias_hh_l0" else member.getvalue())

    message = refusal(path)

    assert "Python objects" in message
    assert not marker.exists()
    np.load(path, allow_pickle=True)["bias_hh_l0"]  # the payload is live: numpy, allowed to unpickle, runs it
    assert marker.exists()
