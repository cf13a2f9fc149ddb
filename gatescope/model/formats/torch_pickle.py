"""The pickle inside a PyTorch file (``data.pkl``), read without torch and without running anything it names.

A pickle may name any importable function and have the reader call it: that is how ``torch.save(model)`` rebuilds a
module, and how a hostile file runs ``os.system``. This reader's ``find_class`` answers only the exact names torch
writes for tensors and plain values (the table ``_GLOBALS``), each mapped to an in-house function or an inert token;
any other name is refused before anything is imported. Plain values (dicts, lists, strings, numbers) come from pickle
opcodes alone, so a training checkpoint's epoch and optimizer state read as data.

Tensors are not read while unpickling: each becomes a :class:`LazyTensor` (storage, offset, shape, strides, checked
against the storage's declared size), so that only the tensors a model needs are ever read from the zip.
"""

from __future__ import annotations

import io
import math
import pickle
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn, TypeGuard

import numpy as np

from gatescope.errors import GatescopeError

#: Bytes of data.pkl read at most: a state_dict's pickle is a few kB per tensor.
MAX_PICKLE_BYTES = 50_000_000
#: How to save a file gatescope can read, said in every refusal of a name.
SAVE_STATE_DICT = 'torch.save(model.state_dict(), "model.pt")'


@dataclass(frozen=True, slots=True)
class ElementType:
    """An inert stand-in for a torch storage class or dtype: the NumPy dtype its bytes hold (little-endian)."""

    name: str
    dtype: np.dtype[Any]
    bfloat16: bool = False

    def __setstate__(self, state: object) -> NoReturn:
        _refuse_state(self.name)


#: torch storage class and torch dtype names -> the element type of their bytes.
_ELEMENTS = {
    "Float": ("float32", "<f4"),
    "Double": ("float64", "<f8"),
    "Half": ("float16", "<f2"),
    "BFloat16": ("bfloat16", "<u2"),
    "Long": ("int64", "<i8"),
    "Int": ("int32", "<i4"),
    "Short": ("int16", "<i2"),
    "Char": ("int8", "i1"),
    "Byte": ("uint8", "u1"),
    "Bool": ("bool", "?"),
}
_STORAGES = {
    f"{storage}Storage": ElementType(dtype_name, np.dtype(code), dtype_name == "bfloat16")
    for storage, (dtype_name, code) in _ELEMENTS.items()
}
_UNTYPED = ElementType("UntypedStorage", np.dtype("u1"))
#: Beginnings of torch's other dtype names (float8_e4m3fn, complex64, qint8, ...), refused as unsupported types.
_NUMBER_TYPES = ("float", "complex", "qint", "quint", "uint", "int", "bits", "cfloat", "cdouble")
_DTYPES = {element.name: element for element in _STORAGES.values()} | {
    "uint16": ElementType("uint16", np.dtype("<u2")),
    "uint32": ElementType("uint32", np.dtype("<u4")),
    "uint64": ElementType("uint64", np.dtype("<u8")),
    "float": _STORAGES["FloatStorage"],
    "double": _STORAGES["DoubleStorage"],
    "half": _STORAGES["HalfStorage"],
    "long": _STORAGES["LongStorage"],
    "int": _STORAGES["IntStorage"],
    "short": _STORAGES["ShortStorage"],
}


@dataclass(frozen=True, slots=True)
class Storage:
    """One storage the pickle refers to: zip member ``data/<key>`` holding ``count`` elements of ``element``."""

    key: str
    element: ElementType
    count: int

    def __setstate__(self, state: object) -> NoReturn:
        _refuse_state("a storage")


@dataclass(frozen=True, slots=True)
class LazyTensor:
    """A tensor as the pickle describes it, bounds-checked against its storage; :meth:`read` builds the array."""

    storage: Storage
    element: ElementType
    offset: int
    shape: tuple[int, ...]
    strides: tuple[int, ...]

    def __setstate__(self, state: object) -> NoReturn:
        _refuse_state("a tensor")

    @property
    def nbytes(self) -> int:
        """Bytes of the array :meth:`read` returns (bfloat16 becomes float32)."""
        itemsize = 4 if self.element.bfloat16 else self.element.dtype.itemsize
        return math.prod(self.shape) * itemsize

    def read(self, storage_bytes: bytes, byteorder: str) -> np.ndarray:
        """The tensor's values as a new C-contiguous array, from its storage's bytes (``byteorder`` "little" or "big";
        bfloat16 becomes float32, other types keep theirs in native byte order)."""
        dtype = self.element.dtype.newbyteorder("<" if byteorder == "little" else ">")
        elements = np.frombuffer(storage_bytes, dtype=dtype, count=len(storage_bytes) // dtype.itemsize)
        if len(elements) * dtype.itemsize != len(storage_bytes) or len(elements) < self.storage_elements:
            raise GatescopeError(
                f"storage {self.storage.key!r} holds fewer bytes than it declares; the file is damaged"
            )
        view = np.lib.stride_tricks.as_strided(
            elements[self.offset :],
            shape=self.shape,
            strides=tuple(step * dtype.itemsize for step in self.strides),
            writeable=False,
        )
        array = np.array(view, dtype=dtype.newbyteorder("="), order="C")
        if self.element.bfloat16:
            return (array.astype(np.uint32) << 16).view(np.float32)
        return array

    @property
    def storage_elements(self) -> int:
        """Elements of this tensor's type its storage holds."""
        if self.storage.element is _UNTYPED:
            return self.storage.count // self.element.dtype.itemsize
        return self.storage.count


class _Allowed:
    """An allowed global: calling it calls ``function``. Not a type (NEWOBJ refuses it) and without ``__dict__``
    (BUILD cannot change it)."""

    __slots__ = ("function", "qualified")

    def __init__(self, qualified: str, function: Callable[..., object]) -> None:
        self.qualified = qualified
        self.function = function

    def __call__(self, *args: object) -> object:
        return self.function(*args)

    def __setstate__(self, state: object) -> NoReturn:
        _refuse_state(self.qualified)


class _OrderedDict(dict[Any, Any]):
    """What ``collections.OrderedDict`` unpickles to: a dict that keeps the state BUILD gives it (torch's
    ``_metadata``) as an inert value."""

    __slots__ = ("pickled_state",)

    def __setstate__(self, state: object) -> None:
        if not isinstance(state, dict):
            raise pickle.UnpicklingError("an OrderedDict's state must be a dict")
        self.pickled_state = state


def _refuse_state(what: str) -> NoReturn:
    raise pickle.UnpicklingError(f"the pickle tries to change {what} after building it")


def _ordered_dict(*args: object) -> _OrderedDict:
    if not args:
        return _OrderedDict()
    if len(args) == 1 and isinstance(args[0], list) and all(isinstance(p, tuple) and len(p) == 2 for p in args[0]):
        return _OrderedDict(args[0])
    raise pickle.UnpicklingError("collections.OrderedDict is called with arguments torch never writes")


def _rebuild_tensor(storage: object, offset: object, size: object, stride: object) -> LazyTensor:
    """torch._utils._rebuild_tensor: a tensor of the storage's own type."""
    if not isinstance(storage, Storage):
        raise pickle.UnpicklingError("a tensor is rebuilt from something that is not a storage")
    if storage.element is _UNTYPED:
        raise pickle.UnpicklingError("a tensor without a dtype is rebuilt from an untyped storage")
    return _checked_tensor(storage, storage.element, offset, size, stride)


def _rebuild_tensor_v2(
    storage: object, offset: object, size: object, stride: object, requires_grad: object, hooks: object, *rest: object
) -> LazyTensor:
    """torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, backward_hooks[, metadata])."""
    _check_tensor_extras(requires_grad, hooks, rest, 1)
    return _rebuild_tensor(storage, offset, size, stride)


def _rebuild_tensor_v3(
    storage: object,
    offset: object,
    size: object,
    stride: object,
    requires_grad: object,
    hooks: object,
    dtype: object,
    *rest: object,
) -> LazyTensor:
    """torch._utils._rebuild_tensor_v3(..., dtype[, metadata]): dtypes without a storage class (uint16, float8...)."""
    _check_tensor_extras(requires_grad, hooks, rest, 1)
    if not isinstance(storage, Storage) or not isinstance(dtype, ElementType):
        raise pickle.UnpicklingError("_rebuild_tensor_v3 is called with arguments torch never writes")
    if storage.element is not _UNTYPED and storage.element != dtype:
        raise pickle.UnpicklingError(f"a {dtype.name} tensor is rebuilt from a {storage.element.name} storage")
    return _checked_tensor(storage, dtype, offset, size, stride)


def _rebuild_parameter(data: object, requires_grad: object, hooks: object, *state: object) -> LazyTensor:
    """torch._utils._rebuild_parameter[_with_state]: an nn.Parameter is its tensor."""
    _check_tensor_extras(requires_grad, hooks, state, 1)
    if not isinstance(data, LazyTensor):
        raise pickle.UnpicklingError("a parameter is rebuilt from something that is not a tensor")
    return data


def _check_tensor_extras(requires_grad: object, hooks: object, rest: tuple[object, ...], most: int) -> None:
    if not isinstance(requires_grad, bool) or not isinstance(hooks, dict) or len(rest) > most:
        raise pickle.UnpicklingError("a tensor is rebuilt with arguments torch never writes")


def _checked_tensor(storage: Storage, element: ElementType, offset: object, size: object, stride: object) -> LazyTensor:
    """A tensor after checking that every element it addresses lies inside its storage."""
    if not _is_count(offset) or not _is_counts(size) or not _is_counts(stride) or len(size) != len(stride):
        raise pickle.UnpicklingError("a tensor's offset, size and stride are not non-negative integers of one length")
    tensor = LazyTensor(storage, element, offset, tuple(size), tuple(stride))
    if math.prod(tensor.shape) == 0:
        return tensor
    if storage.element is _UNTYPED and storage.count % element.dtype.itemsize:
        raise GatescopeError(
            f"storage {storage.key!r} holds {storage.count} bytes, not a whole number of {element.name} values"
        )
    last = offset + sum((side - 1) * step for side, step in zip(tensor.shape, tensor.strides))
    if last >= tensor.storage_elements:
        raise GatescopeError(
            f"a tensor of shape {tensor.shape} (offset {offset}, stride {tensor.strides}) reaches element {last} of "
            f"storage {storage.key!r}, which holds {tensor.storage_elements}; the file is damaged"
        )
    return tensor


def _is_count(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_counts(value: object) -> TypeGuard[tuple[int, ...]]:
    return isinstance(value, tuple) and all(_is_count(side) for side in value)


def _torch_size(sides: object = ()) -> tuple[int, ...]:
    if not isinstance(sides, (tuple, list)) or not all(_is_count(side) for side in sides):
        raise pickle.UnpicklingError("torch.Size is called with something other than sizes")
    return tuple(sides)


def _torch_device(kind: object, index: object = None) -> str:
    """torch.device('cpu') / ('cuda', 0): where the tensor lived, as text (tensors are always read to memory)."""
    if not isinstance(kind, str) or not (index is None or _is_count(index)):
        raise pickle.UnpicklingError("torch.device is called with arguments torch never writes")
    return kind if index is None else f"{kind}:{index}"


def _codecs_encode(text: object, encoding: object = "utf-8") -> bytes:
    """_codecs.encode(text, 'latin1'): how protocol-2 pickles store bytes."""
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise pickle.UnpicklingError("_codecs.encode is called with arguments pickle never writes")
    return text.encode("latin1")


def _plain(kind: type, *element_types: type) -> Callable[..., object]:
    """A builtin container or number built only from plain values."""
    allowed: tuple[type, ...] = (str, bytes, int, float, complex, bool, type(None), tuple, list, *element_types)

    def build(*args: object) -> object:
        if len(args) > 2 or not all(isinstance(arg, allowed) for arg in args):
            raise pickle.UnpicklingError(f"{kind.__name__} is called with arguments pickle never writes")
        return kind(*args)

    return build


def _globals() -> dict[tuple[str, str], _Allowed]:
    table: dict[tuple[str, str], Callable[..., object]] = {
        ("collections", "OrderedDict"): _ordered_dict,
        ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
        ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
        ("torch._utils", "_rebuild_tensor_v3"): _rebuild_tensor_v3,
        ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
        ("torch._utils", "_rebuild_parameter_with_state"): _rebuild_parameter,
        ("torch", "Size"): _torch_size,
        ("torch", "device"): _torch_device,
        ("_codecs", "encode"): _codecs_encode,
    }
    for module in ("builtins", "__builtin__"):
        table[(module, "set")] = _plain(set, frozenset)
        table[(module, "frozenset")] = _plain(frozenset, frozenset)
        table[(module, "bytearray")] = _plain(bytearray)
        table[(module, "complex")] = _plain(complex)
    return {(module, name): _Allowed(f"{module}.{name}", function) for (module, name), function in table.items()}


_GLOBALS = _globals()


class _Unpickler(pickle.Unpickler):
    """Answers only the names in ``_GLOBALS``, storage classes and dtypes; resolves storages by their zip member."""

    def __init__(self, data: bytes, member_size: Callable[[str], int | None]) -> None:
        super().__init__(io.BytesIO(data))
        self._member_size = member_size
        self._storages: dict[str, Storage] = {}

    def find_class(self, module: str, name: str) -> object:
        if (module, name) in _GLOBALS:
            return _GLOBALS[(module, name)]
        if module == "torch" and name in _STORAGES:
            return _STORAGES[name]
        if module in ("torch", "torch.storage") and name == "UntypedStorage":
            return _UNTYPED
        if module == "torch" and name in _DTYPES:
            return _DTYPES[name]
        if module == "torch" and (name.endswith("Storage") or name.startswith(_NUMBER_TYPES)):
            raise GatescopeError(
                f"data.pkl holds tensors of type torch.{name}, which gatescope does not read; convert the weights to "
                f"float32 before saving: {{k: v.float() for k, v in model.state_dict().items()}}"
            )
        raise GatescopeError(refusal_of_global(module, name))

    def persistent_load(self, pid: object) -> Storage:
        """("storage", storage class, key, location, count) -> the storage in zip member data/<key>."""
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"):
            raise pickle.UnpicklingError("a persistent reference is not a storage")
        _, element, key, location, count = pid
        if not isinstance(element, ElementType) or not isinstance(key, str) or not isinstance(location, str):
            raise pickle.UnpicklingError("a storage reference does not name a storage type, a key and a device")
        if not _is_count(count):
            raise pickle.UnpicklingError(f"storage {key!r} declares a size that is not a count")
        storage = Storage(key, element, count)
        known = self._storages.get(key)
        if known is not None:
            if known != storage:
                raise GatescopeError(f"storage {key!r} is declared twice with different types or sizes; damaged")
            return known
        size = self._member_size(key)
        if size is None:
            raise GatescopeError(f"storage {key!r} is referred to but its data (data/{key}) is not in the file")
        expected = count * element.dtype.itemsize
        if size != expected:
            raise GatescopeError(
                f"storage {key!r} declares {count:,} {element.name} values ({expected:,} bytes) but data/{key} "
                f"holds {size:,} bytes; the file is damaged"
            )
        self._storages[key] = storage
        return storage


def unpickle(data: bytes, member_size: Callable[[str], int | None]) -> object:
    """The object data.pkl describes, tensors as :class:`LazyTensor`. ``member_size(key)`` is the byte size of zip
    member ``data/<key>`` (None when absent). Raises GatescopeError, for a refused name too."""
    try:
        return _Unpickler(data, member_size).load()
    except GatescopeError:
        raise
    except RecursionError:
        raise GatescopeError("data.pkl nests its values too deeply to read; the file is damaged") from None
    except MemoryError:
        raise GatescopeError("data.pkl needs more memory than this computer has; the file is damaged") from None
    except Exception as error:  # pickle reports damage with many types; none of them ran anything from the file
        raise GatescopeError(f"data.pkl is damaged or not what torch.save writes ({error})") from None


def refusal_of_global(module: str, name: str) -> str:
    """Why the global ``module.name`` is refused, and how to save a file gatescope reads."""
    qualified = f"{module}.{name}"
    user_object = module == "__main__" or (module.split(".")[0] not in sys.stdlib_module_names and name[:1].isupper())
    if user_object:
        what = (
            f"{qualified}, a class: the file holds a whole pickled object (torch.save(model) saves the model's "
            f"class and code references), which cannot be read without running code from the file"
        )
    else:
        what = (
            f"{qualified}, which gatescope never runs: it reads only the tensors and plain values torch.save "
            f"writes for a state_dict"
        )
    return (
        f"refused: data.pkl names {what} (nothing from the file was run). Save the weights instead: {SAVE_STATE_DICT}"
    )
