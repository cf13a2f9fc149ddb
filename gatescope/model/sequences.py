"""Inputs that are not text: token ids typed as numbers ("3 17 5"), and number sequences (T, features) read from a
CSV or .npy file, one row per step — for models without a vocabulary or without an embedding.

Everything here is strict: a problem is a GatescopeError saying where (the row and column, or the position in the
typed text) and what to do. Nothing is executed or unpickled.
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

#: Bytes of a CSV sequence read at most (about ten million numbers).
MAX_CSV_BYTES = 100_000_000
#: Steps of an example sequence, and how many ids an example id input has at most.
EXAMPLE_STEPS = 24
EXAMPLE_IDS = 8
_NUMBER_LIKE = re.compile(r"\S+")


def read_sequence(path: str | Path) -> npt.NDArray[np.float64]:
    """A (T, features) float array from a CSV file (numbers separated by commas, one row per step) or a .npy file
    ((T, features), or (T,) for one feature). The caller checks ``features`` against the model's input size."""
    from gatescope.model.formats.npzfile import check_readable

    path = user_path(path)
    check_readable(path)  # a folder, a pipe or a device is refused before it is opened
    try:
        with path.open("rb") as stream:
            magic = stream.read(6)
    except OSError as error:
        raise path_error(path, error) from None
    if magic == b"\x93NUMPY":
        return _checked(path, _read_npy(path))
    if magic[:4] == b"PK\x03\x04":
        raise GatescopeError(f"{path}: a zip archive (.npz?); an input sequence is one .npy array or a CSV of numbers")
    return _checked(path, _read_csv(path))


def _read_npy(path: Path) -> np.ndarray:
    from gatescope.model.formats.npzfile import read_npy

    array = read_npy(path)  # header and size checked before any data; object arrays (pickles) refused
    if array.dtype.kind not in "fiub":
        raise GatescopeError(f"{path}: holds {array.dtype} values; an input sequence holds real numbers")
    if array.ndim == 1:
        array = array.reshape(-1, 1)
    if array.ndim != 2:
        raise GatescopeError(
            f"{path}: an array of shape {array.shape}; an input sequence is (steps, features), one row per step"
        )
    return array.astype(np.float64)


def _read_csv(path: Path) -> np.ndarray:
    try:
        size = path.stat().st_size
        if size > MAX_CSV_BYTES:
            raise GatescopeError(
                f"{path}: {size:,} bytes is more than the {MAX_CSV_BYTES:,} bytes of CSV gatescope reads as an input "
                f"sequence; save it as .npy instead"
            )
        text = path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise path_error(path, error) from None
    except UnicodeDecodeError:
        raise GatescopeError(
            f"{path}: not a text file; an input sequence is a CSV of numbers (one row per step) or a .npy array"
        ) from None
    rows: list[list[float]] = []
    width = None
    for line_number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.split(",")
        if width is None:
            width = len(fields)
        elif len(fields) != width:
            raise GatescopeError(
                f"{path}: line {line_number} has {len(fields)} numbers but the first row has {width}; every row "
                f"(step) needs the same number of features"
            )
        rows.append([_number(path, line_number, column, field) for column, field in enumerate(fields, start=1)])
    if not rows:
        raise GatescopeError(f"{path}: no numbers in it; write one row of numbers per step, separated by commas")
    return np.array(rows, dtype=np.float64)


def _number(path: Path, line: int, column: int, field: str) -> float:
    try:
        value = float(field)
    except ValueError:
        shown = field.strip() or "(empty)"
        raise GatescopeError(
            f"{path}: line {line}, column {column}: {shown!r} is not a number; the file must hold only numbers "
            f"separated by commas, one row per step (no header row)"
        ) from None
    if not math.isfinite(value):
        raise GatescopeError(f"{path}: line {line}, column {column}: {field.strip()} is not a finite number")
    return value


def _checked(path: Path, array: np.ndarray) -> npt.NDArray[np.float64]:
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise GatescopeError(f"{path}: the sequence is empty (shape {array.shape}); it needs at least one step")
    finite = np.isfinite(array)
    if not finite.all():
        row, column = (int(i) for i in np.argwhere(~finite)[0])
        raise GatescopeError(f"{path}: row {row + 1}, column {column + 1} is {array[row, column]}, not a finite number")
    return np.ascontiguousarray(array, dtype=np.float64)


def check_width(path: str | Path, sequence: np.ndarray, input_size: int) -> None:
    """GatescopeError unless every step of ``sequence`` has the ``input_size`` features the model reads."""
    if sequence.shape[1] != input_size:
        raise GatescopeError(
            f"{path}: {sequence.shape[1]} feature{'s' if sequence.shape[1] != 1 else ''} a step, but the model reads "
            f"{input_size}; give a sequence with {input_size} number{'s' if input_size != 1 else ''} in every row"
        )


@dataclass(frozen=True)
class InputProblem:
    """Why typed input cannot be read, and where in the text (character offsets, end exclusive; equal: nowhere)."""

    message: str
    start: int
    end: int


def parse_ids(text: str, count: int) -> tuple[npt.NDArray[np.int64], list[tuple[int, int]]] | InputProblem:
    """Token ids typed as whole numbers separated by spaces (or commas): the ids and each one's character span, or
    the first problem (not a whole number, out of range 0 .. count - 1, no ids at all)."""
    ids: list[int] = []
    spans: list[tuple[int, int]] = []
    for match in _NUMBER_LIKE.finditer(text.replace(",", " ")):
        word, start, end = match.group(), match.start(), match.end()
        if not (word.isascii() and (word.isdigit() or (word[0] in "+-" and word[1:].isdigit()))):
            return InputProblem(f"{word!r} is not a token id: type whole numbers separated by spaces", start, end)
        value = int(word)
        if not 0 <= value < count:
            message = f"token id {value} is out of range: this model's ids run from 0 to {count - 1}"
            return InputProblem(message, start, end)
        ids.append(value)
        spans.append((start, end))
    if not ids:
        return InputProblem(f"no token ids: type numbers from 0 to {count - 1} separated by spaces", 0, len(text))
    return np.array(ids, dtype=np.int64), spans


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
