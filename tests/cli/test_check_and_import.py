"""`gatescope check` and `gatescope import` against a stand-in framework (tests/cli/fake_framework.py, registered in
FRAMEWORKS for the test): the differences per layer, the exit codes, the input each run reads, and the model card an
import writes. No real framework is imported."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

import gatescope
from gatescope.cli import main
from gatescope.frameworks import FRAMEWORKS, check
from gatescope.model.card import file_sha256
from tests.cli import fake_framework
from tests.helpers import WORDS, make_text_model

FAKE_PROVENANCE = {
    "format": "Fake framework file (.fake)",
    "format_key": "fake",
    "file": "model.fake",
    "architecture": "Embedding(14, 8) → 2 × bidirectional LSTM(4) → Linear(8, 2)",
    "head_assumed": True,
}


@pytest.fixture
def fake(monkeypatch):
    """The stand-in framework, registered for format key "fake", reset for every test."""
    monkeypatch.setitem(FRAMEWORKS, "fake", "tests.cli.fake_framework")
    # The stand-in framework's files are gatescope .npz files carrying its provenance: count them as its own.
    monkeypatch.setattr(check, "written_by_gatescope", lambda path: False)
    monkeypatch.setattr(fake_framework, "OFFSETS", {})
    monkeypatch.setattr(fake_framework, "DROPPED", set())
    monkeypatch.setattr(fake_framework, "FAILURE", None)
    monkeypatch.setattr(fake_framework, "RECEIVED", [])
    return fake_framework


@pytest.fixture
def model_file(tmp_path):
    """A 2-layer bidirectional LSTM that reads token ids, saved as if a "fake" framework had written it."""
    model = make_text_model("lstm", units=4, layers=2, bidirectional=True)
    model = dataclasses.replace(model, tokenizer=None, vocabulary=None, provenance=dict(FAKE_PROVENANCE))
    path = tmp_path / "model.npz"
    model.save(path)
    return path


@pytest.fixture
def vocab_file(tmp_path):
    path = tmp_path / "vocab.json"
    path.write_text(json.dumps(WORDS), encoding="utf-8")
    return path


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main([str(arg) for arg in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# --- check ---------------------------------------------------------------------------------------------


def test_check_prints_every_layers_h_and_c_and_the_logits_and_exits_0_when_all_agree(capsys, fake, model_file):
    code, out, err = run_cli(capsys, "check", model_file)

    assert code == 0 and err == ""
    for name in ("layer 0 h", "layer 0 c", "layer 1 h", "layer 1 c", "logits"):
        assert name in out
    assert "same numbers: every difference is within 1e-04" in out
    assert fake.RECEIVED[0].dtype == np.int64 and fake.RECEIVED[0].shape == (6,)  # default: a few token ids


def test_check_exits_1_naming_the_layer_that_differs_by_more_than_the_tolerance(capsys, fake, model_file):
    fake.OFFSETS["layer 1 c"] = 1e-3

    code, out, _ = run_cli(capsys, "check", model_file, "--ids", "1 2 3")

    assert code == 1
    assert "DIFFERENT: layer 1 c differs by 1.0e-03, more than 1e-04" in out
    np.testing.assert_array_equal(fake.RECEIVED[0], [1, 2, 3])


def test_check_counts_a_difference_just_under_the_tolerance_as_the_same(capsys, fake, model_file):
    fake.OFFSETS["logits"] = 5e-5

    assert run_cli(capsys, "check", model_file)[0] == 0


def test_check_exits_1_when_the_framework_gives_another_shape(capsys, fake, model_file, monkeypatch):
    real = fake.reference
    monkeypatch.setattr(fake, "reference", lambda *a: {**real(*a), "logits": np.zeros((6, 3), np.float32)})

    code, out, _ = run_cli(capsys, "check", model_file)

    assert code == 1 and "shape (6, 2) in gatescope, (6, 3) in fake" in out


def test_check_without_the_framework_says_which_package_to_install_and_exits_3(capsys, fake, model_file):
    fake.FAILURE = ImportError("No module named 'torch'", name="torch")

    code, out, _ = run_cli(capsys, "check", model_file)

    assert code == 3
    assert (
        "not checked: fake needs torch, which is not installed here; pip install torch lets gatescope check it" in out
    )


def test_check_when_the_framework_cannot_run_the_file_here_says_what_it_said_and_exits_3(capsys, fake, model_file):
    fake.FAILURE = ImportError("Layer TextVectorization requires TensorFlow. Install it via `pip install tensorflow`.")

    code, out, _ = run_cli(capsys, "check", model_file)

    assert code == 3
    assert "not checked: fake cannot run it here: Layer TextVectorization requires TensorFlow." in out


def test_check_of_a_format_no_framework_wrote_exits_3_saying_so(capsys, tmp_path):
    path = tmp_path / "plain.npz"
    make_text_model("gru", units=4).save(path)

    code, out, _ = run_cli(capsys, "check", path)

    assert code == 3 and "nothing to compare with" in out


def test_check_of_an_imported_model_saved_by_gatescope_does_not_run_the_original_framework(capsys, tmp_path):
    model = make_text_model("gru", units=4)
    model = dataclasses.replace(model, provenance={"format": "PyTorch state_dict (.pt)", "format_key": "pytorch"})
    path = tmp_path / "imported.npz"
    model.save(path)

    code, out, _ = run_cli(capsys, "check", path)

    assert code == 3 and "imported.npz is a gatescope model" in out


def test_check_compares_a_head_the_file_applies_after_the_last_step_with_the_last_row(capsys, fake, model_file):
    model = gatescope.load_model(model_file)
    trace = model.run(np.array([4, 2, 9]))
    reference = {"logits": trace.logits[-1:] + 1e-6}

    found = {d.name: d for d in check.differences(trace, reference, "Fake")}

    assert found["logits"].within and found["logits"].largest < 1e-5


def test_check_when_the_framework_fails_is_a_one_line_error(capsys, fake, model_file):
    fake.FAILURE = RuntimeError("Error(s) in loading state_dict:\n  size mismatch")

    code, out, err = run_cli(capsys, "check", model_file)

    assert code == 2 and out == "" and err.count("\n") == 1
    assert "fake could not run it: RuntimeError: Error(s) in loading state_dict: size mismatch" in err


def test_check_reads_a_text_through_the_given_vocabulary_and_gives_the_framework_its_ids(
    capsys, fake, model_file, vocab_file
):
    code, out, _ = run_cli(capsys, "check", model_file, "--vocab", vocab_file, "--text", "the plot was dull")

    assert code == 0 and "input: 4 tokens: the plot was dull" in out
    np.testing.assert_array_equal(fake.RECEIVED[0], [WORDS.index(w) for w in "the plot was dull".split()])


def test_check_by_default_reads_tokens_of_the_vocabulary_for_a_text_model(capsys, fake, model_file, vocab_file):
    code, out, _ = run_cli(capsys, "check", model_file, "--vocab", vocab_file)

    assert code == 0 and "(from the vocabulary)" in out
    assert 0 not in fake.RECEIVED[0]  # not the unknown token


def test_check_of_a_model_reading_numbers_gives_the_framework_float32_steps(capsys, fake, tmp_path):
    model = dataclasses.replace(make_text_model("gru", units=4), tokenizer=None, vocabulary=None, embedding=None)
    path = tmp_path / "series.npz"
    dataclasses.replace(model, provenance=dict(FAKE_PROVENANCE)).save(path)
    series = tmp_path / "series.csv"
    series.write_text("a,b,c,d,e,f,g,h\n" + "\n".join(",".join(["0.5"] * 8) for _ in range(3)), encoding="utf-8")

    code, out, _ = run_cli(capsys, "check", path, "--input", series)

    assert code == 0 and "input: 3 steps × 8 features" in out
    assert fake.RECEIVED[0].dtype == np.float32 and fake.RECEIVED[0].shape == (3, 8)


def test_check_refuses_two_inputs_at_once(capsys, fake, model_file):
    code, _, err = run_cli(capsys, "check", model_file, "--ids", "1", "--text", "the")

    assert code == 2 and "give one input, not TEXT and --ids" in err


# --- import --------------------------------------------------------------------------------------------


def test_import_writes_a_native_model_whose_card_says_where_it_came_from(capsys, fake, model_file, vocab_file):
    out_path = model_file.parent / "sentiment.npz"

    code, out, err = run_cli(
        capsys, "import", model_file, "--vocab", vocab_file, "--labels", "bad,good", "--out", out_path
    )

    assert code == 0 and out.strip() == str(out_path) and err == ""
    model = gatescope.load_model(out_path)
    assert model.reads_text and model.output_labels == ["bad", "good"]
    card = model.card
    assert f"`model.npz` (sha256 `{file_sha256(model_file)}`)" in card
    assert "format: Fake framework file (.fake)" in card
    assert "architecture: Embedding(14, 8) → 2 × bidirectional LSTM(4) → Linear(8, 2)" in card
    assert "vocabulary: `vocab.json`, given by the user (14 tokens" in card
    assert "labels: bad, good (given by the user)" in card
    assert "head activation: softmax (assumed: the file does not say" in card
    assert "Largest difference from fake (fake-framework) on 6 tokens" in card
    assert "within 1e-04" in card


def test_an_imported_models_card_and_numbers_survive_another_save_and_load(capsys, fake, model_file, tmp_path):
    first, second = tmp_path / "a.npz", tmp_path / "b.npz"
    run_cli(capsys, "import", model_file, "--head", "sigmoid", "--out", first)

    imported = gatescope.load_model(first)
    imported.save(second)
    again = gatescope.load_model(second)

    assert again.card == imported.card and "head activation: sigmoid (given by the user)" in again.card
    ids = np.array([4, 2, 9])
    np.testing.assert_array_equal(
        again.run(ids).outputs, gatescope.load_model(model_file, head="sigmoid").run(ids).outputs
    )


def test_import_without_the_framework_says_in_the_card_that_parity_was_not_checked(capsys, fake, model_file):
    fake.FAILURE = ImportError("No module named 'torch'", name="torch")
    out_path = model_file.parent / "m.npz"

    code, _, _ = run_cli(capsys, "import", model_file, "--out", out_path)

    assert code == 0
    assert "Not checked here (install torch to check: `pip install torch`" in (gatescope.load_model(out_path).card)


def test_import_that_differs_from_the_framework_writes_the_file_warns_and_exits_1(capsys, fake, model_file):
    fake.OFFSETS["layer 0 h"] = 2e-3
    out_path = model_file.parent / "m.npz"

    code, _, err = run_cli(capsys, "import", model_file, "--out", out_path)

    assert code == 1 and "differs from fake: layer 0 h by 2.0e-03" in err
    assert "**Differs** from fake" in gatescope.load_model(out_path).card


def test_import_refuses_to_overwrite_without_force(capsys, fake, model_file):
    out_path = model_file.parent / "m.npz"
    out_path.write_text("keep me")

    code, _, err = run_cli(capsys, "import", model_file, "--out", out_path)
    assert code == 2 and "exists; add --force to overwrite it" in err and out_path.read_text() == "keep me"

    code, _, _ = run_cli(capsys, "import", model_file, "--out", out_path, "--force")
    assert code == 0 and gatescope.load_model(out_path).card is not None


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--out", "m.keras"], "the file name must end in .npz"),
        (["--out", "m.npz", "--head", "tanh"], "invalid choice: 'tanh'"),
        (["--out", "m.npz", "--labels", "a,b,c"], "3 labels given"),
    ],
)
def test_import_errors_are_one_line_with_exit_2_and_write_nothing(capsys, fake, model_file, argv, message):
    argv = [str(model_file.parent / a) if a.startswith("m.") else a for a in argv]

    code, out, err = run_cli(capsys, "import", model_file, *argv)

    assert code == 2 and out == "" and err.count("\n") == 1 and message in err
    assert not (model_file.parent / "m.npz").exists()


def test_import_of_a_real_pytorch_checkpoint_records_its_format_and_stored_vocabulary(capsys, monkeypatch, tmp_path):
    # The stand-in runs in place of torch, so that this test never imports torch, installed or not.
    monkeypatch.setitem(FRAMEWORKS, "pytorch", "tests.cli.fake_framework")
    source = Path(__file__).parents[1] / "model" / "imports" / "pytorch" / "rnn_vocab_checkpoint.pt"
    out_path = tmp_path / "rnn.npz"

    code, _, _ = run_cli(capsys, "import", source, "--out", out_path)

    assert code == 0
    model = gatescope.load_model(out_path)
    assert model.reads_text and f"sha256 `{file_sha256(source)}`" in model.card
    assert "format: PyTorch" in model.card and "vocabulary: from the model file" in model.card
    assert "labels: negative, neutral, positive (from the model file)" in model.card
    assert "nonlinearity: tanh (assumed: the file does not say)" in model.card
    assert "Largest difference from PyTorch" in model.card
    np.testing.assert_array_equal(model.run("the film").outputs, gatescope.load_model(source).run("the film").outputs)
