"""Streaming frame writers for animation export: a PNG sequence, an animated GIF or an H.264 MP4. No Qt.

Frames arrive one at a time as ``(height, width, 3)`` uint8 RGB arrays; no writer keeps more than a few of them.
Output is atomic: everything is written under a temporary name beside ``out``, flushed to the disk and renamed into
place by ``close()``; ``abort()`` (or an exception inside a ``with`` block) removes every temporary file. Temporary
names follow one pattern, ``.gatescope-<pid>-<host>-<random>.<name>.tmp``, and a writer opened in a folder first
removes those a killed process left there (:mod:`gatescope.atomic`).

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

from pathlib import Path

from gatescope.errors import GatescopeError
from gatescope.export.writers.base import ExportCancelled, FrameWriter
from gatescope.export.writers.images import PngImageWriter, PngSequenceWriter, SvgSequenceWriter, frame_name
from gatescope.export.writers.video import GifWriter, Mp4Writer

FORMATS = ("png", "gif", "mp4", "svg")  # svg frames are SVG documents (bytes), the others RGB arrays


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


__all__ = ["FORMATS", "ExportCancelled", "FrameWriter", "PngImageWriter", "frame_name", "open_writer"]
