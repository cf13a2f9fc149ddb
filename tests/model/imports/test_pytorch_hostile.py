"""Hostile and damaged PyTorch files: each is refused with a GatescopeError that names the file and the problem, and
nothing in it runs. The files are written here with plain pickle and zipfile (tests/torch_pickles.py), no torch."""

from __future__ import annotations

import os
import pathlib
import pickle
import subprocess
import zipfile
from pathlib import Path

import numpy as np
import pytest

import gatescope
from gatescope.model.formats import torch_pickle
from tests.hostile_files import write_zip_with_bomb
from tests.pytorch_fixtures import refusal
from tests.torch_pickles import (
    Build,
    Call,
    Global,
    NewObj,
    StateDict,
    dumps,
    state_dict_file,
    storage,
    tensor,
    write_torch_zip,
)

FIXTURES = Path(__file__).parent / "pytorch"
SAVE = 'torch.save(model.state_dict(), "model.pt")'


def rnn_state_dict() -> dict[str, np.ndarray]:
    """A valid 1-layer, 2-unit RNN reading 3 features."""
    rng = np.random.default_rng(0)
    shapes = {"weight_ih_l0": (2, 3), "weight_hh_l0": (2, 2), "bias_ih_l0": (2,), "bias_hh_l0": (2,)}
    return {name: rng.normal(size=shape).astype(np.float32) for name, shape in shapes.items()}


def with_payload(payload: object) -> StateDict:
    """A valid state_dict with ``payload`` as one more value, where a hostile file would hide it."""
    items = {
        name: tensor(str(key), "FloatStorage", array.size, array.shape)
        for key, (name, array) in enumerate(rnn_state_dict().items())
    }
    return StateDict({**items, "evil": payload})


def hostile_file(path: Path, payload: object) -> Path:
    storages = {str(key): array.tobytes() for key, array in enumerate(rnn_state_dict().values())}
    return write_torch_zip(path, dumps(with_payload(payload)), storages)


class TouchesWhenUnpickled:
    """A payload as an attacker writes it: unpickling calls ``function(*arguments)``."""

    def __init__(self, function: object, *arguments: object) -> None:
        self.function, self.arguments = function, arguments

    def __reduce__(self):
        return self.function, self.arguments


def pickled_by_python(path: Path, payload: TouchesWhenUnpickled, protocol: int) -> Path:
    """A torch-shaped zip whose data.pkl Python's own pickle wrote, the payload inside a dict."""
    data = pickle.dumps({"weight_ih_l0": payload}, protocol=protocol)
    return write_torch_zip(path, data)


# --- code that would run --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("module", "name", "arguments"),
    [
        ("os", "system", lambda marker: (f"touch {marker}",)),
        ("posix", "system", lambda marker: (f"touch {marker}",)),
        ("builtins", "eval", lambda marker: (f"open({str(marker)!r}, 'w').close()",)),
        ("__builtin__", "eval", lambda marker: (f"open({str(marker)!r}, 'w').close()",)),
        ("builtins", "exec", lambda marker: (f"open({str(marker)!r}, 'w').close()",)),
        ("subprocess", "Popen", lambda marker: (["touch", str(marker)],)),
        ("pathlib", "Path", lambda marker: (str(marker),)),
        ("numpy", "load", lambda marker: (str(marker),)),
    ],
)
def test_reduce_to_any_other_function_is_refused_naming_it_and_nothing_runs(
    tmp_path: Path, module: str, name: str, arguments
) -> None:
    marker = tmp_path / "payload-ran"
    path = hostile_file(tmp_path / "evil.pt", Call(Global(module, name), arguments(marker)))

    message = refusal(path)

    assert f"data.pkl names {module}.{name}" in message
    assert "nothing from the file was run" in message
    assert SAVE in message
    assert not marker.exists()


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_payloads_pickled_by_python_itself_are_refused_and_would_have_run(tmp_path: Path, protocol: int) -> None:
    marker = tmp_path / "payload-ran"
    payloads = {
        "system": TouchesWhenUnpickled(os.system, f"touch {marker}"),
        "touch": TouchesWhenUnpickled(pathlib.Path.touch, pathlib.Path(marker)),
        "popen": TouchesWhenUnpickled(subprocess.check_call, ["touch", str(marker)]),
    }
    for name, payload in payloads.items():
        path = pickled_by_python(tmp_path / f"{name}.pt", payload, protocol)

        assert "refused: data.pkl names" in refusal(path)
        assert not marker.exists()
    # the payloads are live: Python's own unpickler, allowed any global, runs them
    pickle.loads(zipfile.ZipFile(tmp_path / "touch.pt").read("archive/data.pkl"))
    assert marker.exists()


def test_pickled_class_built_with_newobj_and_build_is_refused_as_a_whole_model(tmp_path: Path) -> None:
    module = Build(NewObj(Global("__main__", "Net"), ()), {"training": False, "_parameters": {}, "_modules": {}})
    path = write_torch_zip(tmp_path / "model.pt", dumps(module))

    message = refusal(path)

    assert "data.pkl names __main__.Net, a class" in message and "torch.save(model)" in message and SAVE in message


def test_pickled_nn_lstm_is_refused_naming_its_class(tmp_path: Path) -> None:
    path = write_torch_zip(tmp_path / "lstm.pt", dumps(NewObj(Global("torch.nn.modules.rnn", "LSTM"), ())))

    assert "data.pkl names torch.nn.modules.rnn.LSTM, a class" in refusal(path)


@pytest.mark.parametrize(
    "target",
    [Global("torch._utils", "_rebuild_tensor_v2"), Global("torch", "FloatStorage"), Global("torch", "float32")],
    ids=["function", "storage-type", "dtype"],
)
def test_build_cannot_change_an_allowed_global(tmp_path: Path, target: Global) -> None:
    path = hostile_file(tmp_path / "build.pt", Build(target, ({}, {"__defaults__": (1, 2), "dtype": "evil"})))

    message = refusal(path)

    assert "damaged or not what torch.save writes" in message
    assert torch_pickle._rebuild_tensor_v2.__defaults__ is None
    assert torch_pickle._STORAGES["FloatStorage"].dtype == np.float32


def test_build_on_a_tensor_is_refused(tmp_path: Path) -> None:
    path = hostile_file(tmp_path / "build.pt", Build(tensor("0", "FloatStorage", 6, (2, 3)), {"x": 1}))

    assert "the pickle tries to change a tensor" in refusal(path)


def test_newobj_of_an_allowed_function_is_refused(tmp_path: Path) -> None:
    path = hostile_file(tmp_path / "newobj.pt", NewObj(Global("collections", "OrderedDict"), ()))

    assert "damaged or not what torch.save writes" in refusal(path)


# --- tensors that reach outside their storage ---------------------------------------------------


def one_tensor_file(path: Path, stored: bytes, count: int, shape: tuple, strides: tuple | None, offset: int) -> Path:
    state = StateDict({"weight_ih_l0": tensor("0", "FloatStorage", count, shape, strides, offset)})
    return write_torch_zip(path, dumps(state), {"0": stored})


@pytest.mark.parametrize(
    ("shape", "strides", "offset", "reach"),
    [((4,), None, 3, 6), ((3, 2), (2, 3), 0, 7), ((2, 3), None, 1, 6), ((1, 1), (0, 0), 6, 6)],
    ids=["offset", "stride", "offset-and-size", "offset-alone"],
)
def test_tensor_reaching_past_its_storage_is_refused_before_any_read(
    tmp_path: Path, shape: tuple, strides: tuple | None, offset: int, reach: int
) -> None:
    path = one_tensor_file(tmp_path / "reach.pt", bytes(24), 6, shape, strides, offset)

    message = refusal(path)

    assert f"reaches element {reach} of storage '0', which holds 6" in message


def test_storage_member_shorter_than_its_declared_count_is_refused(tmp_path: Path) -> None:
    path = one_tensor_file(tmp_path / "short.pt", bytes(20), 6, (6,), None, 0)

    message = refusal(path)

    assert "storage '0' declares 6 float32 values (24 bytes) but data/0 holds 20 bytes" in message


def test_storage_referenced_but_absent_is_refused(tmp_path: Path) -> None:
    state = StateDict({"weight_ih_l0": tensor("7", "FloatStorage", 6, (6,))})
    path = write_torch_zip(tmp_path / "absent.pt", dumps(state))

    assert "storage '7' is referred to but its data (data/7) is not in the file" in refusal(path)


def test_storage_declared_twice_with_different_sizes_is_refused(tmp_path: Path) -> None:
    state = StateDict(
        {"weight_ih_l0": tensor("0", "FloatStorage", 6, (6,)), "weight_hh_l0": tensor("0", "FloatStorage", 2, (2,))}
    )
    path = write_torch_zip(tmp_path / "twice.pt", dumps(state), {"0": bytes(24)})

    assert "declared twice" in refusal(path)


def test_broadcast_tensor_larger_than_the_budget_is_refused_before_allocating(tmp_path: Path) -> None:
    arrays = rnn_state_dict()
    items = {name: tensor(str(k), "FloatStorage", a.size, a.shape) for k, (name, a) in enumerate(arrays.items())}
    items["weight_ih_l0"] = tensor("0", "FloatStorage", 6, (2, 400_000_000), (0, 0))  # 3.2 GB from 24 bytes
    storages = {str(k): a.tobytes() for k, a in enumerate(arrays.values())}
    path = write_torch_zip(tmp_path / "broadcast.pt", dumps(StateDict(items)), storages)

    message = refusal(path)

    assert "3.2 GB" in message and "refused as too large" in message


def test_strided_views_of_a_storage_are_read_as_torch_lays_them_out(tmp_path: Path) -> None:
    arrays = rnn_state_dict()
    weight_ih = arrays["weight_ih_l0"]  # (2, 3), stored transposed after 5 unused values
    stored = np.concatenate([np.full(5, 9.0, np.float32), weight_ih.T.reshape(-1)])
    items = {"weight_ih_l0": tensor("t", "FloatStorage", stored.size, (2, 3), (1, 2), 5)}
    storages = {"t": stored.tobytes()}
    for key, name in enumerate(("weight_hh_l0", "bias_ih_l0", "bias_hh_l0")):
        items[name] = tensor(str(key), "FloatStorage", arrays[name].size, arrays[name].shape)
        storages[str(key)] = arrays[name].tobytes()
    path = write_torch_zip(tmp_path / "strided.pt", dumps(StateDict(items)), storages)

    model = gatescope.load_model(path)

    np.testing.assert_array_equal(model.layers[0].directions[0].weight_ih, weight_ih)


# --- damaged and oversized files ----------------------------------------------------------------


def test_data_pkl_declaring_a_gigabyte_is_refused_before_it_is_inflated(tmp_path: Path) -> None:
    path = write_zip_with_bomb(
        tmp_path / "bomb.pt", [], "archive/data.pkl", b"\x80\x02", 1 << 20, declared=1_000_000_000
    )

    message = refusal(path)

    assert "archive/data.pkl declares 1 GB" in message and "before reading it" in message


def test_storage_members_declaring_more_than_the_budget_are_refused_before_reading(tmp_path: Path) -> None:
    count = 300_000_000  # 1.2 GB of float32
    state = StateDict(
        {
            "weight_ih_l0": tensor("0", "FloatStorage", count, (2, count // 2)),
            "weight_hh_l0": tensor("1", "FloatStorage", 4, (2, 2)),
        }
    )
    path = write_zip_with_bomb(
        tmp_path / "bomb.pt",
        [("archive/data.pkl", dumps(state)), ("archive/data/1", bytes(16))],
        "archive/data/0",
        b"",
        1 << 20,
        declared=4 * count,
    )

    message = refusal(path)

    assert "refused as too large" in message


@pytest.mark.parametrize("keep", [0.3, 0.6, 0.95])
def test_truncated_file_is_refused_as_damaged(tmp_path: Path, keep: float) -> None:
    data = (FIXTURES / "lstm_text.pt").read_bytes()
    path = tmp_path / "truncated.pt"
    path.write_bytes(data[: int(len(data) * keep)])

    message = refusal(path)

    assert "damaged or truncated PyTorch file" in message


def test_random_bytes_are_refused_as_no_model_file(tmp_path: Path) -> None:
    path = tmp_path / "random.pt"
    path.write_bytes(np.random.default_rng(1).integers(0, 256, 4096, dtype=np.uint8).tobytes())

    assert "not a model file gatescope can read" in refusal(path)


def test_garbage_data_pkl_is_refused_as_damaged(tmp_path: Path) -> None:
    path = write_torch_zip(tmp_path / "garbage.pt", b"\x80\x02\xff\xfe not a pickle")

    assert "data.pkl is damaged or not what torch.save writes" in refusal(path)


def test_legacy_pickle_stream_is_refused_saying_how_to_resave(tmp_path: Path) -> None:
    path = tmp_path / "legacy.pt"
    marker = tmp_path / "payload-ran"
    payload = TouchesWhenUnpickled(pathlib.Path.touch, pathlib.Path(marker))
    path.write_bytes(pickle.dumps(0x1950A86A20F9469CFC6C, protocol=2) + pickle.dumps(payload, protocol=2))

    message = refusal(path)

    assert "before 1.6" in message and "torch.save(torch.load(" in message
    assert not marker.exists()


def test_torchscript_zip_is_refused_before_its_pickles_are_read(tmp_path: Path) -> None:
    marker = tmp_path / "payload-ran"
    payload = pickle.dumps(TouchesWhenUnpickled(pathlib.Path.touch, pathlib.Path(marker)), protocol=2)
    extra = {"constants.pkl": payload, "code/__torch__/model.py": b"def forward(self, x): return x\n"}
    path = write_torch_zip(tmp_path / "scripted.pt", payload, extra=extra)

    assert "TorchScript" in refusal(path)
    assert not marker.exists()


def test_unknown_byteorder_is_refused(tmp_path: Path) -> None:
    path = state_dict_file(tmp_path / "order.pt", rnn_state_dict())
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, b"middle" if name.endswith("byteorder") else data)

    assert "byteorder record says 'middle'" in refusal(path)


def test_unsupported_tensor_type_is_refused_saying_how_to_convert(tmp_path: Path) -> None:
    state = StateDict(
        {"weight_ih_l0": Call(Global("torch._utils", "_rebuild_tensor_v2"), (storage("0", "ComplexFloatStorage", 1),))}
    )
    path = write_torch_zip(tmp_path / "complex.pt", dumps(state), {"0": bytes(8)})

    message = refusal(path)

    assert "torch.ComplexFloatStorage" in message and "v.float()" in message


def test_integer_weights_are_refused_naming_the_tensor(tmp_path: Path) -> None:
    arrays = rnn_state_dict()
    arrays["weight_hh_l0"] = arrays["weight_hh_l0"].astype(np.int64)
    path = state_dict_file(tmp_path / "int.pt", arrays)

    assert "'weight_hh_l0' is int64; weights must be floating point" in refusal(path)
