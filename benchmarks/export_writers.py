"""Time the streaming animation writers (PNG sequence, GIF, MP4) at 1280x720 and print one JSON object.

Run:  .venv/bin/python benchmarks/export_writers.py [--frames 120] [--distinct 30] [--dir FOLDER]

Frames are diagram-like (flat bars whose heights and colours change per frame, labels with antialiased text, a
gradient band), made before any timing starts. To keep memory flat only ``--distinct`` different frames are made and
reused in turn, so neighbouring frames always differ. Each writer's time runs from ``open_writer`` until ``close()``
has returned (every frame encoded and the output in place). Targets (issue 6): PNG >= 25, MP4 >= 25, GIF >= 15
frames/s. ``peak_rss_mb`` is this process's peak (the frames included, see ``frames_rss_mb``); ffmpeg's own peak is
``ffmpeg_peak_rss_mb``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gatescope.export.writers import open_writer  # noqa: E402

WIDTH, HEIGHT = 1280, 720
GATES = ("input", "forget", "cell", "output")
WORDS = "the plot was dull but the ending was wonderful".split()


def diagram_frames(count: int, width: int = WIDTH, height: int = HEIGHT) -> list[np.ndarray]:
    """``count`` different diagram-like RGB frames."""
    font = ImageFont.load_default(size=14)
    ramp = np.linspace(0, 255, width, dtype=np.float32)
    frames = []
    for k in range(count):
        image = Image.new("RGB", (width, height), (250, 250, 247))
        draw = ImageDraw.Draw(image)
        for row, gate in enumerate(GATES):
            top = 80 + row * 130
            draw.text((10, top + 40), gate, fill=(20, 20, 20), font=font)
            for unit in range(24):
                value = (np.sin(k * 0.2 + row + unit * 0.4) + 1) / 2
                left = 70 + unit * 48
                draw.rectangle([left, top, left + 40, top + 100], fill=(235, 235, 235))
                draw.rectangle(
                    [left, top + int(100 * (1 - value)), left + 40, top + 100],
                    fill=(int(40 + 200 * value), 90, int(220 - 180 * value)),
                )
        for index, word in enumerate(WORDS):
            colour = (200, 30, 30) if index == k % len(WORDS) else (0, 0, 0)
            draw.text((70 + index * 120, 20), word, fill=colour, font=font)
        pixels = np.array(image)
        band = (ramp * ((k % 30 + 1) / 30)).astype(np.uint8)
        pixels[620:680, :, 0] = band
        pixels[620:680, :, 1] = 255 - band
        pixels[620:680, :, 2] = 128
        frames.append(np.ascontiguousarray(pixels))
    return frames


def frames_per_second(kind: str, out: Path, frames: list[np.ndarray], count: int, fps: float) -> float:
    start = time.perf_counter()
    with open_writer(kind, out, fps=fps, size=(WIDTH, HEIGHT)) as writer:
        for k in range(count):
            writer.write(frames[k % len(frames)])
        writer.close()
    return count / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=120, help="frames per writer (120)")
    parser.add_argument("--distinct", type=int, default=30, help="different frames made beforehand (30)")
    parser.add_argument("--fps", type=float, default=30.0, help="frame rate stored in the files (30)")
    parser.add_argument("--dir", type=Path, help="where to write (default: a temporary folder, removed after)")
    args = parser.parse_args(argv)

    frames = diagram_frames(args.distinct)
    result: dict[str, float] = {}
    with tempfile.TemporaryDirectory(dir=args.dir) as temporary:
        folder = Path(temporary)
        for kind in ("gif", "mp4"):  # warm-up: lazy imports, the first ffmpeg start
            frames_per_second(kind, folder / f"warm-up.{kind}", frames, 4, args.fps)
        result["frames_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        for kind in ("png", "gif", "mp4"):
            out = folder / f"bench.{kind}"
            result[f"{kind}_fps"] = frames_per_second(kind, out, frames, args.frames, args.fps)
            size = sum(p.stat().st_size for p in out.iterdir()) if out.is_dir() else out.stat().st_size
            result[f"{kind}_mb"] = size / 1e6
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result["ffmpeg_peak_rss_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    result["load_average_1min"] = os.getloadavg()[0]
    print(json.dumps({key: round(value, 1) for key, value in result.items()}))


if __name__ == "__main__":
    main()
