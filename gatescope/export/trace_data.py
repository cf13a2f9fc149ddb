"""Trace data out: tidy CSV, JSON and NPZ. Pure Python + NumPy; shared by the command line and (later) the app.

Tidy CSV has one row per value: token_index, token, layer, direction, quantity, unit, value. Bidirectional layers
number units 0..units-1 within each direction. The head's outputs appear with layer "head", quantity "output"
and the label in the unit column.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator, Sequence
from typing import BinaryIO, TextIO

import numpy as np

from gatescope.engine.trace import LayerTrace, Trace
from gatescope.errors import GatescopeError

CSV_COLUMNS = ("token_index", "token", "layer", "direction", "quantity", "unit", "value")
DATA_FORMATS = ("csv", "npz", "json")
#: Tokens turned into text at a time: a CSV or JSON trace streams out block by block, whatever the text's length.
BLOCK_TOKENS = 512


def _shortest(array: np.ndarray) -> list:
    """Values as Python floats with the fewest digits that read back to the same float32/float64."""
    return array.astype(str).astype(np.float64).tolist()


def _selected(trace: Trace, layers: Sequence[int] | None) -> list[LayerTrace]:
    return [trace.layers[k] for k in layers] if layers is not None else list(trace.layers)


def _blocks(steps: int) -> Iterator[slice]:
    return (slice(start, min(start + BLOCK_TOKENS, steps)) for start in range(0, steps, BLOCK_TOKENS))


def _labels(trace: Trace) -> list[str]:
    return trace.output_labels or [str(k) for k in range(0 if trace.outputs is None else trace.outputs.shape[1])]


def write_csv(trace: Trace, stream: TextIO, layers: Sequence[int] | None = None) -> None:
    """Write the tidy CSV (with a header row) to a text stream, one block of tokens at a time: the bytes
    ``csv.writer`` would write for the rows, without holding them all."""
    stream.write(",".join(CSV_COLUMNS) + "\n")
    selected = _selected(trace, layers)
    field = _CsvFields()
    labels = [field(label) for label in _labels(trace)]
    for block in _blocks(trace.steps):
        values = [
            (layer, name, _shortest(array[block])) for layer in selected for name, array in layer.quantities().items()
        ]
        outputs = None if trace.outputs is None else _shortest(trace.outputs[block])
        lines: list[str] = []
        for row, t in enumerate(range(block.start, block.stop)):
            start = f"{t},{field(trace.tokens[t])},"
            for layer, name, rows in values:
                for direction_index, direction in enumerate(layer.directions):
                    prefix = f"{start}{layer.index},{direction},{name},"
                    offset = direction_index * layer.units
                    unit_values = rows[row][offset : offset + layer.units]
                    lines += [f"{prefix}{unit},{value}\n" for unit, value in enumerate(unit_values)]
            if outputs is not None:
                lines += [f"{start}head,,output,{label},{value}\n" for label, value in zip(labels, outputs[row])]
        stream.write("".join(lines))


class _CsvFields:
    """Text fields as ``csv.writer`` writes them in the middle of a row (quoted only when they must be), cached:
    tokens repeat."""

    def __init__(self) -> None:
        self._written: dict[str, str] = {}
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer, lineterminator="\n")

    def __call__(self, text: str) -> str:
        if text not in self._written:
            self._buffer.seek(0)
            self._buffer.truncate()
            self._writer.writerow([text, ""])  # a second, empty field: csv quotes a lone empty field
            self._written[text] = self._buffer.getvalue()[: -len(",\n")]
        return self._written[text]


def write_json(trace: Trace, stream: TextIO, layers: Sequence[int] | None = None, model_name: str = "") -> None:
    """Write the trace as a JSON document (tokens, outputs and each layer's (T, units) arrays as nested lists) to a
    text stream, the arrays block by block; the same bytes as ``json.dumps`` of the whole document."""
    encode = json.JSONEncoder(ensure_ascii=False).encode
    about = {
        "model": model_name,
        "tokens": trace.tokens,
        "unknown": trace.unknown,
        "spans": trace.spans,
        "output_labels": trace.output_labels,
    }
    stream.write(encode(about)[:-1] + ', "outputs": ')
    if trace.outputs is None:
        stream.write("null")
    else:
        _write_json_rows(stream, trace.outputs, encode)
    stream.write(', "layers": [')
    for number, layer in enumerate(_selected(trace, layers)):
        described = {
            "index": layer.index,
            "kind": layer.kind,
            "units": layer.units,
            "bidirectional": layer.bidirectional,
            "directions": list(layer.directions),
        }
        stream.write((", " if number else "") + encode(described)[:-1] + ', "quantities": {')
        for position, (name, values) in enumerate(layer.quantities().items()):
            stream.write((", " if position else "") + encode(name) + ": ")
            _write_json_rows(stream, values, encode)
        stream.write("}}")
    stream.write("]}")


def _write_json_rows(stream: TextIO, values: np.ndarray, encode: Callable[[object], str]) -> None:
    """A (T, n) array as a JSON list of lists, one block of rows at a time."""
    stream.write("[")
    for number, block in enumerate(_blocks(len(values))):
        stream.write((", " if number else "") + encode(_shortest(values[block]))[1:-1])
    stream.write("]")


def to_json(trace: Trace, layers: Sequence[int] | None = None, model_name: str = "") -> str:
    """The trace as one JSON string (for small traces and tests; :func:`write_json` streams)."""
    stream = io.StringIO()
    write_json(trace, stream, layers, model_name)
    return stream.getvalue()


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
    """The tidy CSV as one string (for small traces and tests; :func:`write_csv` streams)."""
    stream = io.StringIO()
    write_csv(trace, stream, layers)
    return stream.getvalue()


def write_text(
    trace: Trace, stream: TextIO, format: str, layers: Sequence[int] | None = None, model_name: str = ""
) -> None:
    """Stream the trace as tidy CSV or as JSON (ending in a newline) to a text stream such as standard output."""
    if format == "csv":
        write_csv(trace, stream, layers)
    elif format == "json":
        write_json(trace, stream, layers, model_name)
        stream.write("\n")
    else:
        raise GatescopeError(f"unknown text format {format!r}; choose csv or json")


def write_trace(trace: Trace, path, format: str, layers: Sequence[int] | None = None, model_name: str = "") -> None:
    """Write the trace as tidy CSV, NPZ or JSON to ``path`` atomically (a temporary file, then a rename); CSV and
    JSON stream into the temporary file."""
    from gatescope.model.formats.npzfile import write_atomic, write_npz_atomic

    if format == "npz":
        write_npz_atomic(path, to_npz_arrays(trace, layers, model_name))
        return
    if format not in DATA_FORMATS:
        raise GatescopeError(f"unknown trace format {format!r}; choose one of {', '.join(DATA_FORMATS)}")

    def write(binary: BinaryIO) -> None:
        stream = io.TextIOWrapper(binary, encoding="utf-8", newline="\n")
        try:
            write_text(trace, stream, format, layers, model_name)
            stream.flush()
        finally:
            stream.detach()  # write_atomic closes the file itself

    write_atomic(path, write)
