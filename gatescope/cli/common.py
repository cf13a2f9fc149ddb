"""What every command shares: usage errors as one line, output-path checks, sizes."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

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
    writable."""
    if path.exists() and not force:
        raise GatescopeError(f"{path} exists; add --force to overwrite it")
    if path.is_dir():
        raise GatescopeError(f"{path} is a folder; give a file name")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise GatescopeError(f"{path}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise GatescopeError(f"{path}: cannot write in {folder} (permission denied)")
