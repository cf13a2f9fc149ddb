"""Reference run of an ONNX file in onnxruntime, for ``gatescope check``: every recurrent node's Y (and, for an LSTM,
its cell state at every step) and the head's raw output, in gatescope's conventions.

gatescope's reader says which nodes are the layers and where the input and the head are; the numbers all come from
onnxruntime, run on a copy of the model whose recurrent outputs are added as graph outputs. Two things onnxruntime
does not do are worked around, in onnxruntime still:

- it gives an LSTM's cell state only after the last step (Y_c), so the cell state at every step comes from a one-node
  LSTM with the file's attributes and weights, run one step at a time on what onnxruntime fed the node, each step fed
  the previous step's Y_h and Y_c as initial_h and initial_c (those steps' h must equal the full run's Y);
- its CPU kernels refuse ``layout=1`` (batch first), so such a node is run as ``layout=0`` between Transposes, which
  is what ``layout=1`` means.

Imported only when onnxruntime is installed; gatescope itself never needs it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from gatescope.model.model import Model

PACKAGE = "onnxruntime"
#: Largest difference allowed between the one-step runs' h and the full run's Y.
STEP_TOLERANCE = 1e-5


def reference(path: Path, model: Model | None, inputs: np.ndarray) -> dict[str, np.ndarray]:
    """Run the file on ``inputs`` (token ids (T,) or floats (T, features)); arrays keyed "layer {k} h", "layer {k} c"
    (LSTM) and "logits": (T, D*H) forward units then reverse, a reverse direction's row t at input position t.
    When the graph reads out only its last step, "logits" has that one row. ``model`` is not needed (the file is
    read again)."""
    import onnx
    import onnxruntime
    from onnx import numpy_helper

    from gatescope.model.formats.onnx_graph import plan_file

    path = Path(path)
    _, graph, found = plan_file(path)
    full = onnx.load(str(path))  # with its external data, as onnxruntime reads it
    feeds_for = [full.graph.node[index] for index in found.chain]
    positions = _time_major(onnx, full.graph, found.chain)
    nodes = [full.graph.node[position] for position in positions]
    wanted = [name for node in nodes for name in node.input if name] + [node.output[0] for node in nodes]
    if found.head is not None:
        wanted.append(found.head.logits)
    initializers = {tensor.name: tensor for tensor in full.graph.initializer}
    known = {value.name for value in full.graph.output} | {value.name for value in full.graph.input}
    for name in dict.fromkeys(wanted):
        if name not in initializers and name not in known:
            full.graph.output.append(onnx.helper.make_empty_tensor_value_info(name))
    session = onnxruntime.InferenceSession(full.SerializeToString(), providers=["CPUExecutionProvider"])
    feeds = _feeds(session, found.source.input, found.input_layout, inputs, feeds_for)
    names = [output.name for output in session.get_outputs()]
    values: dict[str, np.ndarray] = dict(zip(names, session.run(names, feeds)))
    values.update(feeds)
    for name, tensor in initializers.items():
        values.setdefault(name, numpy_helper.to_array(tensor, str(path.parent)))
    result: dict[str, np.ndarray] = {}
    for number, node in enumerate(nodes):
        y = values[node.output[0]]  # (T, D, 1, H)
        result[f"layer {number} h"] = np.ascontiguousarray(y[:, :, 0, :].reshape(y.shape[0], -1), dtype=np.float32)
        if node.op_type == "LSTM":
            cells, hidden = _cell_states(onnx, onnxruntime, node, values, graph.opset)
            largest = float(np.abs(hidden - result[f"layer {number} h"]).max())
            if largest > STEP_TOLERANCE:
                raise RuntimeError(f"layer {number}: one-step runs differ from the full run by {largest:.2g}")
            result[f"layer {number} c"] = cells
    if found.head is not None:
        logits = values[found.head.logits].astype(np.float32)
        result["logits"] = logits.reshape(1 if found.head.last_step else len(inputs), -1)
    return result


def graph_output(path: Path, inputs: np.ndarray) -> np.ndarray:
    """The file's own output for ``inputs`` (the one gatescope reads), run unchanged in onnxruntime (a node with
    ``layout=1`` is run between Transposes, as in ``reference``)."""
    import onnx
    import onnxruntime

    from gatescope.model.formats.onnx_graph import plan_file

    _, _, found = plan_file(Path(path))
    full = onnx.load(str(path))
    feeds_for = [full.graph.node[index] for index in found.chain]
    _time_major(onnx, full.graph, found.chain)
    session = onnxruntime.InferenceSession(full.SerializeToString(), providers=["CPUExecutionProvider"])
    feeds = _feeds(session, found.source.input, found.input_layout, inputs, feeds_for)
    outputs: list[np.ndarray] = session.run([found.output], feeds)
    return outputs[0]


def _time_major(onnx: Any, graph: Any, chain: list[int]) -> list[int]:
    """Rewrite the recurrent nodes ``chain`` in place to read and write time first (layout 0) and to name their Y:
    a ``layout=1`` node gets Transposes around it. Returns the nodes' new positions in ``graph.node``."""
    helper = onnx.helper
    rewritten, positions = [], []
    for index, original in enumerate(graph.node):
        node = type(original)()
        node.CopyFrom(original)
        if index not in chain:
            rewritten.append(node)
            continue
        outputs = list(node.output) or [""]
        outputs[0] = outputs[0] or f"gatescope_Y_{index}"
        batch_first = any(attribute.name == "layout" and attribute.i == 1 for attribute in node.attribute)
        if batch_first:
            inputs = list(node.input)
            for slot in (0, 5, 6):
                if slot < len(inputs) and inputs[slot]:
                    moved = f"{inputs[slot]}_gatescope_time_major_{index}"
                    rewritten.append(helper.make_node("Transpose", [inputs[slot]], [moved], perm=[1, 0, 2]))
                    inputs[slot] = moved
            del node.input[:]
            node.input.extend(inputs)
            for attribute in node.attribute:
                if attribute.name == "layout":
                    attribute.i = 0
            after = []
            for slot, name in enumerate(outputs):
                if name:
                    moved = f"{name}_gatescope_time_major"
                    perm = [2, 0, 1, 3] if slot == 0 else [1, 0, 2]
                    after.append(helper.make_node("Transpose", [moved], [name], perm=perm))
                    outputs[slot] = moved
        del node.output[:]
        node.output.extend(outputs)
        positions.append(len(rewritten))
        rewritten.append(node)
        if batch_first:
            rewritten += after
    del graph.node[:]
    graph.node.extend(rewritten)
    return positions


def _feeds(session: Any, source: str, layout: str, inputs: np.ndarray, nodes: list[Any]) -> dict[str, np.ndarray]:
    """The input in the graph's layout; initial states that are graph inputs get zeros, sequence_lens the length."""
    declared = {value.name: value for value in session.get_inputs()}
    dtype = {"tensor(int32)": np.int32, "tensor(int64)": np.int64, "tensor(double)": np.float64}
    arranged = inputs[:, None] if layout.startswith("TB") else inputs[None] if layout.startswith("BT") else inputs
    feeds = {source: arranged.astype(dtype.get(declared[source].type, np.float32))}
    for node in nodes:
        inputs_of_node = list(node.input) + [""] * 8
        for slot in (4, 5, 6):
            name = inputs_of_node[slot]
            if name in declared and name not in feeds:
                shape = [side if isinstance(side, int) else 1 for side in declared[name].shape]
                value = np.full(shape, len(inputs)) if slot == 4 else np.zeros(shape)
                feeds[name] = value.astype(dtype.get(declared[name].type, np.float32))
    missing = sorted(set(declared) - set(feeds))
    if missing:
        raise ValueError(f"the graph also needs input {missing[0]!r}, which a reference run cannot know")
    return feeds


def _cell_states(
    onnx: Any, onnxruntime: Any, node: Any, values: dict[str, np.ndarray], opset: int
) -> tuple[np.ndarray, np.ndarray]:
    """(T, D*H) cell and hidden states of a (time-first) LSTM node, one onnxruntime step at a time from the previous
    step's states; the hidden states are for checking the steps against the full run."""
    inputs = list(node.input) + [""] * 8
    x = values[inputs[0]][:, 0, :]
    W, R = values[inputs[1]], values[inputs[2]]
    D, H = W.shape[0], R.shape[2]
    B = values[inputs[3]] if inputs[3] else np.zeros((D, 8 * H), W.dtype)
    P = values[inputs[7]] if inputs[7] else None
    states = [
        np.zeros((D, H), W.dtype) if not name else values[name][:, 0, :].astype(W.dtype)
        for name in (inputs[5], inputs[6])
    ]
    step = _one_step_session(onnx, onnxruntime, node, W.dtype, P is not None, opset)
    reverse_only = _attribute(onnx, node, "direction", "forward") == "reverse"
    cells = np.zeros((x.shape[0], D, H), np.float32)
    hidden = np.zeros((x.shape[0], D, H), np.float32)
    for d in range(D):
        h, c = states[0][d], states[1][d]
        backwards = d == 1 or reverse_only
        for t in range(x.shape[0] - 1, -1, -1) if backwards else range(x.shape[0]):
            feeds = {"X": x[t : t + 1, None, :].astype(W.dtype), "W": W[d : d + 1], "R": R[d : d + 1]}
            feeds.update({"B": B[d : d + 1], "initial_h": h[None, None], "initial_c": c[None, None]})
            if P is not None:
                feeds["P"] = P[d : d + 1]
            _, h_next, c_next = step.run(None, feeds)
            h, c = h_next[0, 0], c_next[0, 0]
            cells[t, d], hidden[t, d] = c, h
    return cells.reshape(x.shape[0], D * H), hidden.reshape(x.shape[0], D * H)


def _attribute(onnx: Any, node: Any, name: str, default: Any) -> Any:
    for attribute in node.attribute:
        if attribute.name == name:
            value = onnx.helper.get_attribute_value(attribute)
            return value.decode() if isinstance(value, bytes) else value
    return default


def _one_step_session(onnx: Any, onnxruntime: Any, node: Any, dtype: Any, peepholes: bool, opset: int) -> Any:
    """A one-node, one-direction, time-first LSTM with ``node``'s other attributes (one direction's activations and
    their parameters), reading its weights and states as inputs."""
    helper = onnx.helper
    element = helper.np_dtype_to_tensor_dtype(np.dtype(dtype))
    both = _attribute(onnx, node, "direction", "forward") == "bidirectional"
    attributes = {}
    for attribute in node.attribute:
        if attribute.name in ("direction", "layout"):
            continue
        value = helper.get_attribute_value(attribute)
        if both and attribute.name in ("activations", "activation_alpha", "activation_beta"):
            value = value[: len(value) // 2]
        attributes[attribute.name] = value
    names = ["X", "W", "R", "B", "", "initial_h", "initial_c"] + (["P"] if peepholes else [])
    graph = helper.make_graph(
        [helper.make_node("LSTM", names, ["Y", "Y_h", "Y_c"], **attributes)],
        "one_step",
        [helper.make_tensor_value_info(name, element, None) for name in names if name],
        [helper.make_tensor_value_info(name, element, None) for name in ("Y", "Y_h", "Y_c")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", max(opset, 14))])
    return onnxruntime.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
