"""What every command shares: usage errors as one line, output-path checks, sizes, standard input."""

from __future__ import annotations

import argparse
import os
import stat
import sys
from pathlib import Path

from gatescope._paths import path_status
from gatescope.errors import GatescopeError

EXIT_USAGE = 2


class Parser(argparse.ArgumentParser):
    """argparse that reports a usage error as one line (and exit code 2), with no usage dump."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise GatescopeError(f"{message} (see '{self.prog} --help')")


def one_line(message: str) -> str:
    return " ".join(message.split())


def parse_size(text: str, low: tuple[int, int] = (320, 240)) -> tuple[int, int]:
    """ "1400x900" -> (1400, 900), within ``low`` .. 8000 pixels a side."""
    width, _, height = text.lower().partition("x")
    try:
        size = int(width), int(height)
    except ValueError:
        raise GatescopeError(f"--size {text!r}: expected WIDTHxHEIGHT, e.g. 1400x900") from None
    if not (low[0] <= size[0] <= 8000 and low[1] <= size[1] <= 8000):
        raise GatescopeError(f"--size {text!r}: width {low[0]}..8000 and height {low[1]}..8000 pixels")
    return size


def check_output(path: Path, force: bool) -> None:
    """GatescopeError unless ``path`` can be written: it does not exist (or ``force``), its folder does and is
    writable, the file system accepts its name."""
    status = path_status(path, "write")
    if status is not None and not force:
        raise GatescopeError(f"{path} exists; add --force to overwrite it")
    if status is not None and stat.S_ISDIR(status.st_mode):
        raise GatescopeError(f"{path} is a folder; give a file name")
    folder = path.parent if str(path.parent) else Path(".")
    folder_status = path_status(folder, "write")
    if folder_status is None or not stat.S_ISDIR(folder_status.st_mode):
        raise GatescopeError(f"{path}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise GatescopeError(f"{path}: cannot write in {folder} (permission denied)")


def read_standard_input() -> str:
    """All of standard input as text, decoded as UTF-8 whatever the locale says (a C or ASCII locale would garble
    any accent); GatescopeError saying where when it is not UTF-8."""
    if sys.stdin is None:
        raise GatescopeError("'-' reads standard input, but it is closed; pipe the text in or give it as an argument")
    data = sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else sys.stdin.read()
    if isinstance(data, str):
        return data
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise GatescopeError(
            f"standard input is not UTF-8 text: byte 0x{data[error.start]:02x} on line {line} (byte {error.start}) "
            f"cannot be decoded; convert the text to UTF-8 first, e.g. with iconv -f latin1 -t utf-8"
        ) from None
