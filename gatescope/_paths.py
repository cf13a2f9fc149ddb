"""Where the shipped resources are (inside an installed wheel, or at the top of a source checkout), and paths as users
give them: ``~`` expanded, and every refusal of the file system turned into a GatescopeError that says why."""

from __future__ import annotations

import errno
import importlib.resources
import os
from pathlib import Path

from gatescope.errors import GatescopeError


def resources_dir() -> Path:
    """The resources folder (models, examples), found in an installed wheel or a source checkout."""
    installed = Path(str(importlib.resources.files("gatescope"))) / "resources"
    if installed.is_dir():
        return installed
    checkout = Path(__file__).resolve().parent.parent / "resources"
    if checkout.is_dir():
        return checkout
    raise GatescopeError("gatescope's resources folder is missing; reinstall gatescope (pip install gatescope)")


def user_path(path: object) -> Path:
    """A file path as a user gave it, ``~`` and ``~name`` expanded; GatescopeError when it is no path (None, bytes,
    empty) or names a user this system does not have."""
    text = os.fspath(path) if isinstance(path, (str, os.PathLike)) else None
    if not isinstance(text, str):
        found = "None" if path is None else type(path).__name__
        raise GatescopeError(f"expected a file path (str or pathlib.Path), not {found}")
    if not text.strip():
        raise GatescopeError("no file path given (the path is empty); give a file name")
    try:
        return Path(text).expanduser()
    except RuntimeError:  # ~name of no user, or ~ with no home folder
        user = text[1:].replace(os.sep, "/").split("/", 1)[0]
        if user:
            raise GatescopeError(
                f"{text}: there is no user {user!r} on this system (~{user} stands for their home folder); "
                f"check the name or give the full path"
            ) from None
        raise GatescopeError(f"{text}: cannot find your home folder (~); give the full path") from None


def path_status(path: Path, doing: str = "read") -> os.stat_result | None:
    """``os.stat(path)``, or None when nothing is there. Any other refusal of the file system (a name too long, a loop
    of links, no permission) is a GatescopeError naming the path, the reason and what to do; ``doing`` is "read" or
    "write"."""
    try:
        return os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as error:
        raise path_error(path, error, doing) from None
    except ValueError:  # os.stat refuses a NUL character
        raise GatescopeError(f"{str(path)!r}: a file name cannot contain a NUL character") from None


def path_error(path: Path, error: OSError, doing: str = "read") -> GatescopeError:
    """The GatescopeError for an OSError met while ``doing`` ("read" or "write") ``path``."""
    if error.errno == errno.ENAMETOOLONG:
        return GatescopeError(
            f"{_shortened(path)}: cannot {doing} it: the name is too long for the file system ({_too_long(path)}); "
            f"choose a shorter name"
        )
    if error.errno == errno.ELOOP:
        return GatescopeError(
            f"{path}: cannot {doing} it: too many levels of symbolic links (a link leads back to itself); fix the "
            f"link or give the real path"
        )
    if error.errno == errno.EROFS:
        folder = path.parent if str(path.parent) else Path(".")
        return GatescopeError(
            f"{path}: cannot write in {folder} (read-only file system); choose a folder you can write to"
        )
    if error.errno in (errno.EACCES, errno.EPERM):
        remedy = (
            "choose a folder you can write to" if doing == "write" else "check the permissions of it and its folders"
        )
        return GatescopeError(f"{path}: cannot {doing} it: permission denied; {remedy}")
    return GatescopeError(f"{path}: cannot {doing} it: {error.strerror or error}")


def _too_long(path: Path) -> str:
    """Which limit ``path`` breaks: the length of one name (usually 255 bytes) or of the whole path."""
    absolute = Path(os.path.abspath(path))
    folder = next((parent for parent in absolute.parents if os.path.isdir(parent)), absolute.anchor)
    limits = []
    for name, usual in (("PC_NAME_MAX", 255), ("PC_PATH_MAX", 4096)):
        try:
            limits.append(os.pathconf(folder, name))
        except (AttributeError, OSError, ValueError):  # no pathconf (Windows), or the system does not say
            limits.append(usual)
    name_max, path_max = limits
    longest = max(len(os.fsencode(part)) for part in absolute.parts)
    if longest > name_max:
        return f"a name of {longest} bytes; at most {name_max} here"
    return f"a path of {len(os.fsencode(absolute))} bytes; at most {path_max} here"


def _shortened(path: Path, keep: int = 40) -> str:
    """``path`` as it is, or, when too long to take in at a glance, its start and end and its length."""
    text = str(path)
    if len(text) <= 2 * keep + 20:
        return text
    return f"{text[:keep]}…{text[-keep:]} ({len(text)} characters)"
