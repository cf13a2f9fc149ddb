"""Commands that load a model take what its file cannot say (--vocab, --labels, --head) and inputs that are not text
(--ids, --input), and refuse an input of the wrong kind saying which kind the model reads."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

import gatescope
from gatescope.cli import main
from tests.helpers import SENTENCE, WORDS, make_text_model


def run_cli(capsys, *argv: object) -> tuple[int, str, str]:
    code = main([str(arg) for arg in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def ids_model(tmp_path):
    """A GRU with an embedding of 14 rows and no vocabulary: it reads token ids."""
    path = tmp_path / "ids.npz"
    dataclasses.replace(make_text_model("gru", units=4), tokenizer=None, vocabulary=None).save(path)
    return path


@pytest.fixture
def numbers_model(tmp_path):
    """A GRU without an embedding: it reads 8 numbers a step."""
    path = tmp_path / "numbers.npz"
    model = make_text_model("gru", units=4)
    dataclasses.replace(model, tokenizer=None, vocabulary=None, embedding=None).save(path)
    return path


@pytest.fixture
def vocab(tmp_path):
    path = tmp_path / "vocab.txt"
    path.write_text("\n".join(WORDS), encoding="utf-8")
    return path


def test_trace_reads_token_ids_with_ids(capsys, ids_model):
    code, out, _ = run_cli(capsys, "trace", ids_model, "--ids", "1 2 3", "--format", "json")

    assert code == 0 and json.loads(out)["tokens"] == ["1", "2", "3"]


def test_trace_reads_text_with_a_vocabulary_and_names_and_activates_the_head(capsys, ids_model, vocab):
    code, out, _ = run_cli(
        capsys, "trace", ids_model, SENTENCE, "--vocab", vocab, "--labels", "sad,glad", "--head", "none"
    )

    assert code == 0 and "sad" in out and "glad" in out
    document = json.loads(
        run_cli(capsys, "trace", ids_model, SENTENCE, "--vocab", vocab, "--head", "none", "--format", "json")[1]
    )
    expected = make_text_model("gru", units=4).run(SENTENCE)
    np.testing.assert_allclose(document["outputs"], expected.logits, rtol=1e-6)


def test_trace_reads_a_csv_of_numbers_with_input(capsys, numbers_model, tmp_path):
    series = tmp_path / "series.csv"
    series.write_text("\n".join(",".join(["0.25"] * 8) for _ in range(5)), encoding="utf-8")

    code, out, _ = run_cli(capsys, "trace", numbers_model, "--input", series, "--format", "json")

    assert code == 0 and json.loads(out)["tokens"] == ["0", "1", "2", "3", "4"]


@pytest.mark.parametrize(
    ("model", "argv", "message"),
    [
        ("ids_model", ["the plot"], 'this model does not read text: give token ids 0-13 with --ids "3 17 5", or a '
                                    "vocabulary with --vocab FILE"),
        ("ids_model", ["--ids", "1 14"], "token id 14 is out of range: this model's ids run from 0 to 13"),
        ("ids_model", [], "no input given"),
        ("numbers_model", ["--ids", "1"], "this model has no embedding, so it does not read token ids: give a CSV"),
        ("numbers_model", ["hello"], "this model does not read text: give a CSV or .npy file of 8 numbers a step"),
        ("numbers_model", ["--vocab", "vocab.txt", "--ids", "1"], "a vocabulary cannot apply"),
        ("ids_model", ["--ids", "1", "--input", "x.csv"], "give one input, not --ids and --input"),
    ],
)  # fmt: skip
def test_an_input_of_the_wrong_kind_is_a_one_line_error_saying_what_to_give(
    capsys, request, vocab, model, argv, message
):
    path = request.getfixturevalue(model)
    argv = [str(vocab) if a == "vocab.txt" else a for a in argv]

    code, out, err = run_cli(capsys, "trace", path, *argv)

    assert code == 2 and out == "" and err.count("\n") == 1
    assert message in err


def test_export_writes_the_trace_of_token_ids_as_data(capsys, ids_model, tmp_path):
    target = tmp_path / "trace.json"

    code, _, _ = run_cli(capsys, "export", "--model", ids_model, "--ids", "4 5", "--format", "json", "--out", target)

    assert code == 0 and json.loads(target.read_text())["tokens"] == ["4", "5"]


def test_export_of_an_animation_needs_a_text(capsys, ids_model, tmp_path):
    code, _, err = run_cli(
        capsys, "export", "--model", ids_model, "--ids", "4 5", "--format", "gif", "--out", tmp_path / "a.gif"
    )

    assert code == 2 and "an animation reads a text (--text)" in err


def test_gui_options_for_the_model_need_a_model_given_once(capsys):
    code, _, err = run_cli(capsys, "gui", "--vocab", "vocab.json")
    assert code == 2 and "--vocab goes with a model: gatescope gui MODEL --vocab" in err

    code, _, err = run_cli(capsys, "gui", "a.pt", "--model", "b.pt")
    assert code == 2 and "give the model once: a.pt or --model b.pt" in err


def test_gui_screenshot_opens_an_ids_model_with_a_vocabulary(capsys, ids_model, vocab, tmp_path, qapp):
    target = tmp_path / "window.png"

    code, out, err = run_cli(
        capsys, "gui", ids_model, "--vocab", vocab, "--labels", "sad,glad", "--text", SENTENCE,
        "--screenshot", target, "--size", "900x700",
    )  # fmt: skip

    assert code == 0, err
    assert out.strip() == str(target) and target.stat().st_size > 10_000


def test_load_options_given_to_load_model_match_the_command_line(ids_model, vocab):
    model = gatescope.load_model(ids_model, vocab=vocab, labels="sad,glad", head="sigmoid")

    assert model.reads_text and model.output_labels == ["sad", "glad"] and model.head.activation == "sigmoid"
