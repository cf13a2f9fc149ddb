"""What an animation export may ask of the machine, decided from its settings before anything is drawn: frame sides
that video encoders and image viewers take, H.264's largest frame, and the memory of the frames in flight. Qt-free.

Memory at the peak of an export = the app (Qt, NumPy, the model, the trace) + the view laid out at its size + the
frames being drawn, queued and encoded, per frame pixel and format: drawing takes two RGB copies (Qt's image and the
array handed over); PNG frames wait in two encoders' queues and Pillow's images; GIF frames in one queue, Pillow's
image and its palette version; an MP4's frames pass to ffmpeg, whose x264 holds its look-ahead, reference and
threads' frames. The figures are measured peaks of 32- and 64-frame exports at 2000² to 4000² pixels (PNG 21–24, GIF
34–37, MP4 109–130 bytes per frame pixel with ffmpeg; benchmarks/limits.py measures an export), rounded up for queues
that fill when encoding is slower than drawing.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

from gatescope.errors import GatescopeError
from gatescope.model.formats.budget import size_text

#: Largest width or height of a raster frame: x264 refuses wider frames (16,400 px fails, 16,384 works), ffmpeg
#: refuses 16,384 × 16,384, and image viewers and browsers stop near there too.
MAX_FRAME_SIDE = 16_384
#: Largest MP4 frame, in 16 × 16 macroblocks: H.264 level 6.2's limit (8192 × 4352, 35.7 million pixels), the highest
#: level there is; x264 warns above it and players may refuse the video.
MAX_MP4_MACROBLOCKS = 139_264
#: Most memory an export may need, whatever the machine has: room for an 8K (8192 × 4320) MP4.
EXPORT_MEMORY_LIMIT = 8_000_000_000
#: Share of the memory available now that an export may plan to use.
AVAILABLE_SHARE = 0.75
#: Memory of the app before its first frame (measured about 150 MB with the shipped models).
APP_BYTES = 250_000_000
#: Bytes per pixel of the view's laid-out size (its widgets and plot items; measured about 4).
LAYOUT_BYTES_PER_PIXEL = 5
#: Bytes held at once per pixel of a frame, by format (see the module's docstring). SVG frames are vector documents.
FRAME_BYTES_PER_PIXEL = {"png": 36, "gif": 40, "mp4": 120, "svg": 0}
#: Memory an encoder process takes whatever the frame size (ffmpeg's own, about 100 MB).
ENCODER_BYTES = {"mp4": 100_000_000}


@dataclass(frozen=True)
class MemoryEstimate:
    """An export's memory from its settings: one frame as RGB, and the whole export at its peak."""

    frame_bytes: int
    peak_bytes: int


def estimate_memory(format: str, size: tuple[int, int], pixel_size: tuple[int, int]) -> MemoryEstimate:
    """The memory of exporting ``format`` frames of ``pixel_size`` (width, height) from a view laid out at ``size``."""
    pixels = pixel_size[0] * pixel_size[1]
    peak = (
        APP_BYTES
        + ENCODER_BYTES.get(format, 0)
        + LAYOUT_BYTES_PER_PIXEL * size[0] * size[1]
        + FRAME_BYTES_PER_PIXEL.get(format, max(FRAME_BYTES_PER_PIXEL.values())) * pixels
    )
    return MemoryEstimate(frame_bytes=3 * pixels, peak_bytes=peak)


def available_memory() -> int | None:
    """Bytes of memory the system could give now (Linux: MemAvailable; elsewhere: the physical memory), or None."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, OSError, ValueError):
        return None


def memory_budget(available: int | None = None) -> int:
    """Most memory an export may plan to use: ``EXPORT_MEMORY_LIMIT``, or less when the machine has less to give."""
    available = available_memory() if available is None else available
    if available is None:
        return EXPORT_MEMORY_LIMIT
    return min(EXPORT_MEMORY_LIMIT, int(available * AVAILABLE_SHARE))


def check_frames(
    format: str, size: tuple[int, int], scale: float, pixel_size: tuple[int, int], budget: int | None = None
) -> None:
    """GatescopeError, with the numbers, when ``format`` frames of ``pixel_size`` cannot be made: a side beyond what
    encoders take, an MP4 frame beyond H.264's levels, or more memory than ``budget`` (:func:`memory_budget`)."""
    width, height = pixel_size
    asked = f"--size {size[0]}x{size[1]} --scale {scale:g}"
    estimate = estimate_memory(format, size, pixel_size)
    needs = (
        f"each frame alone is {size_text(estimate.frame_bytes)} as RGB and the export would need about "
        f"{size_text(estimate.peak_bytes)} of memory"
    )
    if format != "svg" and max(width, height) > MAX_FRAME_SIDE:
        raise GatescopeError(
            f"{asked} makes frames of {width:,}×{height:,} pixels, more than the {MAX_FRAME_SIDE:,} pixels a side "
            f"that video encoders and image viewers take; {needs}. Choose a smaller size or scale"
        )
    macroblocks = math.ceil(width / 16) * math.ceil(height / 16)
    if format == "mp4" and macroblocks > MAX_MP4_MACROBLOCKS:
        raise GatescopeError(
            f"{asked} makes MP4 frames of {width:,}×{height:,} pixels ({macroblocks:,} blocks of 16×16), more than "
            f"the {MAX_MP4_MACROBLOCKS:,} (e.g. 8192×4352) that H.264's highest level allows, so players would refuse "
            f"the video. Choose a smaller size or scale, or PNG frames"
        )
    budget = memory_budget() if budget is None else budget
    if estimate.peak_bytes > budget:
        raise GatescopeError(
            f"{asked} makes {format.upper()} frames of {width:,}×{height:,} pixels: {needs}, more than the "
            f"{size_text(budget)} an export may use (at most {size_text(EXPORT_MEMORY_LIMIT)}, and three quarters of "
            f"the memory free now). Choose a smaller size or scale"
        )
