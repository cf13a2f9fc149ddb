"""Specifications for opening PyTorch files (``torch.save``) without torch: every layer and the head as torch computes.

Fixtures (scripts/make_pytorch_fixtures.py, torch 2.13; the cases in pytorch/README.md): ``<case>.pt`` and
``<case>.expected.npz`` (``input``, ``layer {k} h``, ``layer {k} c``, ``logits``, ``outputs``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import gatescope
from tests.pytorch_fixtures import (
    STRUCTURE,
    dtype_of,
    expected,
    fixture_arrays,
    largest_difference,
    refusal,
    structure_of,
)
from tests.torch_pickles import state_dict_file

FIXTURES = Path(__file__).parent / "pytorch"
TOLERANCE = 1e-5
CASES = sorted(path.name.removesuffix(".expected.npz") for path in FIXTURES.glob("*.expected.npz"))


def test_every_fixture_case_is_listed_with_its_structure() -> None:
    assert CASES == sorted(STRUCTURE)


@pytest.mark.parametrize("case", CASES)
def test_every_layer_and_the_head_match_torch(case: str) -> None:
    model = gatescope.load_model(FIXTURES / f"{case}.pt", dtype=dtype_of(case))

    assert largest_difference(model, expected(case)) <= TOLERANCE


@pytest.mark.parametrize("case", CASES)
def test_architecture_is_inferred_from_names_and_shapes(case: str) -> None:
    model = gatescope.load_model(FIXTURES / f"{case}.pt")

    assert structure_of(model) == STRUCTURE[case]
    assert model.dtype == np.float32


def test_float64_file_loads_as_float32_by_default_and_still_matches_torch() -> None:
    model = gatescope.load_model(FIXTURES / "lstm_f64.pt")

    assert model.dtype == np.float32
    assert largest_difference(model, expected("lstm_f64")) <= TOLERANCE


def test_model_reads_token_ids_when_the_file_holds_no_vocabulary() -> None:
    model = gatescope.load_model(FIXTURES / "lstm_text.pt")

    assert model.reads_ids and not model.reads_text
    assert model.run(np.array([3, 17, 5])).tokens == ["3", "17", "5"]


def test_provenance_says_format_architecture_and_what_was_assumed() -> None:
    model = gatescope.load_model(FIXTURES / "rnn_bi2_text.pt")

    assert model.name == "rnn_bi2_text"
    assert model.source == FIXTURES / "rnn_bi2_text.pt"
    assert model.provenance["format"] == "PyTorch state_dict (.pt)"
    assert model.provenance["format_key"] == "pytorch"
    assert model.provenance["file"] == "rnn_bi2_text.pt"
    assert model.provenance["architecture"] == "Embedding(16, 3) → 2 × bidirectional RNN(4) → Linear(8, 1)"
    assert model.provenance["nonlinearity_assumed"] is True
    assert model.provenance["head_assumed"] is True
    assert model.head.activation == "sigmoid"  # one output
    assert model.layers[0].nonlinearity == "tanh"
    assert "PyTorch nn.RNN" in model.description and "Linear(8, 1)" in model.description


def test_head_with_several_outputs_is_assumed_softmax_and_the_user_can_say_otherwise() -> None:
    assumed = gatescope.load_model(FIXTURES / "lstm_text.pt")
    given = gatescope.load_model(FIXTURES / "lstm_text.pt", head="none", labels="a,b,c")

    assert assumed.head.activation == "softmax" and assumed.provenance["head_assumed"] is True
    assert given.head.activation == "linear" and "head_assumed" not in given.provenance
    assert given.output_labels == ["a", "b", "c"]


def test_checkpoint_dict_with_epoch_and_optimizer_state_loads_its_model_state_dict() -> None:
    model = gatescope.load_model(FIXTURES / "lstm_bi2_checkpoint.pt")

    assert model.provenance["state_dict"]["checkpoint_key"] == "model_state_dict"
    assert model.provenance["state_dict"]["recurrent"] == "encoder."
    assert model.provenance["state_dict"]["embedding"] == "embed.weight"
    assert model.provenance["state_dict"]["head"] == "classifier."


@pytest.mark.parametrize(("case", "prefix"), [("gru2_dataparallel", "module."), ("lstm_compiled", "_orig_mod.")])
def test_wrapper_prefixes_every_key_shares_are_removed(case: str, prefix: str) -> None:
    model = gatescope.load_model(FIXTURES / f"{case}.pt")

    assert model.provenance["state_dict"]["stripped_prefix"] == prefix


def test_vocabulary_and_labels_stored_in_a_checkpoint_make_a_model_that_reads_text() -> None:
    model = gatescope.load_model(FIXTURES / "rnn_vocab_checkpoint.pt")
    reference = expected("rnn_vocab_checkpoint")
    words = [model.vocabulary.tokens()[i] for i in reference["input"]]

    trace = model.run(" ".join(words))

    assert model.reads_text
    assert model.output_labels == ["negative", "neutral", "positive"]
    assert model.provenance["vocabulary"] == "stored in the file under 'vocab'"
    assert trace.tokens == words
    np.testing.assert_allclose(trace.logits, reference["logits"], rtol=0, atol=TOLERANCE)


def test_a_given_vocabulary_replaces_the_stored_one(tmp_path: Path) -> None:
    tokens = [f"t{i}" for i in range(12)]
    tokens[1] = "<unk>"

    model = gatescope.load_model(FIXTURES / "rnn_vocab_checkpoint.pt", vocab=tokens)

    assert model.run("t3 t4").tokens == ["t3", "t4"]


def test_bfloat16_weights_are_widened_to_float32_exactly() -> None:
    model = gatescope.load_model(FIXTURES / "gru_bf16.pt")

    assert model.dtype == np.float32
    assert largest_difference(model, expected("gru_bf16")) <= TOLERANCE


def test_model_saved_natively_reloads_with_an_identical_trace_and_keeps_its_provenance(tmp_path: Path) -> None:
    model = gatescope.load_model(FIXTURES / "rnn_vocab_checkpoint.pt")  # a vocabulary: the native format keeps it
    ids = expected("rnn_vocab_checkpoint")["input"]

    model.save(tmp_path / "native.npz")
    reloaded = gatescope.load_model(tmp_path / "native.npz")

    np.testing.assert_array_equal(reloaded.run(ids).logits, model.run(ids).logits)
    assert reloaded.provenance["architecture"] == model.provenance["architecture"]


# --- the same state_dict, written without torch -------------------------------------------------


@pytest.mark.parametrize("byteorder", ["little", "big"])
def test_state_dict_written_in_either_byte_order_gives_the_same_model(tmp_path: Path, byteorder: str) -> None:
    path = state_dict_file(tmp_path / "model.pt", fixture_arrays("lstm_bi2_checkpoint"), byteorder=byteorder)

    assert largest_difference(gatescope.load_model(path), expected("lstm_bi2_checkpoint")) <= TOLERANCE


def test_half_precision_weights_are_widened_exactly(tmp_path: Path) -> None:
    arrays = {name: array.astype(np.float16) for name, array in fixture_arrays("lstm_text").items()}
    path = state_dict_file(tmp_path / "half.pt", arrays)

    model = gatescope.load_model(path)

    np.testing.assert_array_equal(model.head.weight, arrays["fc.weight"].astype(np.float32))
    assert model.dtype == np.float32


def test_checkpoint_under_any_key_one_level_down_is_found(tmp_path: Path) -> None:
    top = {"net": "<state_dict>", "epoch": 7, "notes": ["a", 1.5, None], "config": {"units": 6}}
    path = state_dict_file(tmp_path / "ckpt.pth", fixture_arrays("lstm_text"), top=top)

    model = gatescope.load_model(path)

    assert model.provenance["state_dict"]["checkpoint_key"] == "net"
    assert largest_difference(model, expected("lstm_text")) <= TOLERANCE


def test_two_state_dicts_in_one_checkpoint_are_refused_naming_both(tmp_path: Path) -> None:
    path = state_dict_file(tmp_path / "ema.pt", fixture_arrays("lstm_text"), top={"model": "<state_dict>"})
    two = state_dict_file(
        tmp_path / "two.pt", fixture_arrays("lstm_text"), top={"model": "<state_dict>", "ema": "<state_dict>"}
    )

    assert gatescope.load_model(path).kind == "lstm"
    message = refusal(two)
    assert "several state_dicts" in message and "'model'" in message and "'ema'" in message


def test_a_checkpoint_without_recurrent_weights_is_refused_listing_its_keys(tmp_path: Path) -> None:
    path = state_dict_file(tmp_path / "linear.pt", {"fc.weight": np.zeros((2, 3), np.float32)}, top={"epoch": 1})

    message = refusal(path)

    assert "no recurrent weights" in message and "'epoch'" in message


def test_a_file_holding_a_list_is_refused_saying_what_to_save(tmp_path: Path) -> None:
    path = state_dict_file(tmp_path / "list.pt", {}, top=[1, 2])

    message = refusal(path)

    assert "holds a list, not a state_dict" in message
    assert 'torch.save(model.state_dict(), "model.pt")' in message


# --- real files gatescope refuses ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "names"),
    [("whole_model.pt", "__main__.TextClassifier"), ("lstm_module.pt", "torch.nn.modules.rnn.LSTM")],
)
def test_pickled_modules_are_refused_naming_the_class_and_how_to_save_a_state_dict(name: str, names: str) -> None:
    message = refusal(FIXTURES / "refused" / name)

    assert f"data.pkl names {names}, a class" in message
    assert "nothing from the file was run" in message
    assert "torch.save(model)" in message
    assert 'torch.save(model.state_dict(), "model.pt")' in message


def test_file_in_the_format_before_torch_1_6_is_refused_saying_how_to_resave_it() -> None:
    message = refusal(FIXTURES / "refused" / "legacy_format.pt")

    assert "before 1.6" in message
    assert "torch.save(torch.load(" in message
    assert "safetensors" in message


def test_torchscript_archive_is_refused_saying_how_to_save_its_weights() -> None:
    message = refusal(FIXTURES / "refused" / "torchscript.pt")

    assert "TorchScript" in message
    assert ".state_dict()" in message


def test_model_with_a_module_gatescope_does_not_run_is_refused_naming_its_keys() -> None:
    message = refusal(FIXTURES / "refused" / "layernorm_model.pt")

    assert "norm.weight (3,)" in message and "norm.bias (3,)" in message
    assert "rnn. as the LSTM" in message
