"""How gatescope writes numbers, tokens, positions, units and quantities: one way everywhere (views, captions,
command-line tables, exports). Token numbers a person reads are 1-based; the Python API is 0-based."""

from __future__ import annotations

import numpy as np

from gatescope.engine.trace import LayerTrace

MINUS = "\u2212"  # a true minus sign: "−0.5", never the hyphen of "-0.5"
#: Whitespace made visible: a token of spaces or a line break still has something to read.
VISIBLE_WHITESPACE = {" ": "␣", "\n": "⏎", "\t": "⇥"}
EMPTY_TOKEN = "∅"


# --- numbers --------------------------------------------------------------------------------------------------------
def number(value: float) -> str:
    """The shortest form of a number (``%g``) with a true minus: "2", "0.5", "−1"."""
    return f"{value:g}".replace("-", MINUS)


def signed(value: float, digits: int = 2) -> str:
    """A number as captions show it: fixed digits, a true minus sign, never "−0.00"."""
    text = f"{value:.{digits}f}"
    if float(text) == 0.0:
        text = f"{0.0:.{digits}f}"
    return text.replace("-", MINUS)


def term(value: float, digits: int = 2) -> str:
    """A number inside a sum or product: negative ones in parentheses, "0.11 × (−0.10)"."""
    text = signed(value, digits)
    return f"({text})" if text.startswith(MINUS) else text


def percent(value: float) -> str:
    """A fraction 0..1 as a whole percentage: "8%"."""
    return f"{value * 100:.0f}%"


def scale_text(low: float, high: float) -> str:
    """A fixed colour scale's range. The activations' own ranges read as intervals, "0..1" (sigmoid) and "−1..1"
    (tanh); a symmetric level calibrated on a trace (a cell state, an input) reads "±2.5"."""
    if low == -high and high != 1:
        return f"±{number(high)}"
    return f"{number(low)}..{number(high)}"


# --- tokens and positions -------------------------------------------------------------------------------------------
def token_text(token: str, limit: int | None = None) -> str:
    """A token as gatescope shows it: whitespace as ␣ ⏎ ⇥, other invisible characters escaped ("\\x07"), an empty
    token as ∅; longer than ``limit`` characters, cut with "…"."""
    shown = "".join(
        VISIBLE_WHITESPACE.get(ch) or (ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii"))
        for ch in token
    )
    shown = shown or EMPTY_TOKEN
    return shown if limit is None or len(shown) <= limit else shown[: limit - 1] + "…"


def quoted(token: str) -> str:
    """A token in quotes, whitespace made visible: "'but'", "'␣'"."""
    return f"'{token_text(token)}'"


def step_text(step: int, steps: int) -> str:
    """A 0-based step as a person counts it: "step 5 of 9"."""
    return f"step {step + 1} of {steps}"


def where(tokens: list[str], position: float) -> str:
    """Where a (possibly fractional) position is: "at 'but' (step 5 of 9)" or "between 'dull' and 'but'"."""
    low = int(np.floor(position))
    if position == low or low + 1 >= len(tokens):
        return f"at {quoted(tokens[low])} ({step_text(low, len(tokens))})"
    return f"between {quoted(tokens[low])} and {quoted(tokens[low + 1])}"


# --- units ----------------------------------------------------------------------------------------------------------
def unit_name(unit: int, layer: LayerTrace, always_direction: bool = False) -> str:
    """A unit in words: "unit 12"; on a bidirectional layer with its direction: "unit 20 (reverse 4)"; on a layer that
    reads right to left alone: "unit 3 (reverse)"."""
    if unit >= layer.units:
        return f"unit {unit} (reverse {unit - layer.units})"
    if layer.reverse:
        return f"unit {unit} (reverse)"
    return f"unit {unit} (forward)" if layer.bidirectional or always_direction else f"unit {unit}"


def unit_label(unit: int, layer: LayerTrace) -> str:
    """A unit as an axis or a table column labels it: "12"; on a bidirectional layer "fwd 3" / "rev 3"; on a layer
    that reads right to left alone "rev 3"."""
    if layer.reverse:
        return f"rev {unit}"
    if not layer.bidirectional:
        return str(unit)
    return f"fwd {unit}" if unit < layer.units else f"rev {unit - layer.units}"


# --- quantities -----------------------------------------------------------------------------------------------------
TITLES = {
    "input": "input gate i",
    "forget": "forget gate f",
    "candidate": "candidate g",
    "output": "output gate o",
    "update": "update gate z",
    "reset": "reset gate r",
    "cell_state": "cell state c",
    "hidden_state": "hidden state h",
    "cell_before": "cell state c, before (t−1)",
    "cell_after": "cell state c, after (t)",
    "hidden_before": "hidden state h, before (t−1)",
    "hidden_after": "hidden state h, after (t)",
}
#: What a quantity means, for readers meeting it for the first time.
MEANINGS = {
    "input": "how much of the candidate is written",
    "forget": "how much of the old cell state is kept",
    "candidate": "the new information on offer",
    "output": "how much of tanh(c) becomes h",
    "update": "how much of the old hidden state is kept",
    "reset": "how much of the old hidden state feeds the candidate",
    "cell_state": "the LSTM's long-term memory",
    "hidden_state": "what the layer passes on",
}
#: The symbol of each quantity, as equations and short legends write it.
SYMBOLS = {"input": "i", "forget": "f", "output": "o", "update": "z", "reset": "r", "cell_state": "c",
           "hidden_state": "h"}  # fmt: skip


def title(quantity: str, kind: str = "lstm") -> str:
    """A quantity's name with its symbol: "forget gate f"; the GRU's candidate is n, the LSTM's g."""
    if quantity == "candidate" and kind == "gru":
        return "candidate n"
    return TITLES.get(quantity, quantity.replace("_", " "))


def symbol(quantity: str, kind: str = "lstm") -> str:
    """A quantity's symbol: "f", "c"; the candidate is "n" in a GRU and "g" otherwise."""
    if quantity == "candidate":
        return "n" if kind == "gru" else "g"
    return SYMBOLS.get(quantity, quantity)


def explained(quantity: str, kind: str, scale: tuple[float, float] | None) -> str:
    """A quantity's title, range and meaning: "forget gate f (0..1): how much of the old cell state is kept"."""
    text = title(quantity, kind) + (f" ({scale_text(*scale)})" if scale is not None else "")
    return f"{text}: {MEANINGS[quantity]}" if quantity in MEANINGS else text


# --- the cell, phase by phase ---------------------------------------------------------------------------------------
PHASE_TITLES = {
    "combine": "Combine h(t−1) and x(t)",
    "forget": "Forget gate",
    "input": "Input gate and candidate",
    "cell": "Cell update",
    "output": "Output gate",
    "hidden": "Hidden state",
    "reset": "Reset gate",
    "update": "Update gate",
    "candidate": "Candidate",
}
WIRE_TITLES = {
    "x": "x(t)",
    "h_prev": "h(t−1)",
    "c_prev": "c(t−1)",
    "forget": "f",
    "input": "i",
    "candidate": "g",
    "output": "o",
    "kept": "f ⊙ c(t−1)",
    "written": "i ⊙ g",
    "cell": "c(t)",
    "cell_tanh": "tanh(c(t))",
    "hidden": "h(t)",
    "reset": "r",
    "update": "z",
    "reset_applied": "r ⊙ (W h + b)",
    "preactivation": "W x + R h + b",
}
GRU_WIRE_TITLES = {"candidate": "n", "kept": "z ⊙ h(t−1)", "written": "(1 − z) ⊙ n"}


def phase_title(key: str) -> str:
    """A phase of the cell by its key: "forget" -> "Forget gate"."""
    return PHASE_TITLES[key]


def wire_title(wire: str, kind: str) -> str:
    """The label of a wire of the cell diagram: "f ⊙ c(t−1)"; a GRU's own wires are named for a GRU."""
    return (GRU_WIRE_TITLES if kind == "gru" else {}).get(wire) or WIRE_TITLES[wire]
