"""``gatescope export``: the animation (PNG, GIF, MP4, SVG frames) or the trace (CSV, NPZ, JSON), without a display."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable

from gatescope._paths import user_path
from gatescope.cli.common import check_output, parse_size, read_standard_input
from gatescope.cli.model_options import add_input_options, add_load_options, given_input, load_options, read_input
from gatescope.errors import GatescopeError
from gatescope.export.settings import BY, AnimationSettings
from gatescope.export.trace_data import DATA_FORMATS
from gatescope.export.writers import FORMATS as ANIMATION_FORMATS
from gatescope.interrupts import NOTHING_WRITTEN, SignalNote, deferred_signals
from gatescope.ui.registry import EXPORT_VIEWS, WHOLE_STAGE

FORMATS = (*ANIMATION_FORMATS, *DATA_FORMATS)


def add_to(commands: argparse._SubParsersAction) -> None:
    export = commands.add_parser(
        "export",
        help="write the animation (png, gif, mp4, svg) or the trace (csv, npz, json) without a display",
        description="Render the app's views offscreen into frames, an animated GIF, an MP4 or SVG frames, or write "
        "the trace as data. Frames = tokens x (phases per token, with --by phase) x (tween + 1).",
        epilog='example: gatescope export --model lstm-sentiment --text "not good at all" --format gif --out a.gif',
    )
    export.add_argument("--model", metavar="M", required=True, help="built-in model name or model file")
    export.add_argument("--text", metavar="T", help="the text to read ('-' reads standard input)")
    add_input_options(export)
    export.add_argument(
        "--format",
        required=True,
        choices=FORMATS,
        help="png (a folder of frames), gif, mp4, svg (a folder of frames), or csv, npz, json data",
    )
    export.add_argument("--out", metavar="PATH", type=user_path, required=True, help="file, or folder for png and svg")
    single = ", ".join(f"{key} ({title.lower()})" for key, title in EXPORT_VIEWS.items() if key != WHOLE_STAGE)
    export.add_argument(
        "--view",
        choices=tuple(EXPORT_VIEWS),
        default=WHOLE_STAGE,
        help=f"what to draw: {WHOLE_STAGE} (every view, laid out as the app shows them) or one view: {single} "
        f"(default: {WHOLE_STAGE})",
    )
    export.add_argument(
        "--by", choices=BY, default=BY[0], help="one stop per token, or one per phase of the cell (default: token)"
    )
    export.add_argument("--tween", metavar="N", type=int, default=0, help="in-between frames per stop (default 0)")
    export.add_argument("--fps", metavar="N", type=float, default=4.0, help="frames per second (default 4)")
    export.add_argument("--size", metavar="WxH", default="1280x720", help="view size in pixels (default 1280x720)")
    export.add_argument(
        "--scale",
        metavar="S",
        type=float,
        default=1.0,
        help="pixel scale, e.g. 2 for sharp slides (frames are WxH times S)",
    )
    export.add_argument("--from", dest="first", metavar="K", type=int, default=0, help="first token (default 0)")
    export.add_argument("--to", dest="last", metavar="K", type=int, help="last token (default: the last one)")
    export.add_argument("--unit", metavar="U", type=int, default=0, help="the selected unit captions read (default 0)")
    export.add_argument("--layer", metavar="N", type=int, default=0, help="the layer shown (default 0)")
    export.add_argument("--theme", choices=("light", "dark"), default="light", help="colours of the app (light)")
    export.add_argument("--force", action="store_true", help="replace --out if it exists")
    add_load_options(export)
    export.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from gatescope import load_model
    from gatescope.export import trace_data

    if args.format in DATA_FORMATS:
        check_output(args.out, args.force)
        model = load_model(args.model, **load_options(args))
        trace = model.run(read_input(args, model, args.text))
        if not 0 <= args.layer < len(trace.layers):
            raise GatescopeError(f"--layer {args.layer}: this model has layers 0 to {len(trace.layers) - 1}")
        trace_data.write_trace(trace, args.out, args.format, None, model.name)
        print(args.out)
        return 0
    settings = AnimationSettings(
        view=args.view,
        by=args.by,
        tween=args.tween,
        fps=args.fps,
        size=parse_size(args.size, low=(160, 120)),
        scale=args.scale,
        first=args.first,
        last=args.last,
        format=args.format,
        layer=args.layer,
        unit=args.unit,
    )
    settings.precheck()  # frame size and memory, before the model is loaded or Qt started
    if given_input(args, args.text) != "text":
        raise GatescopeError(
            "an animation reads a text (--text); for token ids (--ids) or numbers (--input), export the trace as "
            "data: --format csv, npz or json"
        )
    text = read_standard_input() if args.text == "-" else args.text
    with deferred_signals() as signals:
        return _export_animation(args, text, settings, signals)


def _export_animation(args: argparse.Namespace, text: str, settings: AnimationSettings, signals: SignalNote) -> int:
    """The animation formats, with SIGINT, SIGTERM and SIGHUP noted and obeyed between frames (gatescope.interrupts):
    the export stops, removes its temporary output and the command exits 128 + the signal's number."""
    from gatescope import load_model

    model = load_model(args.model, **load_options(args))
    if not model.reads_text:
        raise GatescopeError(
            f"{args.model}: this model has no vocabulary, so it cannot read text; give one with --vocab FILE, or "
            f"export the trace as data (--format csv, npz or json) with --ids or --input"
        )
    from gatescope.export.animation import export_animation
    from gatescope.ui.application import headless_application
    from gatescope.ui.theme import apply_theme

    signals.check(NOTHING_WRITTEN)
    app = headless_application()
    apply_theme(args.theme)
    report = _TerminalProgress(args.out.name, signals.keep_going)
    try:
        paths = export_animation(model, text, settings, args.out, force=args.force, progress=report)
    except GatescopeError:  # cancelled by the signal, or failed under it (e.g. a helper process it reached)
        signals.check(NOTHING_WRITTEN)
        raise
    finally:
        report.end_line()
    del app
    print(args.out if args.format in ("png", "svg") else paths[0])
    return 0


class _TerminalProgress:
    """The progress callback: redraws one line on a terminal (quiet when stderr is not one) and answers whether to
    keep going."""

    def __init__(self, name: str, keep_going: Callable[[], bool]) -> None:
        self.name = name
        self.keep_going = keep_going
        self.shown_at = 0.0
        self.drawn = False

    def __call__(self, done: int, total: int, seconds_left: float) -> bool:
        now = time.monotonic()
        if sys.stderr.isatty() and (now - self.shown_at > 0.1 or done == total):
            self.shown_at = now
            width = 30
            filled = int(width * done / total)
            sys.stderr.write(
                f"\r{self.name}: [{'#' * filled}{'.' * (width - filled)}] frame {done}/{total}, "
                f"{seconds_left:4.0f} s left "
            )
            sys.stderr.flush()
            self.drawn = True
        return self.keep_going()

    def end_line(self) -> None:
        """End the progress line, so that what follows (the path, an error) starts a line of its own."""
        if self.drawn:
            sys.stderr.write("\n")
            self.drawn = False
