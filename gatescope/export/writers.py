"""Streaming frame writers for animation export: a PNG sequence, an animated GIF or an H.264 MP4. No Qt.

Frames arrive one at a time as ``(height, width, 3)`` uint8 RGB arrays; no writer keeps more than a few of them.
Output is atomic: everything is written under a temporary name beside ``out`` and renamed into place by ``close()``;
``abort()`` (or an exception inside a ``with`` block) removes every temporary file.

    with open_writer("gif", Path("run.gif"), fps=12, size=(1280, 720)) as writer:
        for frame in frames:
            writer.write(frame)
        paths = writer.close()

PNG and GIF encode in one background thread behind a short queue, so the caller can render the next frame meanwhile;
an encoding error surfaces on the next ``write()`` or on ``close()``. MP4 streams raw RGB into the ffmpeg binary that
the imageio-ffmpeg wheel ships (libx264, yuv420p, BT.709); H.264 in yuv420p needs an even width and height, so an odd
size is padded by one pixel that repeats the last column or row.

GIF: each frame gets its own 256-colour palette (exact when the frame has at most 256 colours, Pillow's fast octree
otherwise) and no dithering, which keeps flat diagram colours flat and text crisp. GIF delays count in hundredths of
a second, at least 2: frame times follow ``fps`` to the nearest 10 ms without drifting, and above 50 frames/s the
animation plays slower than ``fps``.
"""

from __future__ import annotations

import math
import numbers
import os
import queue
import secrets
import shutil
import struct
import subprocess
import tempfile
import threading
import weakref
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import numpy as np
from PIL import GifImagePlugin, Image

from gatescope.errors import GatescopeError

FORMATS = ("png", "gif", "mp4", "svg")  # svg frames are SVG documents (bytes), the others RGB arrays
#: Frames waiting for the background encoder; with the one being encoded this bounds the memory in use.
QUEUE_FRAMES = 3
#: zlib level for PNG frames: about 1.5 times as fast as Pillow's default 6 on diagrams; files about twice as big.
PNG_COMPRESS_LEVEL = 1
SEQUENCE_WORKERS = 2  # threads encoding the frames of a PNG or SVG sequence
#: x264 settings: fast enough for more than 25 frames/s at 1280x720 on two cores, visually lossless on diagrams.
MP4_PRESET = "veryfast"
MP4_CRF = 20
_STOP = object()


def open_writer(format: str, out: Path, *, fps: float, size: tuple[int, int], force: bool = False) -> FrameWriter:
    """A writer for ``format`` (png, gif, mp4 or svg) producing ``out`` (a folder for png and svg) from
    ``size=(width, height)`` frames shown at ``fps``. Raises GatescopeError, before writing anything, when ``out``
    exists (without ``force``) or cannot be written."""
    kinds: dict[str, type[FrameWriter]] = {
        "png": PngSequenceWriter,
        "gif": GifWriter,
        "mp4": Mp4Writer,
        "svg": SvgSequenceWriter,
    }
    if format not in kinds:
        raise GatescopeError(f"unknown animation format {format!r}; choose one of {', '.join(FORMATS)}")
    return kinds[format](Path(out), fps=fps, size=size, force=force)


class FrameWriter:
    """Base of the writers: argument checks, frame checks, atomic placement and the context-manager protocol."""

    #: True when ``out`` is a folder (PNG sequence) rather than one file.
    makes_folder = False
    #: Largest width or height the format can store.
    max_side = 1 << 16

    def __init__(self, out: Path, *, fps: float, size: tuple[int, int], force: bool = False) -> None:
        self.out = Path(out)
        self.fps = _checked_fps(fps)
        self.width, self.height = _checked_size(size, self.max_side)
        self.force = bool(force)
        self.folder = self.out.parent if str(self.out.parent) else Path(".")
        self._frames = 0
        self._state = "starting"  # "open" once a subclass has set everything up; then "closed" or "aborted"
        self._written: list[Path] = []
        self._check_target()

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
        except BaseException:
            self.abort()
            raise
        self._frames += 1

    def close(self) -> list[Path]:
        """Finish the file(s), move them into place and return the written path(s). Calling it again is harmless."""
        if self._state == "closed":
            return list(self._written)
        if self._state == "aborted":
            raise GatescopeError(f"{self.out}: the writer was aborted; nothing was written")
        try:
            if self._frames == 0:
                raise GatescopeError(f"{self.out}: no frames were written; nothing to save")
            self._finish()
            if not self.force and os.path.lexists(self.out):
                raise GatescopeError(f"{self.out}: appeared while writing; pass --force to replace it")
            self._written = self._place()
        except BaseException as error:
            self.abort()
            if isinstance(error, OSError):
                raise GatescopeError(f"{self.out}: cannot write ({_reason(error)})") from None
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
        if not folder.exists():
            raise GatescopeError(f"{out}: folder {folder} does not exist; create it or choose another place")
        if not folder.is_dir():
            raise GatescopeError(f"{out}: {folder} is not a folder; choose a path inside a folder")
        if os.path.lexists(out):
            if not self.force:
                raise GatescopeError(f"{out}: already exists; pass --force to replace it")
            if out.is_dir() and not out.is_symlink() and not self.makes_folder:
                raise GatescopeError(f"{out}: is a folder; choose a file name")
        if not os.access(folder, os.W_OK | os.X_OK):
            raise GatescopeError(
                f"{out}: cannot write in {folder} (permission denied); choose a folder you can write to"
            )

    def _temporary_name_error(self, error: OSError) -> GatescopeError:
        return GatescopeError(
            f"{self.out}: cannot write in {self.folder} ({_reason(error)}); choose a folder you can write to"
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
        return base & ~_umask()


class _FileWriter(FrameWriter):
    """A writer producing one file through a temporary file beside ``out``."""

    def __init__(self, out: Path, *, fps: float, size: tuple[int, int], force: bool = False) -> None:
        super().__init__(out, fps=fps, size=size, force=force)
        try:
            handle, name = tempfile.mkstemp(prefix=f".{self.out.name}.", suffix=".tmp", dir=self.folder)
        except OSError as error:
            raise self._temporary_name_error(error) from None
        os.close(handle)
        self._temporary = Path(name)

    def _place(self) -> list[Path]:
        os.chmod(self._temporary, self._final_mode(0o666))
        os.replace(self._temporary, self.out)
        return [self.out]

    def _remove_temporary(self) -> None:
        try:
            self._temporary.unlink(missing_ok=True)
        except OSError:
            pass


class PngImageWriter(_FileWriter):
    """One PNG image (a screenshot): its single frame goes to a temporary file that is renamed into place."""

    def __init__(self, out: Path, *, size: tuple[int, int], force: bool = False) -> None:
        super().__init__(out, fps=1.0, size=size, force=force)
        self._state = "open"

    def _write(self, frame: np.ndarray) -> None:
        if self._frames:
            raise GatescopeError(f"{self.out}: a PNG image holds one frame")
        Image.fromarray(frame).save(self._temporary, format="PNG")

    def _finish(self) -> None:
        pass

    def _discard(self) -> None:
        self._remove_temporary()


class _BackgroundEncoder:
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


class PngSequenceWriter(FrameWriter):
    """A folder of ``frame_00001.png``, ``frame_00002.png``, ... built beside ``out`` and renamed into place."""

    makes_folder = True
    suffix = ".png"

    def __init__(self, out: Path, *, fps: float, size: tuple[int, int], force: bool = False) -> None:
        super().__init__(out, fps=fps, size=size, force=force)
        if self.force and self.out.is_dir() and not self.out.is_symlink():
            strangers = [entry.name for entry in os.scandir(self.out) if not _is_frame_name(entry.name, self.suffix)]
            if strangers:
                raise GatescopeError(
                    f"{self.out}: holds other files than frame_*{self.suffix} (e.g. "
                    f"{strangers[0]!r}); not replaced: choose a new or empty folder"
                )
        try:
            self._temporary = Path(tempfile.mkdtemp(prefix=f".{self.out.name}.", suffix=".tmp", dir=self.folder))
        except OSError as error:
            raise self._temporary_name_error(error) from None
        self._names: list[str] = []
        # Frames are independent files: two workers encode alternate frames (zlib runs without the GIL), so a
        # detailed 1280x720 frame (about 30 ms to compress) does not hold up the frames being rendered.
        self._encoders = [
            _BackgroundEncoder(self._encode, name=f"gatescope-{self.suffix[1:]}-writer-{k}")
            for k in range(SEQUENCE_WORKERS)
        ]
        self._state = "open"

    def _write(self, frame: np.ndarray) -> None:
        number = len(self._names) + 1
        self._encoders[number % len(self._encoders)].submit((number, self._payload(frame)))
        self._names.append(frame_name(number, self.suffix))

    def _payload(self, frame: np.ndarray):
        return frame.copy()

    def _encode(self, item: tuple[int, np.ndarray]) -> None:
        number, frame = item
        try:
            Image.fromarray(frame).save(
                self._temporary / frame_name(number, self.suffix), "PNG", compress_level=PNG_COMPRESS_LEVEL
            )
        except Exception as error:
            raise _encoding_error(self.out, number, error) from error

    def _finish(self) -> None:
        for encoder in self._encoders:
            encoder.finish()
        os.chmod(self._temporary, self._final_mode(0o777))

    def _place(self) -> list[Path]:
        out = self.out
        if os.path.lexists(out):
            old = self.folder / f".{out.name}.old-{secrets.token_hex(4)}"
            os.rename(out, old)
            try:
                os.rename(self._temporary, out)
            except OSError:
                os.rename(old, out)
                raise
            _remove_quietly(old)
        else:
            os.rename(self._temporary, out)
        return [out / name for name in self._names]

    def _discard(self) -> None:
        for encoder in self._encoders:
            encoder.cancel()
        _remove_quietly(self._temporary)


class SvgSequenceWriter(PngSequenceWriter):
    """A folder of ``frame_00001.svg``, ...: each frame is a finished SVG document (bytes), e.g. from Qt's
    QSvgGenerator; written in order by the same worker, placed atomically like the PNG sequence."""

    suffix = ".svg"

    def _checked_frame(self, frame) -> bytes:
        if not isinstance(frame, (bytes, bytearray)) or not frame.lstrip().startswith((b"<?xml", b"<svg")):
            raise GatescopeError(
                f"{self.out}: frame {self._frames + 1} must be an SVG document (bytes starting "
                f"with <?xml or <svg), not {type(frame).__name__}"
            )
        return bytes(frame)

    def _payload(self, frame: bytes) -> bytes:
        return frame

    def _encode(self, item: tuple[int, bytes]) -> None:
        number, frame = item
        try:
            (self._temporary / frame_name(number, self.suffix)).write_bytes(frame)
        except OSError as error:
            raise _encoding_error(self.out, number, error) from error


class GifWriter(_FileWriter):
    """An animated GIF that loops forever, written frame by frame (a local palette per frame)."""

    def __init__(self, out: Path, *, fps: float, size: tuple[int, int], force: bool = False) -> None:
        super().__init__(out, fps=fps, size=size, force=force)
        self._encoded = 0
        try:
            self._file: IO[bytes] = open(self._temporary, "wb")  # closed by _finish or _discard
            self._file.write(_gif_header(self.width, self.height))
        except OSError as error:
            self._remove_temporary()
            raise self._temporary_name_error(error) from None
        self._encoder = _BackgroundEncoder(self._encode, name="gatescope-gif-writer")
        self._state = "open"

    def _write(self, frame: np.ndarray) -> None:
        self._encoder.submit(frame.copy())

    def _encode(self, frame: np.ndarray) -> None:
        index = self._encoded
        # Delays in hundredths of a second, rounded on the running total so that they do not drift from fps.
        delay = max(2, round((index + 1) * 100 / self.fps) - round(index * 100 / self.fps))
        try:
            self._file.writelines(
                GifImagePlugin.getdata(_quantized(frame), duration=delay * 10, include_color_table=True)
            )
        except Exception as error:
            raise _encoding_error(self.out, index + 1, error) from error
        self._encoded += 1

    def _finish(self) -> None:
        self._encoder.finish()
        self._file.write(b";")  # GIF trailer
        self._file.close()

    def _discard(self) -> None:
        self._encoder.cancel()
        self._file.close()
        self._remove_temporary()


def _quantized(frame: np.ndarray) -> Image.Image:
    """``frame`` as a palette image of at most 256 colours, undithered: exact when it has that few colours."""
    image = Image.fromarray(frame)
    colours = image.getcolors(256)
    if colours is not None:
        palette = Image.new("P", (1, 1))
        palette.putpalette(b"".join(bytes(colour) for _, colour in colours))
        return image.quantize(palette=palette, dither=Image.Dither.NONE)
    return image.quantize(256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)


class Mp4Writer(_FileWriter):
    """An H.264 MP4 (yuv420p, BT.709, fast start) encoded by ffmpeg from frames piped in as raw RGB."""

    def __init__(self, out: Path, *, fps: float, size: tuple[int, int], force: bool = False) -> None:
        super().__init__(out, fps=fps, size=size, force=force)
        #: The encoded size: the requested one rounded up to even numbers (yuv420p needs even sides).
        self.encoded_size = (self.width + self.width % 2, self.height + self.height % 2)
        self._log = tempfile.TemporaryFile()
        try:
            self._process = subprocess.Popen(
                self._command(), stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=self._log
            )
        except (OSError, RuntimeError) as error:
            self._log.close()
            self._remove_temporary()
            raise GatescopeError(f"{self.out}: cannot start ffmpeg ({error})") from None
        self._state = "open"

    def _command(self) -> list[str]:
        import imageio_ffmpeg

        width, height = self.encoded_size
        rate = Fraction(self.fps).limit_denominator(100_000)
        bt709 = ["-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709", "-color_range", "tv"]
        return [
            imageio_ffmpeg.get_ffmpeg_exe(),
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgb24",
            "-s",
            f"{width}x{height}",
            "-r",
            str(rate),
            "-i",
            "pipe:0",
            "-an",
            "-vf",
            "scale=out_color_matrix=bt709:out_range=tv",
            "-c:v",
            "libx264",
            "-preset",
            MP4_PRESET,
            "-crf",
            str(MP4_CRF),
            "-pix_fmt",
            "yuv420p",
            *bt709,
            "-movflags",
            "+faststart",
            "-f",
            "mp4",
            str(self._temporary),
        ]

    def _write(self, frame: np.ndarray) -> None:
        if self.encoded_size != (self.width, self.height):
            frame = np.pad(frame, ((0, self.height % 2), (0, self.width % 2), (0, 0)), mode="edge")
        assert self._process.stdin is not None
        try:
            self._process.stdin.write(np.ascontiguousarray(frame).data)
        except OSError:
            raise self._ffmpeg_error(f"stopped while receiving frame {self._frames + 1}") from None

    def _finish(self) -> None:
        assert self._process.stdin is not None
        try:
            self._process.stdin.close()
        except OSError:
            pass
        if self._process.wait() != 0:
            raise self._ffmpeg_error(f"failed with exit code {self._process.returncode}")
        self._log.close()

    def _ffmpeg_error(self, what: str) -> GatescopeError:
        try:
            self._log.seek(0)
            log = self._log.read(4000).decode("utf-8", "replace").strip()
        except (OSError, ValueError):
            log = ""
        detail = f": {log.splitlines()[-1]}" if log else ""
        return GatescopeError(f"{self.out}: ffmpeg {what}{detail}")

    def _discard(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait()
        for stream in (self._process.stdin, self._log):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass
        self._remove_temporary()


def frame_name(number: int, suffix: str = ".png") -> str:
    """File name of frame ``number`` (1-based) in a sequence: frame_00001.png, ... (or .svg)."""
    return f"frame_{number:05d}{suffix}"


def _is_frame_name(name: str, suffix: str = ".png") -> bool:
    return name.startswith("frame_") and name.endswith(suffix) and name[6 : -len(suffix)].isdigit()


def _gif_header(width: int, height: int) -> bytes:
    """GIF89a header without a global colour table, then the NETSCAPE2.0 extension: loop forever."""
    screen = struct.pack("<HHBBB", width, height, 0x70, 0, 0)  # 8-bit colour resolution, no global table
    loop = b"!\xff\x0bNETSCAPE2.0\x03\x01" + struct.pack("<H", 0) + b"\x00"
    return b"GIF89a" + screen + loop


def _checked_fps(fps: float) -> float:
    if isinstance(fps, bool) or not isinstance(fps, numbers.Real) or not math.isfinite(fps) or fps <= 0:
        raise GatescopeError(f"frame rate must be a positive number of frames per second, not {fps!r}")
    return float(fps)


def _checked_size(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    try:
        width, height = size
    except (TypeError, ValueError):
        raise GatescopeError(f"size must be (width, height), not {size!r}") from None
    for side in (width, height):
        if isinstance(side, bool) or not isinstance(side, (int, np.integer)) or not 0 < side < max_side:
            raise GatescopeError(f"size must be two whole numbers from 1 to {max_side - 1}, not {size!r}")
    return int(width), int(height)


def _encoding_error(out: Path, number: int, error: Exception) -> GatescopeError:
    reason = _reason(error) if isinstance(error, OSError) else f"{type(error).__name__}: {error}"
    return GatescopeError(f"{out}: cannot write frame {number} ({reason})")


def _remove_quietly(path: Path) -> None:
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
    except OSError:
        pass


def _reason(error: OSError) -> str:
    return error.strerror or str(error)


def _umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current
