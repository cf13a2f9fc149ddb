"""One step of a cell, phase by phase: the order the computation happens in, every intermediate vector, and captions.

The cell diagram and exports walk these phases. Every value comes from the trace (gates, states) or, for the few
intermediate products a trace does not keep (f⊙c, i⊙g, the GRU's reset product), from the layer's own weights and
the trace — computed here, once per trace, never in a view. What they are called, and the captions that read them
aloud, are in :mod:`gatescope.presentation`.

Phases per cell kind (``PHASES``):
  LSTM  combine → forget gate → input gate and candidate → cell update → output gate → hidden state
  GRU   combine → reset gate → update gate → candidate → hidden state
  RNN   combine → hidden state
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from gatescope.engine.cells import RecurrentLayer
from gatescope.engine.trace import FloatArray, LayerTrace, Trace


@dataclass(frozen=True)
class Phase:
    """One phase of a step: its key and the wires whose values appear when it runs (its title, and every other word
    about it, is in :mod:`gatescope.presentation`)."""

    key: str
    produces: tuple[str, ...]


PHASES: dict[str, tuple[Phase, ...]] = {
    "lstm": (
        Phase("combine", ("x", "h_prev", "c_prev")),
        Phase("forget", ("forget",)),
        Phase("input", ("input", "candidate")),
        Phase("cell", ("kept", "written", "cell")),
        Phase("output", ("output",)),
        Phase("hidden", ("cell_tanh", "hidden")),
    ),
    "gru": (
        Phase("combine", ("x", "h_prev")),
        Phase("reset", ("reset",)),
        Phase("update", ("update",)),
        Phase("candidate", ("reset_applied", "candidate")),
        Phase("hidden", ("kept", "written", "hidden")),
    ),
    "rnn": (
        Phase("combine", ("x", "h_prev")),
        Phase("hidden", ("preactivation", "hidden")),
    ),
}

#: Wires on the sigmoid scale 0..1; every other wire is tanh-like (−1..1) or a cell state.
GATE_WIRES = frozenset(("forget", "input", "output", "reset", "update"))
CELL_WIRES = frozenset(("c_prev", "kept", "written", "cell"))


def phases(kind: str) -> tuple[Phase, ...]:
    """The phases of a cell kind, in the order the computation happens."""
    return PHASES[kind]


def phase_index(kind: str, phase: int | str) -> int:
    """A phase given by number or key ("forget") → its index; ValueError naming the valid choices."""
    keys = [p.key for p in PHASES[kind]]
    if isinstance(phase, str):
        if phase.isdigit():
            phase = int(phase)
        elif phase in keys:
            return keys.index(phase)
        else:
            raise ValueError(
                f"{kind.upper()} cells have the phases {', '.join(keys)} (or 0..{len(keys) - 1}), not {phase!r}"
            )
    if not 0 <= phase < len(keys):
        raise ValueError(
            f"phase {phase} is out of range: {kind.upper()} cells have phases 0..{len(keys) - 1} ({', '.join(keys)})"
        )
    return int(phase)


def wire_phase(kind: str) -> dict[str, int]:
    """Wire name → the phase that produces it."""
    return {wire: index for index, phase in enumerate(PHASES[kind]) for wire in phase.produces}


def state_before(after: FloatArray, initial: FloatArray, reverse: bool) -> FloatArray:
    """(T, units) state each step started from: the previous step's (the next one's for a reverse direction)."""
    before = np.empty_like(after)
    if reverse:
        before[-1] = initial
        before[:-1] = after[1:]
    else:
        before[0] = initial
        before[1:] = after[:-1]
    return before


def layer_state_before(layer: LayerTrace, after: FloatArray, initial: FloatArray) -> FloatArray:
    """(T, units) state each step of a layer started from (h or c): forward units from the row above (their initial
    state at step 0), reverse units (a bidirectional layer's second half, or every unit of a reverse layer), which
    read right to left, from the row below (theirs at the last token)."""
    if not layer.bidirectional:
        return state_before(after, initial, reverse=layer.reverse)
    H = layer.units
    forward = state_before(after[:, :H], initial[:H], reverse=False)
    return np.concatenate([forward, state_before(after[:, H:], initial[H:], reverse=True)], axis=1)


@dataclass(frozen=True, eq=False)
class CellFlow:
    """Every wire of one direction of one layer at every step: name → (T, units); ``x`` is (T, features)."""

    kind: str
    direction: str  # "forward" | "reverse"
    units: int
    wires: Mapping[str, FloatArray]
    gru_convention: str | None = None
    nonlinearity: str = "tanh"
    peepholes: bool = False
    options: Mapping[str, object] = field(default_factory=dict)  # RecurrentLayer.options(): an imported layer's

    @property
    def steps(self) -> int:
        return int(self.wires["hidden"].shape[0])

    def at(self, step: int) -> dict[str, FloatArray]:
        """Every wire's vector at one step."""
        return {name: values[step] for name, values in self.wires.items()}


def cell_flows(layer: RecurrentLayer, trace: LayerTrace, inputs: FloatArray) -> list[CellFlow]:
    """The wires of each direction of a layer (forward first) from its trace and the inputs it read (T, features)."""
    flows = []
    H = trace.units
    for d, name in enumerate(trace.directions):
        part = slice(d * H, (d + 1) * H)
        reverse = name == "reverse"
        h = trace.h[:, part]
        h_prev = state_before(h, trace.h0[part], reverse)
        wires: dict[str, FloatArray] = {"x": inputs, "h_prev": h_prev}
        gates = {gate: values[:, part] for gate, values in trace.gates.items()}
        if trace.kind == "lstm":
            assert trace.c is not None and trace.c0 is not None, "an LSTM trace records its cell state"
            c = trace.c[:, part]
            c_prev = state_before(c, trace.c0[part], reverse)
            wires.update(
                c_prev=c_prev,
                **gates,
                kept=gates["forget"] * c_prev,
                written=gates["input"] * gates["candidate"],
                cell=c,
                cell_tanh=np.tanh(c),
                hidden=h,
            )
        elif trace.kind == "gru":
            weights = layer.directions[d]
            if trace.gru_convention == "cho":
                reset_applied = gates["reset"] * h_prev  # r ⊙ h(t−1), then multiplied by W_hn inside the tanh
            else:
                recurrent = h_prev @ weights.weight_hh[2 * H :].T + weights.bias_hh[2 * H :]
                reset_applied = gates["reset"] * recurrent  # r ⊙ (W_hn h(t−1) + b_hn)
            wires.update(
                **gates,
                reset_applied=reset_applied.astype(h.dtype, copy=False),
                kept=gates["update"] * h_prev,
                written=(1.0 - gates["update"]) * gates["candidate"],
                hidden=h,
            )
        else:
            assert trace.hidden_preactivation is not None, "an RNN trace records its pre-activation"
            wires.update(preactivation=trace.hidden_preactivation[:, part], hidden=h)
        for values in wires.values():
            values.flags.writeable = False
        flows.append(
            CellFlow(
                trace.kind,
                name,
                H,
                wires,
                trace.gru_convention,
                getattr(layer, "nonlinearity", "tanh"),
                peepholes=any(w.peephole is not None for w in layer.directions),
                options=layer.options(),
            )
        )
    return flows


def trace_flows(model_layers: list[RecurrentLayer], trace: Trace, layer: int) -> list[CellFlow]:
    """cell_flows for one layer of a whole trace (its inputs are the embedded tokens or the layer below's h)."""
    inputs = trace.layer_input(layer)
    if inputs is None:
        raise ValueError("this trace does not record its inputs; run the model again")
    return cell_flows(model_layers[layer], trace.layers[layer], inputs)
