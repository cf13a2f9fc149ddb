"""Read and write .npz archives safely: arrays only, headers checked before any data is read, nothing executed."""

from __future__ import annotations

import json
import os
import stat
import tempfile
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, BinaryIO

import numpy as np

from gatescope._paths import path_error, path_status, temporary_prefix, user_path
from gatescope.errors import GatescopeError

#: A JSON object as ``json.loads`` returns it.
JsonObject = dict[str, Any]

#: One array may hold at most this many bytes (a guard against crafted headers claiming huge shapes).
MAX_ARRAY_BYTES = 1 << 31


def is_npz(path: Path) -> bool:
    """True when ``path`` is a readable zip archive (what numpy.savez writes)."""
    try:
        return path.is_file() and zipfile.is_zipfile(path)
    except OSError:
        return False


def array_names(path: Path) -> list[str]:
    """Names of the arrays in an .npz without reading any data (empty when unreadable)."""
    try:
        with zipfile.ZipFile(path) as archive:
            return [name[:-4] for name in archive.namelist() if name.endswith(".npy")]
    except (OSError, zipfile.BadZipFile, EOFError, ValueError):
        return []


def read_npz(path: Path, only: str | None = None) -> dict[str, np.ndarray]:
    """All arrays of an .npz (or just ``only``), refusing object arrays, pickles and oversized headers."""
    check_readable(path)
    if not zipfile.is_zipfile(path):
        raise GatescopeError(f"{path}: not a .npz archive (it is not a zip file)")
    arrays: dict[str, np.ndarray] = {}
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                if info.is_dir():
                    continue
                if not info.filename.endswith(".npy"):
                    raise GatescopeError(f"{path}: unexpected member {info.filename!r}; a .npz holds only .npy arrays")
                name = info.filename[:-4]
                if only is not None and name != only:
                    continue
                if name in arrays:
                    raise GatescopeError(f"{path}: array {name!r} appears twice")
                with archive.open(info) as member:
                    arrays[name] = _read_member(path, name, member)
    except GatescopeError:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, KeyError) as error:
        raise GatescopeError(f"{path}: damaged or truncated archive ({error})") from None
    return arrays


def _read_member(path: Path, name: str, member: IO[bytes]) -> np.ndarray:
    version = np.lib.format.read_magic(member)
    if version == (1, 0):
        shape, fortran_order, dtype = np.lib.format.read_array_header_1_0(member)
    elif version == (2, 0):
        shape, fortran_order, dtype = np.lib.format.read_array_header_2_0(member)
    else:
        raise GatescopeError(f"{path}: array {name!r} uses unsupported .npy version {version}")
    if dtype.hasobject:
        raise GatescopeError(f"{path}: array {name!r} holds Python objects; refused (loading it could run code)")
    size = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if size > MAX_ARRAY_BYTES:
        raise GatescopeError(f"{path}: array {name!r} claims {size:,} bytes; refused as too large")
    data = member.read(size + 1)
    if len(data) != size:
        raise GatescopeError(f"{path}: array {name!r} is truncated ({len(data):,} of {size:,} bytes)")
    array = np.frombuffer(data, dtype=dtype)
    shaped: np.ndarray = array.reshape(shape, order="F" if fortran_order else "C")
    return shaped.copy()


def check_readable(path: Path) -> None:
    """GatescopeError unless ``path`` is an existing, readable regular file."""
    status = path_status(path)
    if status is None:
        raise GatescopeError(f"{path}: no such file")
    if stat.S_ISDIR(status.st_mode):
        raise GatescopeError(f"{path}: is a folder, not a file; choose a model file inside it")
    if not stat.S_ISREG(status.st_mode):
        raise GatescopeError(f"{path}: not a regular file")
    if not os.access(path, os.R_OK):
        raise GatescopeError(f"{path}: permission denied")


def read_json_array(path: Path, array: np.ndarray, name: str) -> JsonObject:
    """Decode a JSON object stored as a uint8 array."""
    if array.dtype != np.uint8 or array.ndim != 1:
        raise GatescopeError(f"{path}: {name!r} must be UTF-8 JSON bytes (uint8, 1-D), not {array.dtype} {array.shape}")
    try:
        value = json.loads(array.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise GatescopeError(f"{path}: {name!r} is not valid JSON ({error})") from None
    if not isinstance(value, dict):
        raise GatescopeError(f"{path}: {name!r} must be a JSON object")
    return value


def json_array(value: JsonObject) -> np.ndarray:
    """A JSON object as a uint8 array, for storing beside numeric arrays."""
    try:
        text = json.dumps(value, ensure_ascii=False, sort_keys=True, allow_nan=False)
        return np.frombuffer(text.encode("utf-8"), np.uint8)
    except (TypeError, ValueError, UnicodeEncodeError) as error:
        raise GatescopeError(
            f"metadata cannot be written as JSON ({error}); use plain str, int, float, bool, list and dict values"
        ) from None


def write_npz_atomic(path: str | os.PathLike[str], arrays: dict[str, np.ndarray], compress: bool = True) -> None:
    """Write an .npz via a temporary file in the same folder, then rename: never a half-written file."""
    save = np.savez_compressed if compress else np.savez
    write_atomic(path, lambda stream: save(stream, **arrays))  # type: ignore[arg-type]  # numpy's stub: allow_pickle


def write_atomic(path: str | os.PathLike[str], write: Callable[[BinaryIO], object]) -> None:
    """Call ``write(stream)`` on a temporary file beside ``path`` (``~`` expanded), then rename it into place (usual
    permissions)."""
    path = user_path(path)
    folder = path.parent if str(path.parent) else Path(".")
    folder_status = path_status(folder, "write")
    if folder_status is None or not stat.S_ISDIR(folder_status.st_mode):
        raise GatescopeError(f"{path}: folder {folder} does not exist")
    path_status(path, "write")  # a name the file system refuses (too long, ...): said before anything is written
    try:
        handle, temporary = tempfile.mkstemp(prefix=temporary_prefix(path), suffix=".tmp", dir=folder)
    except OSError as error:
        raise path_error(path, error, "write") from None
    try:
        with os.fdopen(handle, "wb") as stream:
            write(stream)
        os.chmod(temporary, path.stat().st_mode & 0o777 if path.exists() else 0o666 & ~_umask())
        os.replace(temporary, path)
    except BaseException as error:
        Path(temporary).unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise GatescopeError(f"{path}: cannot write ({error.strerror})") from None
        raise


def _umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current
