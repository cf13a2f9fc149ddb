"""Generate the Keras import fixtures: model files written by Keras 3 itself (``.keras`` and legacy ``.h5``) and the
states Keras computes on one input, which gatescope must reproduce without Keras (tests/model/imports/test_keras.py).

Run it from the repository root with the fixtures environment (Keras on its PyTorch backend; never needed by the
package or the tests)::

    KERAS_BACKEND=torch /work/.venv-fixtures/bin/python scripts/make_keras_fixtures.py          # write what changed
    KERAS_BACKEND=torch /work/.venv-fixtures/bin/python scripts/make_keras_fixtures.py --check  # verify only

Model files are written only when missing (``--rebuild`` rewrites them: Keras stamps the date into every ``.keras``,
so regenerating always changes their bytes). The expected values are always recomputed from the model files on disk
with Keras (:func:`gatescope.frameworks.keras.keras_reference`: every layer called as a layer and its cell stepped by
hand, which must agree) and written to ``<case>.expected.npz``; ``--check`` recomputes them and compares.

Two kinds of case are not plain Keras output, and say so in README.md:

- TextVectorization needs TensorFlow, which this environment lacks: the text cases are saved by Keras without it, then
  the layer's config (as Keras 3.15 writes it, checked against a file Keras wrote on its TensorFlow backend) and its
  ``vocabulary.txt`` assets are put into the archive. Their expected states are Keras' own, on the token ids that the
  TextVectorization layer gives the case's text (computed here with TensorFlow's rules on plain lower-case ASCII).
- A Keras-2-written legacy ``.h5`` (``hard_sigmoid`` is ``clip(0.2·x + 0.5)`` there, ``clip(x/6 + 0.5)`` in Keras
  3) cannot come from Keras 3: it is built with h5py in tf.keras 2's exact layout (checked against a file tf-keras
  2.21 wrote) and its expected states come from NumPy with Keras 2's formulas.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "torch")

import h5py
import keras
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from fixture_io import case_seed, emit, summarize  # noqa: E402

from gatescope.frameworks.keras import keras_reference  # noqa: E402

OUT = ROOT / "tests" / "model" / "imports" / "keras"
STEPS, FEATURES, VOCABULARY, EMBEDDING, UNITS = 7, 4, 23, 6, 5
#: Largest difference allowed between Keras' whole-model output and the states computed layer by layer.
AGREEMENT = 1e-5


@dataclass(frozen=True)
class Case:
    """One Keras model: its recurrent layers and what surrounds them; written in each of ``formats``."""

    name: str
    cell: str  # "LSTM", "GRU", "SimpleRNN"
    layers: int = 1
    bidirectional: bool = False
    embedding: bool = True
    head: str | None = "softmax"  # Dense activation, or None for no head
    formats: tuple[str, ...] = (".keras",)
    sequential: bool = False
    options: dict = field(default_factory=dict)  # keyword arguments of every recurrent layer
    go_backwards: tuple[int, ...] = ()  # layers that read backwards
    last_step_only: bool = False  # the top layer returns only its last step
    dropout: bool = False


CASES = (
    Case("lstm_1", "LSTM", formats=(".keras", ".h5"), sequential=True),
    Case("lstm_2_bidirectional", "LSTM", 2, True, formats=(".keras", ".h5"), dropout=True),
    Case("lstm_2_features", "LSTM", 2, embedding=False, head=None),
    Case(
        "lstm_1_bidirectional_hard_sigmoid",
        "LSTM",
        1,
        True,
        False,
        "sigmoid",
        (".h5",),
        options={"recurrent_activation": "hard_sigmoid"},
    ),
    Case("lstm_2_go_backwards", "LSTM", 2, head="linear", go_backwards=(0,)),
    Case("lstm_2_last_step", "LSTM", 2, sequential=True, last_step_only=True),
    Case("gru_1", "GRU", formats=(".keras", ".h5"), options={"reset_after": True}),
    Case(
        "gru_2_bidirectional_features",
        "GRU",
        2,
        True,
        False,
        None,
        (".h5",),
        options={"reset_after": True, "use_bias": False},
    ),
    Case("gru_cho_1_bidirectional", "GRU", 1, True, formats=(".keras", ".h5"), options={"reset_after": False}),
    Case(
        "gru_cho_2_hard_sigmoid_features",
        "GRU",
        2,
        embedding=False,
        head="sigmoid",
        sequential=True,
        options={"reset_after": False, "recurrent_activation": "hard_sigmoid"},
    ),
    Case("rnn_1_features", "SimpleRNN", embedding=False, head="softmax", sequential=True),
    Case("rnn_relu_2_bidirectional", "SimpleRNN", 2, True, formats=(".h5",), options={"activation": "relu"}),
    Case("rnn_2_no_head", "SimpleRNN", 2, head=None, formats=(".keras", ".h5")),
)


@dataclass(frozen=True)
class TextCase:
    """A text model: TextVectorization → Embedding → one recurrent layer → Dense."""

    name: str
    split: str  # "whitespace" or "character"
    standardize: str
    tokens: tuple[str, ...]  # the vocabulary without Keras' "" and [UNK]
    in_config: bool  # the vocabulary sits in the layer's config (else in the archive's assets, as after adapt())
    text: str
    cell: str
    bidirectional: bool
    head: str


TEXT_CASES = (
    TextCase(
        "text_word_lstm",
        "whitespace",
        "lower_and_strip_punctuation",
        ("the", "a", "cat", "dog", "sat", "on", "mat", "ran", "and", "fast", "slow", "big", "small", "red"),
        False,
        "The cat sat on the red mat and a zebra ran",
        "LSTM",
        False,
        "softmax",
    ),
    TextCase(
        "text_char_gru",
        "character",
        "lower",
        tuple(" abcdefghijklmnoprstuvw"),
        True,
        "Hi there, quiz",
        "GRU",
        True,
        "sigmoid",
    ),
)
KERAS2_CASE = "keras2_lstm_bidirectional_hard_sigmoid"


# ---- building and saving


def build(case: Case) -> keras.Model:
    """The case's model with random weights (biases too) from the case's seed."""
    keras.utils.set_random_seed(case_seed(case.name) % 2**31)
    inputs = keras.Input((None,), dtype="int32") if case.embedding else keras.Input((None, FEATURES))
    layers: list[keras.layers.Layer] = []
    if case.embedding:
        layers.append(keras.layers.Embedding(VOCABULARY, EMBEDDING))
    for number in range(case.layers):
        recurrent = getattr(keras.layers, case.cell)(
            UNITS,
            return_sequences=not (case.last_step_only and number == case.layers - 1),
            go_backwards=number in case.go_backwards,
            **case.options,
        )
        layers.append(keras.layers.Bidirectional(recurrent) if case.bidirectional else recurrent)
        if case.dropout and number == 0:
            layers.append(keras.layers.Dropout(0.3))
    if case.head is not None:
        layers.append(keras.layers.Dense(3 if case.head != "sigmoid" else 1, activation=case.head))
    model = keras.Sequential([inputs, *layers]) if case.sequential else _functional(inputs, layers)
    randomize(model, case.name)
    return model


def _functional(inputs: keras.KerasTensor, layers: list[keras.layers.Layer]) -> keras.Model:
    outputs = inputs
    for layer in layers:
        outputs = layer(outputs)
    return keras.Model(inputs, outputs)


def randomize(model: keras.Model, name: str) -> None:
    """Every weight drawn from N(0, 0.6²): saturating some gates, and biases that are not zero."""
    rng = np.random.default_rng(case_seed(name))
    for layer in model.layers:
        weights = layer.get_weights()
        if weights:
            layer.set_weights([rng.normal(0, 0.6, w.shape).astype(np.float32) for w in weights])


def case_input(name: str, embedding: bool) -> np.ndarray:
    rng = np.random.default_rng(case_seed(name) + 1)
    if embedding:
        return rng.integers(1, VOCABULARY, STEPS).astype(np.int64)
    return rng.normal(0, 1, (STEPS, FEATURES)).astype(np.float32)


def save(model: keras.Model, path: Path, rebuild: bool, report: list) -> None:
    if path.exists() and not rebuild:
        return
    model.save(path)
    report.append((path, "written"))


# ---- expected values


def expected(model: keras.Model, inputs: np.ndarray, head: str | None) -> dict[str, np.ndarray]:
    """Keras' states and outputs for ``inputs``, checked against the whole model's own output."""
    arrays = {"input": inputs, **keras_reference(model, inputs)}
    if head is not None:
        logits = keras.ops.convert_to_tensor(arrays["logits"])
        arrays["outputs"] = keras.ops.convert_to_numpy(keras.activations.get(head)(logits)).astype(np.float32)
    whole = keras.ops.convert_to_numpy(model(inputs[None]))[0].astype(np.float32)
    arrays["keras_output"] = whole
    _check_whole(arrays, whole, head)
    return arrays


def _check_whole(arrays: dict[str, np.ndarray], whole: np.ndarray, head: str | None) -> None:
    """Keras' whole-model output is one of the layer-by-layer results (re-ordered where Keras reversed it)."""
    top = arrays["outputs"] if head is not None else arrays[max(k for k in arrays if k.endswith(" h"))]
    candidates = [top, top[::-1], top[-1], top[0]]
    if not any(c.shape == whole.shape and np.max(np.abs(c - whole)) <= AGREEMENT for c in candidates):
        raise RuntimeError("Keras' whole-model output matches none of the layer-by-layer results")


def write_case(case: Case, rebuild: bool, check: bool, report: list) -> None:
    model = None
    for suffix in case.formats:
        path = OUT / f"{case.name}{suffix}"
        if not check and (rebuild or not path.exists()):
            model = model or build(case)
            save(model, path, rebuild, report)
    inputs = case_input(case.name, case.embedding)
    arrays = None
    for suffix in case.formats:
        loaded = keras.saving.load_model(OUT / f"{case.name}{suffix}", compile=False, safe_mode=True)
        these = expected(loaded, inputs, case.head)
        if arrays is not None and any(np.max(np.abs(arrays[k] - these[k])) > 0 for k in arrays):
            raise RuntimeError(f"{case.name}: the {' and '.join(case.formats)} files compute different values")
        arrays = these
    assert arrays is not None
    emit(OUT / f"{case.name}.expected.npz", arrays, check, report)


# ---- text models


def full_vocabulary(case: TextCase) -> list[str]:
    return ["", "[UNK]", *case.tokens]


def text_ids(case: TextCase) -> np.ndarray:
    """The ids TextVectorization gives the case's text: TensorFlow's lower (ASCII), punctuation deletion and split,
    which on these plain ASCII texts are Python's str.lower, deletion and str.split / list()."""
    text = case.text.lower() if "lower" in case.standardize else case.text
    if "strip_punctuation" in case.standardize:
        text = "".join(ch for ch in text if ch not in "!\"#$%&()*+,-./:;<=>?@[\\]^_`{|}~'")
    pieces = text.split() if case.split == "whitespace" else list(text)
    index = {token: number for number, token in enumerate(full_vocabulary(case))}
    return np.array([index.get(piece, 1) for piece in pieces], dtype=np.int64)


def build_text(case: TextCase) -> keras.Model:
    keras.utils.set_random_seed(case_seed(case.name) % 2**31)
    inputs = keras.Input((None,), dtype="int32")
    rows = len(full_vocabulary(case)) + 2  # two rows past the vocabulary: gatescope fills in placeholders
    layer = getattr(keras.layers, case.cell)(UNITS, return_sequences=True)
    outputs = keras.layers.Embedding(rows, EMBEDDING, mask_zero=True)(inputs)
    outputs = (keras.layers.Bidirectional(layer) if case.bidirectional else layer)(outputs)
    outputs = keras.layers.Dense(1 if case.head == "sigmoid" else 3, activation=case.head)(outputs)
    model = keras.Model(inputs, outputs)
    randomize(model, case.name)
    return model


def vectorizer_config(case: TextCase, input_name: str) -> dict:
    """TextVectorization's entry in config.json, as Keras 3.15 writes it."""
    size = len(full_vocabulary(case))
    return {
        "module": "keras.layers",
        "class_name": "TextVectorization",
        "config": {
            "name": "text_vectorization",
            "trainable": True,
            "dtype": {
                "module": "keras",
                "class_name": "DTypePolicy",
                "config": {"name": "float32"},
                "registered_name": None,
            },
            "max_tokens": None,
            "standardize": case.standardize,
            "split": case.split,
            "ngrams": None,
            "output_mode": "int",
            "output_sequence_length": None,
            "pad_to_max_tokens": False,
            "sparse": False,
            "ragged": False,
            "vocabulary": list(case.tokens) if case.in_config else None,
            "idf_weights": None,
            "encoding": "utf-8",
            "vocabulary_size": size,
        },
        "registered_name": None,
        "build_config": {"input_shape": [None, 1]},
        "name": "text_vectorization",
        "inbound_nodes": [{"args": [_keras_tensor(input_name, [None, 1], "string")], "kwargs": {}}],
    }


def _keras_tensor(layer: str, shape: list, dtype: str) -> dict:
    return {
        "class_name": "__keras_tensor__",
        "config": {"shape": shape, "dtype": dtype, "keras_history": [layer, 0, 0]},
    }


def with_vectorizer(source: Path, case: TextCase) -> bytes:
    """The .keras archive ``source`` (a model reading ids) with a TextVectorization layer put in front."""
    with zipfile.ZipFile(source) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    config = json.loads(members["config.json"])
    layers = config["config"]["layers"]
    layers[0]["config"].update(batch_shape=[None, 1], dtype="string")
    layers[1]["inbound_nodes"] = [{"args": [_keras_tensor("text_vectorization", [None, None], "int64")], "kwargs": {}}]
    layers.insert(1, vectorizer_config(case, layers[0]["name"]))
    _rewire_padding_mask(layers, "text_vectorization", "int64")
    members["config.json"] = json.dumps(config).encode("utf-8")
    members["model.weights.h5"] = _with_vectorizer_groups(members["model.weights.h5"])
    if not case.in_config:
        vocabulary = "\n".join(full_vocabulary(case)).encode("utf-8")
        members["assets/layers/text_vectorization/vocabulary.txt"] = vocabulary
        members["assets/layers/text_vectorization/_lookup_layer/vocabulary.txt"] = vocabulary
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:  # stored, as Keras writes .keras archives
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _rewire_padding_mask(layers: list[dict], source: str, dtype: str) -> None:
    """Point the mask_zero mask (Keras 3: a NotEqual(ids, 0) node) at the layer giving the ids, as Keras does."""
    for layer in layers:
        if layer["class_name"] == "NotEqual":
            layer["inbound_nodes"][0]["args"][0] = _keras_tensor(source, [None, None], dtype)


def _with_vectorizer_groups(weights: bytes) -> bytes:
    """The weights file with the (weightless) groups Keras writes for a TextVectorization layer."""
    buffer = io.BytesIO(weights)
    with h5py.File(buffer, "a") as file:
        file.create_group("layers/text_vectorization/vars").attrs["name"] = "text_vectorization"
        file.create_group("layers/text_vectorization/_lookup_layer/vars").attrs["name"] = "string_lookup"
    return buffer.getvalue()


def without_vectorizer(path: Path) -> keras.Model:
    """The committed text model loaded in Keras without its TextVectorization layer (which needs TensorFlow)."""
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist() if not name.startswith("assets/")}
    config = json.loads(members["config.json"])
    layers = config["config"]["layers"]
    del layers[1]
    layers[0]["config"].update(batch_shape=[None, None], dtype="int32")
    layers[1]["inbound_nodes"] = [{"args": [_keras_tensor(layers[0]["name"], [None, None], "int32")], "kwargs": {}}]
    _rewire_padding_mask(layers, layers[0]["name"], "int32")
    members["config.json"] = json.dumps(config).encode("utf-8")
    with tempfile.TemporaryDirectory() as folder:
        stripped = Path(folder) / "model.keras"
        with zipfile.ZipFile(stripped, "w") as archive:
            for name, data in members.items():
                archive.writestr(name, data)
        return keras.saving.load_model(stripped, compile=False, safe_mode=True)


def write_text_case(case: TextCase, rebuild: bool, check: bool, report: list) -> None:
    path = OUT / f"{case.name}.keras"
    if not check and (rebuild or not path.exists()):
        with tempfile.TemporaryDirectory() as folder:
            plain = Path(folder) / "plain.keras"
            build_text(case).save(plain)
            path.write_bytes(with_vectorizer(plain, case))
        report.append((path, "written"))
    ids = text_ids(case)
    arrays = expected(without_vectorizer(path), ids, case.head)
    arrays["text"] = np.frombuffer(case.text.encode("utf-8"), np.uint8)
    emit(OUT / f"{case.name}.expected.npz", arrays, check, report)


# ---- a Keras 2 file, built by hand


def keras2_weights(rng: np.random.Generator) -> dict[str, np.ndarray]:
    shapes = {
        "embedding": (VOCABULARY, EMBEDDING),
        "forward_kernel": (EMBEDDING, 4 * UNITS),
        "forward_recurrent_kernel": (UNITS, 4 * UNITS),
        "forward_bias": (4 * UNITS,),
        "backward_kernel": (EMBEDDING, 4 * UNITS),
        "backward_recurrent_kernel": (UNITS, 4 * UNITS),
        "backward_bias": (4 * UNITS,),
        "dense_kernel": (2 * UNITS, 3),
        "dense_bias": (3,),
    }
    return {name: rng.normal(0, 0.8, shape).astype(np.float32) for name, shape in shapes.items()}


def keras2_config() -> dict:
    """model_config as tf.keras 2 writes it for Input → Embedding → Bidirectional(LSTM, hard_sigmoid) → Dense."""

    def initializer(name: str, config: dict) -> dict:
        return {"module": "keras.initializers", "class_name": name, "config": config, "registered_name": None}

    lstm = {
        "name": "lstm",
        "trainable": True,
        "dtype": "float32",
        "return_sequences": True,
        "return_state": False,
        "go_backwards": False,
        "stateful": False,
        "unroll": False,
        "time_major": False,
        "units": UNITS,
        "activation": "tanh",
        "recurrent_activation": "hard_sigmoid",
        "use_bias": True,
        "kernel_initializer": initializer("GlorotUniform", {"seed": None}),
        "recurrent_initializer": initializer("Orthogonal", {"gain": 1.0, "seed": None}),
        "bias_initializer": initializer("Zeros", {}),
        "unit_forget_bias": True,
        "kernel_regularizer": None,
        "recurrent_regularizer": None,
        "bias_regularizer": None,
        "activity_regularizer": None,
        "kernel_constraint": None,
        "recurrent_constraint": None,
        "bias_constraint": None,
        "dropout": 0.0,
        "recurrent_dropout": 0.0,
        "implementation": 2,
    }
    layers = [
        {
            "class_name": "InputLayer",
            "config": {
                "batch_input_shape": [None, None],
                "dtype": "int32",
                "sparse": False,
                "ragged": False,
                "name": "input_1",
            },
            "name": "input_1",
            "inbound_nodes": [],
        },
        {
            "class_name": "Embedding",
            "config": {
                "name": "embedding",
                "trainable": True,
                "dtype": "float32",
                "batch_input_shape": [None, None],
                "input_dim": VOCABULARY,
                "output_dim": EMBEDDING,
                "mask_zero": False,
                "input_length": None,
                "embeddings_initializer": initializer("RandomUniform", {}),
            },
            "name": "embedding",
            "inbound_nodes": [[["input_1", 0, 0, {}]]],
        },
        {
            "class_name": "Bidirectional",
            "config": {
                "name": "bidirectional",
                "trainable": True,
                "dtype": "float32",
                "layer": {"module": "keras.layers", "class_name": "LSTM", "config": lstm, "registered_name": None},
                "merge_mode": "concat",
            },
            "name": "bidirectional",
            "inbound_nodes": [[["embedding", 0, 0, {}]]],
        },
        {
            "class_name": "Dense",
            "config": {
                "name": "dense",
                "trainable": True,
                "dtype": "float32",
                "units": 3,
                "activation": "softmax",
                "use_bias": True,
            },
            "name": "dense",
            "inbound_nodes": [[["bidirectional", 0, 0, {}]]],
        },
    ]
    return {
        "class_name": "Functional",
        "config": {
            "name": "model",
            "trainable": True,
            "layers": layers,
            "input_layers": [["input_1", 0, 0]],
            "output_layers": [["dense", 0, 0]],
        },
    }


def write_keras2_file(path: Path, weights: dict[str, np.ndarray]) -> None:
    """The legacy HDF5 layout of tf.keras 2 (``hdf5_format.save_model_to_hdf5``): names end in ``:0``."""
    layout = {
        "input_1": {},
        "embedding": {"embedding/embeddings:0": weights["embedding"]},
        "bidirectional": {
            f"bidirectional/{direction}_lstm/lstm_cell/{name}:0": weights[f"{direction}_{name}"]
            for direction in ("forward", "backward")
            for name in ("kernel", "recurrent_kernel", "bias")
        },
        "dense": {"dense/kernel:0": weights["dense_kernel"], "dense/bias:0": weights["dense_bias"]},
    }
    with h5py.File(path, "w") as file:
        file.attrs["backend"] = "tensorflow"
        file.attrs["keras_version"] = "2.15.0"
        file.attrs["model_config"] = json.dumps(keras2_config())
        group = file.create_group("model_weights")
        group.attrs["backend"] = "tensorflow"
        group.attrs["keras_version"] = "2.15.0"
        group.attrs["layer_names"] = [name.encode("utf-8") for name in layout]
        for layer, arrays in {**layout, "top_level_model_weights": {}}.items():
            layer_group = group.create_group(layer)
            layer_group.attrs["weight_names"] = [name.encode("utf-8") for name in arrays]
            for name, array in arrays.items():
                layer_group.create_dataset(name, data=array)


def keras2_expected(weights: dict[str, np.ndarray], ids: np.ndarray) -> dict[str, np.ndarray]:
    """Keras 2's LSTM in NumPy: gates i, f, c, o; recurrent activation hard_sigmoid = clip(0.2·x + 0.5, 0, 1)."""
    x = weights["embedding"][ids].astype(np.float64)
    h_all, c_all = [], []
    for direction, order in (("forward", range(STEPS)), ("backward", range(STEPS - 1, -1, -1))):
        kernel, recurrent, bias = (
            weights[f"{direction}_{name}"].astype(np.float64) for name in ("kernel", "recurrent_kernel", "bias")
        )
        h, c = np.zeros(UNITS), np.zeros(UNITS)
        hs, cs = np.zeros((STEPS, UNITS)), np.zeros((STEPS, UNITS))
        for t in order:
            z = x[t] @ kernel + h @ recurrent + bias
            i, f, g, o = np.split(z, 4)
            c = _hard_sigmoid(f) * c + _hard_sigmoid(i) * np.tanh(g)
            h = _hard_sigmoid(o) * np.tanh(c)
            hs[t], cs[t] = h, c
        h_all.append(hs)
        c_all.append(cs)
    h, c = np.concatenate(h_all, axis=1), np.concatenate(c_all, axis=1)
    logits = h @ weights["dense_kernel"].astype(np.float64) + weights["dense_bias"]
    outputs = np.exp(logits - logits.max(axis=1, keepdims=True))
    outputs /= outputs.sum(axis=1, keepdims=True)
    arrays = {"input": ids, "layer 0 h": h, "layer 0 c": c, "logits": logits, "outputs": outputs}
    return {name: a if a.dtype.kind == "i" else a.astype(np.float32) for name, a in arrays.items()}


def _hard_sigmoid(x: np.ndarray) -> np.ndarray:
    return np.clip(0.2 * x + 0.5, 0.0, 1.0)


def write_keras2_case(rebuild: bool, check: bool, report: list) -> None:
    path = OUT / f"{KERAS2_CASE}.h5"
    if not check and (rebuild or not path.exists()):
        write_keras2_file(path, keras2_weights(np.random.default_rng(case_seed(KERAS2_CASE))))
        report.append((path, "written"))
    with h5py.File(path, "r") as file:
        weights = {
            f"{direction}_{name}": file[
                f"model_weights/bidirectional/bidirectional/{direction}_lstm/lstm_cell/{name}:0"
            ][()]
            for direction in ("forward", "backward")
            for name in ("kernel", "recurrent_kernel", "bias")
        }
        weights["embedding"] = file["model_weights/embedding/embedding/embeddings:0"][()]
        weights["dense_kernel"] = file["model_weights/dense/dense/kernel:0"][()]
        weights["dense_bias"] = file["model_weights/dense/dense/bias:0"][()]
    emit(OUT / f"{KERAS2_CASE}.expected.npz", keras2_expected(weights, case_input(KERAS2_CASE, True)), check, report)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="recompute the expected values and compare; write nothing")
    parser.add_argument("--rebuild", action="store_true", help="rewrite the model files too (new random weights)")
    args = parser.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    report: list = []
    for case in CASES:
        write_case(case, args.rebuild, args.check, report)
    for text_case in TEXT_CASES:
        write_text_case(text_case, args.rebuild, args.check, report)
    write_keras2_case(args.rebuild, args.check, report)
    return summarize(report, ROOT, f"keras {keras.__version__} ({keras.backend.backend()}), h5py {h5py.__version__}")


if __name__ == "__main__":
    sys.exit(main())
