"""Training data files (gatescope/train/data) and the one reader of their tab-separated tables.

The built package leaves the data folder out to keep the default install small: reading a file that is not there
raises a GatescopeError that says how to get it. Tables have a header line naming their columns; lines starting
with "#" are comments and blank lines are skipped. Every problem is reported with the file, the line and the fix.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable

from gatescope.errors import GatescopeError

NOT_INSTALLED = (
    "training data not installed: gatescope/train/data/{name} is not part of the gatescope package (its 4.5 MB of "
    "training data stay in the source repository); to train this model, clone gatescope's source, run "
    "'bash scripts/setup.sh' there and use its .venv/bin/gatescope train (the brackets task needs no data files)"
)


def data_folder() -> Traversable:
    """gatescope/train/data, wherever gatescope is installed (it may be missing: see NOT_INSTALLED)."""
    return resources.files("gatescope.train").joinpath("data")


def data_file(name: str) -> Traversable:
    """A file of gatescope/train/data by its name ("adjectives.tsv", "phrases/slots.tsv"), which must exist."""
    folder = data_folder()
    path = folder.joinpath(*name.split("/"))
    if not path.is_file():
        if not folder.joinpath("README.md").is_file():
            raise GatescopeError(NOT_INSTALLED.format(name=name))
        raise GatescopeError(f"{path}: no such training data file; restore it from the source repository")
    return path


def read_lines(name: str) -> Iterator[tuple[int, str]]:
    """(line number, text) of every non-blank line of a data file, comments included, without the line end."""
    with data_file(name).open("r", encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            text = line.rstrip("\r\n")
            if text.strip():
                yield number, text


@dataclass(frozen=True)
class Row:
    """One data line of a table: its values by column, and where it stands for error messages."""

    file: str
    line: int
    values: dict[str, str]

    def __getitem__(self, column: str) -> str:
        return self.values[column]

    def error(self, problem: str) -> GatescopeError:
        """A GatescopeError that names this row's file and line before the problem (which says the fix)."""
        return GatescopeError(f"{self.file}:{self.line}: {problem}")

    def one_of(self, column: str, allowed: Sequence[str]) -> str:
        """The column's value, which must be one of ``allowed``."""
        value = self.values[column]
        if value not in allowed:
            raise self.error(f"{column} is {value!r}; write one of: {', '.join(allowed)}")
        return value

    def flag(self, column: str, true: str = "yes", false: str = "no") -> bool:
        """A two-valued column (yes/no, plural/singular) as a bool."""
        return self.one_of(column, (true, false)) == true

    def weight(self, column: str = "weight") -> int:
        """A positive whole number: how often the row is picked relative to its neighbours."""
        value = self.values[column]
        if not value.isdigit() or int(value) == 0:
            raise self.error(f"{column} is {value!r}; write a whole number of at least 1")
        return int(value)


def read_table(name: str, columns: Sequence[str]) -> list[Row]:
    """The rows of a data table whose header names exactly ``columns``; every row has a value in every column."""
    numbers: list[int] = []

    def data_lines() -> Iterator[str]:
        for number, text in read_lines(name):
            if not text.startswith("#"):
                numbers.append(number)
                yield text

    rows: list[Row] = []
    file = f"gatescope/train/data/{name}"
    expected = "<TAB>".join(columns)
    for fields in csv.reader(data_lines(), delimiter="\t", quoting=csv.QUOTE_NONE, strict=True):
        row = Row(file, numbers[-1], dict(zip(columns, fields, strict=False)))
        if len(numbers) == 1:
            if fields != list(columns):
                raise row.error(f"the header should be {expected}, found {'<TAB>'.join(fields)}")
            continue
        if len(fields) != len(columns):
            raise row.error(
                f"{len(fields)} values where the header has {len(columns)} ({expected}); "
                "give every column a value, separated by single tabs"
            )
        for column, value in row.values.items():
            if not value or value != value.strip():
                raise row.error(f"{column} {value!r} is empty or has spaces at an end; write the value alone")
        rows.append(row)
    if not numbers:
        raise GatescopeError(f"{file}: no header line; the first line that is not a comment names the columns")
    return rows
