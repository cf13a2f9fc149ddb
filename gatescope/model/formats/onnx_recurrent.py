"""One ONNX LSTM / GRU / RNN node as a gatescope RecurrentLayer: its attributes checked, its weights (initializers or
constant-folded) converted to PyTorch's layout and gate order, its constant initial states read.

ONNX gate orders: LSTM i, o, f, c (PyTorch i, f, g, o); GRU z, r, h (PyTorch r, z, n); B = [Wb, Rb]; peepholes P
i, o, f (gatescope input, forget, output). ``linear_before_reset=1`` is PyTorch's GRU, 0 (ONNX's default) Cho's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gatescope.engine.cells import DirectionWeights, RecurrentLayer
from gatescope.errors import GatescopeError
from gatescope.model.formats.onnx_eval import Evaluator, UnboundTensorError
from gatescope.model.formats.onnx_ops import attributes

GATES = {"LSTM": 4, "GRU": 3, "RNN": 1}
#: ONNX gate blocks in PyTorch's order, as block indices into the ONNX layout.
TORCH_BLOCKS = {"LSTM": [0, 2, 3, 1], "GRU": [1, 0, 2], "RNN": [0]}
#: ONNX peephole blocks (i, o, f) in gatescope's order (input, forget, output).
PEEPHOLE_ROWS = [0, 2, 1]
DEFAULT_ACTIVATIONS = {"LSTM": ["sigmoid", "tanh", "tanh"], "GRU": ["sigmoid", "tanh"], "RNN": ["tanh"]}
ATTRIBUTES = {
    "LSTM": {"activation_alpha", "activation_beta", "activations", "clip", "direction", "hidden_size"}
    | {"input_forget", "layout"},
    "GRU": {"activation_alpha", "activation_beta", "activations", "clip", "direction", "hidden_size"}
    | {"layout", "linear_before_reset"},
    "RNN": {"activation_alpha", "activation_beta", "activations", "clip", "direction", "hidden_size", "layout"},
}
#: Activations that read alpha (and beta) from activation_alpha / activation_beta, in ONNX's order, with defaults.
_PARAMETERS = {
    "hardsigmoid": (0.2, 0.5),
    "affine": (1.0, 0.0),
    "scaledtanh": (1.0, 1.0),
    "leakyrelu": (0.01, None),
    "thresholdedrelu": (1.0, None),
    "elu": (1.0, None),
}
#: A hard sigmoid clip(alpha x + beta, 0, 1) the engine runs as a gate activation: (alpha, beta) -> engine name.
_HARD_SIGMOIDS = {(0.2, 0.5): "hard_sigmoid_keras2", (1 / 6, 0.5): "hard_sigmoid"}


@dataclass
class RecurrentNode:
    """A recurrent node read from the graph, with what the reader needs to check the glue around it."""

    index: int
    op: str
    layer: RecurrentLayer
    layout: int  # 0: (T, batch, features); 1: batch first
    h0: np.ndarray | None  # (D, H) when the file fixes a non-zero initial state
    c0: np.ndarray | None
    notes: list[str] = field(default_factory=list)

    @property
    def directions(self) -> int:
        return len(self.layer.directions)


def read_node(evaluator: Evaluator, index: int, dtype: np.dtype[Any], steps: int) -> RecurrentNode:
    """Read node ``index``; ``steps`` is the probe's sequence length (a constant sequence_lens must equal it)."""
    graph = evaluator.graph
    node = graph.nodes[index]
    label = graph.describe(index)
    where = f"{graph.path}: {label}"
    op = node.op_type
    attrs = attributes(node, graph.tensors, label)
    unknown = sorted(set(attrs) - ATTRIBUTES[op])
    if unknown:
        raise GatescopeError(f"{where} has attribute {unknown[0]!r}, which ONNX's {op} does not define")
    direction = attrs.get("direction", "forward")
    if direction not in ("forward", "reverse", "bidirectional"):
        raise GatescopeError(f"{where} has direction {direction!r}; expected forward, reverse or bidirectional")
    D = 2 if direction == "bidirectional" else 1
    layout = attrs.get("layout", 0)
    if layout not in (0, 1):
        raise GatescopeError(f"{where} has layout {layout}; expected 0 (time first) or 1 (batch first)")
    inputs = list(node.input) + [""] * (8 - len(node.input))
    weights = _weights(evaluator, inputs, op, D, attrs.get("hidden_size"), label)
    options = _options(op, attrs, D, where)
    layer = _layer(op, weights, options, direction == "reverse", dtype, where)
    record = RecurrentNode(index, op, layer, layout, None, None)
    H = layer.hidden_size
    record.h0 = _initial_state(evaluator, inputs[5], "initial_h", D, H, layout, record, where)
    if op == "LSTM":
        record.c0 = _initial_state(evaluator, inputs[6], "initial_c", D, H, layout, record, where)
    _check_sequence_lens(evaluator, inputs[4], steps, record, where)
    return record


@dataclass(frozen=True)
class _Weights:
    W: np.ndarray  # (D, G*H, input)
    R: np.ndarray  # (D, G*H, H)
    B: np.ndarray  # (D, 2*G*H)
    P: np.ndarray | None  # (D, 3*H)


def _weights(evaluator: Evaluator, inputs: list[str], op: str, D: int, hidden: Any, label: str) -> _Weights:
    """W, R, B, P, constant-folded when they are not plain initializers, their shapes checked."""
    where = f"{evaluator.graph.path}: {label}"
    if not inputs[1] or not inputs[2]:
        raise GatescopeError(f"{where} has no W or R input; the node is malformed")
    G = GATES[op]
    W = evaluator.constant(inputs[1], f"the W of {label}")
    R = evaluator.constant(inputs[2], f"the R of {label}")
    if R.ndim != 3 or R.shape[0] != D or R.shape[2] == 0 or R.shape[1] != G * R.shape[2]:
        raise GatescopeError(f"{where}: R has shape {R.shape}; expected ({D}, {G} × units, units)")
    H = R.shape[2]
    if hidden is not None and hidden != H:
        raise GatescopeError(f"{where} has hidden_size {hidden} but its R has shape {R.shape}, i.e. {H} units")
    if W.ndim != 3 or W.shape[:2] != (D, G * H) or W.shape[2] == 0:
        raise GatescopeError(f"{where}: W has shape {W.shape}; expected ({D}, {G * H}, input size)")
    B = evaluator.constant(inputs[3], f"the B of {label}") if inputs[3] else np.zeros((D, 2 * G * H), W.dtype)
    if B.shape != (D, 2 * G * H):
        raise GatescopeError(f"{where}: B has shape {B.shape}; expected ({D}, {2 * G * H})")
    P = evaluator.constant(inputs[7], f"the P of {label}") if op == "LSTM" and inputs[7] else None
    if P is not None and P.shape != (D, 3 * H):
        raise GatescopeError(f"{where}: P (peepholes) has shape {P.shape}; expected ({D}, {3 * H})")
    for name, array in (("W", W), ("R", R), ("B", B), ("P", P)):
        if array is not None and array.dtype.kind != "f":
            raise GatescopeError(f"{where}: {name} is {array.dtype}; weights must be floating point")
    return _Weights(W, R, B, P)


def _options(op: str, attrs: dict[str, Any], D: int, where: str) -> dict[str, Any]:
    """The RecurrentLayer options the attributes set: gate activation, nonlinearity, GRU convention, clip, coupled
    gates; non-default activations gatescope cannot run are refused by name."""
    names = [name.lower() for name in attrs.get("activations") or DEFAULT_ACTIVATIONS[op] * D]
    per_direction = len(DEFAULT_ACTIVATIONS[op])
    given = attrs.get("activations") or []
    if len(names) != per_direction * D:
        raise GatescopeError(
            f"{where} lists {len(names)} activations ({', '.join(given)}); a {'bidirectional ' if D == 2 else ''}"
            f"{op} takes {per_direction * D}"
        )
    activations = _with_parameters(names, attrs.get("activation_alpha") or [], attrs.get("activation_beta") or [])
    if D == 2 and activations[:per_direction] != activations[per_direction:]:
        raise GatescopeError(
            f"{where} uses different activations in its two directions ({', '.join(given)}); gatescope runs both "
            f"directions of a layer with the same ones"
        )
    options: dict[str, Any] = {}
    first, rest = activations[0], activations[1:per_direction]
    if op == "RNN":
        if first[0] not in ("tanh", "relu"):
            raise _activation_error(where, op, given)
        options["nonlinearity"] = first[0]
    else:
        if any(name != "tanh" for name, _ in rest):
            raise _activation_error(where, op, given)
        if first[0] == "hardsigmoid":
            options["gate_activation"] = _hard_sigmoid(first[1], where, op, given)
        elif first[0] != "sigmoid":
            raise _activation_error(where, op, given)
    if op == "GRU":
        options["gru_convention"] = "pytorch" if attrs.get("linear_before_reset", 0) else "cho"
    if "clip" in attrs:
        options["clip"] = attrs["clip"]
    if op == "LSTM" and attrs.get("input_forget", 0):
        options["input_forget"] = True
    return options


def _with_parameters(names: list[str], alphas: list[float], betas: list[float]) -> list[tuple[str, tuple[Any, ...]]]:
    """Each activation with the (alpha, beta) it reads: ONNX hands the listed values out in order to the activations
    that take them, the operator's defaults when the list runs out."""
    alpha_values, beta_values = iter(alphas), iter(betas)
    result: list[tuple[str, tuple[Any, ...]]] = []
    for name in names:
        defaults = _PARAMETERS.get(name)
        if defaults is None:
            result.append((name, ()))
            continue
        alpha = next(alpha_values, defaults[0])
        beta = None if defaults[1] is None else next(beta_values, defaults[1])
        result.append((name, (round(alpha, 6), None if beta is None else round(beta, 6))))
    return result


def _hard_sigmoid(parameters: tuple[Any, ...], where: str, op: str, given: list[str]) -> str:
    for (alpha, beta), engine_name in _HARD_SIGMOIDS.items():
        if parameters == (round(alpha, 6), round(beta, 6)):
            return engine_name
    raise GatescopeError(
        f"{where} uses HardSigmoid gates with alpha {parameters[0]} and beta {parameters[1]}; gatescope runs "
        f"hard sigmoids with alpha 0.2, beta 0.5 (Keras 2) or alpha 1/6, beta 0.5 (Keras 3) only"
    )


def _activation_error(where: str, op: str, given: list[str]) -> GatescopeError:
    defaults = {"LSTM": "Sigmoid, Tanh, Tanh", "GRU": "Sigmoid, Tanh", "RNN": "Tanh (or Relu)"}[op]
    return GatescopeError(
        f"{where} uses activations {', '.join(given)}; gatescope runs an {op} with {defaults}"
        + (" (its gates may also be a HardSigmoid)" if op != "RNN" else "")
    )


def _layer(
    op: str, weights: _Weights, options: dict[str, Any], reverse: bool, dtype: np.dtype[Any], where: str
) -> RecurrentLayer:
    """The RecurrentLayer, its weights in PyTorch's layout and gate order."""
    kind = op.lower()
    G, H = GATES[op], weights.R.shape[2]
    directions = []
    for d in range(weights.W.shape[0]):
        bias_ih, bias_hh = weights.B[d, : G * H], weights.B[d, G * H :]
        peephole = None if weights.P is None else weights.P[d].reshape(3, H)[PEEPHOLE_ROWS]
        weight_ih, weight_hh, bias_ih, bias_hh = (
            _to_torch(op, array, dtype) for array in (weights.W[d], weights.R[d], bias_ih, bias_hh)
        )
        converted = None if peephole is None else np.array(peephole, dtype=dtype)
        directions.append(DirectionWeights(weight_ih, weight_hh, bias_ih, bias_hh, peephole=converted))
    if reverse:
        options = {**options, "reverse": True}
    try:
        return RecurrentLayer(kind, int(weights.W.shape[2]), int(H), tuple(directions), **options)
    except GatescopeError as error:
        raise GatescopeError(f"{where}: {error}") from None


def _to_torch(op: str, array: np.ndarray, dtype: np.dtype[Any]) -> np.ndarray:
    """ONNX gate blocks (first axis) in PyTorch's order, as a new array of ``dtype``."""
    blocks = np.split(np.asarray(array), GATES[op], axis=0)
    return np.concatenate([blocks[i] for i in TORCH_BLOCKS[op]], axis=0).astype(dtype)


def _initial_state(
    evaluator: Evaluator, name: str, what: str, D: int, H: int, layout: int, record: RecurrentNode, where: str
) -> np.ndarray | None:
    """A constant initial state as (D, H), or None for zeros (absent, all zero, or a graph input: then noted)."""
    if not name:
        return None
    if name in evaluator.graph.inputs:
        record.notes.append(f"{what} is a graph input ({name!r}); gatescope starts from zeros unless given h0/c0")
        return None
    try:
        state = evaluator.value(name)
    except UnboundTensorError as unbound:
        raise GatescopeError(
            f"{where}: its {what} is computed from {unbound.name!r}; gatescope needs it fixed in the file or fed "
            f"directly as a graph input"
        ) from None
    if state.from_data:
        raise GatescopeError(
            f"{where}: its {what} is computed from the input's values (an encoder's state?); gatescope runs "
            f"recurrent layers that start from fixed states"
        )
    expected = (D, 1, H) if layout == 0 else (1, D, H)
    array = state.array
    if array.ndim != 3 or array.shape != expected:
        raise GatescopeError(f"{where}: its {what} has shape {array.shape}; expected {expected} (one sequence)")
    array = array[:, 0, :] if layout == 0 else array[0]
    if array.dtype.kind != "f":
        raise GatescopeError(f"{where}: its {what} is {array.dtype}; expected floating point")
    return None if not np.any(array) else np.array(array, dtype=np.float64)


def _check_sequence_lens(evaluator: Evaluator, name: str, steps: int, record: RecurrentNode, where: str) -> None:
    """sequence_lens must cover the whole sequence: a graph input is fed the length, a constant must equal it."""
    if not name:
        return
    if name in evaluator.graph.inputs:
        record.notes.append(f"sequence_lens is a graph input ({name!r}); gatescope always reads the whole sequence")
        return
    try:
        lengths = evaluator.value(name)
    except UnboundTensorError:
        lengths = None
    if lengths is None or lengths.from_data or np.asarray(lengths.array).reshape(-1).tolist() != [steps]:
        raise GatescopeError(
            f"{where} reads only part of its sequence (sequence_lens {name!r} is fixed in the graph); gatescope "
            f"reads whole sequences: export the model without sequence_lens"
        )
