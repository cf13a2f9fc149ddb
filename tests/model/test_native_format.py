"""Specifications for gatescope's native model file: exact round trips, atomic saving, and safe refusal of bad files.

Bad files are made in tmp_path by editing the arrays of a valid saved model (read with np.load(allow_pickle=False),
rewritten with np.savez) or by writing zip members by hand. Every bad file must raise GatescopeError whose message
names the file and the problem: never another exception, never code execution.
"""

from __future__ import annotations

import io
import json
import os
import pathlib
import sys
import tempfile
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest

import gatescope
from gatescope import GatescopeError, LayerTrace, Model, Trace
from gatescope.engine import DirectionWeights, RecurrentLayer
from gatescope.model import Head
from gatescope.model.formats import native
from gatescope.model.tokenize import CharTokenizer, Vocabulary, WordTokenizer

GATE_COUNT = {"lstm": 4, "gru": 3, "rnn": 1}
CHARACTERS = ["<unk>", "a", "b", "c", " ", "(", ")", ",", "."]
TEXT = "(ab) c, é. a(b(c))"  # "é" is not in the vocabulary
EMBEDDING_WIDTH = 4
UNITS = 3


# --- building models ----------------------------------------------------------------------------


def make_layer(
    rng: np.random.Generator,
    kind: str,
    input_size: int,
    units: int,
    *,
    bidirectional: bool = False,
    peepholes: bool = False,
    bias: bool = True,
    gru_convention: str = "pytorch",
    nonlinearity: str = "tanh",
    dtype: type = np.float32,
) -> RecurrentLayer:
    rows = GATE_COUNT[kind] * units

    def array(*shape: int) -> np.ndarray:
        return rng.normal(0.0, 0.6, size=shape).astype(dtype)

    directions = []
    for _ in range(2 if bidirectional else 1):
        bias_ih = array(rows) if bias else np.zeros(rows, dtype)
        bias_hh = array(rows) if bias else np.zeros(rows, dtype)
        directions.append(
            DirectionWeights(
                array(rows, input_size), array(rows, units), bias_ih, bias_hh, array(3, units) if peepholes else None
            )
        )
    return RecurrentLayer(
        kind, input_size, units, tuple(directions), gru_convention=gru_convention, nonlinearity=nonlinearity
    )


def make_model(
    kind: str = "lstm",
    *,
    layers: int = 1,
    bidirectional: bool = False,
    peepholes: bool = False,
    bias: bool = True,
    gru_convention: str = "pytorch",
    nonlinearity: str = "tanh",
    text: bool = True,
    head: bool = True,
    labels: bool = True,
    word_tokens: bool = False,
    dtype: type = np.float32,
    seed: int = 7,
) -> Model:
    """A small random model; text models read characters (or words) with EMBEDDING_WIDTH features."""
    rng = np.random.default_rng(seed)
    stack = []
    input_size = EMBEDDING_WIDTH
    for _ in range(layers):
        stack.append(
            make_layer(
                rng,
                kind,
                input_size,
                UNITS,
                bidirectional=bidirectional,
                peepholes=peepholes,
                bias=bias,
                gru_convention=gru_convention,
                nonlinearity=nonlinearity,
                dtype=dtype,
            )
        )
        input_size = stack[-1].output_size
    tokenizer = vocabulary = embedding = None
    if text:
        if word_tokens:
            tokenizer = WordTokenizer(lowercase=False)
            vocabulary = Vocabulary(["?", "Hello", "world", "🙂", ",", "don't"], unknown="?")
        else:
            tokenizer = CharTokenizer(lowercase=True)
            vocabulary = Vocabulary(CHARACTERS)
        embedding = rng.normal(size=(len(vocabulary), EMBEDDING_WIDTH)).astype(dtype)
    read_out = None
    if head:
        read_out = Head(
            rng.normal(size=(2, input_size)).astype(dtype),
            rng.normal(size=2).astype(dtype),
            activation="softmax",
            labels=["negative", "positive"] if labels else None,
        )
    return Model(
        layers=stack,
        tokenizer=tokenizer,
        vocabulary=vocabulary,
        embedding=embedding,
        head=read_out,
        name=f"test-{kind}",
        description=f"A random {kind} for tests.\nSecond line: ünïcode ✓.",
        provenance={
            "made_by": "tests/model/test_native_format.py",
            "seed": seed,
            "trained": False,
            "notes": ["random", "weights"],
            "nested": {"accuracy": None},
        },
    )


def model_input(model: Model):
    """Text for text models, a fixed float array for array-only ones."""
    if model.reads_text:
        return "Hello, world 🙂 don't ¿" if isinstance(model.tokenizer, WordTokenizer) else TEXT
    return np.random.default_rng(3).normal(size=(6, model.input_size)).astype(np.float32)


# --- files --------------------------------------------------------------------------------------


def read_arrays(path: Path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as data:
        return {name: data[name] for name in data.files}


def write_arrays(path: Path, arrays: dict[str, np.ndarray]) -> Path:
    np.savez(path, **arrays)
    return path


def metadata_of(arrays: dict[str, np.ndarray]) -> dict:
    return json.loads(arrays["__gatescope__"].tobytes().decode("utf-8"))


def with_metadata(arrays: dict[str, np.ndarray], meta: dict) -> dict[str, np.ndarray]:
    return {**arrays, "__gatescope__": np.frombuffer(json.dumps(meta).encode("utf-8"), np.uint8)}


def npy_bytes(array: np.ndarray, allow_pickle: bool = False) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=allow_pickle)
    return buffer.getvalue()


def write_members(path: Path, members: list[tuple[str, bytes]]) -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about duplicate names, which one test writes on purpose
        with zipfile.ZipFile(path, "w") as archive:
            for name, data in members:
                archive.writestr(name, data)
    return path


def members_of(arrays: dict[str, np.ndarray]) -> list[tuple[str, bytes]]:
    return [(f"{name}.npy", npy_bytes(array)) for name, array in arrays.items()]


def refusal(path: Path) -> str:
    """The GatescopeError message of loading path, with the path itself cut out; fails on any other outcome."""
    with pytest.raises(GatescopeError) as caught:
        gatescope.load_model(path)
    message = str(caught.value)
    assert str(path) in message, f"message does not name the file: {message}"
    return message.replace(str(path), "<file>")  # tmp_path holds the test's name, which may contain any word


def leftovers(folder: Path) -> list[str]:
    return sorted(name for name in os.listdir(folder) if name.endswith(".tmp") or name.startswith("."))


@pytest.fixture
def reference_arrays(tmp_path: Path) -> dict[str, np.ndarray]:
    """Arrays of a saved 2-layer character LSTM: 3 units, 4-wide embedding of 9 tokens, 2-label head."""
    path = tmp_path / "reference.npz"
    make_model("lstm", layers=2).save(path)
    return read_arrays(path)


# --- comparing ----------------------------------------------------------------------------------


def assert_same_arrays(actual: np.ndarray | None, expected: np.ndarray | None, what: str) -> None:
    if expected is None:
        assert actual is None, what
        return
    assert actual is not None, what
    assert actual.dtype == expected.dtype, what
    assert actual.shape == expected.shape, what
    np.testing.assert_array_equal(actual, expected, err_msg=what)


def assert_layer_traces_identical(actual: LayerTrace, expected: LayerTrace) -> None:
    where = f"layer {expected.index}"
    assert (actual.kind, actual.units, actual.bidirectional, actual.gru_convention) == (
        expected.kind,
        expected.units,
        expected.bidirectional,
        expected.gru_convention,
    )
    assert list(actual.gates) == list(expected.gates)
    assert list(actual.preactivations) == list(expected.preactivations)
    for name in expected.gates:
        assert_same_arrays(actual.gates[name], expected.gates[name], f"{where} gate {name}")
        assert_same_arrays(actual.preactivations[name], expected.preactivations[name], f"{where} pre {name}")
    for name in ("h", "c", "hidden_preactivation", "h0", "c0"):
        assert_same_arrays(getattr(actual, name), getattr(expected, name), f"{where} {name}")


def assert_traces_identical(actual: Trace, expected: Trace) -> None:
    assert actual.tokens == expected.tokens
    assert actual.unknown == expected.unknown
    assert actual.spans == expected.spans
    assert actual.output_labels == expected.output_labels
    assert_same_arrays(actual.outputs, expected.outputs, "outputs")
    assert len(actual.layers) == len(expected.layers)
    for actual_layer, expected_layer in zip(actual.layers, expected.layers):
        assert_layer_traces_identical(actual_layer, expected_layer)


def assert_models_identical(actual: Model, expected: Model) -> None:
    assert len(actual.layers) == len(expected.layers)
    for k, (got, want) in enumerate(zip(actual.layers, expected.layers)):
        assert (got.kind, got.input_size, got.hidden_size, got.bidirectional, got.peepholes) == (
            want.kind,
            want.input_size,
            want.hidden_size,
            want.bidirectional,
            want.peepholes,
        )
        if want.kind == "gru":
            assert got.gru_convention == want.gru_convention
        if want.kind == "rnn":
            assert got.nonlinearity == want.nonlinearity
        assert len(got.directions) == len(want.directions)
        for d, (got_dir, want_dir) in enumerate(zip(got.directions, want.directions)):
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "peephole"):
                assert_same_arrays(getattr(got_dir, name), getattr(want_dir, name), f"layer {k} dir {d} {name}")
    assert_same_arrays(actual.embedding, expected.embedding, "embedding")
    if expected.head is None:
        assert actual.head is None
    else:
        assert actual.head is not None
        assert_same_arrays(actual.head.weight, expected.head.weight, "head weight")
        assert_same_arrays(actual.head.bias, expected.head.bias, "head bias")
        assert actual.head.activation == expected.head.activation
        assert actual.head.labels == expected.head.labels
    if expected.vocabulary is None:
        assert actual.vocabulary is None
    else:
        assert actual.vocabulary is not None
        assert actual.vocabulary.tokens() == expected.vocabulary.tokens()
        assert actual.vocabulary.unknown == expected.vocabulary.unknown
    if expected.tokenizer is None:
        assert actual.tokenizer is None
    else:
        assert actual.tokenizer is not None
        assert type(actual.tokenizer) is type(expected.tokenizer)
        assert actual.tokenizer.to_dict() == expected.tokenizer.to_dict()
    assert actual.name == expected.name
    assert actual.description == expected.description
    assert actual.provenance == expected.provenance
    assert actual.parameter_count() == expected.parameter_count()


# --- round trips --------------------------------------------------------------------------------

ROUND_TRIP_CASES = {
    "lstm": dict(kind="lstm"),
    "lstm_peepholes": dict(kind="lstm", peepholes=True),
    "lstm_bidirectional": dict(kind="lstm", bidirectional=True),
    "lstm_two_layers": dict(kind="lstm", layers=2),
    "lstm_peepholes_bidirectional_two_layers": dict(kind="lstm", layers=2, bidirectional=True, peepholes=True),
    "gru_pytorch": dict(kind="gru", gru_convention="pytorch"),
    "gru_cho": dict(kind="gru", gru_convention="cho"),
    "gru_cho_bidirectional_two_layers": dict(kind="gru", layers=2, bidirectional=True, gru_convention="cho"),
    "rnn_tanh": dict(kind="rnn", nonlinearity="tanh"),
    "rnn_relu": dict(kind="rnn", nonlinearity="relu"),
    "rnn_relu_bidirectional_two_layers": dict(kind="rnn", layers=2, bidirectional=True, nonlinearity="relu"),
    "lstm_bias_false": dict(kind="lstm", bias=False),
    "gru_bias_false_two_layers": dict(kind="gru", layers=2, bias=False),
    "rnn_bias_false": dict(kind="rnn", bias=False),
    "word_text_model": dict(kind="lstm", word_tokens=True),
    "text_model_without_head": dict(kind="gru", head=False),
    "head_without_labels": dict(kind="lstm", labels=False),
    "array_only_with_head": dict(kind="lstm", text=False),
    "array_only_without_head": dict(kind="gru", text=False, head=False, bidirectional=True),
    "float64_model": dict(kind="lstm", peepholes=True, dtype=np.float64),
}


@pytest.mark.parametrize("options", ROUND_TRIP_CASES.values(), ids=ROUND_TRIP_CASES.keys())
def test_save_then_load_round_trips_every_part_of_the_model_exactly(tmp_path: Path, options: dict) -> None:
    model = make_model(**options)
    path = tmp_path / "model.npz"
    dtype = options.get("dtype", np.float32)

    model.save(path)
    reloaded = gatescope.load_model(path, dtype=dtype)

    assert_models_identical(reloaded, model)
    assert reloaded.source == path


@pytest.mark.parametrize("options", ROUND_TRIP_CASES.values(), ids=ROUND_TRIP_CASES.keys())
def test_reloaded_model_produces_an_identical_trace(tmp_path: Path, options: dict) -> None:
    model = make_model(**options)
    path = tmp_path / "model.npz"
    model.save(path)
    reloaded = gatescope.load_model(path, dtype=options.get("dtype", np.float32))

    original_trace = model.run(model_input(model))
    reloaded_trace = reloaded.run(model_input(model))

    assert_traces_identical(reloaded_trace, original_trace)


def test_round_trip_keeps_a_custom_unknown_token_and_marks_the_same_tokens_unknown(tmp_path: Path) -> None:
    model = make_model("lstm", word_tokens=True)
    path = tmp_path / "words.npz"
    model.save(path)

    reloaded = gatescope.load_model(path)
    trace = reloaded.run("Hello mars, world")

    assert reloaded.vocabulary.unknown == "?"
    assert trace.tokens == ["Hello", "mars", ",", "world"]
    assert trace.unknown == [False, True, False, False]


def test_case_sensitive_word_tokenizer_stays_case_sensitive_after_a_round_trip(tmp_path: Path) -> None:
    model = make_model("gru", word_tokens=True)
    path = tmp_path / "words.npz"
    model.save(path)

    trace = gatescope.load_model(path).run("hello Hello")

    assert trace.unknown == [True, False]


def test_bias_free_model_is_saved_without_bias_arrays_and_reloads_with_zero_biases(tmp_path: Path) -> None:
    model = make_model("lstm", layers=2, bias=False)
    path = tmp_path / "model.npz"

    model.save(path)
    arrays = read_arrays(path)
    reloaded = gatescope.load_model(path)

    assert not any(name.startswith("bias_") for name in arrays)
    assert metadata_of(arrays)["cell"]["bias"] is False
    for layer in reloaded.layers:
        for direction in layer.directions:
            np.testing.assert_array_equal(direction.bias_ih, 0.0)
            np.testing.assert_array_equal(direction.bias_hh, 0.0)


def test_saved_file_holds_pytorch_named_arrays_and_json_metadata_readable_without_pickle(tmp_path: Path) -> None:
    path = tmp_path / "model.npz"
    make_model("lstm", bidirectional=True, peepholes=True).save(path)

    arrays = read_arrays(path)
    meta = metadata_of(arrays)

    assert set(arrays) == {
        "weight_ih_l0",
        "weight_hh_l0",
        "bias_ih_l0",
        "bias_hh_l0",
        "peephole_l0",
        "weight_ih_l0_reverse",
        "weight_hh_l0_reverse",
        "bias_ih_l0_reverse",
        "bias_hh_l0_reverse",
        "peephole_l0_reverse",
        "embedding",
        "head_weight",
        "head_bias",
        "__gatescope__",
    }
    assert arrays["weight_ih_l0"].shape == (4 * UNITS, EMBEDDING_WIDTH)
    assert arrays["peephole_l0"].shape == (3, UNITS)
    assert meta["format"] == "gatescope-model"
    assert meta["format_version"] == 1
    assert meta["cell"] == {
        "kind": "lstm",
        "layers": 1,
        "units": UNITS,
        "input_size": EMBEDDING_WIDTH,
        "bidirectional": True,
        "bias": True,
        "peepholes": True,
    }


def test_float32_file_loaded_as_float64_keeps_every_value_and_computes_in_float64(tmp_path: Path) -> None:
    model = make_model("lstm", layers=2, bidirectional=True, peepholes=True)
    path = tmp_path / "model.npz"
    model.save(path)

    wide = gatescope.load_model(path, dtype=np.float64)
    trace = wide.run(TEXT)

    assert wide.dtype == np.float64
    assert wide.embedding.dtype == np.float64
    assert wide.head.weight.dtype == np.float64
    for got, want in zip(wide.layers, model.layers):
        for got_dir, want_dir in zip(got.directions, want.directions):
            assert got_dir.weight_ih.dtype == np.float64
            np.testing.assert_array_equal(got_dir.weight_ih, want_dir.weight_ih.astype(np.float64))
            np.testing.assert_array_equal(got_dir.weight_hh, want_dir.weight_hh.astype(np.float64))
            np.testing.assert_array_equal(got_dir.peephole, want_dir.peephole.astype(np.float64))
    np.testing.assert_array_equal(wide.embedding, model.embedding.astype(np.float64))
    assert trace.layers[-1].h.dtype == np.float64
    assert trace.outputs.dtype == np.float64
    np.testing.assert_allclose(trace.layers[-1].h, model.run(TEXT).layers[-1].h, rtol=0, atol=1e-5)


def test_float64_file_loaded_with_the_default_dtype_computes_in_float32(tmp_path: Path) -> None:
    path = tmp_path / "model.npz"
    make_model("gru", dtype=np.float64).save(path)

    model = gatescope.load_model(path)

    assert model.dtype == np.float32
    assert model.run(TEXT).layers[0].h.dtype == np.float32


@pytest.mark.parametrize("dtype", [np.float16, np.int32, "complex64"])
def test_load_with_a_dtype_other_than_float32_or_float64_raises(tmp_path: Path, dtype) -> None:
    path = tmp_path / "model.npz"
    make_model("rnn").save(path)

    with pytest.raises(GatescopeError, match="float32 or float64"):
        gatescope.load_model(path, dtype=dtype)


def test_model_without_a_name_is_named_after_its_file(tmp_path: Path) -> None:
    model = make_model("rnn")
    model.name = ""
    path = tmp_path / "my-little-rnn.npz"
    model.save(path)

    assert gatescope.load_model(path).name == "my-little-rnn"


def test_built_in_model_saved_elsewhere_reloads_identically(tmp_path: Path) -> None:
    model = gatescope.load_model("bracket-counter")
    path = tmp_path / "copy.npz"

    model.save(path)
    copy = gatescope.load_model(path)

    assert_models_identical(copy, model)
    assert_traces_identical(copy.run("(a(b)c) d"), model.run("(a(b)c) d"))


def test_save_accepts_a_str_path_and_a_name_without_npz_suffix(tmp_path: Path) -> None:
    model = make_model("lstm")
    path = tmp_path / "model-file"

    model.save(str(path))

    assert sorted(os.listdir(tmp_path)) == ["model-file"]
    assert_models_identical(gatescope.load_model(path), model)


# --- atomic saving ------------------------------------------------------------------------------


def test_saving_leaves_only_the_model_file_in_the_folder(tmp_path: Path) -> None:
    make_model("lstm", layers=2, bidirectional=True).save(tmp_path / "model.npz")

    assert sorted(os.listdir(tmp_path)) == ["model.npz"]


def test_saving_over_an_existing_model_replaces_it(tmp_path: Path) -> None:
    path = tmp_path / "model.npz"
    make_model("gru", seed=1).save(path)
    newer = make_model("rnn", seed=2)

    newer.save(path)

    assert_models_identical(gatescope.load_model(path), newer)
    assert sorted(os.listdir(tmp_path)) == ["model.npz"]


def test_write_failing_midway_raises_gatescope_error_and_keeps_the_old_file(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "model.npz"
    make_model("gru").save(path)
    before = path.read_bytes()

    def disk_full(stream, **arrays):
        stream.write(b"PK\x03\x04 half a model")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "savez_compressed", disk_full)
    with pytest.raises(GatescopeError) as caught:
        make_model("lstm").save(path)

    assert str(path) in str(caught.value)
    assert "No space left on device" in str(caught.value)
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["model.npz"]


def test_interrupted_save_removes_its_temporary_file_and_lets_the_interrupt_through(
    tmp_path: Path, monkeypatch
) -> None:
    def interrupted(stream, **arrays):
        stream.write(b"PK\x03\x04")
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "savez_compressed", interrupted)
    with pytest.raises(KeyboardInterrupt):
        make_model("lstm").save(tmp_path / "model.npz")

    assert os.listdir(tmp_path) == []


def test_unwritable_folder_raises_gatescope_error_and_leaves_nothing(tmp_path: Path, monkeypatch) -> None:
    # Simulated, so the test means the same when run as root (who may write anywhere).
    def permission_denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", permission_denied)
    path = tmp_path / "model.npz"
    with pytest.raises(GatescopeError) as caught:
        make_model("lstm").save(path)

    assert str(path) in str(caught.value)
    assert "Permission denied" in str(caught.value)
    assert os.listdir(tmp_path) == []


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0, reason="needs POSIX permissions and a non-root user")
def test_read_only_folder_raises_gatescope_error_and_leaves_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(GatescopeError) as caught:
            make_model("lstm").save(folder / "model.npz")
        assert str(folder / "model.npz") in str(caught.value)
        assert os.listdir(folder) == []
    finally:
        folder.chmod(0o755)


def test_saving_into_a_missing_folder_raises_gatescope_error_naming_the_folder(tmp_path: Path) -> None:
    path = tmp_path / "no" / "such" / "folder" / "model.npz"

    with pytest.raises(GatescopeError) as caught:
        make_model("lstm").save(path)

    assert str(path.parent) in str(caught.value)
    assert "does not exist" in str(caught.value)
    assert os.listdir(tmp_path) == []


def test_saving_onto_a_directory_raises_gatescope_error_and_leaves_the_directory_alone(tmp_path: Path) -> None:
    target = tmp_path / "models"
    target.mkdir()
    (target / "keep.txt").write_text("mine")

    with pytest.raises(GatescopeError) as caught:
        make_model("lstm").save(target)

    assert str(target) in str(caught.value)
    assert sorted(os.listdir(tmp_path)) == ["models"]
    assert os.listdir(target) == ["keep.txt"]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_saved_model_file_gets_the_usual_permissions_not_the_private_temp_file_mode(tmp_path: Path) -> None:
    path = tmp_path / "model.npz"
    umask = os.umask(0o022)
    os.umask(umask)

    make_model("lstm").save(path)

    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


@pytest.mark.parametrize("change", ["numpy scalar in provenance", "lone surrogate in vocabulary"])
def test_metadata_that_cannot_be_written_as_json_raises_gatescope_error_and_leaves_nothing(
    tmp_path: Path, change: str
) -> None:
    model = make_model("lstm", word_tokens=True)
    if change == "numpy scalar in provenance":
        model.provenance = {"loss": np.float32(0.25)}
    else:
        model.vocabulary = Vocabulary(["?", "Hello", "world", "\ud800", ",", "don't"], unknown="?")

    with pytest.raises(GatescopeError):
        model.save(tmp_path / "model.npz")

    assert os.listdir(tmp_path) == []


# --- not a model file at all --------------------------------------------------------------------


def test_text_file_raises_gatescope_error_naming_the_file_and_saying_it_is_not_an_npz(tmp_path: Path) -> None:
    path = tmp_path / "notes.npz"
    path.write_text("weight_ih_l0 = [[1, 2], [3, 4]]\n", encoding="utf-8")

    message = refusal(path)

    assert "not a .npz archive" in message


def test_empty_file_raises_gatescope_error_naming_the_file_and_saying_it_is_not_an_npz(tmp_path: Path) -> None:
    path = tmp_path / "empty.npz"
    path.write_bytes(b"")

    message = refusal(path)

    assert "not a .npz archive" in message


def test_truncated_file_raises_gatescope_error_naming_the_file(tmp_path: Path) -> None:
    whole = tmp_path / "whole.npz"
    make_model("lstm", layers=2).save(whole)
    data = whole.read_bytes()
    path = tmp_path / "half.npz"
    path.write_bytes(data[: len(data) // 2])

    refusal(path)


def test_truncated_file_message_says_the_archive_is_damaged_or_truncated(tmp_path: Path) -> None:
    whole = tmp_path / "whole.npz"
    make_model("lstm", layers=2).save(whole)
    data = whole.read_bytes()
    path = tmp_path / "half.npz"
    path.write_bytes(data[: len(data) // 2])

    message = refusal(path)

    assert "truncated" in message or "damaged" in message


def test_member_with_corrupted_compressed_bytes_raises_damaged_archive_error(tmp_path: Path) -> None:
    path = tmp_path / "model.npz"
    make_model("lstm", layers=2).save(path)
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("embedding.npy")
    data = bytearray(path.read_bytes())
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for offset in range(start + 4, start + info.compress_size - 4):
        data[offset] ^= 0x5A
    path.write_bytes(bytes(data))

    message = refusal(path)

    assert "damaged or truncated" in message


def test_directory_path_raises_gatescope_error_saying_it_is_not_a_file(tmp_path: Path) -> None:
    folder = tmp_path / "model.npz"
    folder.mkdir()

    message = refusal(folder)

    assert "not a file" in message


def test_missing_path_raises_gatescope_error_naming_the_path(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.npz"

    message = refusal(path)

    assert "no such" in message


def test_npz_with_neither_metadata_nor_pytorch_names_raises_gatescope_error(tmp_path: Path) -> None:
    path = write_arrays(tmp_path / "other.npz", {"w": np.ones((4, 3), np.float32), "b": np.zeros(4, np.float32)})

    message = refusal(path)

    assert "neither gatescope metadata nor PyTorch" in message


def test_npz_with_only_non_npy_members_raises_gatescope_error(tmp_path: Path) -> None:
    path = write_members(tmp_path / "docs.npz", [("README.txt", b"hello"), ("data.csv", b"1,2,3\n")])

    message = refusal(path)

    assert "neither gatescope metadata nor PyTorch" in message


# --- archive members ----------------------------------------------------------------------------


def test_member_that_is_not_npy_raises_gatescope_error_naming_the_member(
    tmp_path: Path, reference_arrays: dict
) -> None:
    path = write_members(tmp_path / "model.npz", [*members_of(reference_arrays), ("notes.txt", b"hi")])

    message = refusal(path)

    assert "unexpected member 'notes.txt'" in message


def test_npy_member_holding_bytes_that_are_not_npy_raises_gatescope_error(
    tmp_path: Path, reference_arrays: dict
) -> None:
    members = [
        (name, b"not an npy file at all" if name == "weight_ih_l0.npy" else data)
        for name, data in members_of(reference_arrays)
    ]
    path = write_members(tmp_path / "model.npz", members)

    message = refusal(path)

    assert "damaged or truncated" in message


def test_array_appearing_twice_raises_gatescope_error_naming_it(tmp_path: Path, reference_arrays: dict) -> None:
    again = ("weight_hh_l0.npy", npy_bytes(reference_arrays["weight_hh_l0"]))
    path = write_members(tmp_path / "model.npz", [*members_of(reference_arrays), again])

    message = refusal(path)

    assert "'weight_hh_l0' appears twice" in message


def test_array_shorter_than_its_header_says_raises_gatescope_error_saying_truncated(
    tmp_path: Path, reference_arrays: dict
) -> None:
    members = [
        (name, data[:-20] if name == "weight_hh_l1.npy" else data) for name, data in members_of(reference_arrays)
    ]
    path = write_members(tmp_path / "model.npz", members)

    message = refusal(path)

    assert "'weight_hh_l1' is truncated" in message


def test_array_header_claiming_a_huge_shape_is_refused_without_allocating_it(
    tmp_path: Path, reference_arrays: dict
) -> None:
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f4", "fortran_order": False, "shape": (1 << 24, 1 << 24)})
    members = [
        (name, header.getvalue() if name == "embedding.npy" else data) for name, data in members_of(reference_arrays)
    ]
    path = write_members(tmp_path / "model.npz", members)

    message = refusal(path)

    assert "'embedding'" in message
    assert "too large" in message


# --- pickles: never executed --------------------------------------------------------------------


class TouchesAFileWhenUnpickled:
    """Pickles as a call to Path.touch(marker): unpickling it creates the marker file."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (pathlib.Path.touch, (pathlib.Path(self.marker),))


def pickled_object_array(marker: Path) -> bytes:
    return npy_bytes(np.array([TouchesAFileWhenUnpickled(marker)], dtype=object), allow_pickle=True)


def test_the_pickle_payload_really_runs_code_when_numpy_is_allowed_to_unpickle_it(tmp_path: Path) -> None:
    # Shows the payload used below is live, so the tests that expect no marker file can fail.
    marker = tmp_path / "marker"

    np.load(io.BytesIO(pickled_object_array(marker)), allow_pickle=True)

    assert marker.exists()


@pytest.mark.parametrize("member", ["weight_ih_l0", "embedding", "head_bias", "__gatescope__"])
def test_object_array_is_refused_without_executing_its_pickle(
    tmp_path: Path, reference_arrays: dict, member: str
) -> None:
    marker = tmp_path / "pickle-ran"
    members = [
        (name, pickled_object_array(marker) if name == f"{member}.npy" else data)
        for name, data in members_of(reference_arrays)
    ]
    path = write_members(tmp_path / "model.npz", members)

    message = refusal(path)

    assert f"'{member}'" in message
    assert "Python objects" in message
    assert not marker.exists()


def test_raw_pickle_stored_as_a_member_is_refused_without_executing_it(tmp_path: Path, reference_arrays: dict) -> None:
    import pickle

    marker = tmp_path / "pickle-ran"
    members = [
        (name, pickle.dumps(TouchesAFileWhenUnpickled(marker)) if name == "weight_hh_l0.npy" else data)
        for name, data in members_of(reference_arrays)
    ]
    path = write_members(tmp_path / "model.npz", members)

    refusal(path)

    assert not marker.exists()


def test_reading_only_the_metadata_also_refuses_a_pickled_metadata_entry(
    tmp_path: Path, reference_arrays: dict
) -> None:
    marker = tmp_path / "pickle-ran"
    members = [
        (name, pickled_object_array(marker) if name == "__gatescope__.npy" else data)
        for name, data in members_of(reference_arrays)
    ]
    path = write_members(tmp_path / "model.npz", members)

    with pytest.raises(GatescopeError, match="Python objects"):
        native.read_metadata(path)

    assert not marker.exists()


# --- arrays that do not fit the metadata --------------------------------------------------------


@pytest.mark.parametrize("name", ["weight_hh_l1", "bias_ih_l0", "embedding", "head_bias"])
def test_missing_array_raises_gatescope_error_naming_it(tmp_path: Path, reference_arrays: dict, name: str) -> None:
    arrays = {key: value for key, value in reference_arrays.items() if key != name}
    path = write_arrays(tmp_path / "model.npz", arrays)

    message = refusal(path)

    assert f"missing array {name}" in message


def test_several_missing_arrays_are_all_named(tmp_path: Path, reference_arrays: dict) -> None:
    arrays = {key: value for key, value in reference_arrays.items() if not key.endswith("_l1")}
    path = write_arrays(tmp_path / "model.npz", arrays)

    message = refusal(path)

    for name in ("weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1"):
        assert name in message


@pytest.mark.parametrize("name", ["weight_ih_l2", "peephole_l0", "weight_ih_l0_reverse", "optimizer_state"])
def test_extra_array_raises_gatescope_error_naming_it(tmp_path: Path, reference_arrays: dict, name: str) -> None:
    arrays = {**reference_arrays, name: np.zeros((4 * UNITS, UNITS), np.float32)}
    path = write_arrays(tmp_path / "model.npz", arrays)

    message = refusal(path)

    assert "unexpected array" in message
    assert name in message


def test_metadata_describing_fewer_layers_than_the_file_holds_names_the_extra_arrays(
    tmp_path: Path, reference_arrays: dict
) -> None:
    meta = metadata_of(reference_arrays)
    meta["cell"]["layers"] = 1
    path = write_arrays(tmp_path / "model.npz", with_metadata(reference_arrays, meta))

    message = refusal(path)

    assert "unexpected arrays" in message
    assert "weight_ih_l1" in message


@pytest.mark.parametrize(
    ("name", "bad_shape", "expected_shape"),
    [
        ("weight_ih_l0", (4 * UNITS + 1, EMBEDDING_WIDTH), (4 * UNITS, EMBEDDING_WIDTH)),
        ("bias_ih_l0", (4 * UNITS + 2,), (4 * UNITS,)),
        ("bias_hh_l1", (UNITS,), (4 * UNITS,)),
        ("weight_ih_l1", (4 * UNITS - 1, UNITS), (4 * UNITS, UNITS)),
    ],
)
def test_wrong_weight_shape_message_states_found_and_expected_shapes(
    tmp_path: Path, reference_arrays: dict, name: str, bad_shape: tuple, expected_shape: tuple
) -> None:
    arrays = {**reference_arrays, name: np.zeros(bad_shape, np.float32)}
    path = write_arrays(tmp_path / "model.npz", arrays)

    message = refusal(path)

    assert str(bad_shape) in message
    assert str(expected_shape) in message


def test_wrong_peephole_shape_message_states_found_and_expected_shapes(tmp_path: Path) -> None:
    saved = tmp_path / "peepholes.npz"
    make_model("lstm", peepholes=True).save(saved)
    arrays = {**read_arrays(saved), "peephole_l0": np.zeros((2, UNITS), np.float32)}
    path = write_arrays(tmp_path / "model.npz", arrays)

    message = refusal(path)

    assert "peephole" in message
    assert f"(2, {UNITS})" in message
    assert f"(3, {UNITS})" in message


def test_wrong_weight_shape_message_names_the_array_with_its_layer(tmp_path: Path, reference_arrays: dict) -> None:
    arrays = {**reference_arrays, "weight_ih_l1": np.zeros((4 * UNITS + 1, UNITS), np.float32)}
    path = write_arrays(tmp_path / "model.npz", arrays)

    message = refusal(path)

    assert "weight_ih_l1" in message


def test_weight_hh_with_the_wrong_unit_count_is_named_with_its_found_and_expected_shape(
    tmp_path: Path, reference_arrays: dict
) -> None:
    arrays = {**reference_arrays, "weight_hh_l0": np.zeros((4 * UNITS, UNITS + 1), np.float32)}
    path = write_arrays(tmp_path / "model.npz", arrays)

    message = refusal(path)

    assert "weight_hh_l0" in message
    assert f"(12, {UNITS + 1})" in message
    assert f"(12, {UNITS})" in message


def test_array_only_model_whose_weight_ih_disagrees_with_metadata_input_size_is_refused(tmp_path: Path) -> None:
    saved = tmp_path / "arrays.npz"
    make_model("gru", text=False, head=False).save(saved)
    arrays = {**read_arrays(saved), "weight_ih_l0": np.zeros((3 * UNITS, EMBEDDING_WIDTH + 1), np.float32)}
    path = write_arrays(tmp_path / "model.npz", arrays)

    message = refusal(path)

    assert f"(9, {EMBEDDING_WIDTH + 1})" in message
    assert f"(9, {EMBEDDING_WIDTH})" in message


def test_weight_hh_with_the_wrong_unit_count_is_refused(tmp_path: Path, reference_arrays: dict) -> None:
    arrays = {**reference_arrays, "weight_hh_l0": np.zeros((4 * UNITS, UNITS + 1), np.float32)}
    path = write_arrays(tmp_path / "model.npz", arrays)

    refusal(path)


@pytest.mark.parametrize("bad", [np.zeros(4 * UNITS, np.float32), np.float32(1.0)], ids=["1-D", "0-D"])
def test_weight_that_is_not_2d_raises_gatescope_error_saying_2d(
    tmp_path: Path, reference_arrays: dict, bad: np.ndarray
) -> None:
    arrays = {**reference_arrays, "weight_ih_l0": bad}
    path = write_arrays(tmp_path / "model.npz", arrays)

    message = refusal(path)

    assert "2-D" in message


def test_scalar_weight_hh_message_reports_the_scalar_shape(tmp_path: Path, reference_arrays: dict) -> None:
    arrays = {**reference_arrays, "weight_hh_l0": np.float32(1.0)}
    path = write_arrays(tmp_path / "model.npz", arrays)

    message = refusal(path)

    assert "weight_hh" in message
    assert "()" in message


@pytest.mark.parametrize(
    ("name", "value", "position"),
    [
        ("weight_ih_l0", np.nan, (0, 0)),
        ("weight_hh_l1", np.inf, (5, 2)),
        ("bias_ih_l0", -np.inf, (3,)),
        ("embedding", np.nan, (2, 1)),
        ("head_weight", np.inf, (1, 0)),
        ("head_bias", np.nan, (0,)),
    ],
)
def test_nan_or_infinite_weight_raises_gatescope_error(
    tmp_path: Path, reference_arrays: dict, name: str, value: float, position: tuple
) -> None:
    poisoned = reference_arrays[name].copy()
    poisoned[position] = value
    path = write_arrays(tmp_path / "model.npz", {**reference_arrays, name: poisoned})

    message = refusal(path)

    assert "NaN or infinite" in message


@pytest.mark.parametrize(
    ("name", "dtype"),
    [
        ("weight_hh_l0", np.int32),
        ("embedding", np.int64),
        ("head_bias", np.int8),
        ("bias_ih_l1", np.bool_),
        ("weight_ih_l1", np.complex64),
    ],
)
def test_non_float_weights_raise_gatescope_error_naming_the_array_and_dtype(
    tmp_path: Path, reference_arrays: dict, name: str, dtype
) -> None:
    arrays = {**reference_arrays, name: reference_arrays[name].astype(dtype)}
    path = write_arrays(tmp_path / "model.npz", arrays)

    message = refusal(path)

    assert f"'{name}'" in message
    assert str(np.dtype(dtype)) in message
    assert "floating point" in message


def test_vocabulary_larger_than_the_embedding_raises_gatescope_error_with_both_sizes(
    tmp_path: Path, reference_arrays: dict
) -> None:
    meta = metadata_of(reference_arrays)
    meta["vocabulary"]["tokens"].append("z")
    path = write_arrays(tmp_path / "model.npz", with_metadata(reference_arrays, meta))

    message = refusal(path)

    assert f"embedding has {len(CHARACTERS)} rows" in message
    assert f"vocabulary has {len(CHARACTERS) + 1} tokens" in message


def test_embedding_with_fewer_rows_than_the_vocabulary_raises_gatescope_error(
    tmp_path: Path, reference_arrays: dict
) -> None:
    arrays = {**reference_arrays, "embedding": reference_arrays["embedding"][:-2]}
    path = write_arrays(tmp_path / "model.npz", arrays)

    message = refusal(path)

    assert f"embedding has {len(CHARACTERS) - 2} rows" in message


def test_embedding_width_unlike_the_first_layer_input_size_raises_gatescope_error(
    tmp_path: Path, reference_arrays: dict
) -> None:
    arrays = {**reference_arrays, "embedding": np.zeros((len(CHARACTERS), EMBEDDING_WIDTH + 2), np.float32)}
    path = write_arrays(tmp_path / "model.npz", arrays)

    message = refusal(path)

    assert f"embedding gives {EMBEDDING_WIDTH + 2} features but layer 0 reads {EMBEDDING_WIDTH}" in message


def test_head_width_unlike_the_top_layer_raises_gatescope_error(tmp_path: Path, reference_arrays: dict) -> None:
    arrays = {**reference_arrays, "head_weight": np.zeros((2, UNITS + 1), np.float32)}
    path = write_arrays(tmp_path / "model.npz", arrays)

    message = refusal(path)

    assert f"head reads {UNITS + 1} features but the top layer gives {UNITS}" in message


def test_head_bias_length_unlike_head_weight_rows_raises_gatescope_error(
    tmp_path: Path, reference_arrays: dict
) -> None:
    arrays = {**reference_arrays, "head_bias": np.zeros(3, np.float32)}
    path = write_arrays(tmp_path / "model.npz", arrays)

    message = refusal(path)

    assert "(3,)" in message
    assert f"(2, {UNITS})" in message


def test_label_count_unlike_head_outputs_raises_gatescope_error(tmp_path: Path, reference_arrays: dict) -> None:
    meta = metadata_of(reference_arrays)
    meta["head"]["labels"] = ["negative", "neutral", "positive"]
    path = write_arrays(tmp_path / "model.npz", with_metadata(reference_arrays, meta))

    message = refusal(path)

    assert "2 outputs but 3 labels" in message


# --- metadata -----------------------------------------------------------------------------------


def edit_metadata(tmp_path: Path, arrays: dict, edit) -> Path:
    meta = metadata_of(arrays)
    edit(meta)
    return write_arrays(tmp_path / "model.npz", with_metadata(arrays, meta))


def test_unknown_cell_kind_raises_gatescope_error_naming_it(tmp_path: Path, reference_arrays: dict) -> None:
    path = edit_metadata(tmp_path, reference_arrays, lambda meta: meta["cell"].update(kind="transformer"))

    message = refusal(path)

    assert "unknown cell kind 'transformer'" in message


def test_unknown_gru_convention_raises_gatescope_error_naming_it(tmp_path: Path) -> None:
    saved = tmp_path / "gru.npz"
    make_model("gru").save(saved)
    path = edit_metadata(tmp_path, read_arrays(saved), lambda meta: meta["cell"].update(gru_convention="keras"))

    message = refusal(path)

    assert "unknown GRU convention 'keras'" in message


def test_unknown_rnn_nonlinearity_raises_gatescope_error_naming_it(tmp_path: Path) -> None:
    saved = tmp_path / "rnn.npz"
    make_model("rnn").save(saved)
    path = edit_metadata(tmp_path, read_arrays(saved), lambda meta: meta["cell"].update(nonlinearity="gelu"))

    message = refusal(path)

    assert "'gelu'" in message


def test_newer_format_version_raises_gatescope_error_asking_to_update(tmp_path: Path, reference_arrays: dict) -> None:
    path = edit_metadata(tmp_path, reference_arrays, lambda meta: meta.update(format_version=2))

    message = refusal(path)

    assert "format version 2 is newer" in message
    assert "update gatescope" in message


def test_non_integer_format_version_is_reported_as_invalid_not_as_newer(tmp_path: Path, reference_arrays: dict) -> None:
    path = edit_metadata(tmp_path, reference_arrays, lambda meta: meta.update(format_version="1"))

    message = refusal(path)

    assert "newer" not in message


def test_other_format_name_raises_gatescope_error(tmp_path: Path, reference_arrays: dict) -> None:
    path = edit_metadata(tmp_path, reference_arrays, lambda meta: meta.update(format="keras-h5"))

    message = refusal(path)

    assert "'keras-h5'" in message
    assert "'gatescope-model'" in message


def test_metadata_without_cell_raises_gatescope_error_naming_the_key(tmp_path: Path, reference_arrays: dict) -> None:
    path = edit_metadata(tmp_path, reference_arrays, lambda meta: meta.pop("cell"))

    message = refusal(path)

    assert "missing 'cell'" in message


def test_metadata_units_of_the_wrong_type_raise_gatescope_error(tmp_path: Path, reference_arrays: dict) -> None:
    path = edit_metadata(tmp_path, reference_arrays, lambda meta: meta["cell"].update(units="3"))

    message = refusal(path)

    assert "'units' must be int, not str" in message


def test_metadata_units_unlike_the_weights_raise_gatescope_error_with_both_counts(
    tmp_path: Path, reference_arrays: dict
) -> None:
    path = edit_metadata(tmp_path, reference_arrays, lambda meta: meta["cell"].update(units=5))

    message = refusal(path)

    assert f"{UNITS} units" in message
    assert "metadata says 5" in message


def test_unknown_tokenizer_kind_raises_gatescope_error(tmp_path: Path, reference_arrays: dict) -> None:
    path = edit_metadata(tmp_path, reference_arrays, lambda meta: meta["tokenizer"].update(kind="bpe"))

    message = refusal(path)

    assert "'bpe'" in message


def test_vocabulary_with_a_repeated_token_raises_gatescope_error(tmp_path: Path, reference_arrays: dict) -> None:
    path = edit_metadata(tmp_path, reference_arrays, lambda meta: meta["vocabulary"]["tokens"].__setitem__(2, "a"))

    message = refusal(path)

    assert "'a' appears twice" in message


@pytest.mark.parametrize(
    ("payload", "problem"),
    [
        (b"{not json", "not valid JSON"),
        (b"\xff\xfe{}", "not valid JSON"),
        (b"", "not valid JSON"),
        (b"[1, 2, 3]", "must be a JSON object"),
        (b'"a string"', "must be a JSON object"),
        (b"null", "must be a JSON object"),
    ],
    ids=["broken-json", "not-utf8", "empty", "array", "string", "null"],
)
def test_metadata_that_is_not_a_json_object_raises_gatescope_error(
    tmp_path: Path, reference_arrays: dict, payload: bytes, problem: str
) -> None:
    arrays = {**reference_arrays, "__gatescope__": np.frombuffer(payload, np.uint8)}
    path = write_arrays(tmp_path / "model.npz", arrays)

    message = refusal(path)

    assert "'__gatescope__'" in message
    assert problem in message


def test_metadata_stored_as_floats_raises_gatescope_error_saying_it_must_be_bytes(
    tmp_path: Path, reference_arrays: dict
) -> None:
    arrays = {**reference_arrays, "__gatescope__": np.zeros(8, np.float32)}
    path = write_arrays(tmp_path / "model.npz", arrays)

    message = refusal(path)

    assert "UTF-8 JSON bytes" in message
