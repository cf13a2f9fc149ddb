"""The temporary side of atomic output (frame writers, saved models, trace files): recognisable names, flushing to disk
before the rename, and removing what writers that died left behind. No Qt.

Every temporary file or folder a writer makes sits beside its output and is named

    .gatescope-<pid>-<host>-<random>.<name>.tmp    the output being built
    .gatescope-<pid>-<host>-<random>.<name>.old    a PNG or SVG folder being replaced, for the moment between renames

<pid> is the id of the writing process, <host> this machine's name (letters and digits, at most 16), <random> eight
letters, digits or underscores, <name> the output's name (its first 100 characters). A writer that finishes, fails,
is cancelled or is interrupted removes its own. A process killed outright (SIGKILL, a crash, a power cut) cannot, so
every writer opened in a folder first tidies that folder: each name of this pattern from this host whose process is
gone is removed — or, for an ``.old`` whose output is missing (the process died between its two renames), put back
under the output's name. Nothing else is touched: not the files of a live process, not another machine's, not any
other name.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

PREFIX = ".gatescope-"
NAME_CHARACTERS = 100  # of the output's name kept in a temporary name (a file name holds at most 255 bytes)
_LEFTOVER = re.compile(
    r"\.gatescope-(?P<pid>[0-9]+)-(?P<host>[A-Za-z0-9]*)-[a-z0-9_]{8}\.(?P<name>.+)\.(?P<kind>tmp|old)", re.DOTALL
)


def host_tag() -> str:
    """This machine's name as it appears in temporary names: letters and digits only, at most 16."""
    return re.sub(r"[^A-Za-z0-9]", "", socket.gethostname())[:16]


def temporary_file(folder: Path, out: Path) -> Path:
    """A new empty file in ``folder`` named for ``out`` (raises OSError when the folder refuses)."""
    handle, name = tempfile.mkstemp(prefix=_prefix(), suffix=_suffix(out, "tmp"), dir=folder)
    os.close(handle)
    return Path(name)


def temporary_folder(folder: Path, out: Path) -> Path:
    """A new empty folder in ``folder`` named for ``out`` (raises OSError when the folder refuses)."""
    return Path(tempfile.mkdtemp(prefix=_prefix(), suffix=_suffix(out, "tmp"), dir=folder))


def set_aside_name(folder: Path, out: Path) -> Path:
    """Where an existing output folder waits while its replacement is renamed into place."""
    return folder / f"{_prefix()}{secrets.token_hex(4)}{_suffix(out, 'old')}"


def remove_leftovers(folder: Path) -> list[str]:
    """Remove (or put back) the temporary names in ``folder`` whose process on this host is gone; returns them.
    Tidying never fails an export: an entry that cannot be removed stays."""
    if os.name != "posix":  # liveness is asked with kill(pid, 0), which means something else on Windows
        return []
    try:
        names = [name for name in os.listdir(folder) if name.startswith(PREFIX)]
    except OSError:
        return []
    host, handled = host_tag(), []
    for name in names:
        match = _LEFTOVER.fullmatch(name)
        if match is None or match["host"] != host or process_exists(int(match["pid"])):
            continue
        path, output = folder / name, folder / match["name"]
        if match["kind"] == "old" and not os.path.lexists(output):
            try:
                os.rename(path, output)
            except OSError:
                continue
        else:
            remove_quietly(path)
        handled.append(name)
    return handled


def process_exists(pid: int) -> bool:
    """Whether a process with this id runs here (a zombie counts; so does one we may not signal)."""
    if pid <= 0:
        return True  # not a process id a writer could have had: keep the file
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


@contextmanager
def synced(path: Path) -> Iterator[IO[bytes]]:
    """A new file open for writing that is on the disk when the block ends: a full disk, a quota or an I/O error
    surfaces here as OSError, not later, after the rename, as a truncated file in place of the old one."""
    with open(path, "wb") as handle:
        yield handle
        handle.flush()
        os.fsync(handle.fileno())


def sync_path(path: Path) -> None:
    """Flush a written file, or a folder's entries, to the disk (OSError when the disk refuses)."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def sync_folder_quietly(folder: Path) -> None:
    """Make a rename in ``folder`` durable, where the system allows fsync on a folder (best effort: the output is
    complete either way)."""
    try:
        sync_path(folder)
    except OSError:
        pass


def remove_quietly(path: Path) -> None:
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
    except OSError:
        pass


def _prefix() -> str:
    return f"{PREFIX}{os.getpid()}-{host_tag()}-"


def _suffix(out: Path, kind: str) -> str:
    return f".{out.name[:NAME_CHARACTERS]}.{kind}"
