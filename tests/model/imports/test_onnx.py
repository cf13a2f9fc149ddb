"""Specifications for opening ONNX models: every fixture (torch.onnx.export with both exporters, and graphs built with
onnx.helper for the attributes torch never writes) loads without onnxruntime and matches onnxruntime's every layer h
and c, the head's raw output and the graph's own output to 1e-5.

Fixtures: scripts/make_onnx_fixtures.py (torch 2.13, onnx, onnxruntime); the cases are listed in onnx/README.md.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

import gatescope
from gatescope import GatescopeError
from gatescope.model.formats import onnx_graph

FIXTURES = Path(__file__).parent / "onnx"
CASES = sorted(path.name.removesuffix(".expected.npz") for path in FIXTURES.glob("*.expected.npz"))
TOLERANCE = 1e-5


def expected(case: str) -> dict[str, np.ndarray]:
    with np.load(FIXTURES / f"{case}.expected.npz", allow_pickle=False) as data:
        return {name: data[name] for name in data.files}


def meta(case: str) -> dict[str, object]:
    return json.loads(expected(case)["meta"].tobytes().decode("utf-8"))


def load(case: str) -> gatescope.Model:
    return gatescope.load_model(FIXTURES / f"{case}.onnx")


def test_the_fixtures_cover_every_cell_kind_exporter_and_shape() -> None:
    names = " ".join(CASES)
    for part in (
        "lstm",
        "gru",
        "rnn",
        "ts_",
        "dynamo_",
        "hand_",
        "_bi_",
        "_uni_",
        "_2_",
        "_1_",
        "_bf_",
        "float",
        "ids",
    ):
        assert part in names, part
    assert len(CASES) >= 20


@pytest.mark.parametrize("case", CASES)
def test_every_layer_and_the_head_match_onnxruntime(case: str) -> None:
    model = load(case)
    values = expected(case)
    trace = model.run(values["input"])
    layers = sorted({key.split("_")[1] for key in values if key.startswith("layer_")})
    assert len(trace.layers) == len(layers) == len(model.layers)
    for number in layers:
        layer = trace.layers[int(number)]
        reference_h = values[f"layer_{number}_h"]
        assert np.std(reference_h) > 0.05, "a fixture whose states barely move proves little"
        np.testing.assert_allclose(layer.h, reference_h, rtol=0, atol=TOLERANCE)
        if f"layer_{number}_c" in values:
            np.testing.assert_allclose(layer.c, values[f"layer_{number}_c"], rtol=0, atol=TOLERANCE)
        else:
            assert layer.c is None
    if "logits" in values:
        rows = len(values["logits"])  # one row when the graph reads out only its last step
        np.testing.assert_allclose(trace.logits[-rows:], values["logits"], rtol=0, atol=TOLERANCE)
    else:
        assert model.head is None and trace.logits is None


@pytest.mark.parametrize("case", CASES)
def test_the_graph_output_is_what_gatescope_shows(case: str) -> None:
    """Softmax and Sigmoid are the outputs; LogSoftmax is shown as probabilities; without a head the graph outputs the
    top layer's states; a head without an activation outputs the logits."""
    model = load(case)
    values = expected(case)
    trace = model.run(values["input"])
    graph_output = values["graph_output"]
    rows = len(graph_output)
    if model.head is None:
        np.testing.assert_allclose(trace.layers[-1].h[-rows:], graph_output, atol=TOLERANCE)
    elif "logsoftmax" in case:
        np.testing.assert_allclose(trace.outputs[-rows:], np.exp(graph_output), atol=TOLERANCE)
    elif model.provenance.get("head_assumed"):
        np.testing.assert_allclose(trace.logits[-rows:], graph_output, atol=TOLERANCE)
    else:
        np.testing.assert_allclose(trace.outputs[-rows:], graph_output, atol=TOLERANCE)


@pytest.mark.parametrize("case", CASES)
def test_each_fixture_sniffs_as_onnx_and_records_where_it_came_from(case: str) -> None:
    path = FIXTURES / f"{case}.onnx"
    assert onnx_graph.sniff(path)
    model = load(case)
    provenance = model.provenance
    assert provenance["format_key"] == "onnx" and provenance["file"] == path.name
    assert provenance["architecture"] in model.description
    assert model.name == case and model.source == path
    json.dumps(provenance)  # the native saver writes it into the model card
    assert model.reads_ids == ("_ids_" in case) and model.reads_text is False


def test_a_two_layer_bidirectional_lstm_export_is_described_layer_by_layer() -> None:
    model = load("ts_lstm_2_bi_bf_ids_sigmoid")
    assert model.provenance["architecture"] == "Embedding(24, 5) → 2 × bidirectional LSTM(4) → Linear(8, 1) → Sigmoid"
    assert model.provenance["producer"] == "pytorch 2.13.0"
    assert model.head is not None and model.head.activation == "sigmoid" and model.id_count == 24
    assert [layer.input_size for layer in model.layers] == [5, 8]


def test_a_head_without_an_activation_node_is_assumed_softmax_and_says_so() -> None:
    model = load("dynamo_lstm_1_uni_float_linear")
    assert model.head is not None and model.head.activation == "softmax"
    assert model.provenance["head_assumed"] is True
    chosen = gatescope.load_model(FIXTURES / "dynamo_lstm_1_uni_float_linear.onnx", head="none")
    assert chosen.head is not None and chosen.head.activation == "linear"
    assert "head_assumed" not in chosen.provenance


def test_log_softmax_is_shown_as_probabilities_and_noted() -> None:
    model = load("ts_gru_2_uni_bf_ids_logsoftmax")
    assert model.head is not None and model.head.activation == "softmax"
    assert "LogSoftmax" in model.provenance["head_activation_in_file"]


def test_a_head_on_the_last_step_is_read_out_at_every_step_and_noted() -> None:
    for case in ("ts_lstm_1_uni_bf_ids_last_sigmoid", "dynamo_gru_1_uni_ids_hn_softmax"):
        model = load(case)
        assert "last step" in model.provenance["head_reads"]
        trace = model.run(expected(case)["input"])
        assert trace.outputs is not None and trace.outputs.shape[0] == len(expected(case)["input"])


def test_the_dynamo_exporter_fixes_the_length_and_gatescope_reads_any_length() -> None:
    model = load("dynamo_lstm_2_bi_ids_softmax")
    assert any("sequence length at 6" in note for note in model.provenance["notes"])
    assert model.run(np.array([1, 2, 3, 4, 5, 6, 7, 8, 9])).layers[1].h.shape == (9, 8)


def test_fixed_initial_states_are_the_default_start_and_can_be_overridden() -> None:
    model = load("hand_lstm_peepholes_states_2_uni_ids_softmax")
    assert model.h0 is not None and model.c0 is not None and model.h0.shape == (2, 4)
    ids = expected("hand_lstm_peepholes_states_2_uni_ids_softmax")["input"]
    np.testing.assert_array_equal(model.run(ids).layers[0].h0, model.h0[0])
    zeros = model.run(ids, h0=np.zeros((2, 4)), c0=np.zeros((2, 4)))
    assert np.abs(zeros.layers[0].h - model.run(ids).layers[0].h).max() > 0.01


def test_a_model_with_fixed_initial_states_keeps_them_in_gatescopes_own_file(tmp_path: Path) -> None:
    model = load("hand_gru_states_1_bi_ids_softmax")
    model.save(tmp_path / "saved.npz")
    saved = gatescope.load_model(tmp_path / "saved.npz")
    assert saved.h0 is not None and model.h0 is not None
    np.testing.assert_array_equal(saved.h0, model.h0)
    assert model.embedding is not None
    vectors = model.embedding[[1, 2, 3]]  # as floats: the saved file reads them whether or not it keeps the embedding
    np.testing.assert_array_equal(saved.run(vectors).layers[0].h, model.run(vectors).layers[0].h)


def test_gru_conventions_and_rnn_nonlinearity_come_from_the_attributes() -> None:
    assert {layer.gru_convention for layer in load("hand_gru_cho_2_bi_ids_softmax").layers} == {"cho"}
    assert load("ts_gru_1_bi_ids_nohead").layers[0].gru_convention == "pytorch"
    assert load("hand_rnn_relu_float_gemm_sigmoid").layers[0].nonlinearity == "relu"
    assert load("ts_rnn_relu_1_uni_float_linear").layers[0].nonlinearity == "relu"


def test_peepholes_are_reordered_from_onnx_iof_to_input_forget_output() -> None:
    import onnx
    from onnx import numpy_helper

    proto = onnx.load(str(FIXTURES / "hand_lstm_peepholes_states_2_uni_ids_softmax.onnx"))
    P = numpy_helper.to_array(next(tensor for tensor in proto.graph.initializer if tensor.name == "P0"))
    peephole = load("hand_lstm_peepholes_states_2_uni_ids_softmax").layers[0].directions[0].peephole
    assert peephole is not None
    i, o, f = np.split(P[0], 3)
    np.testing.assert_array_equal(peephole, np.stack([i, f, o]))


def test_float64_loads_every_weight_as_float64() -> None:
    model = gatescope.load_model(FIXTURES / "ts_lstm_1_uni_ids_softmax.onnx", dtype=np.float64)
    assert model.dtype == np.float64 and model.embedding is not None and model.embedding.dtype == np.float64
    values = expected("ts_lstm_1_uni_ids_softmax")
    np.testing.assert_allclose(model.run(values["input"]).layers[0].h, values["layer_0_h"], atol=TOLERANCE)


def test_external_data_beside_the_model_is_read(tmp_path: Path) -> None:
    for name in ("hand_lstm_external_ids_softmax.onnx", "hand_lstm_external_ids_softmax.weights"):
        shutil.copy(FIXTURES / name, tmp_path / name)
    model = gatescope.load_model(tmp_path / "hand_lstm_external_ids_softmax.onnx")
    values = expected("hand_lstm_external_ids_softmax")
    np.testing.assert_allclose(model.run(values["input"]).layers[1].c, values["layer_1_c"], atol=TOLERANCE)
    (tmp_path / "hand_lstm_external_ids_softmax.weights").unlink()
    with pytest.raises(GatescopeError, match="missing beside the model"):
        gatescope.load_model(tmp_path / "hand_lstm_external_ids_softmax.onnx")


def test_a_vocabulary_and_labels_given_by_the_user_apply_to_an_onnx_model() -> None:
    tokens = ["<unk>"] + [f"w{number}" for number in range(1, 24)]
    model = gatescope.load_model(FIXTURES / "ts_lstm_1_uni_ids_softmax.onnx", vocab=tokens, labels="a,b,c")
    assert model.reads_text and model.output_labels == ["a", "b", "c"]
    assert model.run("w3 w17 w5").outputs is not None


def test_the_unrolled_rnn_of_the_dynamo_exporter_is_refused_with_the_fix() -> None:
    with pytest.raises(GatescopeError) as caught:
        gatescope.load_model(FIXTURES / "refused_dynamo_rnn_unrolled.onnx")
    message = str(caught.value)
    assert "no LSTM, GRU or RNN node" in message and "dynamo=False" in message


@pytest.mark.parametrize(
    "content",
    [b"", b"\x08", b"\x08\x08:\x00", b"PK\x03\x04" + bytes(100), b"\x89HDF\r\n\x1a\n" + bytes(100), b"{}"],
)
def test_other_files_do_not_sniff_as_onnx(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "model.onnx"
    path.write_bytes(content)
    assert onnx_graph.sniff(path) is False


def test_sniffing_never_raises_on_what_is_not_a_file(tmp_path: Path) -> None:
    assert onnx_graph.sniff(tmp_path) is False
    assert onnx_graph.sniff(tmp_path / "missing.onnx") is False


def test_gatescopes_own_files_are_not_taken_for_onnx() -> None:
    fixtures = Path(__file__).parents[1] / "fixtures"
    assert not any(onnx_graph.sniff(path) for path in fixtures.glob("*.npz"))
