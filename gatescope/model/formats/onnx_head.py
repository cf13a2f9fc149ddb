"""The head gatescope reads after the last recurrent node: the nodes between it and the graph's output (re-arranging
glue, one MatMul (+ Add) or Gemm on constants, one Softmax / LogSoftmax / Sigmoid), turned into a weight, a bias and
an activation. :mod:`onnx_plan` then proves on probes that the graph's output is exactly this head's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from gatescope.errors import GatescopeError
from gatescope.model.formats.onnx_eval import GLUE, RECURRENT_OPS, Evaluator, Graph, what_gatescope_reads
from gatescope.model.formats.onnx_ops import attributes

HEAD_LINEAR = frozenset({"MatMul", "Gemm"})
ACTIVATIONS = {"Softmax": "softmax", "LogSoftmax": "softmax", "Sigmoid": "sigmoid"}


@dataclass
class HeadPlan:
    """The linear read-out after the last recurrent node, in gatescope's terms."""

    weight: np.ndarray  # (outputs, features)
    bias: np.ndarray  # (outputs,)
    file_activation: str | None  # "Softmax", "LogSoftmax", "Sigmoid", or None when the graph applies none
    logits: str  # the tensor holding the raw head output
    last_step: bool = False  # the graph reads out only the last step (gatescope reads out every step)


def head_path(graph: Graph, last: int) -> tuple[str, list[int], int]:
    """The graph output the model is read from (the first that depends on the last recurrent node), the nodes between
    them in order, and which output of the recurrent node it reads (0: Y, every step; 1: Y_h, the last)."""
    reached = graph.reaches({name for name in graph.nodes[last].output if name})
    outputs = [name for name in graph.outputs if name in reached]
    if not outputs:
        raise GatescopeError(f"{graph.path}: no output of the graph uses {graph.describe(last)}")
    output = outputs[0]
    path: list[int] = []
    tensor = output
    allowed = GLUE | HEAD_LINEAR | {"Add"} | set(ACTIVATIONS)
    while tensor not in graph.nodes[last].output:
        index, _ = graph.producer[tensor]
        node = graph.nodes[index]
        if node.op_type not in allowed or node.op_type in RECURRENT_OPS:
            raise GatescopeError(
                f"{graph.path}: {graph.describe(index)} sits between {graph.describe(last)} and the output "
                f"{output!r}; {what_gatescope_reads()}"
            )
        carried = [name for name in node.input if name in graph.tainted]
        if len(carried) != 1 or carried[0] not in reached or (node.op_type == "Gemm" and carried[0] != node.input[0]):
            raise GatescopeError(
                f"{graph.path}: {graph.describe(index)} combines the recurrent output with something other than "
                f"constants; {what_gatescope_reads()}"
            )
        path.append(index)
        tensor = carried[0]
    slot = list(graph.nodes[last].output).index(tensor)
    if slot == 2:
        raise GatescopeError(
            f"{graph.path}: the output {output!r} reads the final cell state (Y_c) of "
            f"{graph.describe(last)}; gatescope reads out hidden states"
        )
    return output, path[::-1], slot


def read_head(graph: Graph, path: list[int]) -> HeadPlan | None:
    """The head's weight, bias and activation from the nodes after the last recurrent node (checked on probes
    later); None when no MatMul/Gemm is there."""
    ops = [graph.nodes[index].op_type for index in path]
    linear = [index for index, op in zip(path, ops) if op in HEAD_LINEAR]
    adds = [index for index, op in zip(path, ops) if op == "Add"]
    activations = [index for index, op in zip(path, ops) if op in ACTIVATIONS]
    if len(linear) > 1 or len(adds) > 1 or len(activations) > 1:
        extra = (linear[1:] or adds[1:] or activations[1:])[0]
        raise GatescopeError(
            f"{graph.path}: {graph.describe(extra)} is a second layer after the recurrent ones; gatescope shows one "
            f"linear head (MatMul + Add or Gemm) with an optional Softmax or Sigmoid"
        )
    if not linear:
        if adds or activations:
            raise GatescopeError(
                f"{graph.path}: {graph.describe((adds or activations)[0])} works on the hidden states without a "
                f"linear head before it; gatescope cannot show that"
            )
        return None
    order = {index: position for position, index in enumerate(path)}
    if any(order[index] < order[linear[0]] for index in adds + activations) or (
        adds and activations and order[adds[0]] > order[activations[0]]
    ):
        raise GatescopeError(f"{graph.path}: the head after the recurrent layers is not MatMul → Add → activation")
    constants = Evaluator(graph)
    weight, bias = _linear(graph, constants, linear[0])
    if adds:
        if graph.nodes[linear[0]].op_type == "Gemm" and len(graph.nodes[linear[0]].input) > 2:
            raise GatescopeError(f"{graph.path}: {graph.describe(adds[0])} adds a second bias after a Gemm")
        bias = _bias(graph, constants, adds[0], weight.shape[0])
    activation = activations[0] if activations else None
    logits = graph.nodes[activation].input[0] if activation is not None else graph.nodes[path[-1]].output[0]
    file_activation = None if activation is None else graph.nodes[activation].op_type
    if not (np.all(np.isfinite(weight)) and np.all(np.isfinite(bias))):
        raise GatescopeError(
            f"{graph.path}: the head's weights ({graph.describe(linear[0])}) contain NaN or infinite values"
        )
    return HeadPlan(weight, bias, file_activation, logits)


def _linear(graph: Graph, constants: Evaluator, index: int) -> tuple[np.ndarray, np.ndarray]:
    """(weight (outputs, features), bias (outputs,)) of a MatMul (x @ W) or Gemm (alpha x Bᵀ? + beta C) node."""
    node = graph.nodes[index]
    label = graph.describe(index)
    if node.op_type == "MatMul":
        if node.input[1] in graph.tainted:
            raise GatescopeError(f"{graph.path}: {label} multiplies by the sequence from the left; expected x @ W")
        matrix = constants.constant(node.input[1], f"the weight of {label}")
        if matrix.ndim != 2:
            raise GatescopeError(f"{graph.path}: the weight of {label} has shape {matrix.shape}; expected 2-D")
        return matrix.T.astype(np.float64), np.zeros(matrix.shape[1])
    attrs = attributes(node, graph.tensors, label)
    if attrs.get("transA", 0):
        raise GatescopeError(f"{graph.path}: {label} transposes the sequence (transA=1); gatescope cannot follow it")
    matrix = constants.constant(node.input[1], f"the weight of {label}")
    if matrix.ndim != 2:
        raise GatescopeError(f"{graph.path}: the weight of {label} has shape {matrix.shape}; expected 2-D")
    weight = (matrix if attrs.get("transB", 0) else matrix.T).astype(np.float64) * attrs.get("alpha", 1.0)
    bias = np.zeros(weight.shape[0])
    if len(node.input) > 2 and node.input[2]:
        c = constants.constant(node.input[2], f"the bias of {label}")
        bias = _as_bias(graph, c, weight.shape[0], label) * attrs.get("beta", 1.0)
    return weight, bias


def _bias(graph: Graph, constants: Evaluator, index: int, outputs: int) -> np.ndarray:
    node = graph.nodes[index]
    name = next(name for name in node.input if name not in graph.tainted)
    return _as_bias(
        graph, constants.constant(name, f"the bias of {graph.describe(index)}"), outputs, graph.describe(index)
    )


def _as_bias(graph: Graph, array: np.ndarray, outputs: int, label: str) -> np.ndarray:
    if array.size not in (1, outputs) or (array.ndim and array.shape[-1] not in (1, outputs)):
        raise GatescopeError(f"{graph.path}: the bias of {label} has shape {array.shape}; expected ({outputs},)")
    return np.broadcast_to(array.reshape(-1).astype(np.float64), (outputs,)).copy()


def head_output(head: HeadPlan, hidden: np.ndarray) -> np.ndarray:
    """What the graph outputs for (T, features) hidden states: the head's logits after the file's activation."""
    logits: np.ndarray = hidden @ head.weight.T + head.bias
    if head.file_activation == "Sigmoid":
        return np.asarray(0.5 * np.tanh(0.5 * logits) + 0.5)
    if head.file_activation in ("Softmax", "LogSoftmax"):
        shifted = logits - logits.max(axis=1, keepdims=True)
        log_probabilities: np.ndarray = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        return log_probabilities if head.file_activation == "LogSoftmax" else np.exp(log_probabilities)
    return logits


def describe_activation(head: HeadPlan) -> tuple[str, dict[str, Any]]:
    """gatescope's activation for the head and the provenance entries that explain it."""
    if head.file_activation is None:
        return ("softmax" if head.weight.shape[0] >= 2 else "sigmoid"), {"head_assumed": True}
    notes: dict[str, Any] = {}
    if head.file_activation == "LogSoftmax":
        notes["head_activation_in_file"] = "LogSoftmax (shown as softmax probabilities)"
    return ACTIVATIONS[head.file_activation], notes
