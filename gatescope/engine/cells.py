"""Recurrent layer parameters: validation against shapes, and the layout the kernels read (layout.py), made once.

Weights are given in PyTorch's naming and gate order (LSTM i,f,g,o; GRU r,z,n) and validated once; a layer then
freezes them and lays each direction out for the kernels.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from numbers import Real
from typing import Any

import numpy as np
import numpy.typing as npt

from gatescope.engine.layout import TORCH_GATE_ORDER, DirectionLayout, lay_out
from gatescope.engine.trace import FloatArray
from gatescope.errors import GatescopeError

KINDS = ("lstm", "gru", "rnn")
GRU_CONVENTIONS = ("pytorch", "cho")
NONLINEARITIES = ("tanh", "relu")
#: Gate (recurrent) activations: the logistic sigmoid; Keras 3's hard sigmoid relu6(x + 3) / 6; Keras 2's (and
#: tf.keras's) clip(0.2 x + 0.5, 0, 1), also ONNX's HardSigmoid with its default alpha and beta.
GATE_ACTIVATIONS = ("sigmoid", "hard_sigmoid", "hard_sigmoid_keras2")
#: Activations of an LSTM's or GRU's candidate, cell and hidden state (Keras ``activation``).
ACTIVATIONS = ("tanh",)
#: RecurrentLayer's options for imported layers, and their defaults: PyTorch's layers.
OPTION_DEFAULTS: dict[str, object] = {
    "clip": None,
    "input_forget": False,
    "reverse": False,
    "gate_activation": "sigmoid",
    "activation": "tanh",
}

#: Gate names per cell kind, in the order the explainers tell them.
GATE_NAMES: dict[str, tuple[str, ...]] = {
    "lstm": ("input", "forget", "candidate", "output"),
    "gru": ("update", "reset", "candidate"),
    "rnn": (),
}


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
class RecurrentLayer:
    """One recurrent layer: one direction, or forward and reverse for a bidirectional layer.

    The keyword-only options run imported layers that PyTorch's have no equivalent for; their defaults are PyTorch's
    layers, which take the engine's fastest steps:

    - ``clip``: ONNX's cell clip. Every pre-activation (LSTM i, f, g, o; GRU z, r and the candidate, its reset term
      included; RNN) is bounded to [-clip, clip] just before its activation, after every term (peepholes, biases) is
      added. The cell state itself is not clipped (onnxruntime's LSTM does not either).
    - ``input_forget``: ONNX's coupled LSTM gates, f = 1 - i; the forget gate's own weights are not read.
    - ``reverse``: one direction reading the sequence right to left (ONNX ``direction="reverse"``); its trace rows
      stay in input order, like the reverse half of a bidirectional layer.
    - ``gate_activation``: one of ``GATE_ACTIVATIONS`` (Keras ``recurrent_activation``).
    - ``activation``: the candidate's, cell's and hidden state's activation of an LSTM or GRU: ``tanh`` only (an
      RNN's is its ``nonlinearity``).
    """

    kind: str
    input_size: int
    hidden_size: int
    directions: tuple[DirectionWeights, ...]
    gru_convention: str = "pytorch"
    nonlinearity: str = "tanh"
    clip: float | None = field(default=None, kw_only=True)
    input_forget: bool = field(default=False, kw_only=True)
    reverse: bool = field(default=False, kw_only=True)
    gate_activation: str = field(default="sigmoid", kw_only=True)
    activation: str = field(default="tanh", kw_only=True)
    layouts: tuple[DirectionLayout, ...] = field(init=False, repr=False)

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
        if self.clip is not None:
            object.__setattr__(self, "clip", float(self.clip))
        layouts = tuple(
            lay_out(
                self.kind,
                self.gru_convention,
                self.nonlinearity,
                d,
                clip=self.clip,
                gate_activation=self.gate_activation,
                input_forget=self.input_forget,
            )
            for d in self.directions
        )
        object.__setattr__(self, "layouts", layouts)

    @property
    def bidirectional(self) -> bool:
        return len(self.directions) == 2

    @property
    def direction_names(self) -> tuple[str, ...]:
        """How each direction reads the sequence: ("forward", "reverse"), ("forward",) or ("reverse",)."""
        if self.bidirectional:
            return ("forward", "reverse")
        return ("reverse",) if self.reverse else ("forward",)

    def options(self) -> dict[str, object]:
        """The options this layer sets away from their defaults (PyTorch's layers), by field name."""
        return {
            name: getattr(self, name) for name, default in OPTION_DEFAULTS.items() if getattr(self, name) != default
        }

    @property
    def peepholes(self) -> bool:
        return self.directions[0].peephole is not None

    @property
    def dtype(self) -> np.dtype[Any]:
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
        self._validate_options()
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

    def _validate_options(self) -> None:
        clip = self.clip
        if clip is not None and (isinstance(clip, bool) or not isinstance(clip, Real) or not (0 < clip < float("inf"))):
            raise GatescopeError(
                f"clip must be a positive finite number (pre-activations are bounded to ±clip), not {clip!r}"
            )
        for name in ("input_forget", "reverse"):
            if not isinstance(getattr(self, name), bool):
                raise GatescopeError(f"{name} must be True or False, not {getattr(self, name)!r}")
        if self.input_forget and self.kind != "lstm":
            raise GatescopeError(
                f"input_forget couples an LSTM's input and forget gates; {self.kind.upper()} layers have no forget gate"
            )
        if self.reverse and len(self.directions) == 2:
            raise GatescopeError(
                "reverse is for a layer of one direction; a bidirectional layer already reads both ways"
            )
        if self.gate_activation not in GATE_ACTIVATIONS:
            raise GatescopeError(
                f"unknown gate activation {self.gate_activation!r}; expected one of {', '.join(GATE_ACTIVATIONS)}"
            )
        if self.kind == "rnn" and self.gate_activation != "sigmoid":
            raise GatescopeError(f"an RNN has no gates, so no gate activation {self.gate_activation!r}")
        if self.activation not in ACTIVATIONS:
            nonlinearity = " (an RNN's is its nonlinearity, tanh or relu)" if self.kind == "rnn" else ""
            raise GatescopeError(
                f"activation {self.activation!r} is not supported: gatescope runs {self.kind.upper()} layers "
                f"with tanh{nonlinearity}"
            )


def _check_array(array: object, shape: tuple[int, ...], dtype: np.dtype[Any], name: str, units: int) -> None:
    if not isinstance(array, np.ndarray):
        raise GatescopeError(f"{name} must be an array, not {type(array).__name__}")
    if array.shape != shape:
        raise GatescopeError(f"{name} has shape {array.shape}; expected {shape} for {units} units")
    if array.dtype != dtype:
        raise GatescopeError(f"{name} is {array.dtype}; every weight of a layer must be {dtype}")
    if not np.all(np.isfinite(array)):
        raise GatescopeError(f"{name} contains NaN or infinite values")


def layer_from_state_dict(
    arrays: Mapping[str, npt.ArrayLike],
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
    clip: float | None = None,
    input_forget: bool = False,
    reverse: bool = False,
    gate_activation: str = "sigmoid",
    activation: str = "tanh",
) -> RecurrentLayer:
    """Build layer ``layer`` from PyTorch-named arrays (``weight_ih_l0``, ``..._reverse``, optional ``peephole_l0``).

    Every array is checked by its full name against the shapes that ``units`` and ``input_size`` imply (inferred
    from the forward ``weight_hh`` / ``weight_ih`` when not given). Missing biases count as zero (PyTorch
    ``bias=False``). Arrays are copied to ``dtype``. ``clip`` and the options after it are RecurrentLayer's.
    """
    if kind not in KINDS:
        raise GatescopeError(f"unknown cell kind {kind!r}; expected one of {', '.join(KINDS)}")
    directions = []
    for suffix in ("", "_reverse") if bidirectional else ("",):
        found = {name: _array_or_none(arrays.get(f"{prefix}{name}_l{layer}{suffix}")) for name in _STATE_NAMES}
        where = _StateDictKey(prefix, layer, suffix)
        weight_ih, weight_hh = _check_present(found, where)
        if units is None:
            units = int(weight_hh.shape[1])
        if input_size is None:
            input_size = int(weight_ih.shape[1])
        directions.append(_direction_weights(found, where, kind, units, input_size, np.dtype(dtype)))
    assert units is not None and input_size is not None
    return RecurrentLayer(
        kind=kind,
        input_size=input_size,
        hidden_size=units,
        directions=tuple(directions),
        gru_convention=gru_convention,
        nonlinearity=nonlinearity,
        clip=clip,
        input_forget=input_forget,
        reverse=reverse,
        gate_activation=gate_activation,
        activation=activation,
    )


_STATE_NAMES = ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "peephole")


@dataclass(frozen=True)
class _StateDictKey:
    """Names one direction's arrays in a state dict: ``{prefix}{name}_l{layer}{suffix}``."""

    prefix: str
    layer: int
    suffix: str

    def __call__(self, name: str) -> str:
        return f"{self.prefix}{name}_l{self.layer}{self.suffix}"


def _array_or_none(value: npt.ArrayLike | None) -> np.ndarray[Any, Any] | None:
    return None if value is None else np.asarray(value)


def _check_present(
    found: Mapping[str, np.ndarray[Any, Any] | None], key: _StateDictKey
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Both weight matrices present and 2-D (returned); the two biases both present or both absent."""
    matrices = []
    for name in ("weight_ih", "weight_hh"):
        array = found[name]
        if array is None:
            raise GatescopeError(f"missing array {key(name)!r}")
        if array.ndim != 2:
            raise GatescopeError(f"{key(name)} must be 2-D, but has shape {array.shape}")
        matrices.append(array)
    if (found["bias_ih"] is None) != (found["bias_hh"] is None):
        raise GatescopeError(f"{key('bias_ih')} and {key('bias_hh')} must both be present or both absent")
    return matrices[0], matrices[1]


def _direction_weights(
    found: Mapping[str, np.ndarray[Any, Any] | None],
    key: _StateDictKey,
    kind: str,
    units: int,
    input_size: int,
    dtype: np.dtype[Any],
) -> DirectionWeights:
    """One direction's arrays, checked by name against the shapes units and input_size imply, copied to dtype."""
    if units < 1 or input_size < 1:
        raise GatescopeError(f"{key('weight_hh')}: sizes must be positive (units {units}, input {input_size})")
    rows = gate_count(kind) * units
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
    copied = {name: None if array is None else np.array(array, dtype=dtype) for name, array in found.items()}
    bias_ih, bias_hh, peephole = copied["bias_ih"], copied["bias_hh"], copied["peephole"]
    if bias_ih is None or bias_hh is None:
        bias_ih, bias_hh = np.zeros(rows, dtype), np.zeros(rows, dtype)
    weight_ih, weight_hh = copied["weight_ih"], copied["weight_hh"]
    assert weight_ih is not None and weight_hh is not None
    return DirectionWeights(weight_ih, weight_hh, bias_ih, bias_hh, peephole)
