"""Writing PyTorch-style files without torch, for the tests of gatescope's torch reader: a small pickle assembler
(protocol 2, the opcodes torch.save uses, plus whatever a hostile file might use) and the zip around it.

``state_dict_file(path, arrays)`` writes a file shaped like ``torch.save(state_dict)``; the building blocks
(:class:`Global`, :class:`Call`, :class:`NewObj`, :class:`Build`, :func:`tensor`) write anything else.
"""

from __future__ import annotations

import struct
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class Global:
    """GLOBAL 'module name': what find_class is asked for."""

    module: str
    name: str


@dataclass(frozen=True)
class Call:
    """REDUCE: ``function(*arguments)``."""

    function: object
    arguments: tuple = ()


@dataclass(frozen=True)
class NewObj:
    """NEWOBJ: ``cls.__new__(cls, *arguments)``, as a pickled nn.Module starts."""

    cls: object
    arguments: tuple = ()


@dataclass(frozen=True)
class Build:
    """BUILD: set ``state`` on ``target`` (``__setstate__`` or ``__dict__``)."""

    target: object
    state: object


@dataclass(frozen=True)
class PersistentId:
    """BINPERSID: a reference resolved by the unpickler's ``persistent_load``."""

    reference: tuple


@dataclass
class StateDict:
    """An OrderedDict as torch pickles one: ``collections.OrderedDict()``, items, then BUILD of ``_metadata``."""

    items: dict = field(default_factory=dict)


STORAGE_TYPES = {
    np.dtype("float32"): "FloatStorage",
    np.dtype("float64"): "DoubleStorage",
    np.dtype("float16"): "HalfStorage",
    np.dtype("int64"): "LongStorage",
    np.dtype("int32"): "IntStorage",
    np.dtype("uint8"): "ByteStorage",
}


def storage(key: str, storage_type: str, count: int, location: str = "cpu") -> PersistentId:
    return PersistentId(("storage", Global("torch", storage_type), key, location, count))


def tensor(
    key: str, storage_type: str, count: int, shape: tuple, strides: tuple | None = None, offset: int = 0
) -> Call:
    """``torch._utils._rebuild_tensor_v2`` of storage ``key`` (contiguous strides unless given)."""
    if strides is None:
        strides = tuple(int(np.prod(shape[k + 1 :])) for k in range(len(shape)))
    hooks = Call(Global("collections", "OrderedDict"))
    return Call(
        Global("torch._utils", "_rebuild_tensor_v2"),
        (storage(key, storage_type, count), offset, tuple(shape), tuple(strides), False, hooks),
    )


def dumps(value: object) -> bytes:
    """``value`` as a protocol-2 pickle, with the opcodes torch.save writes."""
    return b"\x80\x02" + _emit(value) + b"."


def _emit(value: object) -> bytes:
    if isinstance(value, (Global, Call, NewObj, Build, PersistentId, StateDict)):
        return _emit_opcode(value)
    if isinstance(value, (tuple, list, dict)):
        return _emit_container(value)
    return _emit_scalar(value)


def _emit_scalar(value: object) -> bytes:
    if value is None:
        return b"N"
    if isinstance(value, bool):
        return b"\x88" if value else b"\x89"
    if isinstance(value, int):
        if -(2**31) <= value < 2**31:
            return b"J" + struct.pack("<i", value)
        raw = value.to_bytes((value.bit_length() + 8) // 8, "little", signed=True)
        return b"\x8a" + bytes([len(raw)]) + raw
    if isinstance(value, float):
        return b"G" + struct.pack(">d", value)
    if isinstance(value, str):
        raw = value.encode("utf-8")
        return b"X" + struct.pack("<I", len(raw)) + raw
    raise TypeError(f"cannot emit {type(value).__name__}")


def _emit_container(value: tuple | list | dict) -> bytes:
    if isinstance(value, tuple):
        return b"(" + b"".join(map(_emit, value)) + b"t"
    if isinstance(value, list):
        return b"](" + b"".join(map(_emit, value)) + b"e"
    return b"}(" + b"".join(_emit(k) + _emit(v) for k, v in value.items()) + b"u"


def _emit_opcode(value: Global | Call | NewObj | Build | PersistentId | StateDict) -> bytes:
    if isinstance(value, StateDict):
        start = _emit(Call(Global("collections", "OrderedDict")))
        items = b"(" + b"".join(_emit(k) + _emit(v) for k, v in value.items.items()) + b"u"
        return start + items + _emit({"_metadata": {"": {"version": 1}}}) + b"b"
    if isinstance(value, Global):
        return b"c" + f"{value.module}\n{value.name}\n".encode()
    if isinstance(value, Call):
        return _emit(value.function) + _emit(value.arguments) + b"R"
    if isinstance(value, NewObj):
        return _emit(value.cls) + _emit(value.arguments) + b"\x81"
    if isinstance(value, Build):
        return _emit(value.target) + _emit(value.state) + b"b"
    return _emit(value.reference) + b"Q"


def write_torch_zip(
    path: Path,
    pickled: bytes,
    storages: dict[str, bytes] | None = None,
    folder: str = "archive",
    byteorder: str | None = "little",
    extra: dict[str, bytes] | None = None,
) -> Path:
    """A zip laid out as torch.save writes it: data.pkl first, then byteorder and the storages (stored)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr(f"{folder}/data.pkl", pickled)
        if byteorder is not None:
            archive.writestr(f"{folder}/byteorder", byteorder)
        for key, data in (storages or {}).items():
            archive.writestr(f"{folder}/data/{key}", data)
        archive.writestr(f"{folder}/version", "3\n")
        for name, data in (extra or {}).items():
            archive.writestr(f"{folder}/{name}", data)
    return path


def state_dict_file(path: Path, arrays: dict[str, np.ndarray], top: object = None, byteorder: str = "little") -> Path:
    """``arrays`` written as ``torch.save`` writes a state_dict (one storage per array). ``top``, when given, is
    pickled instead, with the string ``"<state_dict>"`` in it standing for the state_dict."""
    storages, items = {}, {}
    for key, (name, array) in enumerate(arrays.items()):
        array = np.ascontiguousarray(array)
        order = "<" if byteorder == "little" else ">"
        storages[str(key)] = array.astype(array.dtype.newbyteorder(order)).tobytes()
        items[name] = tensor(str(key), STORAGE_TYPES[array.dtype], array.size, array.shape)
    state_dict = StateDict(items)
    value = state_dict if top is None else _replace(top, state_dict)
    return write_torch_zip(path, dumps(value), storages, byteorder=byteorder)


def _replace(value: object, state_dict: StateDict) -> object:
    if value == "<state_dict>":
        return state_dict
    if isinstance(value, dict):
        return {k: _replace(v, state_dict) for k, v in value.items()}
    return value
