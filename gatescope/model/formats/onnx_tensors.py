"""The tensors of an ONNX file as NumPy arrays: initializers and Constant values, their declared sizes checked against
the data they hold and the read budget before any is converted, external data read only from inside the model's
folder.

Only this module and :mod:`onnx_graph` import ``onnx``, and only when a file is loaded (it takes a second to import).
"""

from __future__ import annotations

import math
import os
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import TYPE_CHECKING, Any

import numpy as np

from gatescope.errors import GatescopeError
from gatescope.model.formats.budget import ReadBudget, array_bytes, size_text

if TYPE_CHECKING:
    from onnx import TensorProto

#: ONNX element types gatescope reads (TensorProto.DataType value -> NumPy dtype of one stored element); weights must
#: be floating point, shapes and indices integers. bfloat16 is read as its 16 stored bits (see ``_as_numpy``).
ELEMENT_TYPES: dict[int, np.dtype[Any]] = {
    1: np.dtype("<f4"),  # FLOAT
    2: np.dtype("u1"),  # UINT8
    3: np.dtype("i1"),  # INT8
    5: np.dtype("<i2"),  # INT16
    6: np.dtype("<i4"),  # INT32
    7: np.dtype("<i8"),  # INT64
    9: np.dtype("?"),  # BOOL
    10: np.dtype("<f2"),  # FLOAT16
    11: np.dtype("<f8"),  # DOUBLE
    16: np.dtype("<u2"),  # BFLOAT16, stored as the upper half of a float32
}
_BFLOAT16 = 16
#: TensorProto.data_location: the data lives in a file beside the model.
_EXTERNAL = 1


class TensorReader:
    """Converts the file's tensors, each once, against one read budget; messages start with the model's path."""

    def __init__(self, path: Path, budget: ReadBudget) -> None:
        self.path = path
        self.folder = path.parent
        self.budget = budget
        self._cache: dict[str, np.ndarray] = {}

    def array(self, tensor: TensorProto, what: str) -> np.ndarray:
        """The tensor's values, read-only, converted once per ``what``, which names it in messages and must be unique
        (e.g. "initializer 'onnx::LSTM_110'")."""
        if what not in self._cache:
            self._cache[what] = self._convert(tensor, what)
        return self._cache[what]

    def _convert(self, tensor: TensorProto, what: str) -> np.ndarray:
        dtype = ELEMENT_TYPES.get(tensor.data_type)
        if dtype is None:
            raise GatescopeError(
                f"{self.path}: {what} has element type {_type_name(tensor.data_type)}; gatescope reads float32, "
                f"float64, float16, bfloat16 and integer tensors"
            )
        if tensor.HasField("segment"):
            raise GatescopeError(f"{self.path}: {what} is stored in segments, which gatescope does not read")
        shape = tuple(int(side) for side in tensor.dims)
        if any(side < 0 for side in shape):
            raise GatescopeError(f"{self.path}: {what} declares a negative dimension in its shape {shape}")
        nbytes = array_bytes(shape, dtype)
        self.budget.check_array(tensor.name or what, nbytes)
        self.budget.reserve({tensor.name or what: nbytes})
        if tensor.data_location == _EXTERNAL:
            data = self._external_bytes(tensor, what, nbytes)
            array = np.frombuffer(data, dtype=dtype).reshape(shape)
        elif tensor.HasField("raw_data"):
            if len(tensor.raw_data) != nbytes:
                raise GatescopeError(
                    f"{self.path}: {what} declares shape {shape} ({size_text(nbytes)}) but holds "
                    f"{size_text(len(tensor.raw_data))}; the file is damaged"
                )
            array = np.frombuffer(tensor.raw_data, dtype=dtype).reshape(shape)
        else:
            array = self._typed_values(tensor, what, shape, dtype)
        return _as_numpy(array, tensor.data_type)

    def _typed_values(self, tensor: TensorProto, what: str, shape: tuple[int, ...], dtype: np.dtype[Any]) -> np.ndarray:
        """Values stored in the typed repeated fields (float_data, int64_data, ...), counted before conversion."""
        field = _TYPED_FIELDS[tensor.data_type]
        values = getattr(tensor, field)
        count = math.prod(shape)
        if len(values) != count:
            raise GatescopeError(
                f"{self.path}: {what} declares shape {shape} ({count:,} values) but holds {len(values):,}; "
                f"the file is damaged"
            )
        stored = np.array(values, dtype=np.int64 if field == "int32_data" else None)
        if tensor.data_type in (10, _BFLOAT16):  # 16-bit floats are kept as their bits in int32_data
            return stored.astype(np.uint16).view(dtype).reshape(shape)
        return stored.astype(dtype).reshape(shape)

    def _external_bytes(self, tensor: TensorProto, what: str, nbytes: int) -> bytes:
        """The tensor's bytes from a file inside the model's folder, after its location, offset and length are
        checked against that file; any path that leaves the folder is refused."""
        info = {text(entry.key): text(entry.value) for entry in tensor.external_data}
        location = info.get("location", "")
        target = self._external_file(location, what)
        try:
            offset = int(info.get("offset", "0"))
            length = int(info.get("length", str(nbytes)))
        except ValueError:
            raise GatescopeError(
                f"{self.path}: {what} gives its external data offset {info.get('offset')!r} and length "
                f"{info.get('length')!r}; expected whole numbers"
            ) from None
        if offset < 0 or length != nbytes:
            raise GatescopeError(
                f"{self.path}: {what} declares {size_text(nbytes)} of data but its external data entry says "
                f"{length:,} bytes at offset {offset:,}; the file is damaged"
            )
        size = target.stat().st_size
        if offset + nbytes > size:
            raise GatescopeError(
                f"{self.path}: {what} needs {nbytes:,} bytes at offset {offset:,} of {location!r}, but that file "
                f"holds only {size:,} bytes; it is truncated or not the data saved with this model"
            )
        with target.open("rb") as stream:
            stream.seek(offset)
            data = stream.read(nbytes)
        if len(data) != nbytes:
            raise GatescopeError(f"{self.path}: {location!r} ended while reading {what}; the data file is truncated")
        return data

    def _external_file(self, location: str, what: str) -> Path:
        """The external data file ``location`` names, which must stay inside the model's folder (no absolute path,
        no ``..``, no link that leads out)."""
        outside = (
            f"{self.path}: {what} keeps its data in {location!r}, outside the model's folder; gatescope reads "
            f"external data only from files beside the model (re-save it with onnx.save_model(..., "
            f"save_as_external_data=True) or as one file)"
        )
        posix, windows = PurePosixPath(location.replace("\\", "/")), PureWindowsPath(location)
        if not location or "\x00" in location:
            raise GatescopeError(f"{self.path}: {what} has external data without a file name; the file is damaged")
        if posix.is_absolute() or windows.is_absolute() or windows.drive or ".." in posix.parts:
            raise GatescopeError(outside)
        folder = Path(os.path.realpath(self.folder))
        target = Path(os.path.realpath(self.folder / posix))
        if folder != target and folder not in target.parents:
            raise GatescopeError(outside)
        if not target.is_file():
            raise GatescopeError(
                f"{self.path}: {what} keeps its data in {location!r}, which is missing beside the model; copy that "
                f"file into {self.folder} with the model"
            )
        return target


_TYPED_FIELDS = {
    1: "float_data",
    2: "int32_data",
    3: "int32_data",
    5: "int32_data",
    6: "int32_data",
    7: "int64_data",
    9: "int32_data",
    10: "int32_data",
    11: "double_data",
    16: "int32_data",
}


def _as_numpy(array: np.ndarray, element_type: int) -> np.ndarray:
    """Stored elements as the NumPy array they mean: bfloat16 bits widened to float32, byte order native."""
    if element_type == _BFLOAT16:
        array = (array.astype(np.uint32) << 16).view(np.float32)
    array = array.astype(array.dtype.newbyteorder("="), copy=False)
    array.flags.writeable = False
    return array


def text(value: str | bytes) -> str:
    """A protobuf string field as text: the Python protobuf hands back bytes when they are not valid UTF-8."""
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else value


def _type_name(element_type: int) -> str:
    names = {4: "uint16", 8: "string", 12: "uint32", 13: "uint64", 14: "complex64", 15: "complex128"}
    return names.get(element_type, f"number {element_type} (an 8-, 6-, 4- or 2-bit type)")
