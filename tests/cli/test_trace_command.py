"""`gatescope trace` and `gatescope models`: every format, and one-line errors with exit code 2."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import numpy as np
import pytest

import gatescope
from gatescope.cli import main
from tests.helpers import SmallDisk, listing, make_model, read_right_to_left

TEXT = "(a(b)c) d"


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_table_shows_prediction_and_every_lstm_quantity(capsys):
    code, out, err = run_cli(capsys, "trace", "bracket-counter", TEXT)
    assert code == 0 and err == ""
    assert "prediction after each token" in out
    for title in ("input gate", "forget gate", "candidate", "output gate", "cell state", "hidden state"):
        assert title in out
    assert "after the last token: outside brackets" in out
    assert "␣" in out  # the space token is visible


def test_json_holds_tokens_outputs_and_every_layer_quantity(capsys):
    code, out, _ = run_cli(capsys, "trace", "bracket-counter", TEXT, "--format", "json")
    document = json.loads(out)
    trace = gatescope.load_model("bracket-counter").run(TEXT)
    assert code == 0
    assert document["tokens"] == trace.tokens
    assert document["output_labels"] == ["outside brackets", "inside brackets"]
    np.testing.assert_array_equal(np.array(document["outputs"], np.float32), trace.outputs)
    quantities = document["layers"][0]["quantities"]
    assert set(quantities) >= {"input", "forget", "candidate", "output", "cell_state", "hidden_state"}
    np.testing.assert_array_equal(np.array(quantities["cell_state"], np.float32), trace.layers[0].c)


def test_csv_is_tidy_with_one_row_per_value(capsys):
    code, out, _ = run_cli(capsys, "trace", "bracket-counter", TEXT, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    trace = gatescope.load_model("bracket-counter").run(TEXT)
    layer = trace.layers[0]
    assert code == 0
    assert list(rows[0]) == ["token_index", "token", "layer", "direction", "quantity", "unit", "value"]
    per_layer = len(layer.quantities()) * layer.units * trace.steps
    assert len(rows) == per_layer + trace.steps * 2  # plus two head outputs per token
    forget = [r for r in rows if r["quantity"] == "forget" and r["unit"] == "2"]
    assert [float(r["value"]) for r in forget] == pytest.approx(layer.gates["forget"][:, 2].tolist(), abs=1e-6)


def test_a_layer_that_reads_right_to_left_is_labelled_reverse_in_every_format(capsys, tmp_path):
    path = tmp_path / "reverse.npz"
    read_right_to_left(make_model("gru", layers=2)).save(path)

    _, table, _ = run_cli(capsys, "trace", str(path), TEXT, "--units", "0-1")
    _, out, _ = run_cli(capsys, "trace", str(path), TEXT, "--format", "csv")
    _, document, _ = run_cli(capsys, "trace", str(path), TEXT, "--format", "json")

    assert "=== layer 1: GRU, 3 units, reverse (reads right to left)" in table and "rev 1" in table
    assert {row["direction"] for row in csv.DictReader(io.StringIO(out)) if row["layer"] == "0"} == {"reverse"}
    assert [layer["directions"] for layer in json.loads(document)["layers"]] == [["reverse"], ["reverse"]]


def test_npz_needs_out_and_then_writes_loadable_arrays(capsys, tmp_path):
    code, _, err = run_cli(capsys, "trace", "bracket-counter", TEXT, "--format", "npz")
    assert code == 2 and err.startswith("gatescope: error:") and "--out" in err
    target = tmp_path / "trace.npz"
    code, out, _ = run_cli(capsys, "trace", "bracket-counter", TEXT, "--format", "npz", "--out", str(target))
    assert code == 0 and out.strip() == str(target)
    with np.load(target, allow_pickle=False) as data:
        assert data["tokens"].tolist() == list("(a(b)c) d")
        assert data["layer0/forget"].shape == (9, 3)


def test_out_refuses_to_overwrite_without_force(capsys, tmp_path):
    target = tmp_path / "trace.json"
    target.write_text("keep me")
    code, _, err = run_cli(capsys, "trace", "bracket-counter", TEXT, "--format", "json", "--out", str(target))
    assert code == 2 and "--force" in err and target.read_text() == "keep me"
    code, _, _ = run_cli(capsys, "trace", "bracket-counter", TEXT, "--format", "json", "--out", str(target), "--force")
    assert code == 0 and json.loads(target.read_text())["tokens"][0] == "("


@pytest.mark.parametrize("format", ["json", "csv", "npz", "table"])
def test_out_onto_a_really_full_disk_says_so_and_keeps_the_old_file(capsys, small_disk: SmallDisk, format: str):
    target = small_disk.path / f"trace.{format}"
    target.write_text("the trace written yesterday")
    small_disk.fill()

    code, out, err = run_cli(
        capsys, "trace", "bracket-counter", TEXT, "--format", format, "--out", str(target), "--force"
    )

    assert code == 2 and out == ""
    assert err == f"gatescope: error: {target}: cannot write (No space left on device)\n"
    assert target.read_text() == "the trace written yesterday"
    assert listing(small_disk.path) == sorted([SmallDisk.FILLER, target.name])


def test_array_input_runs_a_model_without_tokenizer(capsys, tmp_path):
    x = tmp_path / "x.npy"
    np.save(x, np.ones((4, 4), np.float32))
    code, out, _ = run_cli(capsys, "trace", "bracket-counter", "--array", str(x), "--format", "json")
    assert code == 0 and json.loads(out)["tokens"] == ["0", "1", "2", "3"]


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["trace", "no-such-model", "hi"], "no such built-in model or file"),
        (["trace", "bracket-counter", ""], "no tokens"),
        (["trace", "bracket-counter", "x", "--layer", "3"], "layers 0 to 0"),
        (["trace", "bracket-counter", "x", "--units", "7"], "units run from 0 to 2"),
        (["trace", "bracket-counter", "x", "--units", "a-b"], "expected numbers"),
        (["trace", "bracket-counter", "x", "--format", "xml"], "invalid choice"),
        (["trace", "bracket-counter"], "no input given"),
        (["trace"], "required"),
        (["frobnicate"], "invalid choice"),
        (["trace", "bracket-counter", "x", "--out", "/no/such/folder/t.csv", "--format", "csv"], "does not exist"),
    ],
)
def test_bad_arguments_print_one_line_and_exit_2(capsys, argv, fragment):
    code, out, err = run_cli(capsys, *argv)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("gatescope: error: ")
    assert fragment in err


def test_bad_model_file_is_one_line_error(capsys, tmp_path):
    bad = tmp_path / "model.npz"
    bad.write_bytes(b"not a zip at all")
    code, _, err = run_cli(capsys, "trace", str(bad), "hello")
    assert code == 2 and str(bad) in err and "its content matches none of the formats" in err and "Traceback" not in err


def test_models_lists_built_in_models_with_descriptions(capsys):
    code, out, _ = run_cli(capsys, "models")
    assert code == 0
    assert out.startswith("bracket-counter") and "hand" in out.lower()


@pytest.mark.slow
def test_python_dash_m_runs_the_same_command_in_a_fresh_process(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "gatescope", "trace", "bracket-counter", "((", "--format", "json"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["tokens"] == ["(", "("]
    failed = subprocess.run(
        [sys.executable, "-m", "gatescope", "trace", "nope", "x"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert failed.returncode == 2
    assert failed.stderr.startswith("gatescope: error: nope: no such built-in model or file (built-in models: ")
    assert failed.stderr.count("\n") == 1 and "bracket-counter" in failed.stderr
