"""The ONNX operators gatescope's graph evaluator runs in NumPy, and node attributes decoded without ``onnx``.

Re-arrangements (Transpose, Reshape, Squeeze, Slice, Gather, Concat, ...), the shape arithmetic exporters emit around
them (Shape, ConstantOfShape, Mul, ...), and the head (MatMul, Gemm, Add, Softmax, LogSoftmax, Sigmoid). Every array an
operator creates is bounded before it is allocated (``MAX_ELEMENTS``), so a hostile ConstantOfShape cannot fill memory.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from gatescope.errors import GatescopeError
from gatescope.model.formats.onnx_tensors import ELEMENT_TYPES, TensorReader

if TYPE_CHECKING:
    from onnx import NodeProto

#: Elements an operator may create (ConstantOfShape, Expand, Range, MatMul, ...): 512 MB of float64.
MAX_ELEMENTS = 1 << 26
#: Operators whose outputs depend only on the shape of their input, not its values.
SHAPE_ONLY = frozenset({"Shape", "Size"})

Arrays = list[np.ndarray | None]
Attributes = dict[str, Any]
Operator = Callable[[Arrays, Attributes, int], list[np.ndarray]]


def attributes(node: NodeProto, tensors: TensorReader, label: str) -> Attributes:
    """A node's attributes as Python values (tensors as arrays); ``label`` names the node in messages."""
    decoded: Attributes = {}
    for attribute in node.attribute:
        kind = attribute.type
        if kind == 1:
            decoded[attribute.name] = float(attribute.f)
        elif kind == 2:
            decoded[attribute.name] = int(attribute.i)
        elif kind == 3:
            decoded[attribute.name] = attribute.s.decode("utf-8", errors="replace")
        elif kind == 4:
            decoded[attribute.name] = tensors.array(attribute.t, f"attribute {attribute.name!r} of {label}")
        elif kind == 6:
            decoded[attribute.name] = [float(value) for value in attribute.floats]
        elif kind == 7:
            decoded[attribute.name] = [int(value) for value in attribute.ints]
        elif kind == 8:
            decoded[attribute.name] = [value.decode("utf-8", errors="replace") for value in attribute.strings]
        else:  # graphs, sparse tensors, type protos: only operators gatescope does not run carry them
            decoded[attribute.name] = None
    return decoded


def check_size(shape: Sequence[int], what: str) -> tuple[int, ...]:
    """``shape`` as ints, refused when it is negative or holds more than ``MAX_ELEMENTS`` elements."""
    sides = tuple(int(side) for side in shape)
    if any(side < 0 for side in sides):
        raise GatescopeError(f"{what} has a negative dimension {sides}")
    if math.prod(sides) > MAX_ELEMENTS:
        raise GatescopeError(
            f"{what} would hold {math.prod(sides):,} elements (shape {sides}), more than the {MAX_ELEMENTS:,} "
            f"gatescope computes while reading a graph"
        )
    return sides


def _data(inputs: Arrays, slot: int = 0) -> np.ndarray:
    array = inputs[slot] if slot < len(inputs) else None
    if array is None:
        raise GatescopeError(f"input {slot} is missing")
    return array


def _ints(array: np.ndarray | None) -> list[int]:
    return [] if array is None else [int(value) for value in np.asarray(array).reshape(-1)]


def _axis(axis: int, rank: int) -> int:
    if not -rank <= axis < max(rank, 1):
        raise GatescopeError(f"axis {axis} is out of range for {rank} dimensions")
    return axis % max(rank, 1)


def _constant(inputs: Arrays, attrs: Attributes, opset: int) -> list[np.ndarray]:
    for name in ("value", "value_float", "value_floats", "value_int", "value_ints"):
        if attrs.get(name) is not None:
            dtype = np.float32 if name.startswith("value_float") else np.int64
            return [np.asarray(attrs[name], dtype=None if name == "value" else dtype)]
    raise GatescopeError("a Constant without a numeric value (strings and sparse tensors are not read)")


def _shape(inputs: Arrays, attrs: Attributes, opset: int) -> list[np.ndarray]:
    shape = _data(inputs).shape
    start, end = attrs.get("start", 0), attrs.get("end")
    return [np.array(shape[slice(start, end)], dtype=np.int64)]


def _gather(inputs: Arrays, attrs: Attributes, opset: int) -> list[np.ndarray]:
    data, indices = _data(inputs), _data(inputs, 1)
    axis = _axis(attrs.get("axis", 0), data.ndim)
    if indices.dtype.kind not in "iu":
        raise GatescopeError(f"indices must be integers, not {indices.dtype}")
    side = data.shape[axis]
    if indices.size and (indices.min() < -side or indices.max() >= side):
        raise GatescopeError(f"an index is out of range for a dimension of {side}")
    check_size(data.shape[:axis] + indices.shape + data.shape[axis + 1 :], "its output")
    return [np.take(data, indices.astype(np.int64) % max(side, 1), axis=axis)]


def _reshape(inputs: Arrays, attrs: Attributes, opset: int) -> list[np.ndarray]:
    data, shape = _data(inputs), _ints(_data(inputs, 1))
    if not attrs.get("allowzero", 0):
        shape = [data.shape[i] if side == 0 and i < data.ndim else side for i, side in enumerate(shape)]
    return [data.reshape(shape)]


def _squeeze(inputs: Arrays, attrs: Attributes, opset: int) -> list[np.ndarray]:
    data = _data(inputs)
    axes = attrs.get("axes") if opset < 13 else _ints(inputs[1] if len(inputs) > 1 else None)
    if not axes:
        return [data.reshape([side for side in data.shape if side != 1])]
    return [np.squeeze(data, axis=tuple(_axis(a, data.ndim) for a in axes))]


def _unsqueeze(inputs: Arrays, attrs: Attributes, opset: int) -> list[np.ndarray]:
    data = _data(inputs)
    axes = attrs.get("axes") if opset < 13 else _ints(_data(inputs, 1))
    rank = data.ndim + len(axes or [])
    return [np.expand_dims(data, tuple(_axis(a, rank) for a in axes or []))]


def _flatten(inputs: Arrays, attrs: Attributes, opset: int) -> list[np.ndarray]:
    data = _data(inputs)
    axis = attrs.get("axis", 1)
    axis = axis % data.ndim if axis < 0 else axis
    return [data.reshape(math.prod(data.shape[:axis]), math.prod(data.shape[axis:]))]


def _transpose(inputs: Arrays, attrs: Attributes, opset: int) -> list[np.ndarray]:
    data = _data(inputs)
    perm = attrs.get("perm") or list(reversed(range(data.ndim)))
    return [np.transpose(data, perm)]


def _slice(inputs: Arrays, attrs: Attributes, opset: int) -> list[np.ndarray]:
    data = _data(inputs)
    if opset < 10:
        starts, ends, axes, steps = attrs.get("starts", []), attrs.get("ends", []), attrs.get("axes"), None
    else:
        starts, ends = _ints(_data(inputs, 1)), _ints(_data(inputs, 2))
        axes = _ints(inputs[3]) if len(inputs) > 3 and inputs[3] is not None else None
        steps = _ints(inputs[4]) if len(inputs) > 4 and inputs[4] is not None else None
    axes = list(range(len(starts))) if axes is None else axes
    steps = [1] * len(starts) if steps is None else steps
    index: list[slice] = [slice(None)] * data.ndim
    for start, end, axis, step in zip(starts, ends, axes, steps):
        if step == 0:
            raise GatescopeError("a Slice step of 0")
        index[_axis(axis, data.ndim)] = slice(start, end, step)  # Python clamps out-of-range bounds as ONNX does
    return [data[tuple(index)]]


def _concat(inputs: Arrays, attrs: Attributes, opset: int) -> list[np.ndarray]:
    parts = [array for array in inputs if array is not None]
    if not parts:
        raise GatescopeError("nothing to concatenate")
    return [np.concatenate(parts, axis=_axis(attrs.get("axis", 0), parts[0].ndim))]


def _cast(inputs: Arrays, attrs: Attributes, opset: int) -> list[np.ndarray]:
    dtype = ELEMENT_TYPES.get(attrs.get("to", 0))
    if dtype is None or attrs.get("to") == 16:
        raise GatescopeError(f"a cast to element type {attrs.get('to')}, which gatescope does not compute with")
    return [_data(inputs).astype(dtype.newbyteorder("="))]


def _constant_of_shape(inputs: Arrays, attrs: Attributes, opset: int) -> list[np.ndarray]:
    shape = check_size(_ints(_data(inputs)), "its output")
    value = attrs.get("value")
    fill = np.zeros(1, np.float32) if value is None else np.asarray(value).reshape(-1)
    return [np.full(shape, fill[0], dtype=fill.dtype)]


def _expand(inputs: Arrays, attrs: Attributes, opset: int) -> list[np.ndarray]:
    data, shape = _data(inputs), _ints(_data(inputs, 1))
    target = check_size(np.broadcast_shapes(data.shape, tuple(shape)), "its output")
    return [np.broadcast_to(data, target)]


def _range(inputs: Arrays, attrs: Attributes, opset: int) -> list[np.ndarray]:
    start, limit, delta = (_data(inputs, slot).reshape(()) for slot in range(3))
    if delta == 0:
        raise GatescopeError("a Range with step 0")
    check_size([max(0, math.ceil((float(limit) - float(start)) / float(delta)))], "its output")
    values = np.arange(start.item(), limit.item(), delta.item())
    return [values.astype(np.result_type(start, limit, delta))]


def _divide(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if a.dtype.kind in "iu" and b.dtype.kind in "iu":
        return np.asarray(np.sign(a) * np.sign(b) * (np.abs(a) // np.abs(b)))  # ONNX integer division truncates
    return np.asarray(a / b)


def _binary(function: Callable[[np.ndarray, np.ndarray], Any]) -> Operator:
    def run(inputs: Arrays, attrs: Attributes, opset: int) -> list[np.ndarray]:
        a, b = _data(inputs), _data(inputs, 1)
        check_size(np.broadcast_shapes(a.shape, b.shape), "its output")
        return [np.asarray(function(a, b))]

    return run


def _matmul(inputs: Arrays, attrs: Attributes, opset: int) -> list[np.ndarray]:
    a, b = _data(inputs), _data(inputs, 1)
    if a.ndim >= 2 and b.ndim >= 2:
        check_size(np.broadcast_shapes(a.shape[:-2], b.shape[:-2]) + (a.shape[-2], b.shape[-1]), "its output")
    return [np.matmul(a, b)]


def _gemm(inputs: Arrays, attrs: Attributes, opset: int) -> list[np.ndarray]:
    a, b = _data(inputs), _data(inputs, 1)
    a = a.T if attrs.get("transA", 0) else a
    b = b.T if attrs.get("transB", 0) else b
    if a.ndim != 2 or b.ndim != 2:
        raise GatescopeError(f"Gemm multiplies 2-D matrices, not {a.shape} and {b.shape}")
    check_size((a.shape[0], b.shape[1]), "its output")
    product = attrs.get("alpha", 1.0) * (a @ b)
    if len(inputs) > 2 and inputs[2] is not None:
        product = product + attrs.get("beta", 1.0) * inputs[2]
    return [np.asarray(product)]


def _softmax_axes(data: np.ndarray, attrs: Attributes, opset: int) -> tuple[np.ndarray, int]:
    """The array Softmax works on and its axis: before opset 13 the input is flattened to 2-D at ``axis``."""
    if opset < 13:
        axis = _axis(attrs.get("axis", 1), data.ndim)
        return data.reshape(math.prod(data.shape[:axis]), math.prod(data.shape[axis:])), 1
    return data, _axis(attrs.get("axis", -1), data.ndim)


def _softmax(inputs: Arrays, attrs: Attributes, opset: int) -> list[np.ndarray]:
    data = _data(inputs)
    work, axis = _softmax_axes(data, attrs, opset)
    shifted = np.exp(work - work.max(axis=axis, keepdims=True))
    return [(shifted / shifted.sum(axis=axis, keepdims=True)).reshape(data.shape)]


def _log_softmax(inputs: Arrays, attrs: Attributes, opset: int) -> list[np.ndarray]:
    data = _data(inputs)
    work, axis = _softmax_axes(data, attrs, opset)
    shifted = work - work.max(axis=axis, keepdims=True)
    return [(shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))).reshape(data.shape)]


def _sigmoid(inputs: Arrays, attrs: Attributes, opset: int) -> list[np.ndarray]:
    return [0.5 * np.tanh(0.5 * _data(inputs)) + 0.5]


def _identity(inputs: Arrays, attrs: Attributes, opset: int) -> list[np.ndarray]:
    data = _data(inputs)
    return [data, np.ones(data.shape, bool)]  # Dropout's optional mask: nothing dropped at inference


def _where(inputs: Arrays, attrs: Attributes, opset: int) -> list[np.ndarray]:
    condition, a, b = _data(inputs), _data(inputs, 1), _data(inputs, 2)
    check_size(np.broadcast_shapes(condition.shape, a.shape, b.shape), "its output")
    return [np.where(condition, a, b)]


OPERATORS: dict[str, Operator] = {
    "Constant": _constant,
    "Identity": _identity,
    "Dropout": _identity,
    "Cast": _cast,
    "Shape": _shape,
    "Size": lambda inputs, attrs, opset: [np.array(_data(inputs).size, dtype=np.int64)],
    "Gather": _gather,
    "Reshape": _reshape,
    "Squeeze": _squeeze,
    "Unsqueeze": _unsqueeze,
    "Flatten": _flatten,
    "Transpose": _transpose,
    "Slice": _slice,
    "Concat": _concat,
    "ConstantOfShape": _constant_of_shape,
    "Expand": _expand,
    "Range": _range,
    "Add": _binary(np.add),
    "Sub": _binary(np.subtract),
    "Mul": _binary(np.multiply),
    "Div": _binary(_divide),
    "Equal": _binary(np.equal),
    "Where": _where,
    "Neg": lambda inputs, attrs, opset: [np.negative(_data(inputs))],
    "MatMul": _matmul,
    "Gemm": _gemm,
    "Softmax": _softmax,
    "LogSoftmax": _log_softmax,
    "Sigmoid": _sigmoid,
}
