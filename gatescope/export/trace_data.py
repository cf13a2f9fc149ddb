"""Trace data out: tidy CSV, JSON and NPZ. Pure Python + NumPy; shared by the command line and (later) the app.

Tidy CSV has one row per value: token_index, token, layer, direction, quantity, unit, value. Bidirectional layers
number units 0..units-1 within each direction. The head's outputs appear with layer "head", quantity "output"
and the label in the unit column.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Sequence
from typing import TextIO

import numpy as np

from gatescope.engine.trace import LayerTrace, Trace

CSV_COLUMNS = ("token_index", "token", "layer", "direction", "quantity", "unit", "value")


def _shortest(array: np.ndarray) -> list:
    """Values as Python floats with the fewest digits that read back to the same float32/float64."""
    return array.astype(str).astype(np.float64).tolist()


def _selected(trace: Trace, layers: Sequence[int] | None) -> list[LayerTrace]:
    return [trace.layers[k] for k in layers] if layers is not None else list(trace.layers)


def iter_tidy_rows(trace: Trace, layers: Sequence[int] | None = None) -> Iterator[tuple]:
    """Rows of the tidy table, token by token (the order a reader steps through)."""
    selected = _selected(trace, layers)
    text_values = [
        (layer, name, _shortest(values)) for layer in selected for name, values in layer.quantities().items()
    ]
    outputs = None if trace.outputs is None else _shortest(trace.outputs)
    labels = trace.output_labels or [str(k) for k in range(0 if trace.outputs is None else trace.outputs.shape[1])]
    for t, token in enumerate(trace.tokens):
        for layer, name, values in text_values:
            row = values[t]
            for direction_index, direction in enumerate(layer.directions):
                offset = direction_index * layer.units
                for unit in range(layer.units):
                    yield t, token, layer.index, direction, name, unit, row[offset + unit]
        if outputs is not None:
            for label, value in zip(labels, outputs[t]):
                yield t, token, "head", "", "output", label, value


def write_csv(trace: Trace, stream: TextIO, layers: Sequence[int] | None = None) -> None:
    """Write the tidy CSV (with a header row) to a text stream."""
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows(iter_tidy_rows(trace, layers))


def to_json(trace: Trace, layers: Sequence[int] | None = None, model_name: str = "") -> str:
    """The trace as a JSON document: tokens, outputs and each layer's (T, units) arrays as nested lists."""
    document = {
        "model": model_name,
        "tokens": trace.tokens,
        "unknown": trace.unknown,
        "spans": trace.spans,
        "output_labels": trace.output_labels,
        "outputs": None if trace.outputs is None else _shortest(trace.outputs),
        "layers": [
            {
                "index": layer.index,
                "kind": layer.kind,
                "units": layer.units,
                "bidirectional": layer.bidirectional,
                "directions": list(layer.directions),
                "quantities": {name: _shortest(values) for name, values in layer.quantities().items()},
            }
            for layer in _selected(trace, layers)
        ],
    }
    return json.dumps(document, ensure_ascii=False)


def to_npz_arrays(trace: Trace, layers: Sequence[int] | None = None, model_name: str = "") -> dict[str, np.ndarray]:
    """Arrays for numpy.savez: ``tokens``, ``unknown``, ``outputs``, ``output_labels``, ``layer{k}/{quantity}``."""
    arrays: dict[str, np.ndarray] = {
        "model": np.array(model_name),
        "tokens": np.array(trace.tokens, dtype=str),
        "unknown": np.array(trace.unknown, dtype=bool),
    }
    if trace.outputs is not None:
        arrays["outputs"] = np.asarray(trace.outputs)
    if trace.output_labels:
        arrays["output_labels"] = np.array(trace.output_labels, dtype=str)
    for layer in _selected(trace, layers):
        for name, values in layer.quantities().items():
            arrays[f"layer{layer.index}/{name}"] = np.asarray(values)
    return arrays


def csv_text(trace: Trace, layers: Sequence[int] | None = None) -> str:
    """The tidy CSV as one string (for small traces and tests)."""
    stream = io.StringIO()
    write_csv(trace, stream, layers)
    return stream.getvalue()


DATA_FORMATS = ("csv", "npz", "json")


def write_trace(trace: Trace, path, format: str, layers: Sequence[int] | None = None, model_name: str = "") -> None:
    """Write the trace as tidy CSV, NPZ or JSON to ``path`` atomically (a temporary file, then a rename)."""
    from gatescope.errors import GatescopeError
    from gatescope.model.formats.npzfile import write_atomic, write_npz_atomic

    if format == "npz":
        write_npz_atomic(path, to_npz_arrays(trace, layers, model_name))
        return
    if format == "json":
        text = to_json(trace, layers, model_name) + "\n"
    elif format == "csv":
        text = csv_text(trace, layers)
    else:
        raise GatescopeError(f"unknown trace format {format!r}; choose one of {', '.join(DATA_FORMATS)}")
    write_atomic(path, lambda stream: stream.write(text.encode("utf-8")))
