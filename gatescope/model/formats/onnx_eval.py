"""An ONNX graph as gatescope reads it: who produces and who reads each tensor, which tensors carry the input's values,
and a small NumPy evaluator that constant-folds weights and replays the shape glue between recurrent nodes on probes.

The evaluator runs only the operators in :mod:`onnx_ops` (re-arrangements, shape arithmetic, the head's MatMul / Gemm /
Add / Softmax / Sigmoid) on arrays it has bounded first; anything else is refused by name. Nothing from the file is
ever executed as code.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from gatescope.errors import GatescopeError
from gatescope.model.formats.onnx_ops import OPERATORS, SHAPE_ONLY, attributes
from gatescope.model.formats.onnx_tensors import TensorReader

if TYPE_CHECKING:
    from onnx import GraphProto, NodeProto

#: Operator domains of ONNX's own operators.
STANDARD_DOMAINS = ("", "ai.onnx")
RECURRENT_OPS = ("LSTM", "GRU", "RNN")
#: Operators that only move values around; the sequence may pass through them between the parts gatescope maps.
GLUE = frozenset(
    {"Identity", "Dropout", "Cast", "Transpose", "Reshape", "Squeeze", "Unsqueeze", "Flatten", "Slice", "Gather"}
    | {"Concat", "Expand"}
)


def what_gatescope_reads() -> str:
    return (
        "gatescope reads an embedding (Gather), LSTM/GRU/RNN nodes, a MatMul/Gemm (+ Add) head with Softmax or "
        "Sigmoid, and the reshaping between them"
    )


@dataclass(frozen=True)
class Value:
    """A tensor's values and whether they depend on the values (not only the shape) of the model's input."""

    array: np.ndarray
    from_data: bool


class Graph:
    """The main graph of an ONNX model, indexed: producers, readers, inputs that are not initializers, a topological
    order, and the tensors whose values depend on an input's values ("tainted")."""

    def __init__(self, path: Path, graph: GraphProto, opset: int, tensors: TensorReader) -> None:
        _check_names_are_text(path, graph)
        self.path = path
        self.opset = opset
        self.tensors = tensors
        self.nodes: list[NodeProto] = list(graph.node)
        self.initializers = {tensor.name: tensor for tensor in graph.initializer}
        self.inputs = [value.name for value in graph.input if value.name not in self.initializers]
        self.input_shapes = {value.name: _declared_shape(value) for value in graph.input}
        self.outputs = [value.name for value in graph.output]
        self.output_shapes = {value.name: _declared_shape(value) for value in graph.output}
        if graph.sparse_initializer:
            raise GatescopeError(f"{path}: the graph has sparse initializers, which gatescope does not read")
        self.producer: dict[str, tuple[int, int]] = {}
        self.readers: dict[str, list[int]] = {}
        for index, node in enumerate(self.nodes):
            self._check_domain(index, node)
            for slot, name in enumerate(node.output):
                if not name:
                    continue
                if name in self.producer or name in self.initializers or name in self.inputs:
                    raise GatescopeError(f"{path}: tensor {name!r} is produced twice; the graph is malformed")
                self.producer[name] = (index, slot)
            for name in node.input:
                if name:
                    self.readers.setdefault(name, []).append(index)
        self.order = self._topological_order()
        self.tainted = self._tainted()

    def describe(self, index: int) -> str:
        """How messages name a node: its name and operator, or its position when it has no name."""
        node = self.nodes[index]
        return f"node {node.name!r} ({node.op_type})" if node.name else f"node #{index} ({node.op_type})"

    def _check_domain(self, index: int, node: NodeProto) -> None:
        if node.domain not in STANDARD_DOMAINS:
            raise GatescopeError(
                f"{self.path}: {self.describe(index)} is a custom operator of domain {node.domain!r}; gatescope runs "
                f"only ONNX's own operators (LSTM, GRU, RNN, Gather, MatMul, Gemm, ...) and never runs custom code"
            )

    def _topological_order(self) -> list[int]:
        """Node indices so that every node comes after the producers of its inputs; a cycle or a tensor nobody
        produces is an error."""
        known = set(self.inputs) | set(self.initializers) | {""}
        waiting = {index: {name for name in node.input if name not in known} for index, node in enumerate(self.nodes)}
        for index, names in waiting.items():
            missing = [name for name in names if name not in self.producer]
            if missing:
                raise GatescopeError(
                    f"{self.path}: {self.describe(index)} reads {missing[0]!r}, which no node, input or initializer "
                    f"provides; the graph is malformed"
                )
        ready = [index for index, names in waiting.items() if not names]
        queued = set(ready)
        order: list[int] = []
        while ready:
            index = ready.pop()
            order.append(index)
            for name in self.nodes[index].output:
                for reader in self.readers.get(name, []):
                    waiting[reader].discard(name)
                    if not waiting[reader] and reader not in queued:
                        queued.add(reader)
                        ready.append(reader)
        if len(order) != len(self.nodes):
            raise GatescopeError(f"{self.path}: the graph has a cycle; ONNX graphs must be acyclic")
        return order

    def _tainted(self) -> set[str]:
        """Tensors whose values depend on the values of a graph input (Shape and Size read only shapes)."""
        tainted = set(self.inputs)
        for index in self.order:
            node = self.nodes[index]
            if node.op_type not in SHAPE_ONLY and any(name in tainted for name in node.input):
                tainted.update(name for name in node.output if name)
        return tainted

    def reaches(self, sources: set[str]) -> set[str]:
        """Every tensor whose value depends on one of ``sources``."""
        reached = set(sources)
        for index in self.order:
            node = self.nodes[index]
            if any(name in reached for name in node.input):
                reached.update(name for name in node.output if name)
        return reached


class Evaluator:
    """Computes tensors of a graph from its initializers, Constant nodes and ``bindings`` (probe values for graph
    inputs or node outputs), each once."""

    def __init__(self, graph: Graph, bindings: dict[str, Value] | None = None) -> None:
        self.graph = graph
        self.values: dict[str, Value] = dict(bindings or {})

    def value(self, name: str) -> Value:
        """The tensor ``name``, computing what it needs first (iteratively: graphs can be deep)."""
        pending = [name]
        while pending:
            current = pending[-1]
            if current in self.values:
                pending.pop()
                continue
            if current in self.graph.initializers:
                array = self.graph.tensors.array(self.graph.initializers[current], f"initializer {current!r}")
                self.values[current] = Value(array, False)
                pending.pop()
                continue
            if current not in self.graph.producer:
                raise UnboundTensorError(current)
            index, _ = self.graph.producer[current]
            node = self.graph.nodes[index]
            if node.op_type in RECURRENT_OPS:
                raise UnboundTensorError(current)
            missing = [i for i in node.input if i and i not in self.values]
            if missing:
                pending.extend(missing)
                continue
            self._run(index)
            pending.pop()
        return self.values[name]

    def constant(self, name: str, what: str) -> np.ndarray:
        """A tensor that must not depend on the input's values (weights, biases, initial states)."""
        try:
            value = self.value(name)
        except UnboundTensorError as unbound:
            raise GatescopeError(
                f"{self.graph.path}: {what} is computed from {unbound.name!r}, which is not a constant; gatescope "
                f"needs it fixed in the file"
            ) from None
        if value.from_data:
            raise GatescopeError(
                f"{self.graph.path}: {what} is computed from the input's values; gatescope needs it fixed in the file"
            )
        return value.array

    def _run(self, index: int) -> None:
        node = self.graph.nodes[index]
        operator = OPERATORS.get(node.op_type)
        if operator is None:
            raise GatescopeError(
                f"{self.graph.path}: {self.graph.describe(index)} is an operator gatescope cannot follow here; it "
                f"reads LSTM, GRU and RNN nodes with an embedding (Gather) before them, a MatMul/Gemm (+ Add) head "
                f"and Softmax/Sigmoid after them, and the reshaping between them"
            )
        inputs = [self.values[name].array if name else None for name in node.input]
        where = f"{self.graph.path}: {self.graph.describe(index)}"
        try:
            with np.errstate(all="ignore"):  # an overflow makes inf or NaN, which the reader's checks refuse
                outputs = operator(inputs, attributes(node, self.graph.tensors, where), self.graph.opset)
        except GatescopeError as error:
            raise GatescopeError(f"{where}: {error}") from None
        except (ValueError, IndexError, TypeError, OverflowError, ZeroDivisionError, np.exceptions.AxisError) as error:
            raise GatescopeError(f"{where} cannot be computed: {error}") from None
        from_data = node.op_type not in SHAPE_ONLY and any(self.values[name].from_data for name in node.input if name)
        for name, array in zip(node.output, outputs):
            if name:
                self.values[name] = Value(array, from_data)


class UnboundTensorError(Exception):
    """A tensor the evaluator has no value for: a graph input or a recurrent node's output that was not bound."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def _check_names_are_text(path: Path, graph: GraphProto) -> None:
    """Every name the reader compares is text: the Python protobuf hands back bytes for invalid UTF-8."""
    names: list[object] = [value.name for value in (*graph.input, *graph.output)]
    names += [tensor.name for tensor in graph.initializer]
    for node in graph.node:
        names += [node.name, node.op_type, node.domain, *node.input, *node.output]
        names += [attribute.name for attribute in node.attribute]
    if any(not isinstance(name, str) for name in names):
        raise GatescopeError(f"{path}: the graph holds names that are not valid UTF-8 text; the file is damaged")


def _declared_shape(value: Any) -> tuple[int | str, ...] | None:
    """A value's declared shape: ints for fixed sides, names (or "?") for symbolic ones; None when unknown."""
    tensor_type = value.type.tensor_type
    if not tensor_type.HasField("shape"):
        return None
    return tuple(
        dim.dim_value if dim.HasField("dim_value") else (dim.dim_param or "?") for dim in tensor_type.shape.dim
    )
