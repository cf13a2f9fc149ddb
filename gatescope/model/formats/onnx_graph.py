"""ONNX models (.onnx), as ``torch.onnx.export`` writes a text or sequence model, read with the ``onnx`` package only
(no onnxruntime; nothing in the file runs): an optional embedding (Gather on an initializer), LSTM / GRU / RNN nodes
stacked one on another with every attribute gatescope's engine can honour, and an optional MatMul (+ Add) or Gemm
head with Softmax, LogSoftmax or Sigmoid after it. :mod:`onnx_plan` finds and proves that path, :mod:`onnx_recurrent`
converts each recurrent node, :mod:`onnx_tensors` reads the weights (external data only from the model's folder).

``onnx`` is imported only when a file is loaded: it takes about a second, and app start-up must not pay for it.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from gatescope.errors import GatescopeError
from gatescope.model.formats.budget import MAX_FILE_BYTES, ReadBudget, size_text
from gatescope.model.formats.onnx_eval import STANDARD_DOMAINS, Graph
from gatescope.model.formats.onnx_head import describe_activation
from gatescope.model.formats.onnx_plan import Plan, plan
from gatescope.model.formats.onnx_recurrent import RecurrentNode, read_node
from gatescope.model.formats.onnx_tensors import TensorReader, text
from gatescope.model.formats.onnx_wire import looks_like_onnx
from gatescope.model.model import Head, Model

if TYPE_CHECKING:
    from onnx import ModelProto

FORMAT_NAME = "ONNX model (.onnx)"
#: The oldest opset whose LSTM / GRU / RNN gatescope reads (opset 7 gave them their current inputs).
MIN_OPSET = 7


def sniff(path: Path) -> bool:
    """True for a file whose bytes are an ONNX ModelProto with a graph of nodes (a cheap walk of the wire format)."""
    return looks_like_onnx(path)


def damaged(path: Path) -> bool:
    """True for a file that starts like an ONNX model (an ir_version field) but does not sniff as one: truncated or
    damaged. Only for the message of a file no format reads."""
    try:
        with path.open("rb") as stream:
            start = stream.read(2)
    except OSError:
        return False
    return len(start) == 2 and start[0] == 0x08 and 3 <= start[1] <= 63  # ir_version 3 (2017) onwards


def load(path: Path, dtype: npt.DTypeLike = np.float32) -> Model:
    """Read an ONNX model; every problem is a GatescopeError that starts with the file's path."""
    proto, graph, found = plan_file(path)
    dtype = np.dtype(dtype)
    nodes = [read_node(found.evaluator, index, dtype, found.steps) for index in found.chain]
    return _model(path, proto, graph, found, nodes, dtype)


def plan_file(path: Path) -> tuple[ModelProto, Graph, Plan]:
    """The file's ModelProto (without external data), its indexed graph, and the path gatescope reads through it."""
    proto = read_proto(path)
    graph = Graph(path, proto.graph, _opset(path, proto), TensorReader(path, ReadBudget(path)))
    return proto, graph, plan(graph)


def read_proto(path: Path) -> ModelProto:
    """The parsed ModelProto (external data not loaded), the file's size checked against the read budget first."""
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise GatescopeError(
            f"{path}: the file holds {size_text(size)}, more than the {size_text(MAX_FILE_BYTES)} gatescope loads "
            f"from one model file; refused as too large"
        )
    import onnx

    decode_error = importlib.import_module("google.protobuf.message").DecodeError  # onnx's protobuf ships no types
    try:
        proto = onnx.load(str(path), load_external_data=False)
    except (decode_error, ValueError, RuntimeError, OSError) as error:
        raise GatescopeError(
            f"{path}: not a readable ONNX model ({error or type(error).__name__}); the file is damaged or truncated"
        ) from None
    if not proto.HasField("graph") or not proto.graph.node:
        raise GatescopeError(f"{path}: the ONNX file has no graph of nodes; the file is damaged or truncated")
    return proto


def _opset(path: Path, proto: ModelProto) -> int:
    versions = [entry.version for entry in proto.opset_import if entry.domain in STANDARD_DOMAINS]
    if not versions:
        raise GatescopeError(f"{path}: the model declares no version of ONNX's operators (opset); the file is damaged")
    if versions[0] < MIN_OPSET:
        raise GatescopeError(
            f"{path}: the model uses ONNX opset {versions[0]}; gatescope reads opset {MIN_OPSET} and later (convert "
            f"it with onnx.version_converter.convert_version)"
        )
    return int(versions[0])


def _model(path: Path, proto: ModelProto, graph: Graph, found: Plan, nodes: list[RecurrentNode], dtype: Any) -> Model:
    embedding = None
    if found.source.embedding_node is not None:
        gather = graph.nodes[found.source.embedding_node]
        embedding = np.array(found.evaluator.constant(gather.input[0], "the embedding table"), dtype=dtype)
    head = None
    head_notes: dict[str, Any] = {}
    if found.head is not None:
        activation, head_notes = describe_activation(found.head)
        head = Head(found.head.weight.astype(dtype), found.head.bias.astype(dtype), activation)
        if found.head.last_step:
            head_notes["head_reads"] = "the last step in the file; gatescope reads out every step"
    h0, c0 = _initial_states(nodes)
    architecture = _architecture(embedding, nodes, head, found)
    parts = (text(proto.producer_name), text(proto.producer_version))
    producer = " ".join(part for part in parts if part) or "an unknown tool"
    notes = found.notes + [note for node in nodes for note in node.notes]
    provenance: dict[str, Any] = {
        "format": FORMAT_NAME,
        "format_key": "onnx",
        "file": path.name,
        "architecture": architecture,
        "producer": producer,
        "opset": graph.opset,
        **head_notes,
    }
    if notes:
        provenance["notes"] = notes
    try:
        return Model(
            layers=[node.layer for node in nodes],
            embedding=embedding,
            head=head,
            name=path.stem,
            description=f"ONNX model from {producer} (opset {graph.opset}): {architecture}",
            provenance=provenance,
            source=path,
            h0=h0,
            c0=c0,
        )
    except GatescopeError as error:
        raise GatescopeError(f"{path}: {error}") from None


def _initial_states(nodes: list[RecurrentNode]) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The stack's fixed initial states (layers * D, H) when any node fixes one, zeros for the others."""
    states: list[np.ndarray | None] = []
    for name in ("h0", "c0"):
        rows = [getattr(node, name) for node in nodes]
        if all(row is None for row in rows):
            states.append(None)
            continue
        shape = (nodes[0].directions, nodes[0].layer.hidden_size)
        states.append(np.concatenate([np.zeros(shape) if row is None else row for row in rows]))
    return states[0], states[1]


def _architecture(embedding: np.ndarray | None, nodes: list[RecurrentNode], head: Head | None, found: Plan) -> str:
    """E.g. "Embedding(5000, 64) → 2 × bidirectional LSTM(128) → Linear(256, 2) → Softmax"."""
    first = nodes[0].layer
    parts = [
        f"Embedding({embedding.shape[0]}, {embedding.shape[1]})"
        if embedding is not None
        else f"{first.input_size} features"
    ]
    directions = {1: "", 2: "bidirectional "}[nodes[0].directions]
    if getattr(first, "reverse", False):
        directions = "reverse "
    count = f"{len(nodes)} × " if len(nodes) > 1 else ""
    parts.append(f"{count}{directions}{first.kind.upper()}({first.hidden_size}{_options_text(nodes[0])})")
    if head is not None and found.head is not None:
        parts.append(f"Linear({head.weight.shape[1]}, {head.weight.shape[0]})")
        if found.head.file_activation is not None:
            parts.append(found.head.file_activation)
    return " → ".join(parts)


def _options_text(node: RecurrentNode) -> str:
    layer = node.layer
    options = []
    if layer.peepholes:
        options.append("peepholes")
    if layer.kind == "gru" and layer.gru_convention == "cho":
        options.append("linear_before_reset=0")
    if layer.kind == "rnn" and layer.nonlinearity != "tanh":
        options.append(layer.nonlinearity)
    for name in ("clip", "input_forget", "gate_activation"):
        value = getattr(layer, name, None)
        if value not in (None, False, "sigmoid"):
            options.append(f"{name}={value}")
    return "".join(f", {option}" for option in options)
