"""Vocabulary files beside an imported model: plain JSON and text, Hugging Face tokenizer.json, Keras Tokenizer and
TextVectorization configs; the tokens, ids, unknown and padding each gives, and refusals that say why.

The tokenizer.json files are written here the way the ``tokenizers`` package (0.23) saves them; the expected tokens
and ids are what it gives for the same texts."""

from __future__ import annotations

import dataclasses
import json
import string
import zipfile
from pathlib import Path

import numpy as np
import pytest

import gatescope
from gatescope import GatescopeError
from gatescope.model import text_vectorization
from gatescope.model.options import apply_options
from gatescope.model.tokenize import CharTokenizer, WordTokenizer
from gatescope.model.vocab_files import read_vocabulary, read_vocabulary_source
from tests.helpers import make_text_model


def _write(folder: Path, name: str, content: object) -> Path:
    path = folder / name
    text = content if isinstance(content, str) else json.dumps(content)
    path.write_text(text, encoding="utf-8")
    return path


def _encoded(path: Path, rows: int, text: str) -> tuple[list[str], list[int]]:
    tokenizer, vocabulary = read_vocabulary(path, rows)
    keys = [token.key for token in tokenizer.tokenize(text)]
    return keys, vocabulary.encode(keys)[0].tolist()


def _ids_model(rows: int = 14):
    """A random GRU text model with its vocabulary taken away and ``rows`` embedding rows: it reads token ids."""
    model = make_text_model("gru", units=4)
    embedding = np.random.default_rng(1).normal(0, 1, (rows, model.embedding.shape[1])).astype(np.float32)
    return dataclasses.replace(model, tokenizer=None, vocabulary=None, embedding=embedding)


# --- plain files --------------------------------------------------------------------------------


def test_a_json_object_numbers_tokens_by_its_ids_and_fills_gaps_with_placeholders(tmp_path):
    path = _write(tmp_path, "vocab.json", {"<unk>": 0, "the": 1, "film": 3})

    tokenizer, vocabulary = read_vocabulary(path, rows=5)

    assert vocabulary.tokens() == ["<unk>", "the", "<id 2>", "film", "<id 4>"]
    assert vocabulary.unknown == "<unk>" and vocabulary.padding is None
    assert isinstance(tokenizer, WordTokenizer) and tokenizer.lowercase


def test_a_json_list_and_a_text_file_number_tokens_by_position(tmp_path):
    listed = _write(tmp_path, "vocab.json", ["[PAD]", "[UNK]", "Good", "bad"])
    lines = _write(tmp_path, "vocab.txt", "[PAD]\n[UNK]\nGood\nbad\n")

    for path in (listed, lines):
        tokenizer, vocabulary = read_vocabulary(path, rows=4)
        assert vocabulary.tokens() == ["[PAD]", "[UNK]", "Good", "bad"]
        assert (vocabulary.padding_id, vocabulary.unknown_id) == (0, 1)
        assert not tokenizer.lowercase  # "Good" has a capital: case is kept


def test_single_character_tokens_make_a_character_tokenizer_special_tokens_aside(tmp_path):
    path = _write(tmp_path, "chars.json", ["<pad>", "<unk>", "<s>", "</s>", "a", "b", " "])

    read = read_vocabulary_source(path, rows=7)

    assert isinstance(read.tokenizer, CharTokenizer) and read.tokenizer.lowercase
    assert "character-level (inferred" in read.reading
    assert [t.key for t in read.tokenizer.tokenize("Ab a")] == ["a", "b", " ", "a"]


def test_a_token_list_starting_with_empty_and_unk_is_read_as_keras_text_vectorization(tmp_path):
    # What a .keras file keeps in assets/layers/text_vectorization/vocabulary.txt: "" (mask) then [UNK].
    path = _write(tmp_path, "vocabulary.txt", "\n[UNK]\nthe\nfilm\ndont\n")

    keys, ids = _encoded(path, 5, "The film: don't!")

    assert keys == ["the", "film", "dont"] and ids == [2, 3, 4]
    assert read_vocabulary(path, 5)[1].padding == ""


def test_a_vocabulary_without_an_unknown_token_refuses_words_it_lacks_naming_them(tmp_path):
    path = _write(tmp_path, "vocab.json", {"the": 0, "film": 1, "was": 2})
    model = apply_options(_ids_model(rows=3), vocab=path)

    assert model.vocabulary.unknown is None
    assert model.run("the film was").tokens == ["the", "film", "was"]
    with pytest.raises(GatescopeError, match=r"'ß' is not in the model's vocabulary, which has no token for unknown"):
        model.run("the ß film")
    with pytest.raises(GatescopeError, match=r"'a', 'b' and 'c' are not in the model's vocabulary"):
        model.run("a the b a c")


def test_a_model_reading_text_without_unknown_token_keeps_it_through_save_and_load(tmp_path):
    path = _write(tmp_path, "vocab.json", ["<pad>", "the", "film"])
    model = apply_options(_ids_model(rows=3), vocab=path)
    model.save(tmp_path / "model.npz")

    reloaded = gatescope.load_model(tmp_path / "model.npz")

    assert reloaded.vocabulary.unknown is None and reloaded.vocabulary.padding == "<pad>"
    np.testing.assert_array_equal(reloaded.run("the film").layers[0].h, model.run("the film").layers[0].h)
    with pytest.raises(GatescopeError, match="'plot' is not in the model's vocabulary"):
        reloaded.run("the plot")


def test_a_model_reading_token_ids_keeps_its_embedding_through_save_and_load(tmp_path):
    model = _ids_model(rows=9)
    model.save(tmp_path / "ids.npz")

    reloaded = gatescope.load_model(tmp_path / "ids.npz")

    assert reloaded.reads_ids and reloaded.id_count == 9
    ids = np.array([3, 8, 0])
    np.testing.assert_array_equal(reloaded.run(ids).outputs, model.run(ids).outputs)


def test_a_zip_given_as_a_vocabulary_is_refused_saying_where_a_keras_vocabulary_is(tmp_path):
    path = tmp_path / "model.keras"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("config.json", "{}")

    with pytest.raises(GatescopeError, match=r"model.keras: a zip archive, not a vocabulary"):
        read_vocabulary(path, rows=5)


# --- Hugging Face tokenizer.json -----------------------------------------------------------------

_ADDED = [
    {
        "id": 0,
        "content": "[PAD]",
        "single_word": False,
        "lstrip": False,
        "rstrip": False,
        "normalized": False,
        "special": True,
    },
    {
        "id": 1,
        "content": "[UNK]",
        "single_word": False,
        "lstrip": False,
        "rstrip": False,
        "normalized": False,
        "special": True,
    },
]


def _hugging_face(model: dict, normalizer=None, pre_tokenizer=None, padding=None, added=()) -> dict:
    """A tokenizer.json as tokenizers 0.23 writes it (Tokenizer.to_str())."""
    return {
        "version": "1.0",
        "truncation": None,
        "padding": padding,
        "added_tokens": list(added),
        "normalizer": normalizer,
        "pre_tokenizer": pre_tokenizer,
        "post_processor": None,
        "decoder": None,
        "model": model,
    }


def _word_level(vocab: dict, unk: str | None = "[UNK]") -> dict:
    return {"type": "WordLevel", "vocab": vocab, "unk_token": unk}


WORD_LEVEL = _hugging_face(
    _word_level({"[PAD]": 0, "[UNK]": 1, "cafe": 2, ",": 3, "don": 4, "'": 5, "t": 6, "!": 7, "the": 8, "film": 9}),
    normalizer={"type": "Sequence", "normalizers": [{"type": "NFD"}, {"type": "Lowercase"}, {"type": "StripAccents"}]},
    pre_tokenizer={"type": "Whitespace"},
    padding={
        "strategy": "BatchLongest",
        "direction": "Right",
        "pad_to_multiple_of": None,
        "pad_id": 0,
        "pad_type_id": 0,
        "pad_token": "[PAD]",
    },
    added=_ADDED,
)


@pytest.mark.parametrize(
    ("text", "keys", "ids", "spans"),
    [
        (
            "Café, don't!",
            ["cafe", ",", "don", "'", "t", "!"],
            [2, 3, 4, 5, 6, 7],
            [(0, 4), (4, 5), (6, 9), (9, 10), (10, 11), (11, 12)],
        ),
        ("The FILM ... über", ["the", "film", "...", "uber"], [8, 9, 1, 1], [(0, 3), (4, 8), (9, 12), (13, 17)]),
        ("naïve_x t9", ["naive_x", "t9"], [1, 1], [(0, 7), (8, 10)]),
    ],
)
def test_a_word_level_tokenizer_json_splits_and_normalizes_as_hugging_face_does(tmp_path, text, keys, ids, spans):
    path = _write(tmp_path, "tokenizer.json", WORD_LEVEL)
    tokenizer, vocabulary = read_vocabulary(path, rows=10)

    tokens = tokenizer.tokenize(text)

    assert [t.key for t in tokens] == keys
    assert vocabulary.encode(keys)[0].tolist() == ids
    assert [(t.start, t.end) for t in tokens] == spans
    assert (vocabulary.unknown, vocabulary.padding) == ("[UNK]", "[PAD]")


def test_a_whitespace_split_tokenizer_json_keeps_punctuation_in_words(tmp_path):
    data = _hugging_face(
        _word_level({"<unk>": 0, "hello,": 1, "world": 2}, "<unk>"), pre_tokenizer={"type": "WhitespaceSplit"}
    )
    path = _write(tmp_path, "tokenizer.json", data)

    assert _encoded(path, 3, "Hello, world  hello,") == (["Hello,", "world", "hello,"], [0, 2, 1])


def test_a_tokenizer_json_that_splits_every_character_is_character_level(tmp_path):
    split = {"type": "Split", "pattern": {"Regex": "."}, "behavior": "Isolated", "invert": False}
    data = _hugging_face(_word_level({"<unk>": 0, "a": 1, "b": 2, " ": 3}, "<unk>"), pre_tokenizer=split)
    path = _write(tmp_path, "tokenizer.json", data)

    assert _encoded(path, 4, "ab ba!") == (["a", "b", " ", "b", "a", "!"], [1, 2, 3, 2, 1, 0])
    assert isinstance(read_vocabulary(path, 4)[0], CharTokenizer)


def test_a_tokenizer_json_without_pre_tokenizer_infers_characters_and_keeps_its_lowercase(tmp_path):
    data = _hugging_face(_word_level({"<unk>": 0, "a": 1, "b": 2}, "<unk>"), normalizer={"type": "Lowercase"})
    path = _write(tmp_path, "tokenizer.json", data)

    read = read_vocabulary_source(path, 3)

    assert isinstance(read.tokenizer, CharTokenizer) and read.tokenizer.lowercase
    assert read.kind == "Hugging Face tokenizer.json (WordLevel)"


@pytest.mark.parametrize("kind", ["BPE", "WordPiece", "Unigram"])
def test_subword_tokenizer_json_files_are_refused_with_what_to_do(tmp_path, kind):
    model = {"type": kind, "vocab": {"a": 0, "b": 1, "ab": 2}, "unk_token": None}
    path = _write(tmp_path, "tokenizer.json", _hugging_face(model))

    with pytest.raises(
        GatescopeError,
        match=rf"tokenizer.json: a Hugging Face {kind} tokenizer; subword tokenizers "
        r"are not supported.*token ids",
    ):
        read_vocabulary(path, rows=3)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"normalizer": {"type": "Replace", "pattern": {"String": "x"}, "content": "y"}}, "normalizer 'Replace'"),
        ({"pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False}}, "pre-tokenizer ByteLevel"),
        (
            {"pre_tokenizer": {"type": "Sequence", "pretokenizers": [{"type": "Whitespace"}, {"type": "Digits"}]}},
            "pre-tokenizer Whitespace \\+ Digits",
        ),
        ({"added_tokens": [{"id": 5, "content": "the"}]}, "added token 'the' has id 5 but the vocabulary gives it 8"),
    ],
)
def test_tokenizer_json_parts_gatescope_cannot_follow_are_refused_by_name(tmp_path, changes, message):
    path = _write(tmp_path, "tokenizer.json", {**WORD_LEVEL, **changes})

    with pytest.raises(GatescopeError, match=message):
        read_vocabulary(path, rows=10)


# --- Keras Tokenizer.to_json() ------------------------------------------------------------------------

KERAS_FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'


def _keras_tokenizer(word_index: dict, **config) -> dict:
    """What tf.keras's Tokenizer.to_json() writes: the dictionaries as JSON strings inside the config."""
    settings = {
        "num_words": None,
        "filters": KERAS_FILTERS,
        "lower": True,
        "split": " ",
        "char_level": False,
        "oov_token": None,
        "document_count": 2,
        **config,
    }
    counts = json.dumps({word: 1 for word in word_index})
    return {
        "class_name": "Tokenizer",
        "config": {
            **settings,
            "word_counts": counts,
            "word_docs": counts,
            "index_docs": json.dumps({str(i): 1 for i in word_index.values()}),
            "index_word": json.dumps({str(i): word for word, i in word_index.items()}),
            "word_index": json.dumps(word_index),
        },
    }


def test_a_keras_tokenizer_splits_at_its_filters_lowercases_and_pads_with_id_zero(tmp_path):
    data = _keras_tokenizer({"<OOV>": 1, "the": 2, "film": 3, "wasn't": 4, "good": 5}, oov_token="<OOV>")
    path = _write(tmp_path, "tokenizer.json", data)

    keys, ids = _encoded(path, 6, "The film, wasn't good. Meh")

    assert keys == ["the", "film", "wasn't", "good", "meh"]  # as keras' text_to_word_sequence gives them
    assert ids == [2, 3, 4, 5, 1]
    vocabulary = read_vocabulary(path, 6)[1]
    assert (vocabulary.padding, vocabulary.padding_id, vocabulary.unknown) == ("<pad>", 0, "<OOV>")


def test_a_keras_tokenizer_counts_words_beyond_num_words_as_unknown(tmp_path):
    data = _keras_tokenizer({"<OOV>": 1, "the": 2, "film": 3, "rare": 4}, oov_token="<OOV>", num_words=4)
    path = _write(tmp_path, "tokenizer.json", data)

    assert _encoded(path, 5, "the rare film")[1] == [2, 1, 3]


def test_a_keras_tokenizer_without_oov_token_refuses_unknown_words(tmp_path):
    path = _write(tmp_path, "tokenizer.json", _keras_tokenizer({"the": 1, "film": 2}))
    tokenizer, vocabulary = read_vocabulary(path, 3)

    with pytest.raises(GatescopeError, match="'plot' is not in the model's vocabulary"):
        vocabulary.encode([t.key for t in tokenizer.tokenize("the plot")])


def test_a_character_level_keras_tokenizer_reads_characters(tmp_path):
    path = _write(tmp_path, "tokenizer.json", _keras_tokenizer({"a": 1, "b": 2, " ": 3}, char_level=True))

    assert _encoded(path, 4, "Ab ba") == (["a", "b", " ", "b", "a"], [1, 2, 3, 2, 1])


# --- Keras TextVectorization -------------------------------------------------------------------------


def _text_vectorization(vocabulary, **config) -> dict:
    """A TextVectorization layer as a .keras file's config.json lists it (Keras 3)."""
    settings = {
        "name": "text_vectorization",
        "trainable": True,
        "dtype": "string",
        "max_tokens": None,
        "standardize": "lower_and_strip_punctuation",
        "split": "whitespace",
        "ngrams": None,
        "output_mode": "int",
        "output_sequence_length": None,
        "pad_to_max_tokens": False,
        "sparse": False,
        "ragged": False,
        "vocabulary": vocabulary,
        "idf_weights": None,
        "encoding": "utf-8",
        "vocabulary_size": None,
        **config,
    }
    return {"module": "keras.layers", "class_name": "TextVectorization", "config": settings, "registered_name": None}


def test_a_text_vectorization_config_strips_punctuation_and_adds_its_mask_and_unknown(tmp_path):
    path = _write(tmp_path, "layer.json", _text_vectorization(["the", "film", "dont"]))

    keys, ids = _encoded(path, 5, "The film: don't! ...")

    assert keys == ["the", "film", "dont"] and ids == [2, 3, 4]
    vocabulary = read_vocabulary(path, 5)[1]
    assert vocabulary.tokens()[:2] == ["", "[UNK]"] and (vocabulary.padding_id, vocabulary.unknown_id) == (0, 1)


def test_a_text_vectorization_in_a_model_config_is_found(tmp_path):
    layer = _text_vectorization(["", "[UNK]", "a", "b"], split="character", standardize="lower")
    model = {"module": "keras", "class_name": "Sequential", "config": {"name": "m", "layers": [layer]}}
    path = _write(tmp_path, "config.json", model)

    assert _encoded(path, 4, "AbX") == (["a", "b", "x"], [2, 3, 1])


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"vocabulary": None}, r"holds no vocabulary list .*vocabulary.txt"),
        ({"output_mode": "multi_hot"}, "outputs 'multi_hot' vectors; gatescope reads token sequences"),
        ({"standardize": {"module": "builtins", "class_name": "function"}}, "custom function .*never runs"),
        ({"split": None}, r"reads each whole text as one token \(split=None\)"),
        ({"ngrams": 2}, r"makes n-grams \(ngrams=2\)"),
    ],
)
def test_text_vectorization_configs_gatescope_cannot_follow_are_refused(tmp_path, changes, message):
    layer = _text_vectorization(["a"])
    layer["config"].update(changes)
    path = _write(tmp_path, "layer.json", layer)

    with pytest.raises(GatescopeError, match=message):
        read_vocabulary(path, rows=5)


#: What TensorFlow 2.21.0 (Keras 3.15.1) makes of tricky texts, for every standardize × split: the tokens it looks up
#: and the ids it gives (scripts/make_text_vectorization_fixtures.py).
TF_TEXT = json.loads(
    (Path(__file__).parent / "imports" / "keras" / "text_vectorization_tf.json").read_text(encoding="utf-8")
)


@pytest.mark.parametrize(
    "setting", TF_TEXT["settings"], ids=lambda setting: f"{setting['standardize']}-{setting['split']}"
)
def test_a_text_vectorization_config_tokenizes_tricky_texts_as_tensorflow_does(tmp_path, setting):
    """--vocab with a TextVectorization config against TensorFlow 2.21.0 / Keras 3.15.1 (text_vectorization_tf.json:
    apostrophes, abbreviations, hyphens, non-ASCII capitals, emoji, runs of spaces, tabs, new lines, Unicode spaces,
    punctuation-only words, control and zero-width characters); the Keras model reader shares this mapping
    (tests/model/imports/test_keras.py)."""
    layer = _text_vectorization(setting["vocabulary"], standardize=setting["standardize"], split=setting["split"])
    path = _write(tmp_path, "layer.json", layer)
    tokenizer, vocabulary = read_vocabulary(path, len(setting["vocabulary"]))

    for text, want_tokens, want_ids in zip(TF_TEXT["texts"], setting["tokens"], setting["ids"], strict=True):
        tokens = tokenizer.tokenize(text)
        keys = [token.key for token in tokens]
        assert (keys, vocabulary.encode(keys)[0].tolist()) == (want_tokens, want_ids), text
        assert all(text[token.start : token.end] == token.text for token in tokens)


def test_a_keras_vocabulary_txt_is_read_with_text_vectorizations_default_standardization(tmp_path):
    setting = TF_TEXT["settings"][0]
    assert (setting["standardize"], setting["split"]) == ("lower_and_strip_punctuation", "whitespace")
    path = _write(tmp_path, "vocabulary.txt", "\n".join(setting["vocabulary"]))  # as Keras' save_assets writes it

    keys_and_ids = []
    for text in TF_TEXT["texts"]:
        keys, ids = _encoded(path, len(setting["vocabulary"]), text)
        keys_and_ids.append((keys, ids))

    assert keys_and_ids == list(zip(setting["tokens"], setting["ids"], strict=True))
    assert "A-Z lower-cased (other letters keep their case)" in read_vocabulary_source(path, 50).reading


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_a_keras_vocabulary_txt_with_line_breaking_characters_is_read_as_keras_wrote_it(tmp_path, newline):
    # An adapted character vocabulary: Keras writes newline.join(tokens) ("\r\n" on Windows); its own splitlines
    # reading would give "" five times and refuse the file.
    tokens = ["", "[UNK]", "a", "\n", "\x0b", "\r", "\x85", "b"]
    path = tmp_path / "vocabulary.txt"
    path.write_bytes(newline.join(tokens).encode("utf-8"))

    read = read_vocabulary_source(path, rows=8)

    assert read.vocabulary.tokens() == tokens
    assert isinstance(read.tokenizer, WordTokenizer)  # the default standardization: a vocabulary.txt cannot say more
    assert "Keras' own loading reads as empty lines" in read.reading


def test_a_plain_text_vocabulary_keeps_being_read_line_by_line(tmp_path):
    path = _write(tmp_path, "vocabulary.txt", "\n[UNK]\nthe\ncat\n\n")  # a trailing blank line, as editors leave

    assert read_vocabulary(path, rows=4)[1].tokens() == ["", "[UNK]", "the", "cat"]


@pytest.mark.parametrize("form", ["list", "text file", "JSON list"])
def test_tokens_given_for_a_keras_model_follow_its_text_vectorization_layer(tmp_path, form):
    # A Keras model whose TextVectorization layer came without its vocabulary keeps the layer's settings.
    model = _ids_model(rows=8)
    settings = {"layer": "text_vectorization", "standardize": "lower", "split": "character"}
    model = dataclasses.replace(model, provenance={**model.provenance, "text_vectorization": settings})
    characters = ["a", "b", "\t", "É"]  # Keras' vocabulary file for the layer: "" and [UNK] come first, unlisted
    vocab = {
        "list": characters,
        "text file": _write(tmp_path, "vocab.txt", "\n".join(characters)),
        "JSON list": _write(tmp_path, "vocab.json", characters),
    }[form]

    given = apply_options(model, vocab=vocab)

    keys = [token.key for token in given.tokenizer.tokenize("Ab\tÉé")]
    assert keys == ["a", "b", "\t", "É", "é"]
    assert given.vocabulary.encode(keys)[0].tolist() == [2, 3, 4, 5, 1]
    assert "the model's TextVectorization layer 'text_vectorization'" in given.provenance["vocabulary_reading"]


def test_a_keras_models_text_vectorization_settings_are_checked_before_use():
    model = _ids_model(rows=8)
    model = dataclasses.replace(model, provenance={"text_vectorization": {"standardize": "lower", "split": None}})

    with pytest.raises(GatescopeError, match=r"the model's TextVectorization layer reads each whole text as one token"):
        apply_options(model, vocab=["a", "b"])


def test_punctuation_stripped_by_text_vectorization_is_python_string_punctuation():
    tokenizer = text_vectorization.tokenizer("strip_punctuation", "whitespace")

    assert [t.key for t in tokenizer.tokenize(f"a{string.punctuation}b ... c")] == ["ab", "c"]


def test_a_tokenizer_read_from_a_tokenizer_json_survives_save_and_load(tmp_path):
    path = _write(tmp_path, "tokenizer.json", WORD_LEVEL)
    model = apply_options(_ids_model(rows=10), vocab=path)
    model.save(tmp_path / "model.npz")

    reloaded = gatescope.load_model(tmp_path / "model.npz")

    assert reloaded.tokenizer.to_dict() == model.tokenizer.to_dict()
    assert (reloaded.vocabulary.unknown, reloaded.vocabulary.padding) == ("[UNK]", "[PAD]")
    assert reloaded.run("Café, don't!").tokens == ["Café", ",", "don", "'", "t", "!"]
    assert "Hugging Face tokenizer.json (WordLevel)" in reloaded.provenance["vocabulary_reading"]
