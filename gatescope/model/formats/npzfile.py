"""Read and write .npz archives safely: arrays only, only those asked for, their declared sizes checked against a
budget (:mod:`budget`) before any data is inflated, nothing executed."""

from __future__ import annotations

import json
import os
import stat
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, BinaryIO

import numpy as np

from gatescope._paths import path_error, path_status, user_path
from gatescope.atomic import remove_leftovers, sync_folder_quietly, sync_path, temporary_file
from gatescope.errors import GatescopeError
from gatescope.model.formats.budget import ReadBudget, array_bytes, read_exactly, size_text

#: A JSON object as ``json.loads`` returns it.
JsonObject = dict[str, Any]


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
    with NpzArchive(path) as archive:
        return archive.read([name for name in archive.names if only is None or name == only])


class NpzArchive:
    """An .npz opened for reading: its array names come from the zip directory at once; an array's data is
    inflated only when :meth:`read` asks for it, after its declared sizes passed the file's :class:`ReadBudget`."""

    def __init__(self, path: Path, budget: ReadBudget | None = None) -> None:
        check_readable(path)
        if not zipfile.is_zipfile(path):
            raise GatescopeError(f"{path}: not a .npz archive (it is not a zip file)")
        self.path = path
        self.budget = budget or ReadBudget(path)
        try:
            self._zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, EOFError, OSError, ValueError) as error:
            raise GatescopeError(f"{path}: damaged or truncated archive ({error})") from None
        try:
            self._members = self._list_members()
        except BaseException:
            self._zip.close()
            raise

    def _list_members(self) -> dict[str, zipfile.ZipInfo]:
        members: dict[str, zipfile.ZipInfo] = {}
        for info in self._zip.infolist():
            if info.is_dir():
                continue
            if not info.filename.endswith(".npy"):
                raise GatescopeError(f"{self.path}: unexpected member {info.filename!r}; a .npz holds only .npy arrays")
            name = info.filename[:-4]
            if name in members:
                raise GatescopeError(f"{self.path}: array {name!r} appears twice")
            members[name] = info
        return members

    @property
    def names(self) -> list[str]:
        """The arrays in the archive, in its order."""
        return list(self._members)

    def declared_size(self, name: str) -> int:
        """Bytes the zip directory says array ``name`` inflates to (its .npy header included); nothing is read."""
        return self._members[name].file_size

    def read(self, names: list[str]) -> dict[str, np.ndarray]:
        """The arrays ``names``: their declared sizes are all charged to the budget before the first is inflated."""
        self.budget.reserve({name: self._members[name].file_size for name in names})
        arrays: dict[str, np.ndarray] = {}
        try:
            for name in names:
                info = self._members[name]
                with self._zip.open(info) as member:
                    arrays[name] = _read_member(self.path, name, member, info.file_size, self.budget)
        except GatescopeError:
            raise
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError) as error:
            raise GatescopeError(f"{self.path}: damaged or truncated archive ({error})") from None
        return arrays

    def close(self) -> None:
        self._zip.close()

    def __enter__(self) -> NpzArchive:
        return self

    def __exit__(self, *exception: object) -> None:
        self.close()


def read_npy(path: Path, budget: ReadBudget | None = None) -> np.ndarray:
    """The array in a .npy file, its header checked against the budget and the file's size before any data is read."""
    check_readable(path)
    budget = budget or ReadBudget(path)
    try:
        with path.open("rb") as stream:
            if stream.read(4) == b"PK\x03\x04":
                raise GatescopeError(f"{path}: expected one array (.npy), not an archive (.npz)")
            stream.seek(0)
            size = os.fstat(stream.fileno()).st_size
            budget.reserve({path.name: size})
            return _read_member(path, path.name, stream, size, budget)
    except GatescopeError:
        raise
    except (EOFError, OSError, ValueError) as error:
        raise GatescopeError(f"{path}: not a readable .npy array ({error})") from None


def _read_member(path: Path, name: str, member: IO[bytes], declared: int, budget: ReadBudget) -> np.ndarray:
    """One .npy stream whose container declares ``declared`` bytes: the header first, then exactly its data."""
    shape, fortran_order, dtype = _read_header(path, name, member)
    nbytes = array_bytes(shape, dtype)
    budget.check_array(name, nbytes)
    holds = declared - member.tell()
    if holds < nbytes:
        raise GatescopeError(f"{path}: array {name!r} is truncated ({holds:,} of {nbytes:,} bytes)")
    if holds > nbytes:
        raise GatescopeError(
            f"{path}: array {name!r} holds {holds:,} bytes, more than its header declares ({nbytes:,}); damaged"
        )
    # Fortran order stores the transpose of shape[::-1] in C order: read that, then lay it out in C order.
    try:
        array = np.empty(shape[::-1] if fortran_order else shape, dtype=dtype)
    except MemoryError:
        raise GatescopeError(
            f"{path}: not enough memory to read array {name!r} ({size_text(nbytes)}); close other programs"
        ) from None
    read_exactly(member, array, f"{path}: array {name!r}")
    return np.ascontiguousarray(array.T) if fortran_order else array


def _read_header(path: Path, name: str, member: IO[bytes]) -> tuple[tuple[int, ...], bool, np.dtype]:
    version = np.lib.format.read_magic(member)
    if version == (1, 0):
        shape, fortran_order, dtype = np.lib.format.read_array_header_1_0(member)
    elif version == (2, 0):
        shape, fortran_order, dtype = np.lib.format.read_array_header_2_0(member)
    else:
        raise GatescopeError(f"{path}: array {name!r} uses unsupported .npy version {version}")
    if dtype.hasobject:
        raise GatescopeError(f"{path}: array {name!r} holds Python objects; refused (loading it could run code)")
    if any(side < 0 for side in shape):
        raise GatescopeError(f"{path}: array {name!r} has a negative side in its shape {shape}; damaged")
    return tuple(shape), bool(fortran_order), dtype


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
    """Call ``write(stream)`` on a temporary file beside ``path`` (``~`` expanded), flush it to disk, then rename it
    into place (usual permissions); temporary names as :mod:`gatescope.atomic` gives them, so that what a killed
    process left is recognised and removed by the next write into the folder."""
    path = user_path(path)
    folder = path.parent if str(path.parent) else Path(".")
    folder_status = path_status(folder, "write")
    if folder_status is None or not stat.S_ISDIR(folder_status.st_mode):
        raise GatescopeError(f"{path}: folder {folder} does not exist")
    path_status(path, "write")  # a name the file system refuses (too long, ...): said before anything is written
    remove_leftovers(folder)
    try:
        temporary = temporary_file(folder, path)
    except OSError as error:
        raise path_error(path, error, "write") from None
    try:
        with temporary.open("wb") as stream:
            write(stream)
        sync_path(temporary)  # on the disk before it takes the place of anything
        os.chmod(temporary, path.stat().st_mode & 0o777 if path.exists() else 0o666 & ~_umask())
        os.replace(temporary, path)
        sync_folder_quietly(folder)
    except BaseException as error:
        temporary.unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise GatescopeError(f"{path}: cannot write ({error.strerror})") from None
        raise


def _umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current
