"""Frozen containers of everything a run computed: per layer, per step, every gate, the cell and the hidden state."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
import numpy.typing as npt

from gatescope.errors import GatescopeError

FloatArray = npt.NDArray[np.floating]


def _freeze(array: np.ndarray | None) -> np.ndarray | None:
    if array is not None:
        array.flags.writeable = False
    return array


@dataclass(frozen=True, eq=False)
class LayerTrace:
    """One recurrent layer over a sequence. Every array is (T, units) — bidirectional: (T, 2*units), forward first.

    Attributes
    ----------
    h : (T, units) hidden state after each step.
    c : (T, units) cell state after each step (LSTM), else None.
    gates : gate name -> (T, units) activation (LSTM input/forget/candidate/output; GRU update/reset/candidate).
    preactivations : same keys, the value before the sigmoid or tanh.
    hidden_preactivation : RNN only: (T, units) value before the nonlinearity, else None.
    h0, c0 : (units,) initial states (c0 for LSTM only); row t = -1 of the sequence.
    reverse : a one-direction layer that read right to left (ONNX direction="reverse"). Its rows stay in input
        order, like a bidirectional layer's reverse units: row t is its state at token t, reached from row t + 1.
    """

    index: int
    kind: str
    units: int
    bidirectional: bool
    h: FloatArray
    c: FloatArray | None
    gates: Mapping[str, FloatArray]
    preactivations: Mapping[str, FloatArray]
    hidden_preactivation: FloatArray | None
    h0: FloatArray
    c0: FloatArray | None
    gru_convention: str | None = None
    reverse: bool = False

    def __post_init__(self) -> None:
        if self.reverse and self.bidirectional:
            raise GatescopeError("a layer trace is bidirectional or reverse, not both")
        object.__setattr__(self, "gates", MappingProxyType(dict(self.gates)))
        object.__setattr__(self, "preactivations", MappingProxyType(dict(self.preactivations)))
        for array in (
            self.h,
            self.c,
            self.hidden_preactivation,
            self.h0,
            self.c0,
            *self.gates.values(),
            *self.preactivations.values(),
        ):
            _freeze(array)

    @property
    def steps(self) -> int:
        return int(self.h.shape[0])

    @property
    def directions(self) -> tuple[str, ...]:
        """How each block of units read the sequence: ("forward", "reverse"), ("forward",) or ("reverse",)."""
        if self.bidirectional:
            return ("forward", "reverse")
        return ("reverse",) if self.reverse else ("forward",)

    def reads_right_to_left(self, unit: int) -> bool:
        """Whether ``unit`` (an index into the unit axis) belongs to a direction that reads right to left."""
        return self.directions[unit // self.units] == "reverse"

    def quantities(self) -> dict[str, FloatArray]:
        """Every recorded (T, units) array by a display name: gates, then c and h (LSTM), then pre-activations."""
        named: dict[str, FloatArray] = dict(self.gates)
        if self.c is not None:
            named["cell_state"] = self.c
        named["hidden_state"] = self.h
        named.update({f"{name}_preactivation": value for name, value in self.preactivations.items()})
        if self.hidden_preactivation is not None:
            named["hidden_preactivation"] = self.hidden_preactivation
        return named


@dataclass(frozen=True, eq=False)
class Trace:
    """A whole run: the tokens read, every layer's trace (bottom first) and the head's output after each step."""

    tokens: list[str]
    layers: list[LayerTrace]
    outputs: FloatArray | None = None
    output_labels: list[str] | None = None
    unknown: list[bool] = field(default_factory=list)
    spans: list[tuple[int, int]] | None = None
    text: str | None = None
    inputs: FloatArray | None = None  # (T, input_size) what layer 0 read: the embedded tokens, or the given array
    logits: FloatArray | None = None  # (T, outputs) the head's raw output before its activation; None without a head

    def __post_init__(self) -> None:
        if not self.unknown:
            object.__setattr__(self, "unknown", [False] * len(self.tokens))
        _freeze(self.outputs)
        _freeze(self.logits)
        _freeze(self.inputs)

    def layer_input(self, layer: int) -> FloatArray | None:
        """(T, features) what ``layer`` read at each step: the inputs for layer 0, the layer below's h above it."""
        return self.inputs if layer == 0 else self.layers[layer - 1].h

    @property
    def steps(self) -> int:
        return len(self.tokens)

    def prediction(self, step: int = -1) -> tuple[str, float] | None:
        """The most likely label and its probability after ``step`` (default: the last token; negative steps count
        from the end), or None when the model has no head."""
        if isinstance(step, bool) or not isinstance(step, (int, np.integer)):
            raise GatescopeError(f"step must be a whole number (a token's index), not {type(step).__name__}")
        if not -self.steps <= step < self.steps:
            raise GatescopeError(
                f"step {step}: the trace has steps 0 to {self.steps - 1} (one per token; -1 is the last)"
            )
        if self.outputs is None:
            return None
        row = self.outputs[step]
        best = int(np.argmax(row))
        label = self.output_labels[best] if self.output_labels else str(best)
        return label, float(row[best])
