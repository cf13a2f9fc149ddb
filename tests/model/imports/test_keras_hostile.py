"""Hostile and broken Keras files are refused with a GatescopeError that names the file and the problem; nothing in
them is followed out of the file, inflated past the read budget or run."""

from __future__ import annotations

import base64
import io
import json
import marshal
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

import h5py
import numpy as np
import pytest

import gatescope
from gatescope.errors import GatescopeError
from gatescope.model.formats import keras_file
from tests.hostile_files import write_zip_with_bomb

FIXTURES = Path(__file__).parent / "keras"
#: A weight of the Sequential LSTM fixture, in the legacy layout (Keras 3 writes the model's name into the path).
LEGACY_KERNEL = "model_weights/lstm/sequential/lstm/lstm_cell/kernel"


def _refused(path: Path, *words: str) -> str:
    with pytest.raises(GatescopeError) as caught:
        gatescope.load_model(path)
    message = str(caught.value)
    assert message.startswith(str(path)), message
    for word in words:
        assert word in message, message
    return message


def _legacy_copy(tmp_path: Path, change: Callable[[h5py.File], None]) -> Path:
    path = tmp_path / "model.h5"
    shutil.copyfile(FIXTURES / "lstm_1.h5", path)
    with h5py.File(path, "r+") as file:
        change(file)
    return path


def _replace_kernel(file: h5py.File, link: object) -> None:
    del file[LEGACY_KERNEL]
    file[LEGACY_KERNEL] = link


def _stolen_data(tmp_path: Path) -> Path:
    """Another HDF5 file holding an array of the kernel's shape: what a link out of the model would read."""
    other = tmp_path / "secret.h5"
    with h5py.File(other, "w") as file:
        file["kernel"] = np.full((6, 20), 7.0, np.float32)
    return other


# ---- HDF5 links and storage outside the file


def test_an_external_link_is_refused(tmp_path: Path) -> None:
    other = _stolen_data(tmp_path)

    path = _legacy_copy(tmp_path, lambda file: _replace_kernel(file, h5py.ExternalLink(str(other), "/kernel")))

    _refused(path, "ExternalLink", "secret.h5", "kernel")


def test_a_soft_link_is_refused(tmp_path: Path) -> None:
    def change(file: h5py.File) -> None:
        file["elsewhere"] = np.zeros((6, 20), np.float32)
        _replace_kernel(file, h5py.SoftLink("/elsewhere"))

    _refused(_legacy_copy(tmp_path, change), "SoftLink", "/elsewhere")


def test_a_soft_link_to_a_group_is_refused(tmp_path: Path) -> None:
    def change(file: h5py.File) -> None:
        file.move("model_weights/lstm", "hidden_lstm")
        file["model_weights/lstm"] = h5py.SoftLink("/hidden_lstm")

    _refused(_legacy_copy(tmp_path, change), "SoftLink", "model_weights/lstm")


def test_an_external_dataset_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "outside.bin"
    data.write_bytes(np.ones((6, 20), np.float32).tobytes())

    def change(file: h5py.File) -> None:
        del file[LEGACY_KERNEL]
        file.create_dataset(LEGACY_KERNEL, (6, 20), np.float32, external=[(str(data), 0, 480)])

    _refused(_legacy_copy(tmp_path, change), "external file", "outside.bin")


def test_a_virtual_dataset_is_refused(tmp_path: Path) -> None:
    other = _stolen_data(tmp_path)

    def change(file: h5py.File) -> None:
        layout = h5py.VirtualLayout((6, 20), np.float32)
        layout[:] = h5py.VirtualSource(str(other), "kernel", shape=(6, 20))
        del file[LEGACY_KERNEL]
        file.create_virtual_dataset(LEGACY_KERNEL, layout)

    _refused(_legacy_copy(tmp_path, change), "virtual dataset")


def test_a_link_inside_a_keras_archive_is_refused(tmp_path: Path) -> None:
    other = _stolen_data(tmp_path)
    path = _rewritten_archive(tmp_path, weights=lambda file: _swap(file, h5py.ExternalLink(str(other), "/kernel")))

    _refused(path, "model.weights.h5", "ExternalLink")


def _swap(file: h5py.File, link: object) -> None:
    del file["layers/bidirectional/forward_layer/cell/vars/0"]
    file["layers/bidirectional/forward_layer/cell/vars/0"] = link


# ---- sizes


def test_a_dataset_claiming_gigabytes_is_refused_before_it_is_read(tmp_path: Path) -> None:
    def change(file: h5py.File) -> None:
        del file[LEGACY_KERNEL]  # chunked and never written: the file stays small, its shape claims 40 GB
        file.create_dataset(LEGACY_KERNEL, (100_000, 100_000), np.float32, chunks=(1, 1000))

    path = _legacy_copy(tmp_path, change)

    assert path.stat().st_size < 1_000_000
    _refused(path, "refused as too large", "40 GB")


def test_a_keras_archive_whose_weights_declare_gigabytes_is_refused(tmp_path: Path) -> None:
    path = _archive_with_bomb(tmp_path / "bomb.keras", "model.weights.h5", b"\x89HDF\r\n\x1a\n", 3_000_000_000)

    assert path.stat().st_size < 100_000
    _refused(path, "refused as too large before reading", "model.weights.h5")


def test_a_member_that_inflates_past_its_declared_size_is_refused(tmp_path: Path) -> None:
    path = _archive_with_bomb(tmp_path / "liar.keras", "model.weights.h5", b"\x89HDF\r\n\x1a\n", 1000)

    _refused(path, "model.weights.h5")


def test_a_config_claiming_more_than_the_text_limit_is_refused(tmp_path: Path) -> None:
    path = _archive_with_bomb(tmp_path / "config-bomb.keras", "config.json", b"{", 2_000_000_000)

    _refused(path, "config.json", "refused")


# ---- nothing is run


def test_a_lambda_layer_is_named_and_its_code_never_runs(tmp_path: Path) -> None:
    witness = tmp_path / "ran.txt"
    code = compile(f"open({str(witness)!r}, 'w').write('ran')", "<lambda>", "exec")
    function = {
        "class_name": "__lambda__",
        "config": {"code": base64.b64encode(marshal.dumps(code)).decode("ascii"), "defaults": None, "closure": None},
    }
    path = _rewritten_archive(tmp_path, layer=("Dropout", {"class_name": "Lambda", "config": {"function": function}}))

    _refused(path, "'dropout'", "Lambda", "never runs code")
    assert not witness.exists()


def test_a_custom_layer_class_is_named(tmp_path: Path) -> None:
    custom = {"module": "my_project.layers", "class_name": "MyLSTM", "registered_name": "MyProject>MyLSTM"}
    path = _rewritten_archive(tmp_path, layer=("Dropout", custom))

    _refused(path, "custom class MyProject>MyLSTM", "my_project.layers")


def test_a_subclassed_model_is_refused(tmp_path: Path) -> None:
    path = _rewritten_archive(
        tmp_path, model={"module": "my_project.models", "registered_name": "MyProject>Classifier"}
    )

    _refused(path, "MyProject>Classifier", "Sequential and Functional")


@pytest.mark.parametrize(
    ("class_name", "words"),
    [
        ("Masking", ["Masking", "masked steps"]),
        ("Conv1D", ["Conv1D", "cannot run"]),
        ("GlobalAveragePooling1D", ["GlobalAveragePooling1D"]),
        ("Attention", ["Attention"]),
        ("TimeDistributed", ["TimeDistributed"]),
    ],
)
def test_layers_gatescope_cannot_run_are_named(tmp_path: Path, class_name: str, words: list[str]) -> None:
    path = _rewritten_archive(tmp_path, layer=("Dropout", {"module": "keras.layers", "class_name": class_name}))

    _refused(path, "'dropout'", *words)


def test_a_merge_mode_other_than_concat_is_named(tmp_path: Path) -> None:
    def sum_directions(config: dict) -> None:
        for layer in config["config"]["layers"]:
            if layer["class_name"] == "Bidirectional":
                layer["config"]["merge_mode"] = "sum"

    _refused(_rewritten_archive(tmp_path, config=sum_directions), "merge_mode='sum'", "Bidirectional")


def test_a_tanh_head_is_refused(tmp_path: Path) -> None:
    def tanh_head(config: dict) -> None:
        config["config"]["layers"][-1]["config"]["activation"] = "tanh"

    _refused(_rewritten_archive(tmp_path, config=tanh_head), "activation='tanh'", "softmax or sigmoid")


# ---- damaged and mismatched files


def test_weights_of_the_wrong_shape_are_named(tmp_path: Path) -> None:
    def change(file: h5py.File) -> None:
        del file[LEGACY_KERNEL]
        file[LEGACY_KERNEL] = np.zeros((6, 19), np.float32)

    _refused(_legacy_copy(tmp_path, change), "layer 'lstm' (LSTM)", "kernel has shape (6, 19)", "expected (6, 20)")


def test_integer_weights_are_refused(tmp_path: Path) -> None:
    def change(file: h5py.File) -> None:
        del file[LEGACY_KERNEL]
        file[LEGACY_KERNEL] = np.zeros((6, 20), np.int32)

    _refused(_legacy_copy(tmp_path, change), "int32", "floating point")


def test_a_missing_weight_is_named(tmp_path: Path) -> None:
    _refused(_legacy_copy(tmp_path, lambda file: file.__delitem__(LEGACY_KERNEL)), "kernel", "missing")


def test_weights_stored_for_another_layer_are_noticed(tmp_path: Path) -> None:
    def rename(file: h5py.File) -> None:
        file["layers/bidirectional_1/vars"].attrs["name"] = "some_other_lstm"

    _refused(_rewritten_archive(tmp_path, weights=rename), "some_other_lstm", "do not belong together")


@pytest.mark.parametrize("name", ["lstm_1.h5", "lstm_1.keras"])
def test_truncated_files_are_refused(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    data = (FIXTURES / name).read_bytes()
    path.write_bytes(data[: len(data) // 2])

    _refused(path, "damaged" if name.endswith(".h5") else "truncated")


def test_random_bytes_behind_an_hdf5_signature_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "noise.h5"
    path.write_bytes(b"\x89HDF\r\n\x1a\n" + np.random.default_rng(1).bytes(8192))

    _refused(path, "not a readable HDF5 file")


def test_random_bytes_are_not_taken_for_a_keras_file(tmp_path: Path) -> None:
    path = tmp_path / "noise.keras"
    path.write_bytes(np.random.default_rng(2).bytes(8192))

    assert not keras_file.sniff(path)
    with pytest.raises(GatescopeError, match="not a Keras model file"):
        keras_file.load(path)


def test_a_weights_only_file_is_refused_with_the_way_to_save_a_whole_model(tmp_path: Path) -> None:
    path = tmp_path / "model.weights.h5"  # what save_weights() writes in Keras 3: the archive's weights file alone
    path.write_bytes(_archive_members(FIXTURES / "lstm_1.keras")["model.weights.h5"])

    _refused(path, "weights only", "model.save('model.keras')")


def test_an_hdf5_file_that_is_no_keras_model_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "data.h5"
    with h5py.File(path, "w") as file:
        file["x"] = np.arange(3.0)

    _refused(path, "not a Keras model")


def test_a_zip_without_a_keras_config_says_so(tmp_path: Path) -> None:
    path = tmp_path / "other.keras"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")

    _refused(path, "without config.json")


# ---- building hostile archives from a real one


def _archive_with_bomb(path: Path, member: str, prefix: bytes, declared: int) -> Path:
    """lstm_1.keras with ``member`` replaced by ``prefix`` and a megabyte of zeros, declared as ``declared`` bytes."""
    members = _archive_members(FIXTURES / "lstm_1.keras")
    others = [(name, data) for name, data in members.items() if name != member]
    return write_zip_with_bomb(path, others, member, prefix, 1_000_000, declared=declared)


def _archive_members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _rewritten_archive(
    tmp_path: Path,
    *,
    config: Callable[[dict], None] | None = None,
    layer: tuple[str, dict] | None = None,
    model: dict | None = None,
    weights: Callable[[h5py.File], None] | None = None,
) -> Path:
    """lstm_2_bidirectional.keras with its config or weights changed: ``layer`` = (class to replace, new entry
    fields), ``model`` = fields of the top-level entry."""
    members = _archive_members(FIXTURES / "lstm_2_bidirectional.keras")
    document = json.loads(members["config.json"])
    if config is not None:
        config(document)
    if layer is not None:
        for entry in document["config"]["layers"]:
            if entry["class_name"] == layer[0]:
                entry.update({key: value for key, value in layer[1].items() if key != "config"})
                entry["config"] = {**entry["config"], **layer[1].get("config", {})}
    if model is not None:
        document.update(model)
    members["config.json"] = json.dumps(document).encode("utf-8")
    if weights is not None:
        buffer = io.BytesIO(members["model.weights.h5"])
        with h5py.File(buffer, "a") as file:
            weights(file)
        members["model.weights.h5"] = buffer.getvalue()
    path = tmp_path / "changed.keras"
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_a_config_nested_past_python_s_recursion_limit_is_refused(tmp_path: Path) -> None:
    members = _archive_members(FIXTURES / "lstm_1.keras")
    members["config.json"] = b"[" * 200_000 + b"]" * 200_000
    path = tmp_path / "deep.keras"
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)

    _refused(path, "config.json is not valid JSON")
