"""Hostile and broken ONNX files, written by the tests with onnx.helper: each is refused with a GatescopeError that
names the file and says what is wrong, before anything large is allocated and without reading outside the model's
folder."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import gatescope
from gatescope import GatescopeError

H, EMBED, VOCAB, OUTPUTS = 3, 4, 10, 2


def refusal(path: Path) -> str:
    """The message of loading ``path``, which must name the file; fails on any other outcome."""
    with pytest.raises(GatescopeError) as caught:
        gatescope.load_model(path)
    message = str(caught.value)
    assert str(path) in message, f"message does not name the file: {message}"
    return message


def text_model(
    kind: str = "LSTM", extra_nodes: list | None = None, between: str | None = None, **attributes
) -> onnx.ModelProto:
    """ids (T, 1) → Gather → kind (forward) → Squeeze → MatMul → Add → Softmax; ``between`` names the tensor the
    recurrent node reads (a node in ``extra_nodes`` makes it from "embedded")."""
    rng = np.random.default_rng(0)
    gates = {"LSTM": 4, "GRU": 3, "RNN": 1}[kind]
    initializers = [
        numpy_helper.from_array(rng.standard_normal((VOCAB, EMBED)).astype(np.float32), "table"),
        numpy_helper.from_array(rng.standard_normal((1, gates * H, EMBED)).astype(np.float32), "W"),
        numpy_helper.from_array(rng.standard_normal((1, gates * H, H)).astype(np.float32), "R"),
        numpy_helper.from_array(rng.standard_normal((H, OUTPUTS)).astype(np.float32), "head_weight"),
        numpy_helper.from_array(np.zeros(OUTPUTS, np.float32), "head_bias"),
        numpy_helper.from_array(np.array([1], np.int64), "direction_axis"),
    ]
    nodes = [helper.make_node("Gather", ["table", "ids"], ["embedded"], name="embedding")]
    nodes += extra_nodes or []
    nodes += [
        helper.make_node(kind, [between or "embedded", "W", "R"], ["Y"], name="recurrent", hidden_size=H, **attributes),
        helper.make_node("Squeeze", ["Y", "direction_axis"], ["states"]),
        helper.make_node("MatMul", ["states", "head_weight"], ["product"], name="head"),
        helper.make_node("Add", ["product", "head_bias"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["y"], axis=-1),
    ]
    graph = helper.make_graph(
        nodes,
        "hostile",
        [helper.make_tensor_value_info("ids", TensorProto.INT64, ["T", 1])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["T", 1, OUTPUTS])],
        initializers,
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def save(model: onnx.ModelProto, path: Path) -> Path:
    path.write_bytes(model.SerializeToString())
    return path


def with_external_weight(model: onnx.ModelProto, location: str, offset: int = 0, length: int | None = None) -> None:
    """Make initializer W say its data lives in ``location`` (its own bytes dropped)."""
    tensor = next(tensor for tensor in model.graph.initializer if tensor.name == "W")
    size = len(tensor.raw_data)
    tensor.ClearField("raw_data")
    tensor.data_location = TensorProto.EXTERNAL
    entries = {"location": location, "offset": str(offset), "length": str(size if length is None else length)}
    for key, value in entries.items():
        entry = tensor.external_data.add()
        entry.key, entry.value = key, value


def test_a_well_formed_model_built_here_loads(tmp_path: Path) -> None:
    model = gatescope.load_model(save(text_model(), tmp_path / "fine.onnx"))
    assert model.kind == "lstm" and model.run(np.array([1, 2, 3])).outputs is not None


@pytest.mark.parametrize("location", ["../../etc/passwd", "/etc/passwd", "sub/../../secret.bin", "C:\\secret.bin"])
def test_external_data_outside_the_models_folder_is_refused(tmp_path: Path, location: str) -> None:
    model = text_model()
    with_external_weight(model, location)
    message = refusal(save(model, tmp_path / "model.onnx"))
    assert "outside the model's folder" in message and "initializer 'W'" in message


def test_a_link_beside_the_model_that_leads_out_of_its_folder_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "secret.bin").write_bytes(bytes(4 * 4 * H * EMBED))
    folder = tmp_path / "model"
    folder.mkdir()
    os.symlink(outside / "secret.bin", folder / "weights.bin")
    model = text_model()
    with_external_weight(model, "weights.bin")
    assert "outside the model's folder" in refusal(save(model, folder / "model.onnx"))


def test_external_data_shorter_than_declared_is_refused(tmp_path: Path) -> None:
    model = text_model()
    with_external_weight(model, "weights.bin")
    (tmp_path / "weights.bin").write_bytes(bytes(10))
    message = refusal(save(model, tmp_path / "model.onnx"))
    assert "holds only 10 bytes" in message and "truncated" in message


def test_an_external_data_entry_whose_length_disagrees_with_the_shape_is_refused(tmp_path: Path) -> None:
    model = text_model()
    with_external_weight(model, "weights.bin", length=8)
    (tmp_path / "weights.bin").write_bytes(bytes(4 * 4 * H * EMBED))
    assert "its external data entry says 8 bytes" in refusal(save(model, tmp_path / "model.onnx"))


def test_a_truncated_file_is_refused_as_damaged(tmp_path: Path) -> None:
    data = text_model().SerializeToString()
    path = tmp_path / "cut.onnx"
    path.write_bytes(data[: len(data) // 2])
    assert "damaged or truncated ONNX model" in refusal(path)


@pytest.mark.parametrize("content", [b"", os.urandom(4096), b"\x08\x07" + os.urandom(300)])
def test_random_bytes_are_not_taken_for_a_model(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "noise.onnx"
    path.write_bytes(content)
    message = refusal(path)
    assert "not a model file gatescope can read" in message or "damaged or truncated ONNX model" in message


def test_a_custom_operator_on_the_path_is_refused_by_name_and_domain(tmp_path: Path) -> None:
    custom = helper.make_node("FancyGate", ["embedded"], ["fancy"], name="fancy", domain="com.example")
    model = text_model(extra_nodes=[custom], between="fancy")
    model.opset_import.append(helper.make_opsetid("com.example", 1))
    message = refusal(save(model, tmp_path / "custom.onnx"))
    assert "node 'fancy' (FancyGate)" in message and "'com.example'" in message


def test_an_operator_gatescope_does_not_run_is_refused_by_name(tmp_path: Path) -> None:
    norm = helper.make_node("LayerNormalization", ["embedded", "table_row"], ["normed"], name="norm", axis=-1)
    model = text_model(extra_nodes=[norm], between="normed")
    model.graph.initializer.append(numpy_helper.from_array(np.ones(EMBED, np.float32), "table_row"))
    message = refusal(save(model, tmp_path / "norm.onnx"))
    assert "node 'norm' (LayerNormalization)" in message


@pytest.mark.parametrize(
    ("kind", "activations", "named"),
    [
        ("RNN", ["HardSigmoid"], "HardSigmoid"),
        ("LSTM", ["Relu", "Tanh", "Tanh"], "Relu"),
        ("GRU", ["Sigmoid", "Relu"], "Relu"),
    ],
)
def test_activations_gatescope_cannot_run_are_refused_by_name(
    tmp_path: Path, kind: str, activations: list[str], named: str
) -> None:
    message = refusal(save(text_model(kind, activations=activations), tmp_path / "act.onnx"))
    assert "uses activations" in message and named in message and "node 'recurrent'" in message


def test_a_hard_sigmoid_with_other_parameters_is_refused(tmp_path: Path) -> None:
    model = text_model("GRU", activations=["HardSigmoid", "Tanh"], activation_alpha=[0.3], activation_beta=[0.4])
    assert "alpha 0.3 and beta 0.4" in refusal(save(model, tmp_path / "hard.onnx"))


@pytest.mark.parametrize("dims", [(1, 12, 10**12), (2**62, 2**62, 2**62)])
def test_declared_shapes_that_dwarf_the_file_are_refused_before_allocating(tmp_path: Path, dims: tuple) -> None:
    model = text_model()
    tensor = next(tensor for tensor in model.graph.initializer if tensor.name == "W")
    del tensor.dims[:]
    tensor.dims.extend(dims)
    message = refusal(save(model, tmp_path / "huge.onnx"))
    assert "array 'W' claims" in message and "refused as too large" in message


def test_a_shape_that_disagrees_with_the_bytes_held_is_refused(tmp_path: Path) -> None:
    model = text_model()
    tensor = next(tensor for tensor in model.graph.initializer if tensor.name == "W")
    tensor.dims[2] = EMBED + 1
    message = refusal(save(model, tmp_path / "short.onnx"))
    assert "initializer 'W' declares shape" in message and "damaged" in message


def test_a_huge_constant_of_shape_is_refused_before_allocating(tmp_path: Path) -> None:
    shape = numpy_helper.from_array(np.array([1, 1, 10**9], np.int64), "huge_shape")
    fill = helper.make_node("ConstantOfShape", ["huge_shape"], ["zeros"], name="zeros")
    model = text_model("GRU", extra_nodes=[fill])
    model.graph.initializer.append(shape)
    node = next(node for node in model.graph.node if node.op_type == "GRU")
    node.input.extend(["", "", "zeros"])
    message = refusal(save(model, tmp_path / "zeros.onnx"))
    assert "node 'zeros' (ConstantOfShape)" in message and "elements" in message


def test_two_recurrent_nodes_side_by_side_are_refused(tmp_path: Path) -> None:
    model = text_model()
    twin = helper.make_node("LSTM", ["embedded", "W", "R"], ["Y2"], name="twin", hidden_size=H)
    model.graph.node.insert(2, twin)
    model.graph.output.append(helper.make_tensor_value_info("Y2", TensorProto.FLOAT, None))
    message = refusal(save(model, tmp_path / "twins.onnx"))
    assert "does not read the sequence" in message


def test_a_fixed_sequence_lens_is_refused(tmp_path: Path) -> None:
    model = text_model()
    model.graph.initializer.append(numpy_helper.from_array(np.array([2], np.int32), "lengths"))
    node = next(node for node in model.graph.node if node.op_type == "LSTM")
    node.input.extend(["", "lengths"])
    assert "sequence_lens" in refusal(save(model, tmp_path / "lengths.onnx"))


def test_a_graph_without_a_recurrent_node_is_refused(tmp_path: Path) -> None:
    model = text_model()
    node = next(node for node in model.graph.node if node.op_type == "LSTM")
    model.graph.node.remove(node)
    model.graph.node.insert(1, helper.make_node("Unsqueeze", ["embedded", "direction_axis"], ["Y"]))
    assert "no LSTM, GRU or RNN node" in refusal(save(model, tmp_path / "none.onnx"))


def test_an_initial_state_computed_from_the_input_is_refused(tmp_path: Path) -> None:
    reduce = helper.make_node("Unsqueeze", ["embedded_slice", "direction_axis"], ["state"])
    take = helper.make_node("Slice", ["embedded", "zero", "three", "two"], ["embedded_slice"])
    model = text_model("GRU", extra_nodes=[take, reduce])
    for name, value in (("zero", [0]), ("three", [H]), ("two", [2])):
        model.graph.initializer.append(numpy_helper.from_array(np.array(value, np.int64), name))
    node = next(node for node in model.graph.node if node.op_type == "GRU")
    node.input.extend(["", "", "state"])
    assert "computed from" in refusal(save(model, tmp_path / "state.onnx"))


def test_names_that_are_not_utf8_are_refused(tmp_path: Path) -> None:
    data = text_model().SerializeToString().replace(b"recurrent", b"recurr\xffnt")
    path = tmp_path / "bytes.onnx"
    path.write_bytes(data)
    assert "not valid UTF-8" in refusal(path)


def test_a_recurrent_node_without_its_weights_is_refused(tmp_path: Path) -> None:
    model = text_model()
    node = next(node for node in model.graph.node if node.op_type == "LSTM")
    del node.input[2:]
    assert "reads X, W and R" in refusal(save(model, tmp_path / "no_r.onnx"))


def test_head_weights_that_are_not_finite_are_refused(tmp_path: Path) -> None:
    model = text_model()
    weight = next(tensor for tensor in model.graph.initializer if tensor.name == "head_weight")
    weight.CopyFrom(numpy_helper.from_array(np.full((H, OUTPUTS), np.inf, np.float32), "head_weight"))
    assert "NaN or infinite" in refusal(save(model, tmp_path / "inf.onnx"))


def test_a_softmax_across_time_is_not_taken_for_a_head(tmp_path: Path) -> None:
    model = text_model()
    softmax = next(node for node in model.graph.node if node.op_type == "Softmax")
    softmax.attribute[0].i = 0  # over the steps, not the classes
    assert "is not what gatescope computes" in refusal(save(model, tmp_path / "time.onnx"))


def test_a_second_linear_layer_after_the_recurrent_ones_is_refused(tmp_path: Path) -> None:
    model = text_model()
    model.graph.initializer.append(numpy_helper.from_array(np.eye(OUTPUTS, dtype=np.float32), "second_weight"))
    add = next(node for node in model.graph.node if node.op_type == "Add")
    add.output[0] = "hidden_logits"
    second = helper.make_node("MatMul", ["hidden_logits", "second_weight"], ["logits"], name="second")
    model.graph.node.insert(len(model.graph.node) - 1, second)
    assert "node 'second' (MatMul) is a second layer" in refusal(save(model, tmp_path / "mlp.onnx"))


# --- odd files that still load ------------------------------------------------------------------------------------


def test_initial_states_and_lengths_fed_as_graph_inputs_are_noted_and_start_from_zeros(tmp_path: Path) -> None:
    model = text_model()
    node = next(node for node in model.graph.node if node.op_type == "LSTM")
    node.input.extend(["", "lengths", "h0"])
    model.graph.input.extend(
        [
            helper.make_tensor_value_info("lengths", TensorProto.INT32, [1]),
            helper.make_tensor_value_info("h0", TensorProto.FLOAT, [1, 1, H]),
        ]
    )
    loaded = gatescope.load_model(save(model, tmp_path / "inputs.onnx"))
    notes = " ".join(loaded.provenance["notes"])
    assert "initial_h is a graph input ('h0')" in notes and "sequence_lens is a graph input" in notes
    assert loaded.h0 is None and loaded.run(np.array([1, 2])).layers[0].h.shape == (2, H)


def test_weights_folded_from_constant_nodes_are_read(tmp_path: Path) -> None:
    """W as a Constant node's value, reshaped by Unsqueeze: constant-folded in NumPy."""
    model = text_model()
    W = next(tensor for tensor in model.graph.initializer if tensor.name == "W")
    values = numpy_helper.to_array(W)[0]
    model.graph.initializer.remove(W)
    model.graph.initializer.append(numpy_helper.from_array(np.array([0], np.int64), "zero_axis"))
    folded = [
        helper.make_node("Constant", [], ["W2d"], value=numpy_helper.from_array(values)),
        helper.make_node("Unsqueeze", ["W2d", "zero_axis"], ["W"]),
    ]
    for offset, node in enumerate(folded):
        model.graph.node.insert(offset, node)
    loaded = gatescope.load_model(save(model, tmp_path / "folded.onnx"))
    np.testing.assert_array_equal(loaded.layers[0].directions[0].weight_ih[:H], values[:H])
