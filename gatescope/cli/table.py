"""`gatescope trace`'s table format: the prediction, then each quantity as tokens × units, as plain text."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from gatescope.engine.trace import LayerTrace, Trace
from gatescope.model.model import Model
from gatescope.presentation import scales
from gatescope.presentation.text import explained, token_text, unit_label

TOKEN_WIDTH = 14
VALUE_WIDTH = 8


def format_trace_table(model: Model, trace: Trace, layers: Sequence[int] | None, units: Sequence[int]) -> str:
    """The whole report: header, prediction after each token, then each layer's quantities."""
    lines = [f"{model.name}: {model.summary()}"]
    unknown = sum(trace.unknown)
    note = f", {unknown} unknown (marked *)" if unknown else ""
    lines.append(f"{trace.steps} tokens{note}")
    tokens = [token_text(t, limit=TOKEN_WIDTH) + ("*" if u else "") for t, u in zip(trace.tokens, trace.unknown)]
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
    headers = [unit_label(u, layer) for u in shown]
    direction = ", bidirectional" if layer.bidirectional else ", reverse (reads right to left)" if layer.reverse else ""
    more = "" if len(shown) == total else f" (showing {len(shown)} of {total}; use --units or --format csv for all)"
    lines = ["", f"=== layer {layer.index}: {layer.kind.upper()}, {layer.units} units{direction}{more}"]
    for name, values in layer.quantities().items():
        if name.endswith("_preactivation"):
            continue
        bounded = name != "cell_state"  # the cell state's colour level is a calibration, not a bound
        lines += ["", explained(name, layer.kind, scales.levels(name, layer) if bounded else None)]
        lines += _matrix(tokens, headers, values[:, shown])
    return lines


def _matrix(tokens: list[str], headers: Sequence[str], values: np.ndarray, value_width: int = VALUE_WIDTH) -> list[str]:
    index_width = len(str(len(tokens) - 1))
    head = f"{'#':>{index_width}}  {'token':<{TOKEN_WIDTH + 1}}" + "".join(f"{h:>{value_width}}" for h in headers)
    rows = [head]
    values = np.round(values, 3) + 0.0  # no "-0.000"
    for t, token in enumerate(tokens):
        cells = "".join(f"{v:>{value_width}.3f}" for v in values[t])
        rows.append(f"{t:>{index_width}}  {token:<{TOKEN_WIDTH + 1}}{cells}")
    return rows
