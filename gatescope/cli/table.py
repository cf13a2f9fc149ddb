"""`gatescope trace`'s table format: the prediction, then each quantity as tokens × units, as plain text."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from gatescope.engine.trace import LayerTrace, Trace
from gatescope.model.model import Model

TOKEN_WIDTH = 14
VALUE_WIDTH = 8
TITLES = {
    "input": "input gate i (0..1): how much of the candidate is written",
    "forget": "forget gate f (0..1): how much of the old cell state is kept",
    "candidate": "candidate g / n (-1..1): the new information on offer",
    "output": "output gate o (0..1): how much of tanh(c) becomes h",
    "update": "update gate z (0..1): how much of the old hidden state is kept",
    "reset": "reset gate r (0..1): how much of the old hidden state feeds the candidate",
    "cell_state": "cell state c: the LSTM's long-term memory",
    "hidden_state": "hidden state h (-1..1): what the layer passes on",
}


def display_token(token: str) -> str:
    """A token made visible and bounded: spaces as ␠, other invisible characters escaped, long ones cut."""
    shown = "".join(
        "␠" if ch == " " else ch if ch.isprintable() else ch.encode("unicode_escape").decode() for ch in token
    )
    return shown if len(shown) <= TOKEN_WIDTH else shown[: TOKEN_WIDTH - 1] + "…"


def format_trace_table(model: Model, trace: Trace, layers: Sequence[int] | None, units: Sequence[int]) -> str:
    """The whole report: header, prediction after each token, then each layer's quantities."""
    lines = [f"{model.name}: {model.summary()}"]
    unknown = sum(trace.unknown)
    note = f", {unknown} unknown (marked *)" if unknown else ""
    lines.append(f"{trace.steps} tokens{note}")
    tokens = [display_token(t) + ("*" if u else "") for t, u in zip(trace.tokens, trace.unknown)]
    if trace.outputs is not None:
        labels = trace.output_labels or [f"output {k}" for k in range(trace.outputs.shape[1])]
        lines += ["", "prediction after each token"]
        lines += _matrix(tokens, labels, trace.outputs, value_width=max(VALUE_WIDTH, *(len(x) + 1 for x in labels)))
        label, probability = trace.prediction()
        lines.append(f"after the last token: {label} ({probability:.1%})")
    selected = [trace.layers[k] for k in layers] if layers is not None else trace.layers
    for layer in selected:
        lines += _layer_block(layer, tokens, units)
    return "\n".join(lines) + "\n"


def _layer_block(layer: LayerTrace, tokens: list[str], units: Sequence[int]) -> list[str]:
    total = layer.units * len(layer.directions)
    shown = [u for u in units if u < total]
    headers = [_unit_name(layer, u) for u in shown]
    direction = ", bidirectional" if layer.bidirectional else ""
    more = "" if len(shown) == total else f" (showing {len(shown)} of {total}; use --units or --format csv for all)"
    lines = ["", f"=== layer {layer.index}: {layer.kind.upper()}, {layer.units} units{direction}{more}"]
    for name, values in layer.quantities().items():
        if name.endswith("_preactivation"):
            continue
        lines += ["", TITLES.get(name, name.replace("_", " "))]
        lines += _matrix(tokens, headers, values[:, shown])
    return lines


def _unit_name(layer: LayerTrace, unit: int) -> str:
    if not layer.bidirectional:
        return f"u{unit}"
    return f"fwd{unit}" if unit < layer.units else f"rev{unit - layer.units}"


def _matrix(tokens: list[str], headers: Sequence[str], values: np.ndarray, value_width: int = VALUE_WIDTH) -> list[str]:
    index_width = len(str(len(tokens) - 1))
    head = f"{'#':>{index_width}}  {'token':<{TOKEN_WIDTH + 1}}" + "".join(f"{h:>{value_width}}" for h in headers)
    rows = [head]
    values = np.round(values, 3) + 0.0  # no "-0.000"
    for t, token in enumerate(tokens):
        cells = "".join(f"{v:>{value_width}.3f}" for v in values[t])
        rows.append(f"{t:>{index_width}}  {token:<{TOKEN_WIDTH + 1}}{cells}")
    return rows
