"""Keras files (.keras and legacy .h5) opened without Keras reproduce what Keras computes: every layer's h and c and
the head, to 1e-5 (fixtures written by Keras itself: scripts/make_keras_fixtures.py, README.md beside them)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

import gatescope
from gatescope.engine import RecurrentLayer
from gatescope.model.formats import keras_file, load_file

FIXTURES = Path(__file__).parent / "keras"
MODEL_FILES = sorted(path for path in FIXTURES.iterdir() if path.suffix in (".keras", ".h5"))
TOLERANCE = 1e-5
#: Engine options some fixtures need (added by the engine branch of issue 15), by a word in the case's name.
_ENGINE_OPTIONS = {"hard_sigmoid": "gate_activation", "go_backwards": "reverse"}


def _expected(path: Path) -> dict[str, np.ndarray]:
    with np.load(FIXTURES / f"{path.stem}.expected.npz", allow_pickle=False) as arrays:
        return {name: arrays[name] for name in arrays.files}


def _skip_without_engine_options(path: Path) -> None:
    fields = {field.name for field in dataclasses.fields(RecurrentLayer)}
    for word, option in _ENGINE_OPTIONS.items():
        if word in path.name and option not in fields:
            pytest.skip(f"the engine has no {option!r} option yet (issue 15's engine branch adds it)")


def _run(path: Path, expected: dict[str, np.ndarray]) -> gatescope.Trace:
    model = gatescope.load_model(path)
    if "text" in expected:
        return model.run(expected["text"].tobytes().decode("utf-8"))
    return model.run(expected["input"])


@pytest.mark.parametrize("path", MODEL_FILES, ids=lambda path: path.name)
def test_every_layer_and_the_head_match_keras(path: Path) -> None:
    _skip_without_engine_options(path)
    expected = _expected(path)

    trace = _run(path, expected)

    compared = 0
    for name, want in expected.items():
        if name.startswith("layer "):
            _, number, state = name.split()
            got = getattr(trace.layers[int(number)], state)
        elif name in ("logits", "outputs"):
            got = getattr(trace, name)
        else:
            continue
        assert got.shape == want.shape, name
        np.testing.assert_allclose(got, want, rtol=0, atol=TOLERANCE, err_msg=f"{path.name}: {name}")
        compared += 1
    assert compared >= 2
    assert len(trace.layers) == sum(name.endswith(" h") for name in expected)


@pytest.mark.parametrize("path", [path for path in MODEL_FILES if path.name.startswith("text_")], ids=str)
def test_text_models_tokenize_the_text_into_keras_ids(path: Path) -> None:
    expected = _expected(path)
    model = gatescope.load_model(path)
    assert model.tokenizer is not None and model.vocabulary is not None

    tokens = model.tokenizer.tokenize(expected["text"].tobytes().decode("utf-8"))
    ids, unknown = model.vocabulary.encode([token.key for token in tokens])

    np.testing.assert_array_equal(ids, expected["input"])
    assert unknown.any()  # each text has a word or character Keras reads as [UNK]


def test_a_word_vectorizer_keeps_keras_numbering_and_pads_to_the_embedding_rows() -> None:
    model = gatescope.load_model(FIXTURES / "text_word_lstm.keras")
    assert model.vocabulary is not None and model.tokenizer is not None
    tokens = model.vocabulary.tokens()

    assert tokens[:4] == ["", "[UNK]", "the", "a"]
    assert tokens[-2:] == ["<id 16>", "<id 17>"]  # two embedding rows past Keras' vocabulary
    assert model.vocabulary.unknown_id == 1
    assert model.tokenizer.kind == "word" and model.tokenizer.lowercase
    assert model.provenance["architecture"].startswith("TextVectorization(word, 16 tokens) → Embedding(18, 6)")
    assert any("don't" in note for note in model.provenance["notes"])  # how its tokenization differs from Keras'


def test_a_character_vectorizer_reads_its_vocabulary_from_the_config() -> None:
    model = gatescope.load_model(FIXTURES / "text_char_gru.keras")
    assert model.tokenizer is not None and model.vocabulary is not None

    assert model.tokenizer.kind == "char" and model.tokenizer.lowercase
    assert model.vocabulary.tokens()[2] == " "
    assert model.bidirectional and model.head is not None and model.head.activation == "sigmoid"


def test_keras_and_h5_files_of_one_model_give_the_same_model() -> None:
    modern = gatescope.load_model(FIXTURES / "lstm_2_bidirectional.keras")
    legacy = gatescope.load_model(FIXTURES / "lstm_2_bidirectional.h5")
    ids = _expected(FIXTURES / "lstm_2_bidirectional.keras")["input"]

    np.testing.assert_array_equal(modern.run(ids).outputs, legacy.run(ids).outputs)
    assert modern.provenance["format"] == "Keras 3 model (.keras)"
    assert legacy.provenance["format"].startswith("Keras legacy HDF5 model (.h5, Keras 3.")


def test_provenance_names_the_format_the_file_and_the_architecture() -> None:
    model = gatescope.load_model(FIXTURES / "lstm_2_bidirectional.keras")

    assert model.provenance["format_key"] == "keras"
    assert model.provenance["file"] == "lstm_2_bidirectional.keras"
    assert model.provenance["architecture"] == "Embedding(23, 6) → 2 × bidirectional LSTM(5) → Dense(3, softmax)"
    assert model.provenance["keras_version"].startswith("3.")
    assert "Dropout" in " ".join(model.provenance["notes"])
    assert model.name == "lstm_2_bidirectional" and model.description.startswith("Keras Functional model: ")
    assert model.reads_ids and model.id_count == 23


def test_a_last_step_model_predicts_like_keras_at_the_last_token() -> None:
    path = FIXTURES / "lstm_2_last_step.keras"
    expected = _expected(path)
    model = gatescope.load_model(path)

    trace = model.run(expected["input"])

    assert expected["keras_output"].shape == (3,)  # Keras' one prediction for the whole sequence
    np.testing.assert_allclose(trace.outputs[-1], expected["keras_output"], atol=TOLERANCE)
    assert any("last token" in note for note in model.provenance["notes"])


def test_a_go_backwards_stack_shows_keras_outputs_in_token_order() -> None:
    path = FIXTURES / "lstm_2_go_backwards.keras"
    _skip_without_engine_options(path)
    expected = _expected(path)
    model = gatescope.load_model(path)

    trace = model.run(expected["input"])

    np.testing.assert_allclose(trace.outputs[::-1], expected["keras_output"], atol=TOLERANCE)  # Keras: last first
    assert [getattr(layer, "reverse", None) for layer in model.layers] == [True, True]


def test_gru_conventions_follow_reset_after() -> None:
    after = gatescope.load_model(FIXTURES / "gru_1.keras")
    before = gatescope.load_model(FIXTURES / "gru_cho_1_bidirectional.keras")

    assert after.layers[0].gru_convention == "pytorch"
    assert before.layers[0].gru_convention == "cho"


def test_a_relu_simple_rnn_keeps_its_nonlinearity() -> None:
    model = gatescope.load_model(FIXTURES / "rnn_relu_2_bidirectional.h5")

    assert [layer.nonlinearity for layer in model.layers] == ["relu", "relu"]


def test_a_keras2_file_reads_hard_sigmoid_as_keras2_did() -> None:
    path = FIXTURES / "keras2_lstm_bidirectional_hard_sigmoid.h5"
    _skip_without_engine_options(path)

    model = gatescope.load_model(path)

    assert getattr(model.layers[0], "gate_activation", None) == "hard_sigmoid_keras2"
    assert model.provenance["keras_version"] == "2.15.0"


@pytest.mark.parametrize("path", MODEL_FILES, ids=lambda path: path.name)
def test_keras_files_are_recognised_by_content(path: Path, tmp_path: Path) -> None:
    renamed = tmp_path / "model.bin"
    renamed.write_bytes(path.read_bytes())

    assert keras_file.sniff(renamed)


def test_sniffing_says_no_to_other_files_without_raising(tmp_path: Path) -> None:
    (tmp_path / "random.bin").write_bytes(np.random.default_rng(0).bytes(4096))
    (tmp_path / "empty.keras").write_bytes(b"")
    (tmp_path / "folder.h5").mkdir()

    for name in ("random.bin", "empty.keras", "folder.h5", "missing.h5"):
        assert not keras_file.sniff(tmp_path / name)


def test_load_file_reads_a_keras_file_through_the_format_registry() -> None:
    model = load_file(FIXTURES / "rnn_1_features.keras")

    assert model.kind == "rnn" and model.input_size == 4 and not model.reads_ids


def test_a_keras_file_loads_in_float64_too() -> None:
    path = FIXTURES / "lstm_2_bidirectional.keras"
    expected = _expected(path)

    model = gatescope.load_model(path, dtype=np.float64)

    assert model.dtype == np.float64 and model.embedding is not None and model.embedding.dtype == np.float64
    np.testing.assert_allclose(model.run(expected["input"]).outputs, expected["outputs"], atol=TOLERANCE)
