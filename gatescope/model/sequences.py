"""Input sequences that are not text: token ids typed as integers ("3 17 5") for a model that reads ids, and a float
array (T, features) from a CSV or .npy file for a model without an embedding. The command line and the GUI read them
here, so both accept and refuse the same inputs with the same words.

A CSV has one row per step and one column per feature, separated by commas (or semicolons, tabs or spaces when no
comma is used). Blank lines and lines starting with ``#`` are skipped, and so is a first row in which no cell is a
number (a header of names). A .npy holds a (T, features) array, a (T,) array for a model reading one feature, or a
(1, T, features) batch of one; it is read without unpickling anything.

The GUI checks ids as they are typed with :func:`locate_ids`, which says where in the text a problem is; an example
input (:func:`example_ids`, :func:`example_sequence`) starts a model that cannot read text before the user gives theirs.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from gatescope._paths import path_error, user_path
from gatescope.errors import GatescopeError
from gatescope.model.formats.npzfile import check_readable, read_npy

#: Bytes of a CSV input read at most.
MAX_CSV_BYTES = 100_000_000
_ID = re.compile(r"[^\s,]+")
_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]+")
_DELIMITERS = (",", ";", "\t")
#: Steps of an example sequence, and ids of an example id input at most.
EXAMPLE_STEPS = 24
EXAMPLE_IDS = 8
NO_IDS = "no token ids given: type whole numbers separated by spaces, e.g. 3 17 5"


@dataclass(frozen=True)
class InputProblem:
    """Why typed input cannot be read, and where in the text (character offsets, end exclusive; equal: nowhere)."""

    message: str
    start: int
    end: int


def parse_ids(text: str, rows: int | None = None) -> npt.NDArray[np.int64]:
    """Token ids typed as whole numbers separated by spaces or commas ("3 17 5"), as int64 (T,); each checked to be in
    0 .. rows - 1 when ``rows`` (the embedding's rows) is given."""
    located = locate_ids(text, rows)
    if isinstance(located, InputProblem):
        raise GatescopeError(located.message)
    return located[0]


def locate_ids(
    text: str, rows: int | None = None
) -> tuple[npt.NDArray[np.int64], list[tuple[int, int]]] | InputProblem:
    """parse_ids, with each id's place in ``text`` (character offsets): the ids and their spans, or the first problem
    and where it is (the GUI underlines it while the user types)."""
    ids: list[int] = []
    spans: list[tuple[int, int]] = []
    for match in _ID.finditer(text):
        try:
            ids.append(_token_id(match.group(), rows))
        except GatescopeError as error:
            return InputProblem(str(error), match.start(), match.end())
        spans.append(match.span())
    if not ids:
        return InputProblem(NO_IDS, 0, len(text))
    return np.array(ids, dtype=np.int64), spans


def _token_id(part: str, rows: int | None) -> int:
    if not _WHOLE_NUMBER.fullmatch(part):
        raise GatescopeError(f"{part!r} is not a token id: ids are whole numbers separated by spaces, e.g. 3 17 5")
    number = int(part)
    if number < 0 or (rows is not None and number >= rows):
        limit = f"0 to {rows - 1}" if rows is not None else "0 and up"
        raise GatescopeError(f"token id {number} is out of range: this model's ids run from {limit}")
    if number > np.iinfo(np.int64).max:
        raise GatescopeError(f"token id {number} is out of range")
    return number


def ids_text(ids: np.ndarray) -> str:
    """Token ids as they are typed: "3 17 5"."""
    return " ".join(str(int(i)) for i in ids)


def example_ids(count: int) -> npt.NDArray[np.int64]:
    """A few ids to start a model that reads ids with: 1, 2, … (0 is often padding), within 0 .. count - 1."""
    if count <= 1:
        return np.zeros(1, dtype=np.int64)
    return np.arange(1, min(count, EXAMPLE_IDS + 1), dtype=np.int64)


def example_sequence(features: int, steps: int = EXAMPLE_STEPS) -> npt.NDArray[np.float64]:
    """Sine waves (T, features), one phase per feature: something to show before the user opens their own."""
    time = np.arange(steps, dtype=np.float64)[:, None]
    phase = np.arange(features, dtype=np.float64)[None, :] * (np.pi / max(features, 1))
    return np.sin(2 * np.pi * time / 12 + phase)


def read_sequence(path: str | Path, features: int) -> np.ndarray:
    """The (T, features) float array in a CSV or .npy file (by content: a .npy starts with its magic bytes); every
    problem is a GatescopeError naming the file, the place and what to do."""
    path = user_path(path)
    check_readable(path)  # a folder, a pipe or a device is refused before it is opened (a pipe would block)
    try:
        with path.open("rb") as stream:
            magic = stream.read(6)
    except OSError as error:
        raise path_error(path, error) from None
    binary = magic.startswith((b"\x93NUMPY", b"PK\x03\x04"))  # a .npy, or an .npz read_npy refuses by name
    array = _read_npy(path) if binary else _read_csv(path)
    return _checked(path, array, features)


def _read_npy(path: Path) -> np.ndarray:
    array = read_npy(path)
    if array.dtype.kind not in "fiu":
        raise GatescopeError(f"{path}: the array holds {array.dtype} values; an input sequence is numbers")
    if array.ndim == 3 and array.shape[0] == 1:  # a batch of one sequence
        array = array[0]
    return array if array.dtype.kind == "f" else array.astype(np.float64)


def _read_csv(path: Path) -> np.ndarray:
    try:
        size = path.stat().st_size
        if size > MAX_CSV_BYTES:
            raise GatescopeError(
                f"{path}: {size:,} bytes is too large for an input sequence (at most {MAX_CSV_BYTES:,})"
            )
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as error:
        raise path_error(path, error) from None
    except UnicodeDecodeError:
        raise GatescopeError(f"{path}: neither a .npy array nor a CSV of numbers (UTF-8 text)") from None
    lines = [(number, line) for number, line in enumerate(text.splitlines(), start=1) if _is_data(line)]
    if not lines:
        raise GatescopeError(f"{path}: no rows of numbers; give one row per step, one column per feature")
    delimiter = next((mark for mark in _DELIMITERS if mark in lines[0][1]), None)
    rows = [(number, _cells(line, delimiter)) for number, line in lines]
    if all(not _is_number(cell) for cell in rows[0][1]):
        rows = rows[1:]  # a header of names
        if not rows:
            raise GatescopeError(f"{path}: only a header row, no rows of numbers")
    width = len(rows[0][1])
    values = np.empty((len(rows), width), dtype=np.float64)
    for row, (number, cells) in enumerate(rows):
        if len(cells) != width:
            raise GatescopeError(
                f"{path}: line {number} has {_values(len(cells))} but line {rows[0][0]} has {width}; every row is "
                f"one step with the same number of features"
            )
        for column, cell in enumerate(cells):
            values[row, column] = _number(path, number, column, cell)
    return values


def _values(count: int) -> str:
    return f"{count} value" if count == 1 else f"{count} values"


def _is_data(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")


def _cells(line: str, delimiter: str | None) -> list[str]:
    return [cell.strip() for cell in line.split(delimiter)] if delimiter else line.split()


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _number(path: Path, line: int, column: int, cell: str) -> float:
    if not cell:
        raise GatescopeError(f"{path}: line {line}, column {column + 1} is empty; every step needs every feature")
    try:
        value = float(cell)
    except ValueError:
        raise GatescopeError(f"{path}: line {line}, column {column + 1}: {cell!r} is not a number") from None
    if not math.isfinite(value):
        raise GatescopeError(f"{path}: line {line}, column {column + 1} is {cell}; the input must be finite numbers")
    return value


def _checked(path: Path, array: np.ndarray, features: int) -> np.ndarray:
    """The array as (T, features), refused when empty, of another width or not finite."""
    if array.ndim == 1 and features == 1:
        array = array[:, np.newaxis]
    if array.ndim != 2:
        raise GatescopeError(
            f"{path}: the array has shape {array.shape}; an input sequence is (steps, features) = (T, {features})"
        )
    if array.shape[0] == 0:
        raise GatescopeError(f"{path}: the sequence has no steps; give at least one row")
    if array.shape[1] != features:
        raise GatescopeError(
            f"{path}: each step has {_values(array.shape[1])} but the model reads {features} features a step"
        )
    if not np.all(np.isfinite(array)):
        step, column = (int(i) for i in np.argwhere(~np.isfinite(array))[0])
        raise GatescopeError(
            f"{path}: step {step + 1}, feature {column + 1} is {array[step, column]}; the input must be finite numbers"
        )
    return array
