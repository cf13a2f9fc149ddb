"""Recurrent layer parameters: validation against shapes, and the fast layout used by the forward pass.

Weights are given in PyTorch's naming and gate order (LSTM i,f,g,o; GRU r,z,n) and validated once. At construction
each direction is laid out for the forward loop: C-contiguous, sigmoid gates first and pre-scaled by 0.5 so that one
``tanh`` call computes every gate (sigmoid(x) = 0.5 + 0.5 * tanh(x / 2), exact scaling by a power of two). The input
weights keep PyTorch's (G*H, in) orientation, the recurrent ones are transposed to (H, G*H) for ``h @ R``: the faster
BLAS calls for a whole sequence and for one step (see benchmarks/engine.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from gatescope.errors import GatescopeError

KINDS = ("lstm", "gru", "rnn")
GRU_CONVENTIONS = ("pytorch", "cho")
NONLINEARITIES = ("tanh", "relu")

#: Gate names per cell kind, in the order the explainers tell them.
GATE_NAMES: dict[str, tuple[str, ...]] = {
    "lstm": ("input", "forget", "candidate", "output"),
    "gru": ("update", "reset", "candidate"),
    "rnn": (),
}
#: Gate blocks per kind in PyTorch's weight layout (LSTM i,f,g,o; GRU r,z,n).
TORCH_GATE_ORDER: dict[str, tuple[str, ...]] = {
    "lstm": ("input", "forget", "candidate", "output"),
    "gru": ("reset", "update", "candidate"),
    "rnn": ("hidden",),
}
#: Rows of a peephole array (3, units).
PEEPHOLE_ORDER = ("input", "forget", "output")

FloatArray = npt.NDArray[np.floating]


def gate_count(kind: str) -> int:
    """Number of stacked weight blocks for a cell kind (LSTM 4, GRU 3, RNN 1)."""
    return len(TORCH_GATE_ORDER[kind])


@dataclass(frozen=True, eq=False)
class DirectionWeights:
    """One direction of one layer in PyTorch layout. Shapes: weight_ih (G*H, in), weight_hh (G*H, H), biases (G*H,)."""

    weight_ih: FloatArray
    weight_hh: FloatArray
    bias_ih: FloatArray
    bias_hh: FloatArray
    peephole: FloatArray | None = None  # (3, H): input, forget, output


@dataclass(frozen=True, eq=False)
class LayerLayout:
    """Weights of one direction laid out for the forward loop (see the module docstring)."""

    input_weight: FloatArray  # (G*H, in), sigmoid rows scaled by 0.5; the loop multiplies x @ input_weight.T
    input_bias: FloatArray  # (G*H,): every bias that can be added before the loop, scaled like input_weight
    recurrent_weight: FloatArray  # (H, G*H) (GRU "cho": only the r,z columns; candidate in candidate_weight)
    candidate_weight: FloatArray | None  # GRU "cho": (H, H) applied to r*h
    candidate_bias: FloatArray | None  # GRU "pytorch": b_hn, added inside the reset product
    peephole: FloatArray | None  # LSTM: (3, H) input, forget, output, scaled by 0.5


@dataclass(frozen=True, eq=False)
class RecurrentLayer:
    """One recurrent layer: one direction, or forward and reverse for a bidirectional layer."""

    kind: str
    input_size: int
    hidden_size: int
    directions: tuple[DirectionWeights, ...]
    gru_convention: str = "pytorch"
    nonlinearity: str = "tanh"
    layouts: tuple[LayerLayout, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._validate()
        for direction in self.directions:
            for array in (
                direction.weight_ih,
                direction.weight_hh,
                direction.bias_ih,
                direction.bias_hh,
                direction.peephole,
            ):
                if array is not None:
                    array.flags.writeable = False  # the forward pass uses copies laid out once: edits would be lost
        object.__setattr__(self, "layouts", tuple(self._lay_out(d) for d in self.directions))

    @property
    def bidirectional(self) -> bool:
        return len(self.directions) == 2

    @property
    def peepholes(self) -> bool:
        return self.directions[0].peephole is not None

    @property
    def dtype(self) -> np.dtype:
        return self.directions[0].weight_ih.dtype

    @property
    def output_size(self) -> int:
        return self.hidden_size * len(self.directions)

    def parameter_count(self) -> int:
        """Number of scalar parameters, as PyTorch counts them (biases included even when all zero)."""
        total = 0
        for d in self.directions:
            total += d.weight_ih.size + d.weight_hh.size + d.bias_ih.size + d.bias_hh.size
            total += 0 if d.peephole is None else d.peephole.size
        return int(total)

    def _validate(self) -> None:
        if self.kind not in KINDS:
            raise GatescopeError(f"unknown cell kind {self.kind!r}; expected one of {', '.join(KINDS)}")
        if self.gru_convention not in GRU_CONVENTIONS:
            raise GatescopeError(
                f"unknown GRU convention {self.gru_convention!r}; expected one of {', '.join(GRU_CONVENTIONS)}"
            )
        if self.nonlinearity not in NONLINEARITIES:
            raise GatescopeError(
                f"unknown RNN nonlinearity {self.nonlinearity!r}; expected one of {', '.join(NONLINEARITIES)}"
            )
        if len(self.directions) not in (1, 2):
            raise GatescopeError(f"a layer has 1 or 2 directions, not {len(self.directions)}")
        if self.input_size < 1 or self.hidden_size < 1:
            raise GatescopeError(f"sizes must be positive: input_size={self.input_size}, units={self.hidden_size}")
        rows = gate_count(self.kind) * self.hidden_size
        expected = {
            "weight_ih": (rows, self.input_size),
            "weight_hh": (rows, self.hidden_size),
            "bias_ih": (rows,),
            "bias_hh": (rows,),
        }
        dtype = self.directions[0].weight_ih.dtype
        if dtype not in (np.float32, np.float64):
            raise GatescopeError(f"weights must be float32 or float64, not {dtype}")
        for number, direction in enumerate(self.directions):
            where = "reverse direction" if number else "forward direction"
            for name, shape in expected.items():
                array = getattr(direction, name)
                _check_array(array, shape, dtype, f"{name} ({where})", self.hidden_size)
            if direction.peephole is not None:
                if self.kind != "lstm":
                    raise GatescopeError(f"peephole connections exist only for LSTM layers, not {self.kind.upper()}")
                _check_array(direction.peephole, (3, self.hidden_size), dtype, f"peephole ({where})", self.hidden_size)
        if len({d.peephole is None for d in self.directions}) > 1:
            raise GatescopeError("both directions of a layer must have peepholes, or neither")

    def _lay_out(self, weights: DirectionWeights) -> LayerLayout:
        H = self.hidden_size
        blocks_ih = dict(zip(TORCH_GATE_ORDER[self.kind], np.split(weights.weight_ih, gate_count(self.kind))))
        blocks_hh = dict(zip(TORCH_GATE_ORDER[self.kind], np.split(weights.weight_hh, gate_count(self.kind))))
        summed_bias = weights.bias_ih + weights.bias_hh
        bias = dict(zip(TORCH_GATE_ORDER[self.kind], np.split(summed_bias, gate_count(self.kind))))
        order = internal_order(self.kind)
        scale = np.concatenate([np.full(H, 0.5 if _is_sigmoid(g) else 1.0, weights.weight_ih.dtype) for g in order])
        candidate_weight = candidate_bias = None
        peephole = None
        if self.kind == "gru":
            b_hn = weights.bias_hh[2 * H :]
            if self.gru_convention == "pytorch":
                # b_hn sits inside r * (W_hn h + b_hn): keep it out of the input bias.
                bias["candidate"] = weights.bias_ih[2 * H :]
                candidate_bias = np.ascontiguousarray(b_hn)
                recurrent = np.concatenate([blocks_hh[g] for g in order]).T * scale
            else:
                recurrent = np.concatenate([blocks_hh[g] for g in order[:2]]).T * scale[: 2 * H]
                candidate_weight = np.ascontiguousarray(blocks_hh["candidate"].T)
        else:
            recurrent = np.concatenate([blocks_hh[g] for g in order]).T * scale
        if weights.peephole is not None:
            peephole = np.ascontiguousarray(weights.peephole * 0.5)
        return LayerLayout(
            input_weight=np.ascontiguousarray(np.concatenate([blocks_ih[g] for g in order]) * scale[:, None]),
            input_bias=np.concatenate([bias[g] for g in order]) * scale,
            recurrent_weight=np.ascontiguousarray(recurrent),
            candidate_weight=candidate_weight,
            candidate_bias=candidate_bias,
            peephole=peephole,
        )


def internal_order(kind: str) -> tuple[str, ...]:
    """Gate blocks in the forward loop's layout: sigmoid gates first, so one slice covers them."""
    return {"lstm": ("input", "forget", "output", "candidate"), "gru": ("reset", "update", "candidate")}.get(
        kind, ("hidden",)
    )


def _is_sigmoid(gate: str) -> bool:
    return gate not in ("candidate", "hidden")


def _check_array(array: object, shape: tuple[int, ...], dtype: np.dtype, name: str, units: int) -> None:
    if not isinstance(array, np.ndarray):
        raise GatescopeError(f"{name} must be an array, not {type(array).__name__}")
    if array.shape != shape:
        raise GatescopeError(f"{name} has shape {array.shape}; expected {shape} for {units} units")
    if array.dtype != dtype:
        raise GatescopeError(f"{name} is {array.dtype}; every weight of a layer must be {dtype}")
    if not np.all(np.isfinite(array)):
        raise GatescopeError(f"{name} contains NaN or infinite values")


def layer_from_state_dict(
    arrays: Mapping[str, np.ndarray],
    layer: int,
    kind: str,
    *,
    bidirectional: bool,
    dtype: npt.DTypeLike = np.float32,
    gru_convention: str = "pytorch",
    nonlinearity: str = "tanh",
    prefix: str = "",
    units: int | None = None,
    input_size: int | None = None,
) -> RecurrentLayer:
    """Build layer ``layer`` from PyTorch-named arrays (``weight_ih_l0``, ``..._reverse``, optional ``peephole_l0``).

    Every array is checked by its full name against the shapes that ``units`` and ``input_size`` imply (inferred
    from the forward ``weight_hh`` / ``weight_ih`` when not given). Missing biases count as zero (PyTorch
    ``bias=False``). Arrays are copied to ``dtype``.
    """
    if kind not in KINDS:
        raise GatescopeError(f"unknown cell kind {kind!r}; expected one of {', '.join(KINDS)}")
    dtype = np.dtype(dtype)
    rows_per_unit = gate_count(kind)
    directions = []
    for suffix in ("", "_reverse") if bidirectional else ("",):

        def key(name: str, suffix: str = suffix) -> str:
            return f"{prefix}{name}_l{layer}{suffix}"

        found = {name: arrays.get(key(name)) for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "peephole")}
        for name in ("weight_ih", "weight_hh"):
            if found[name] is None:
                raise GatescopeError(f"missing array {key(name)!r}")
            if np.ndim(found[name]) != 2:
                raise GatescopeError(f"{key(name)} must be 2-D, but has shape {np.shape(found[name])}")
        if (found["bias_ih"] is None) != (found["bias_hh"] is None):
            raise GatescopeError(f"{key('bias_ih')} and {key('bias_hh')} must both be present or both absent")
        if units is None:
            units = int(np.shape(found["weight_hh"])[1])
        if input_size is None:
            input_size = int(np.shape(found["weight_ih"])[1])
        if units < 1 or input_size < 1:
            raise GatescopeError(f"{key('weight_hh')}: sizes must be positive (units {units}, input {input_size})")
        rows = rows_per_unit * units
        expected = {
            "weight_ih": (rows, input_size),
            "weight_hh": (rows, units),
            "bias_ih": (rows,),
            "bias_hh": (rows,),
            "peephole": (3, units),
        }
        for name, array in found.items():
            if array is not None and np.shape(array) != expected[name]:
                raise GatescopeError(
                    f"{key(name)} has shape {np.shape(array)}; expected {expected[name]} for a "
                    f"{kind.upper()} with {units} units reading {input_size} features"
                )
        weights = {name: None if array is None else np.array(array, dtype=dtype) for name, array in found.items()}
        if weights["bias_ih"] is None:
            weights["bias_ih"] = np.zeros(rows, dtype)
            weights["bias_hh"] = np.zeros(rows, dtype)
        directions.append(
            DirectionWeights(
                weights["weight_ih"], weights["weight_hh"], weights["bias_ih"], weights["bias_hh"], weights["peephole"]
            )
        )
    assert units is not None and input_size is not None
    return RecurrentLayer(
        kind=kind,
        input_size=input_size,
        hidden_size=units,
        directions=tuple(directions),
        gru_convention=gru_convention,
        nonlinearity=nonlinearity,
    )
