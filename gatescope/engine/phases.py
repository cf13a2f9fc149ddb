"""One step of a cell, phase by phase: the order the computation happens in, every intermediate vector, and captions.

The cell diagram and exports walk these phases. Every value comes from the trace (gates, states) or, for the few
intermediate products a trace does not keep (f⊙c, i⊙g, the GRU's reset product), from the layer's own weights and
the trace — computed here, once per trace, never in a view.

Phases per cell kind (``PHASES``):
  LSTM  combine → forget gate → input gate and candidate → cell update → output gate → hidden state
  GRU   combine → reset gate → update gate → candidate → hidden state
  RNN   combine → hidden state
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from gatescope.engine.cells import RecurrentLayer
from gatescope.engine.trace import FloatArray, LayerTrace, Trace


@dataclass(frozen=True)
class Phase:
    """One phase of a step: its key, a title, and the wires whose values appear when it runs."""

    key: str
    title: str
    produces: tuple[str, ...]


PHASES: dict[str, tuple[Phase, ...]] = {
    "lstm": (
        Phase("combine", "Combine h(t−1) and x(t)", ("x", "h_prev", "c_prev")),
        Phase("forget", "Forget gate", ("forget",)),
        Phase("input", "Input gate and candidate", ("input", "candidate")),
        Phase("cell", "Cell update", ("kept", "written", "cell")),
        Phase("output", "Output gate", ("output",)),
        Phase("hidden", "Hidden state", ("cell_tanh", "hidden")),
    ),
    "gru": (
        Phase("combine", "Combine h(t−1) and x(t)", ("x", "h_prev")),
        Phase("reset", "Reset gate", ("reset",)),
        Phase("update", "Update gate", ("update",)),
        Phase("candidate", "Candidate", ("reset_applied", "candidate")),
        Phase("hidden", "Hidden state", ("kept", "written", "hidden")),
    ),
    "rnn": (
        Phase("combine", "Combine h(t−1) and x(t)", ("x", "h_prev")),
        Phase("hidden", "Hidden state", ("preactivation", "hidden")),
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


def _before(after: FloatArray, initial: FloatArray, reverse: bool) -> FloatArray:
    """(T, units) state each step started from: the previous step's (the next one's for a reverse direction)."""
    before = np.empty_like(after)
    if reverse:
        before[-1] = initial
        before[:-1] = after[1:]
    else:
        before[0] = initial
        before[1:] = after[:-1]
    return before


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
        h_prev = _before(h, trace.h0[part], reverse)
        wires: dict[str, FloatArray] = {"x": inputs, "h_prev": h_prev}
        gates = {gate: values[:, part] for gate, values in trace.gates.items()}
        if trace.kind == "lstm":
            c = trace.c[:, part]
            c_prev = _before(c, trace.c0[part], reverse)
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
            )
        )
    return flows


def trace_flows(model_layers: list[RecurrentLayer], trace: Trace, layer: int) -> list[CellFlow]:
    """cell_flows for one layer of a whole trace (its inputs are the embedded tokens or the layer below's h)."""
    inputs = trace.layer_input(layer)
    if inputs is None:
        raise ValueError("this trace does not record its inputs; run the model again")
    return cell_flows(model_layers[layer], trace.layers[layer], inputs)


# --- captions ------------------------------------------------------------------------------------------------------
def signed(value: float, digits: int = 2) -> str:
    """A number as captions show it: fixed digits, a true minus sign, never "−0.00"."""
    text = f"{value:.{digits}f}"
    if float(text) == 0.0:
        text = f"{0.0:.{digits}f}"
    return text.replace("-", "−")


def quoted(token: str) -> str:
    """A token in quotes, with whitespace made visible."""
    return "'" + token.replace(" ", "␣").replace("\n", "⏎").replace("\t", "⇥") + "'"


def term(value: float, digits: int = 2) -> str:
    """A number inside a sum or product: negative ones in parentheses, "0.11 × (−0.10)"."""
    text = signed(value, digits)
    return f"({text})" if text.startswith("−") else text


def percent(value: float) -> str:
    return f"{value * 100:.0f}%"


def caption(flow: CellFlow, step: int, phase: int, unit: int, tokens: list[str], unit_label: str = "") -> str:
    """What phase ``phase`` of ``step`` did to one unit, in plain words with the real numbers.

    ``unit`` indexes this direction's units; ``unit_label`` names it ("unit 12" by default).
    """
    kind, key = flow.kind, PHASES[flow.kind][phase].key
    v = {name: float(values[step, unit]) for name, values in flow.wires.items() if name != "x"}
    name = unit_label or f"unit {unit}"
    token = quoted(tokens[step])
    previous_step = step + 1 if flow.direction == "reverse" else step - 1
    after = f"after {quoted(tokens[previous_step])}" if 0 <= previous_step < len(tokens) else "before any token"
    if key == "combine":
        features = flow.wires["x"].shape[1]
        text = (
            f"Step {step + 1}, {token}: the cell reads x(t) ({features} numbers for {token}) together with "
            f"h(t−1), its state {after}. {name.capitalize()} starts from h = {signed(v['h_prev'])}"
        )
        if kind == "lstm":
            text += f" and c = {signed(v['c_prev'])}"
        return text + "."
    if kind == "lstm":
        if key == "forget":
            return (
                f"Forget gate, {name}: {signed(v['forget'])} — the cell keeps {percent(v['forget'])} of its old "
                f"value {signed(v['c_prev'])}."
            )
        if key == "input":
            return (
                f"Input gate, {name}: {signed(v['input'])} lets {percent(v['input'])} of the candidate "
                f"{signed(v['candidate'])} in (tanh, −1..1): it writes {signed(v['written'])}."
            )
        if key == "cell":
            return (
                f"Cell update, {name}: c = {term(v['forget'])} × {term(v['c_prev'])} + {term(v['input'])} "
                f"× {term(v['candidate'])} = {term(v['kept'])} + {term(v['written'])} = {signed(v['cell'])}."
            )
        if key == "output":
            return (
                f"Output gate, {name}: {signed(v['output'])} — {percent(v['output'])} of tanh(c) = "
                f"{signed(v['cell_tanh'])} will show as the hidden state."
            )
        return (
            f"Hidden state, {name}: h = {term(v['output'])} × tanh({signed(v['cell'])}) = "
            f"{signed(v['hidden'])} — what the next step and the prediction read."
        )
    if kind == "gru":
        if key == "reset":
            return (
                f"Reset gate, {name}: {signed(v['reset'])} — {percent(v['reset'])} of the old state "
                f"{signed(v['h_prev'])} may shape the candidate."
            )
        if key == "update":
            return (
                f"Update gate, {name}: {signed(v['update'])} — keep {percent(v['update'])} of the old state "
                f"{signed(v['h_prev'])}, take {percent(1.0 - v['update'])} from the candidate."
            )
        if key == "candidate":
            inside = "r × (W h(t−1) + b)" if flow.gru_convention != "cho" else "W (r × h(t−1))"
            return (
                f"Candidate, {name}: n = tanh(W x + b + {inside}) = {signed(v['candidate'])}; the reset "
                f"product for this unit is {signed(v['reset_applied'])}."
            )
        return (
            f"Hidden state, {name}: h = {term(1.0 - v['update'])} × {term(v['candidate'])} + "
            f"{term(v['update'])} × {term(v['h_prev'])} = {signed(v['hidden'])}."
        )
    squash = flow.nonlinearity
    return (
        f"Hidden state, {name}: h = {squash}(W x + R h(t−1) + b) = {squash}({signed(v['preactivation'])}) = "
        f"{signed(v['hidden'])}."
    )
