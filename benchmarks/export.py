"""Measure animation export end to end — render the view offscreen, encode, write — printed as one JSON object.

Run:  .venv/bin/python benchmarks/export.py [--frames 150] [--view window]

The shipped lstm-sentiment on a 25-token review, the whole window at 1280x720, by token with tween frames so that
about ``--frames`` frames are made per format. Frames per second count from the first frame to the last one written
(the one-off set-up of the offscreen view is reported apart as ``setup_s``). ``peak_rss_mb`` is this process's peak
resident memory over all three exports; ffmpeg runs in its own process (``ffmpeg_peak_rss_mb``).
Targets (issue 6): PNG and MP4 >= 25 frames/s, GIF >= 15 frames/s, memory flat (frames stream to the writer).
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

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TEXT = (
    "the hotel was in a great spot and the staff were friendly , but the room was noisy and the breakfast was "
    "cold every single morning"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=150, help="about this many frames per format")
    parser.add_argument("--view", default="window", choices=("window", "cell", "heatmaps", "step"))
    args = parser.parse_args()

    import gatescope
    from gatescope.export.animation import export_animation
    from gatescope.export.settings import AnimationSettings
    from gatescope.ui.application import headless_application
    from gatescope.ui.theme import apply_theme

    app = headless_application()
    apply_theme("light")
    model = gatescope.load_model("lstm-sentiment")
    tokens = len(model.run(TEXT).tokens)
    tween = max(0, round(args.frames / tokens) - 1)
    result: dict[str, object] = {}
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with tempfile.TemporaryDirectory() as folder:
        for fmt, name in (("png", "frames"), ("mp4", "clip.mp4"), ("gif", "clip.gif")):
            marks: list[float] = []
            started = time.perf_counter()

            def progress(done: int, total: int, _left: float, marks=marks) -> bool:
                marks.append(time.perf_counter())
                return True

            settings = AnimationSettings(view=args.view, by="token", tween=tween, fps=25, size=(1280, 720), format=fmt)
            export_animation(model, TEXT, settings, Path(folder) / name, progress=progress)
            finished = time.perf_counter()
            frames = len(marks)
            # From the first frame handed to the writer to the file in place (the writer drains its queue at close).
            result[f"{fmt}_fps"] = round((frames - 1) / (finished - marks[0]), 1)
            result[f"{fmt}_setup_s"] = round(marks[0] - started, 2)
            result[f"{fmt}_frames"] = frames
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    result["rss_before_exports_mb"] = round(rss_before, 1)
    result["ffmpeg_peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)
    result.update(
        {
            "size": "1280x720",
            "view": args.view,
            "tokens": tokens,
            "tween": tween,
            "load_average": round(os.getloadavg()[0], 2),
        }
    )
    del app
    print(json.dumps(result))


if __name__ == "__main__":
    main()
