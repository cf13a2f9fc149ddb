"""How gatescope reads an ONNX graph, found by topology (never by tensor names, which exporters make up):

input ids → Gather(embedding initializer) → LSTM/GRU/RNN → ... → LSTM/GRU/RNN → MatMul(+Add) or Gemm → Softmax/Sigmoid,

(a float input instead of ids and embedding; the head optional) with the reshaping exporters put between them. The
path is found by walking back from each recurrent node's input and from the graph's output through a small set of
re-arranging operators; anything else on it is refused by name. Then the walk is proved on probes: random values
bound to the input and to every recurrent node's outputs are pushed through the graph's own glue (shapes computed as
the file computes them), and each recurrent node must receive exactly the sequence gatescope would feed it, the
output exactly what gatescope's head computes. Files whose glue fixes the sequence length (the dynamo exporter writes
such Reshapes) are probed at that length.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from gatescope.errors import GatescopeError
from gatescope.model.formats.onnx_eval import GLUE, RECURRENT_OPS, Evaluator, Graph, Value, what_gatescope_reads
from gatescope.model.formats.onnx_head import HeadPlan, head_output, head_path, read_head
from gatescope.model.formats.onnx_ops import attributes

#: Sequence lengths tried when the input's length is not fixed in the file.
PROBE_STEPS = 5


@dataclass(frozen=True)
class Source:
    """What feeds the first recurrent node: a graph input of floats, or token ids through an embedding Gather."""

    input: str
    embedding_node: int | None  # index of the Gather node


@dataclass
class Plan:
    """The parts of the graph gatescope maps, and the probe layout that proved them."""

    source: Source
    chain: list[int]  # recurrent node indices, bottom to top
    output: str
    head: HeadPlan | None
    input_layout: str  # letters of the input's axes: T time, B batch (1), F features; "TB" ids of shape (T, 1)
    steps: int  # the probe length that passed (the length the file fixes, if it fixes one)
    evaluator: Evaluator  # the evaluator of the passing probe (initial states may depend on the input's shape)
    notes: list[str] = field(default_factory=list)


def plan(graph: Graph) -> Plan:
    """The path through the graph and its proof on probes; GatescopeError naming the node that does not fit."""
    chain = recurrent_chain(graph)
    source = _source(graph, chain[0])
    output, after, last_output = head_path(graph, chain[-1])
    head = read_head(graph, after)
    failures: list[tuple[int, GatescopeError]] = []
    for layout, steps in _candidates(graph, source):
        probe = _Probe(graph, source, chain, layout, steps)
        try:
            probe.run(output, head, last_output)
        except GatescopeError as error:
            failures.append((probe.progress, error))
            continue
        notes = [] if steps == PROBE_STEPS else [f"the graph fixes the sequence length at {steps}"]
        return Plan(source, chain, output, head, layout, steps, probe.evaluator, notes)
    best = max(failures, key=lambda failure: failure[0])[1]  # the probe that got furthest explains best
    raise best


def recurrent_chain(graph: Graph) -> list[int]:
    """The recurrent nodes in stack order, each reading the one below it (through glue only)."""
    chain = [index for index in graph.order if graph.nodes[index].op_type in RECURRENT_OPS]
    if not chain:
        raise GatescopeError(f"{graph.path}: the graph has no LSTM, GRU or RNN node{_no_recurrent_hint(graph)}")
    for index in chain:
        node = graph.nodes[index]
        limit = 8 if node.op_type == "LSTM" else 6
        if len(node.input) < 3 or not all(node.input[:3]) or len(node.input) > limit or not node.output:
            raise GatescopeError(
                f"{graph.path}: {graph.describe(index)} has {len(node.input)} inputs and {len(node.output)} outputs; "
                f"an ONNX {node.op_type} reads X, W and R (and at most {limit} inputs) and writes at least Y"
            )
    for below, above in zip(chain, chain[1:]):
        start, slot = walk_back(graph, graph.nodes[above].input[0], GLUE, "the input of " + graph.describe(above))
        if start != below or slot != 0:
            raise GatescopeError(
                f"{graph.path}: {graph.describe(above)} does not read the sequence {graph.describe(below)} outputs; "
                f"gatescope runs recurrent layers stacked one on another"
            )
    return chain


def walk_back(graph: Graph, tensor: str, allowed: frozenset[str], what: str) -> tuple[int | str, int]:
    """Follow ``tensor`` back through ``allowed`` operators to what produces its values: (recurrent or embedding
    node index, output slot), or (graph input name, 0)."""
    while True:
        if tensor in graph.inputs:
            return tensor, 0
        if tensor not in graph.producer or tensor not in graph.tainted:
            raise GatescopeError(
                f"{graph.path}: {what} does not depend on the model's input; the graph is not a "
                f"recurrent model gatescope can read"
            )
        index, slot = graph.producer[tensor]
        node = graph.nodes[index]
        if node.op_type in RECURRENT_OPS or _is_embedding(graph, index):
            return index, slot
        if node.op_type not in allowed:
            raise GatescopeError(f"{graph.path}: {graph.describe(index)} sits on {what}; {what_gatescope_reads()}")
        carried = [name for name in node.input if name in graph.tainted]
        if len(carried) != 1:
            raise GatescopeError(
                f"{graph.path}: {graph.describe(index)} on {what} combines {len(carried)} inputs that depend on the "
                f"model's input; {what_gatescope_reads()}"
            )
        tensor = carried[0]


def _is_embedding(graph: Graph, index: int) -> bool:
    """A Gather from a constant table at indices that come from the input."""
    node = graph.nodes[index]
    return (
        node.op_type == "Gather"
        and len(node.input) == 2
        and node.input[0] not in graph.tainted
        and node.input[1] in graph.tainted
    )


def _source(graph: Graph, first: int) -> Source:
    start, _ = walk_back(graph, graph.nodes[first].input[0], GLUE, "the input of " + graph.describe(first))
    if isinstance(start, str):
        return Source(start, None)
    if graph.nodes[start].op_type in RECURRENT_OPS:
        raise GatescopeError(f"{graph.path}: {graph.describe(first)} reads another recurrent node out of order")
    ids, _ = walk_back(graph, graph.nodes[start].input[1], GLUE, "the indices of " + graph.describe(start))
    if not isinstance(ids, str):
        raise GatescopeError(f"{graph.path}: the indices of {graph.describe(start)} do not come from a graph input")
    return Source(ids, start)


def _candidates(graph: Graph, source: Source) -> list[tuple[str, int]]:
    """(input layout, sequence length) pairs to probe, the likeliest first: the declared shape decides where it can."""
    ids = source.embedding_node is not None
    declared = graph.input_shapes.get(source.input)
    rank_layouts = {1: ["T"], 2: ["TB", "BT"] if ids else ["TF"], 3: ["TBF", "BTF"]}
    layouts = rank_layouts.get(len(declared), []) if declared is not None else ["TB", "BT", "T", "TBF", "BTF", "TF"]
    if ids:
        layouts = [layout for layout in layouts if "F" not in layout]
    else:
        layouts = [layout for layout in layouts if "F" in layout]
    candidates = []
    for layout in layouts:
        time = declared[layout.index("T")] if declared is not None else None
        batch = declared[layout.index("B")] if declared is not None and "B" in layout else 1
        if isinstance(batch, int) and batch != 1:
            continue
        if isinstance(time, int) and time > 0:
            candidates.append((layout, time))
            continue
        fixed = sorted(
            {
                side
                for shape in graph.output_shapes.values()
                for side in shape or ()
                if isinstance(side, int) and 1 < side <= 100_000 and side != PROBE_STEPS
            }
        )
        candidates += [(layout, steps) for steps in [PROBE_STEPS, *fixed][:4]]
    candidates.sort(key=lambda candidate: candidate[1] == 1)  # a length of 1 cannot tell time from batch: last
    if not candidates:
        raise GatescopeError(
            f"{graph.path}: its input {source.input!r} has shape {declared}; gatescope feeds one sequence: "
            f"(T, 1) or (1, T) token ids, or (T, 1, features), (1, T, features) or (T, features) numbers"
        )
    return candidates


def _no_recurrent_hint(graph: Graph) -> str:
    ops = {node.op_type for node in graph.nodes}
    if ops & {"Loop", "Scan"}:
        return " (its recurrence is a Loop or Scan, which gatescope does not read); export with LSTM/GRU/RNN nodes"
    if {"MatMul", "Tanh"} <= ops or {"Gemm", "Tanh"} <= ops:
        return (
            "; its recurrence seems unrolled into single steps (torch.onnx.export(..., dynamo=True) writes nn.RNN "
            "that way): export with torch.onnx.export(..., dynamo=False)"
        )
    return "; gatescope shows recurrent models only"


class _Probe:
    """One probe of the plan at one input layout and length: binds random values, checks what each part reads."""

    def __init__(self, graph: Graph, source: Source, chain: list[int], layout: str, steps: int) -> None:
        self.graph, self.source, self.chain, self.layout, self.steps = graph, source, chain, layout, steps
        self.evaluator = Evaluator(graph)
        self.rng = np.random.default_rng(steps)
        self.progress = 0

    def run(self, output: str, head: HeadPlan | None, last_output: int) -> None:
        sequence = self._bind_source()
        for index in self.chain:
            self._check_reads(index, sequence)
            self.progress += 1
            sequence = self._bind_outputs(index)
        self._check_output(output, head, sequence, last_output)

    def _bind_source(self) -> np.ndarray:
        """Bind the graph input (and the embedding's output); return the (T, features) sequence the first node must
        read."""
        graph, T = self.graph, self.steps
        if self.source.embedding_node is None:
            features = self._input_size(self.chain[0])
            sequence = self.rng.standard_normal((T, features))
            self.evaluator.values[self.source.input] = Value(_arrange(sequence, self.layout), True)
            return sequence
        gather = graph.nodes[self.source.embedding_node]
        table = self.evaluator.constant(
            gather.input[0], f"the embedding table of {graph.describe(self.source.embedding_node)}"
        )
        if table.ndim != 2 or table.dtype.kind != "f":
            raise GatescopeError(
                f"{graph.path}: the embedding table has shape {table.shape} of {table.dtype}; "
                f"expected a 2-D float matrix (vocabulary, features)"
            )
        if attributes(gather, graph.tensors, graph.describe(self.source.embedding_node)).get("axis", 0) != 0:
            raise GatescopeError(
                f"{graph.path}: {graph.describe(self.source.embedding_node)} gathers columns of "
                f"its table (axis 1); an embedding looks up rows"
            )
        ids = _arrange(np.arange(T, dtype=np.int64), self.layout)
        self.evaluator.values[self.source.input] = Value(ids, True)
        positions = self.evaluator.value(gather.input[1]).array
        if positions.dtype.kind not in "iu" or positions.size == 0 or positions.min() < 0 or positions.max() >= T:
            raise GatescopeError(
                f"{graph.path}: the token ids reach {graph.describe(self.source.embedding_node)} "
                f"changed on the way; gatescope feeds them to the embedding as they are"
            )
        sequence = self.rng.standard_normal((T, table.shape[1]))
        self.evaluator.values[gather.output[0]] = Value(sequence[positions.astype(np.int64)], True)
        return sequence

    def _input_size(self, index: int) -> int:
        W = self.evaluator.constant(self.graph.nodes[index].input[1], f"the W of {self.graph.describe(index)}")
        if W.ndim != 3:
            raise GatescopeError(f"{self.graph.path}: the W of {self.graph.describe(index)} has shape {W.shape}")
        return int(W.shape[2])

    def _check_reads(self, index: int, sequence: np.ndarray) -> None:
        node = self.graph.nodes[index]
        read = self.evaluator.value(node.input[0]).array
        expected = sequence[:, None, :] if _layout(self.graph, index) == 0 else sequence[None]
        if read.shape != expected.shape or not np.allclose(read, expected, rtol=1e-6, atol=1e-6):
            raise GatescopeError(
                f"{self.graph.path}: {self.graph.describe(index)} reads its sequence rearranged in a way gatescope "
                f"does not follow (shape {read.shape} where a {self.steps}-step sequence gives {expected.shape}); "
                f"{what_gatescope_reads()}"
            )

    def _bind_outputs(self, index: int) -> np.ndarray:
        """Random Y (and the Y_h and Y_c consistent with it) for node ``index``; returns Y as (T, D*H)."""
        node = self.graph.nodes[index]
        R = self.evaluator.constant(node.input[2], f"the R of {self.graph.describe(index)}")
        attrs = attributes(node, self.graph.tensors, self.graph.describe(index))
        direction = attrs.get("direction", "forward")
        D, H, T = (2 if direction == "bidirectional" else 1), int(R.shape[-1]), self.steps
        y = self.rng.standard_normal((T, D, H))
        last = np.stack([y[0 if direction == "reverse" or d == 1 else T - 1, d] for d in range(D)])
        cell = self.rng.standard_normal((D, H))
        batch_first = _layout(self.graph, index) == 1
        arrays = (
            y[None] if batch_first else y[:, :, None, :],
            last[None] if batch_first else last[:, None, :],
            cell[None] if batch_first else cell[:, None, :],
        )
        for name, array in zip(node.output, arrays):
            if name:
                self.evaluator.values[name] = Value(array, True)
        return y.reshape(T, D * H)

    def _check_output(self, output: str, head: HeadPlan | None, hidden: np.ndarray, last_output: int) -> None:
        """The graph output equals gatescope's head on the probe's hidden states, at every step or the last one."""
        computed = self.evaluator.value(output).array.astype(np.float64)
        with np.errstate(all="ignore"):  # huge weights overflow to inf, which compares unequal below
            expected = hidden if head is None else head_output(head, hidden)
        if (
            last_output == 0
            and computed.size == expected.size
            and np.allclose(computed.reshape(-1), expected.reshape(-1))
        ):
            return
        if computed.size == expected[-1].size and np.allclose(computed.reshape(-1), expected[-1]):
            if head is not None:
                head.last_step = True
            return
        raise GatescopeError(
            f"{self.graph.path}: its output {output!r} is not what gatescope computes from the last recurrent "
            f"layer's hidden states (a head at every step or at the last one); {what_gatescope_reads()}"
        )


def _layout(graph: Graph, index: int) -> int:
    for attribute in graph.nodes[index].attribute:
        if attribute.name == "layout":
            return int(attribute.i)
    return 0


def _arrange(values: np.ndarray, layout: str) -> np.ndarray:
    """A (T,) or (T, F) array in the input layout: a batch axis of 1 where the layout has B."""
    return values[:, None] if layout.startswith("TB") else values[None] if layout.startswith("BT") else values
