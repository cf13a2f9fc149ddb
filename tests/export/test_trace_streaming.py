"""CSV and JSON traces stream out block by block — to standard output and into the atomic temporary file — instead of
being built as one string, and they are byte for byte what csv.writer and json.dumps make of the whole trace."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest

import gatescope.model.formats.npzfile as npzfile
from gatescope.cli import main
from gatescope.export import trace_data
from tests.helpers import make_model

TEXT = 'say "hi", then (a(b)c),\tand\na new line: ünï 🙂 ' * 60  # 2,400 characters: 5 blocks of tokens


class RecordingStream(io.StringIO):
    """A text stream that remembers the length of every write."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[int] = []

    def write(self, text: str) -> int:
        self.writes.append(len(text))
        return super().write(text)


@pytest.fixture(scope="module")
def trace():
    return make_model("lstm", layers=2, bidirectional=True).run(TEXT)


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_trace_to_standard_output_is_written_in_blocks_not_as_one_string(monkeypatch, tmp_path, fmt) -> None:
    model_file = tmp_path / "model.npz"
    make_model("lstm", layers=2, bidirectional=True).save(model_file)
    stdout = RecordingStream()
    monkeypatch.setattr("sys.stdout", stdout)

    code = main(["trace", str(model_file), TEXT, "--format", fmt])

    total = len(stdout.getvalue())
    assert code == 0 and total > 1_000_000
    assert max(stdout.writes) < total / 4


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_trace_to_a_file_streams_into_the_temporary_file(monkeypatch, tmp_path, trace, fmt) -> None:
    writes: list[int] = []
    atomic = npzfile.write_atomic

    def recording_write_atomic(path, write):
        def recorded(binary):
            original = binary.write

            def write_and_count(data):
                writes.append(len(data))
                return original(data)

            binary.write = write_and_count
            return write(binary)

        return atomic(path, recorded)

    monkeypatch.setattr(npzfile, "write_atomic", recording_write_atomic)
    out = tmp_path / f"trace.{fmt}"

    trace_data.write_trace(trace, out, fmt)

    assert out.stat().st_size > 1_000_000
    assert max(writes) < out.stat().st_size / 4
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name]  # still atomic: no temporary file left


def test_streamed_csv_is_what_csv_writer_makes_of_every_row(trace) -> None:
    expected = io.StringIO()
    writer = csv.writer(expected, lineterminator="\n")
    writer.writerow(trace_data.CSV_COLUMNS)
    writer.writerows(_tidy_rows(trace))
    assert all(layer.bidirectional for layer in trace.layers)  # both directions' units are in the rows

    assert trace_data.csv_text(trace) == expected.getvalue()


def test_streamed_json_is_what_json_dumps_makes_of_the_whole_document(trace) -> None:
    document = {
        "model": "m",
        "tokens": trace.tokens,
        "unknown": trace.unknown,
        "spans": trace.spans,
        "output_labels": trace.output_labels,
        "outputs": _shortest(trace.outputs),
        "layers": [
            {
                "index": layer.index,
                "kind": layer.kind,
                "units": layer.units,
                "bidirectional": layer.bidirectional,
                "directions": list(layer.directions),
                "quantities": {name: _shortest(values) for name, values in layer.quantities().items()},
            }
            for layer in trace.layers
        ],
    }

    assert trace_data.to_json(trace, model_name="m") == json.dumps(document, ensure_ascii=False)


def test_one_layer_of_a_trace_streams_as_csv_with_only_that_layer(trace) -> None:
    rows = list(csv.reader(io.StringIO(trace_data.csv_text(trace, layers=[1]))))

    assert {row[2] for row in rows[1:]} == {"1", "head"}
    assert len(rows) == 1 + len(list(_tidy_rows(trace, [1])))


def _shortest(array: np.ndarray) -> list:
    return array.astype(str).astype(np.float64).tolist()


def _tidy_rows(trace, layers=None):
    """The tidy rows as gatescope built them before streaming: every value converted at once."""
    selected = [trace.layers[k] for k in layers] if layers is not None else trace.layers
    values = [(layer, name, _shortest(array)) for layer in selected for name, array in layer.quantities().items()]
    labels = trace.output_labels or [str(k) for k in range(trace.outputs.shape[1])]
    outputs = _shortest(trace.outputs)
    for t, token in enumerate(trace.tokens):
        for layer, name, rows in values:
            for direction_index, direction in enumerate(layer.directions):
                for unit in range(layer.units):
                    yield t, token, layer.index, direction, name, unit, rows[t][direction_index * layer.units + unit]
        for label, value in zip(labels, outputs[t]):
            yield t, token, "head", "", "output", label, value
