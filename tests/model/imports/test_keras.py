"""Keras files (.keras and legacy .h5) opened without Keras reproduce what Keras computes: every layer's h and c and
the head, to 1e-5 (fixtures written by Keras itself: scripts/make_keras_fixtures.py, README.md beside them)."""

from __future__ import annotations

import dataclasses
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

import gatescope
from gatescope.model.formats import keras_file, load_file
from gatescope.model.formats.keras_config import VectorizerSpec
from gatescope.model.formats.keras_text import check_vectorizer, text_parts

FIXTURES = Path(__file__).parent / "keras"
MODEL_FILES = sorted(path for path in FIXTURES.iterdir() if path.suffix in (".keras", ".h5"))
TOLERANCE = 1e-5


def _expected(path: Path) -> dict[str, np.ndarray]:
    with np.load(FIXTURES / f"{path.stem}.expected.npz", allow_pickle=False) as arrays:
        return {name: arrays[name] for name in arrays.files}


def _run(path: Path, expected: dict[str, np.ndarray]) -> gatescope.Trace:
    model = gatescope.load_model(path)
    if "text" in expected:
        return model.run(expected["text"].tobytes().decode("utf-8"))
    return model.run(expected["input"])


@pytest.mark.parametrize("path", MODEL_FILES, ids=lambda path: path.name)
def test_every_layer_and_the_head_match_keras(path: Path) -> None:
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
    assert (model.vocabulary.unknown_id, model.vocabulary.padding_id) == (1, 0)
    assert model.tokenizer.to_dict() == {  # TensorFlow's A-Z lower, punctuation deletion and ASCII whitespace split
        "kind": "word",
        "lowercase": False,
        "split": "ascii_whitespace",
        "normalize": ["lowercase_ascii", "strip_punctuation"],
    }
    assert model.provenance["architecture"].startswith("TextVectorization(word, 16 tokens) → Embedding(18, 6)")
    assert not any("token" in note for note in model.provenance["notes"])  # tokenizes as Keras does: nothing to say


def test_a_character_vectorizer_reads_its_vocabulary_from_the_config() -> None:
    model = gatescope.load_model(FIXTURES / "text_char_gru.keras")
    assert model.tokenizer is not None and model.vocabulary is not None

    assert model.tokenizer.to_dict() == {
        "kind": "char",
        "lowercase": False,
        "normalize": ["lowercase_ascii"],
        "keep_controls": True,  # tf.strings.unicode_split keeps tabs and new lines
    }
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


# --- TextVectorization tokenizes as TensorFlow does ----------------------------------------------------------

#: What TensorFlow 2.21.0 (Keras 3.15.1) makes of tricky texts, for every standardize × split: the tokens it looks up
#: and the ids it gives (scripts/make_text_vectorization_fixtures.py).
TF_TEXT = json.loads((FIXTURES / "text_vectorization_tf.json").read_text(encoding="utf-8"))


def _keys_and_ids(model: gatescope.Model, text: str) -> tuple[list[str], list[int]]:
    """The keys a text model looks ``text`` up as, and their ids."""
    assert model.tokenizer is not None and model.vocabulary is not None
    keys = [token.key for token in model.tokenizer.tokenize(text)]
    return keys, model.vocabulary.encode(keys)[0].tolist()


@pytest.mark.parametrize(
    ("path", "text", "tokens", "ids"),
    [
        ("text_word_lstm", "THE cat's mat... and-a DOG!", ["the", "cats", "mat", "anda", "dog"], [2, 1, 8, 1, 5]),
        (
            "text_word_lstm",
            "Élan: the\tcat\n\nsat  on\u00a0a mat",
            ["Élan", "the", "cat", "sat", "on\u00a0a", "mat"],
            [1, 2, 4, 6, 1, 8],
        ),
        (
            "text_word_lstm",
            "a \U0001f44d red cat, the U.S.A. dog",
            ["a", "\U0001f44d", "red", "cat", "the", "usa", "dog"],
            [3, 1, 15, 4, 2, 1, 5],
        ),
        ("text_char_gru", "Hi\tthere!", list("hi\tthere!"), [10, 11, 1, 21, 10, 7, 19, 7, 1]),
        ("text_char_gru", "ÉCOLE café", list("École café"), [1, 5, 17, 14, 7, 2, 5, 3, 8, 1]),
        ("text_char_gru", "a\u00a0b\nc \U0001f44d", list("a\u00a0b\nc \U0001f44d"), [3, 1, 4, 1, 5, 2, 1]),
    ],
)
def test_a_text_model_reads_tricky_text_into_the_ids_tensorflow_gives(path, text, tokens, ids) -> None:
    """Tokens and ids from TensorFlow 2.21.0 (Keras 3.15.1): the fixture's TextVectorization settings and vocabulary
    on these texts: only A-Z lower-cased, ASCII punctuation deleted inside words, split at ASCII whitespace only (a
    no-break space joins "on a"), characters split with tabs and new lines kept."""
    model = gatescope.load_model(FIXTURES / f"{path}.keras")

    trace = model.run(text)

    assert _keys_and_ids(model, text) == (tokens, ids)
    assert model.embedding is not None
    np.testing.assert_array_equal(trace.inputs, model.embedding[ids])
    assert trace.spans is not None
    assert [text[start:end] for start, end in trace.spans] == trace.tokens  # each token's own characters


@pytest.mark.parametrize(
    "setting", TF_TEXT["settings"], ids=lambda setting: f"{setting['standardize']}-{setting['split']}"
)
def test_text_vectorization_tokenizes_tricky_texts_into_tensorflows_tokens_and_ids(setting) -> None:
    """Every standardize × split against TensorFlow 2.21.0 / Keras 3.15.1 (text_vectorization_tf.json): apostrophes,
    abbreviations, hyphens, non-ASCII capitals (É, İ, Σ, the Kelvin sign), emoji sequences, runs of spaces, tabs, new
    lines, \\v and \\f, Unicode spaces TensorFlow does not split at, punctuation-only words, combining marks,
    non-ASCII punctuation, control and zero-width characters, the empty text. Each token's span is its original
    characters."""
    spec = VectorizerSpec(
        "text_vectorization",
        "TextVectorization",
        "",
        standardize=setting["standardize"],
        split=setting["split"],
        vocabulary=setting["vocabulary"],
    )
    check_vectorizer(spec)
    parts = text_parts(spec, None, rows=len(setting["vocabulary"]))
    assert parts.tokenizer is not None and parts.vocabulary is not None

    for text, want_tokens, want_ids in zip(TF_TEXT["texts"], setting["tokens"], setting["ids"], strict=True):
        tokens = parts.tokenizer.tokenize(text)
        keys = [token.key for token in tokens]
        assert keys == want_tokens, text
        assert parts.vocabulary.encode(keys)[0].tolist() == want_ids, text
        assert all(text[token.start : token.end] == token.text for token in tokens)


def test_the_tensorflow_expectations_cover_what_tensorflow_does_differently() -> None:
    texts = " ".join(TF_TEXT["texts"])
    assert TF_TEXT["tensorflow"].startswith("2.") and TF_TEXT["keras"].startswith("3.")
    for character in (
        "'",
        "É",
        "İ",
        "\u212a",
        "\t",
        "\n",
        "\x0b",
        "\x0c",
        "\u00a0",
        "\u3000",
        "\x85",
        "\u200d",
        "\x00",
    ):
        assert character in texts, repr(character)
    assert "" in TF_TEXT["texts"]


def _character_model_without_config_vocabulary(path: Path, asset: str | None = None) -> Path:
    """text_char_gru.keras with its vocabulary taken out of the layer's config (as a legacy .h5 keeps an adapted
    layer), or moved to ``assets/`` as ``asset`` (as Keras saves an adapted one)."""
    with zipfile.ZipFile(FIXTURES / "text_char_gru.keras") as source, zipfile.ZipFile(path, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "config.json":
                config = json.loads(data)
                layers = config["config"]["layers"]
                next(layer for layer in layers if layer["class_name"] == "TextVectorization")["config"][
                    "vocabulary"
                ] = None
                data = json.dumps(config).encode("utf-8")
            target.writestr(info, data)
        if asset is not None:
            target.writestr("assets/layers/text_vectorization/vocabulary.txt", asset.encode("utf-8"))
    return path


def test_a_vectorizer_without_its_vocabulary_reads_the_one_given_later_as_it_reads_text(tmp_path: Path) -> None:
    path = _character_model_without_config_vocabulary(tmp_path / "no_vocabulary.keras")
    alone = gatescope.load_model(path)
    assert alone.reads_ids and alone.provenance["text_vectorization"] == {
        "layer": "text_vectorization",
        "standardize": "lower",
        "split": "character",
    }

    # Keras' own vocabulary file for the layer: no "" and [UNK] (Keras puts them at ids 0 and 1).
    given = gatescope.load_model(path, vocab=list(" abcdefghijklmnoprstuvw"))

    assert (
        given.tokenizer is not None
        and given.tokenizer.to_dict() == gatescope.load_model(FIXTURES / "text_char_gru.keras").tokenizer.to_dict()
    )
    assert _keys_and_ids(given, "Hi\tthere!")[1] == [10, 11, 1, 21, 10, 7, 19, 7, 1]  # TensorFlow's, above
    assert "TextVectorization layer 'text_vectorization'" in given.provenance["vocabulary_reading"]


def test_a_text_model_keeps_tensorflows_tokenization_through_the_native_format(tmp_path: Path) -> None:
    model = gatescope.load_model(FIXTURES / "text_char_gru.keras")
    model.save(tmp_path / "model.npz")

    reloaded = gatescope.load_model(tmp_path / "model.npz")

    assert reloaded.tokenizer is not None and model.tokenizer is not None
    assert reloaded.tokenizer.to_dict() == model.tokenizer.to_dict()
    assert _keys_and_ids(reloaded, "ÉCOLE\tcafé") == _keys_and_ids(model, "ÉCOLE\tcafé")
    assert _keys_and_ids(model, "ÉCOLE\tcafé")[0] == list("École\tcafé")


def test_an_adapted_character_vocabulary_with_a_new_line_is_read_as_keras_wrote_it(tmp_path: Path) -> None:
    # Adapted on text with new lines, the vocabulary holds "\n" and "\r": Keras writes "\n".join(tokens), which its
    # own load_assets (splitlines) reads back with "" three times, refusing the file.
    tokens = ["", "[UNK]", *" abcdefghijklmnoprstuvw", "\n", "\r"]
    path = _character_model_without_config_vocabulary(tmp_path / "new_lines.keras", asset="\n".join(tokens))

    model = gatescope.load_model(path)

    assert model.vocabulary is not None and model.vocabulary.tokens() == tokens
    assert _keys_and_ids(model, "hi\r\nthere") == (list("hi\r\nthere"), [10, 11, 26, 25, 21, 10, 7, 19, 7])
    assert any("Keras' own loading reads as empty lines" in note for note in model.provenance["notes"])


def test_a_mask_zero_model_refuses_the_padding_id_keras_would_skip_and_keeps_it_when_saved(tmp_path: Path) -> None:
    masked = [path for path in MODEL_FILES if gatescope.load_model(path).masked_id == 0]
    assert masked, "no committed Keras fixture has mask_zero=True"
    model = gatescope.load_model(masked[0])
    if model.reads_text:
        model = dataclasses.replace(model, tokenizer=None, vocabulary=None)
    with pytest.raises(gatescope.GatescopeError, match=r"token id 0 \(step 2\) is padding"):
        model.run(np.array([1, 0, 2]))
    model.run(np.array([1, 2]))  # other ids run
    model.save(tmp_path / "saved.npz")
    assert gatescope.load_model(tmp_path / "saved.npz").masked_id == 0
