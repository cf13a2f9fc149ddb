"""The base of the frame writers: argument and frame checks, atomic placement, a background encoder."""

from __future__ import annotations

import math
import numbers
import os
import queue
import stat
import threading
import weakref
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np

from gatescope._paths import path_status, user_path
from gatescope.atomic import remove_leftovers, sync_folder_quietly, sync_path, temporary_file
from gatescope.errors import GatescopeError

#: Frames waiting for the background encoder; with the one being encoded this bounds the memory in use.
QUEUE_FRAMES = 3
_STOP = object()


class ExportCancelled(GatescopeError):
    """The user (or a stopping signal) cancelled; nothing was written."""


class FrameWriter:
    """Base of the writers: argument checks, frame checks, atomic placement and the context-manager protocol."""

    #: True when ``out`` is a folder (PNG sequence) rather than one file.
    makes_folder = False
    #: Largest width or height the format can store.
    max_side = 1 << 16

    def __init__(self, out: Path, *, fps: float, size: tuple[int, int], force: bool = False) -> None:
        self.out = user_path(out)
        self.fps = checked_fps(fps)
        self.width, self.height = checked_size(size, self.max_side)
        self.force = bool(force)
        self.folder = self.out.parent if str(self.out.parent) else Path(".")
        self._frames = 0
        self._state = "starting"  # "open" once a subclass has set everything up; then "closed" or "aborted"
        self._written: list[Path] = []
        self._check_target()
        remove_leftovers(self.folder)

    @property
    def frames_written(self) -> int:
        """Frames accepted by ``write()`` so far."""
        return self._frames

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) of the frames this writer accepts."""
        return self.width, self.height

    def write(self, frame: np.ndarray) -> None:
        """Add one ``(height, width, 3)`` uint8 RGB frame; the array may be reused as soon as this returns."""
        if self._state != "open":
            raise GatescopeError(f"{self.out}: the writer is already {self._state}; open a new one")
        frame = self._checked_frame(frame)
        try:
            self._write(frame)
        except BaseException as error:
            self.abort()
            if isinstance(error, OSError):
                raise GatescopeError(f"{self.out}: cannot write ({os_reason(error)})") from None
            raise
        self._frames += 1

    def close(self, proceed: Callable[[], bool] | None = None) -> list[Path]:
        """Finish the file(s), move them into place and return the written path(s). Calling it again is harmless.

        ``proceed`` is asked once everything is on the disk, just before the rename: False aborts (ExportCancelled)."""
        if self._state == "closed":
            return list(self._written)
        if self._state == "aborted":
            raise GatescopeError(f"{self.out}: the writer was aborted; nothing was written")
        try:
            if self._frames == 0:
                raise GatescopeError(f"{self.out}: no frames were written; nothing to save")
            self._finish()
            if proceed is not None and not proceed():
                raise ExportCancelled(f"{self.out}: export cancelled; nothing was written")
            if not self.force and os.path.lexists(self.out):
                raise GatescopeError(f"{self.out}: appeared while writing; pass --force to replace it")
            self._written = self._place()
        except BaseException as error:
            self.abort()
            if isinstance(error, OSError):
                raise GatescopeError(f"{self.out}: cannot write ({os_reason(error)})") from None
            raise
        self._state = "closed"
        return list(self._written)

    def abort(self) -> None:
        """Stop and remove every temporary file; the folder is left as it was. Harmless after close()."""
        if self._state != "open":
            return
        self._state = "aborted"
        self._discard()

    def __enter__(self) -> FrameWriter:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        if kind is not None:
            self.abort()
        elif self._state == "open":
            self.close()

    def __del__(self) -> None:
        if getattr(self, "_state", None) == "open":
            try:
                self.abort()
            except Exception:  # interpreter shutdown: best effort only
                pass

    # -- for subclasses ---------------------------------------------------------------------------------------------

    def _write(self, frame: np.ndarray) -> None:
        raise NotImplementedError

    def _finish(self) -> None:
        """Complete the temporary output (all frames are in)."""
        raise NotImplementedError

    def _place(self) -> list[Path]:
        """Rename the temporary output onto ``out``; return the written paths."""
        raise NotImplementedError

    def _discard(self) -> None:
        """Stop any worker or process and remove the temporary output."""
        raise NotImplementedError

    # -- helpers ----------------------------------------------------------------------------------------------------

    def _check_target(self) -> None:
        out, folder = self.out, self.folder
        folder_status = path_status(folder, "write")
        if folder_status is None:
            raise GatescopeError(f"{out}: folder {folder} does not exist; create it or choose another place")
        if not stat.S_ISDIR(folder_status.st_mode):
            raise GatescopeError(f"{out}: {folder} is not a folder; choose a path inside a folder")
        path_status(out, "write")  # a name the file system refuses (too long, ...): said before anything is written
        if os.path.lexists(out):
            if not self.force:
                raise GatescopeError(f"{out}: already exists; pass --force to replace it")
            if out.is_dir() and not out.is_symlink() and not self.makes_folder:
                raise GatescopeError(f"{out}: is a folder; choose a file name")
        if not os.access(folder, os.W_OK | os.X_OK):
            why = "read-only file system" if read_only_file_system(folder) else "permission denied"
            raise GatescopeError(f"{out}: cannot write in {folder} ({why}); choose a folder you can write to")

    def _temporary_name_error(self, error: OSError) -> GatescopeError:
        return GatescopeError(
            f"{self.out}: cannot write in {self.folder} ({os_reason(error)}); choose a folder you can write to"
        )

    def _checked_frame(self, frame: np.ndarray) -> np.ndarray:
        expected = (self.height, self.width, 3)
        if not isinstance(frame, np.ndarray):
            raise GatescopeError(
                f"{self.out}: frame {self._frames + 1} must be a NumPy array of shape {expected} "
                f"uint8 (RGB), not {type(frame).__name__}"
            )
        if frame.shape != expected or frame.dtype != np.uint8:
            raise GatescopeError(
                f"{self.out}: frame {self._frames + 1} must have shape {expected} uint8 (RGB, "
                f"height x width x 3); got shape {frame.shape} {frame.dtype}"
            )
        return frame

    def _final_mode(self, base: int) -> int:
        """Permissions for the output: those of the file it replaces, else ``base`` less the umask."""
        try:
            if self.force and not self.makes_folder and self.out.is_file():
                return self.out.stat().st_mode & 0o777
        except OSError:
            pass
        return base & ~umask()


class FileWriter(FrameWriter):
    """A writer producing one file through a temporary file beside ``out``."""

    def __init__(self, out: Path, *, fps: float, size: tuple[int, int], force: bool = False) -> None:
        super().__init__(out, fps=fps, size=size, force=force)
        try:
            self._temporary = temporary_file(self.folder, self.out)
        except OSError as error:
            raise self._temporary_name_error(error) from None

    def _place(self) -> list[Path]:
        sync_path(self._temporary)  # on the disk before it takes the place of anything
        os.chmod(self._temporary, self._final_mode(0o666))
        os.replace(self._temporary, self.out)
        sync_folder_quietly(self.folder)
        return [self.out]

    def _remove_temporary(self) -> None:
        try:
            self._temporary.unlink(missing_ok=True)
        except OSError:
            pass


class BackgroundEncoder:
    """One worker thread that runs ``encode(frame)`` for each submitted frame, behind a bounded queue.

    The first error is kept and raised on the next ``submit()`` or on ``finish()`` (as a GatescopeError); the
    worker keeps draining the queue after an error or a cancel, so the caller never blocks on a full queue. The
    thread holds the writer only weakly: a writer dropped without close() or abort() is aborted by the collector.
    """

    def __init__(self, encode: Callable[[np.ndarray], None], name: str) -> None:
        self._encode = weakref.WeakMethod(encode)
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=QUEUE_FRAMES)
        self._error: BaseException | None = None
        self._cancelled = False
        self._quit = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(self, frame: np.ndarray) -> None:
        self._raise_error()
        self._queue.put(frame)

    def finish(self) -> None:
        self._stop()
        self._raise_error()

    def cancel(self) -> None:
        self._cancelled = True
        self._stop()

    def _stop(self) -> None:
        if threading.current_thread() is self._thread:  # the writer was collected in the worker: nothing is queued
            self._quit = True
        elif self._thread.is_alive():
            self._queue.put(_STOP)
            self._thread.join()

    def _raise_error(self) -> None:
        if self._error is not None:
            error = self._error
            if isinstance(error, GatescopeError):
                raise error
            raise GatescopeError(f"encoding failed ({type(error).__name__}: {error})") from error

    def _run(self) -> None:
        while not self._quit:
            item = self._queue.get()
            if item is _STOP:
                return
            encode = self._encode()
            if encode is None or self._error is not None or self._cancelled:
                continue
            try:
                encode(item)
            except BaseException as error:  # reported to the caller's thread
                self._error = error
            del encode, item


def checked_fps(fps: float) -> float:
    if isinstance(fps, bool) or not isinstance(fps, numbers.Real) or not math.isfinite(fps) or fps <= 0:
        raise GatescopeError(f"frame rate must be a positive number of frames per second, not {fps!r}")
    return float(fps)


def checked_size(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    try:
        width, height = size
    except (TypeError, ValueError):
        raise GatescopeError(f"size must be (width, height), not {size!r}") from None
    for side in (width, height):
        if isinstance(side, bool) or not isinstance(side, (int, np.integer)) or not 0 < side < max_side:
            raise GatescopeError(f"size must be two whole numbers from 1 to {max_side - 1}, not {size!r}")
    return int(width), int(height)


def encoding_error(out: Path, number: int, error: Exception) -> GatescopeError:
    why = os_reason(error) if isinstance(error, OSError) else f"{type(error).__name__}: {error}"
    return GatescopeError(f"{out}: cannot write frame {number} ({why})")


def read_only_file_system(folder: Path) -> bool:
    """Whether ``folder`` is on a file system mounted read-only (where its mode bits do not matter, even for root)."""
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except (OSError, AttributeError):  # AttributeError: no statvfs (Windows)
        return False


def os_reason(error: OSError) -> str:
    return error.strerror or str(error)


def umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current
