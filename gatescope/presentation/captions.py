"""Captions that read a step aloud with the real numbers: one phase of the cell for one unit (the cell diagram), a
whole step for one unit (the current-step panel), and the headings above them."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from gatescope.engine.phases import PHASES, CellFlow
from gatescope.presentation.text import percent, phase_title, quoted, signed, step_text, term

Values = Mapping[str, float]


# --- one phase of the cell, one unit --------------------------------------------------------------------------------
def _lstm_forget(v: Values, name: str, _flow: CellFlow) -> str:
    return (
        f"Forget gate, {name}: {signed(v['forget'])} — the cell keeps {percent(v['forget'])} of its old "
        f"value {signed(v['c_prev'])}."
    )


def _lstm_input(v: Values, name: str, _flow: CellFlow) -> str:
    return (
        f"Input gate, {name}: {signed(v['input'])} lets {percent(v['input'])} of the candidate "
        f"{signed(v['candidate'])} in (tanh, −1..1): it writes {signed(v['written'])}."
    )


def _lstm_cell(v: Values, name: str, _flow: CellFlow) -> str:
    return (
        f"Cell update, {name}: c = {term(v['forget'])} × {term(v['c_prev'])} + {term(v['input'])} "
        f"× {term(v['candidate'])} = {term(v['kept'])} + {term(v['written'])} = {signed(v['cell'])}."
    )


def _lstm_output(v: Values, name: str, _flow: CellFlow) -> str:
    return (
        f"Output gate, {name}: {signed(v['output'])} — {percent(v['output'])} of tanh(c) = "
        f"{signed(v['cell_tanh'])} will show as the hidden state."
    )


def _lstm_hidden(v: Values, name: str, _flow: CellFlow) -> str:
    return (
        f"Hidden state, {name}: h = {term(v['output'])} × tanh({signed(v['cell'])}) = "
        f"{signed(v['hidden'])} — what the next step and the prediction read."
    )


def _gru_reset(v: Values, name: str, _flow: CellFlow) -> str:
    return (
        f"Reset gate, {name}: {signed(v['reset'])} — {percent(v['reset'])} of the old state "
        f"{signed(v['h_prev'])} may shape the candidate."
    )


def _gru_update(v: Values, name: str, _flow: CellFlow) -> str:
    return (
        f"Update gate, {name}: {signed(v['update'])} — keep {percent(v['update'])} of the old state "
        f"{signed(v['h_prev'])}, take {percent(1.0 - v['update'])} from the candidate."
    )


def _gru_candidate(v: Values, name: str, flow: CellFlow) -> str:
    inside = "r × (W h(t−1) + b)" if flow.gru_convention != "cho" else "W (r × h(t−1))"
    return (
        f"Candidate, {name}: n = tanh(W x + b + {inside}) = {signed(v['candidate'])}; the reset "
        f"product for this unit is {signed(v['reset_applied'])}."
    )


def _gru_hidden(v: Values, name: str, _flow: CellFlow) -> str:
    return (
        f"Hidden state, {name}: h = {term(1.0 - v['update'])} × {term(v['candidate'])} + "
        f"{term(v['update'])} × {term(v['h_prev'])} = {signed(v['hidden'])}."
    )


def _rnn_hidden(v: Values, name: str, flow: CellFlow) -> str:
    squash = flow.nonlinearity
    return (
        f"Hidden state, {name}: h = {squash}(W x + R h(t−1) + b) = {squash}({signed(v['preactivation'])}) = "
        f"{signed(v['hidden'])}."
    )


PHASE_CAPTIONS: dict[tuple[str, str], Callable[[Values, str, CellFlow], str]] = {
    ("lstm", "forget"): _lstm_forget,
    ("lstm", "input"): _lstm_input,
    ("lstm", "cell"): _lstm_cell,
    ("lstm", "output"): _lstm_output,
    ("lstm", "hidden"): _lstm_hidden,
    ("gru", "reset"): _gru_reset,
    ("gru", "update"): _gru_update,
    ("gru", "candidate"): _gru_candidate,
    ("gru", "hidden"): _gru_hidden,
    ("rnn", "hidden"): _rnn_hidden,
}


def phase_caption(flow: CellFlow, step: int, phase: int, unit: int, tokens: list[str], unit_label: str = "") -> str:
    """What phase ``phase`` of ``step`` did to one unit, in plain words with the real numbers.

    ``unit`` indexes this direction's units; ``unit_label`` names it ("unit 12" by default).
    """
    key = PHASES[flow.kind][phase].key
    values = {name: float(wire[step, unit]) for name, wire in flow.wires.items() if name != "x"}
    name = unit_label or f"unit {unit}"
    if key == "combine":
        return _combine(flow, step, values, name, tokens)
    return PHASE_CAPTIONS[flow.kind, key](values, name, flow)


def _combine(flow: CellFlow, step: int, v: Values, name: str, tokens: list[str]) -> str:
    token = quoted(tokens[step])
    previous_step = step + 1 if flow.direction == "reverse" else step - 1
    after = f"after {quoted(tokens[previous_step])}" if 0 <= previous_step < len(tokens) else "before any token"
    features = flow.wires["x"].shape[1]
    text = (
        f"Step {step + 1}, {token}: the cell reads x(t) ({features} numbers for {token}) together with "
        f"h(t−1), its state {after}. {name.capitalize()} starts from h = {signed(v['h_prev'])}"
    )
    if flow.kind == "lstm":
        text += f" and c = {signed(v['c_prev'])}"
    return text + "."


# --- a whole step, one unit -----------------------------------------------------------------------------------------
def step_caption(kind: str, v: Values, name: str, nonlinearity: str = "tanh", reverse: bool = False) -> str:
    """A whole step of one unit in one line: the gates, what they keep and write, the new states.

    ``v`` holds the unit's gate values, ``hidden_before``/``hidden_state`` (and ``cell_before``/``cell_state``) and,
    for an RNN, ``preactivation``; ``reverse`` adds a note for units that read right to left.
    """
    if kind == "lstm":
        forget, write = v["forget"], signed(v["input"])
        text = (
            f"{name}: forget {signed(forget)} keeps {percent(forget)} of c = {signed(v['cell_before'])}; "
            f"input {write} writes {write} × g ({signed(v['candidate'])}); "
            f"c → {signed(v['cell_state'])}; output {signed(v['output'])} → "
            f"h = {signed(v['hidden_state'])}"
        )
    elif kind == "gru":
        update, reset = v["update"], v["reset"]
        text = (
            f"{name}: reset {signed(reset)} lets {percent(reset)} of h = {signed(v['hidden_before'])} "
            f"into n = {signed(v['candidate'])}; update {signed(update)}: "
            f"h = {signed(1.0 - update)} × n + {signed(update)} × h → {signed(v['hidden_state'])}"
        )
    else:
        total = signed(v["preactivation"])
        text = (
            f"{name}: h was {signed(v['hidden_before'])}; W x + R h + b = {total}; "
            f"h = {nonlinearity}({total}) = {signed(v['hidden_state'])}"
        )
    if reverse:
        text += " · reverse units read right to left: their “before” is the next token"
    return text


# --- headings -------------------------------------------------------------------------------------------------------
def step_heading(
    tokens: list[str], step: int, layer: int, layers: int, phase: tuple[int, str, int] | None = None
) -> str:
    """ "step 5 of 9 · 'but'", with ``phase`` = (index, key, count) "· phase 3 of 6: Input gate and candidate", and
    "· layer 2 of 3" on a stacked model."""
    text = f"{step_text(step, len(tokens))} · {quoted(tokens[step])}"
    if phase is not None:
        index, key, count = phase
        text += f" · phase {index + 1} of {count}: {phase_title(key)}"
    if layers > 1:
        text += f" · layer {layer + 1} of {layers}"
    return text


def diagram_heading(flow: CellFlow, bidirectional: bool) -> str:
    """The title over one direction's cell diagram: "LSTM cell", "GRU cell — reverse, reads right to left" (on a
    bidirectional layer, or a layer that reads right to left alone), and what sets the cell apart: peepholes, or a
    reset gate applied before the recurrent weights (Cho 2014)."""
    text = f"{flow.kind.upper()} cell"
    if bidirectional or flow.direction == "reverse":
        text += " — forward, reads left to right" if flow.direction == "forward" else " — reverse, reads right to left"
    if flow.peepholes:
        text += " with peepholes (i and f also read c(t−1), o reads c(t))"
    elif flow.gru_convention == "cho":
        text += " (Cho 2014: the reset gate applies to h(t−1) before its weights)"
    return "; ".join([text, *_imported_options(flow.options)])


#: How an imported layer's gate activation reads.
GATE_ACTIVATION_WORDS = {
    "hard_sigmoid": "hard sigmoid gates, relu6(x + 3) / 6",
    "hard_sigmoid_keras2": "hard sigmoid gates, clip(0.2 x + 0.5, 0, 1)",
}


def _imported_options(options: Mapping[str, object]) -> list[str]:
    """What an imported layer's options (RecurrentLayer.options()) change, in a few words each."""
    words = []
    if "gate_activation" in options:
        words.append(GATE_ACTIVATION_WORDS[str(options["gate_activation"])])
    if "input_forget" in options:
        words.append("forget gate f = 1 − i")
    if "clip" in options:
        words.append(f"every pre-activation clipped to ±{options['clip']:g}")
    return words
