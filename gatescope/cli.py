"""The command line: ``gatescope trace``, ``gatescope models``. Bad input: one line on stderr, exit code 2."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from gatescope.errors import GatescopeError

EXIT_USAGE = 2
TRACE_FORMATS = ("table", "json", "csv", "npz")
EXPORT_FORMATS = ("png", "gif", "mp4", "svg", "csv", "npz", "json")
EXAMPLE = 'gatescope trace bracket-counter "(a(b)c) d"'


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error as one line (and exit code 2), with no usage dump."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise GatescopeError(f"{message} (see '{self.prog} --help')")


def build_parser() -> argparse.ArgumentParser:
    from gatescope import __version__

    parser = _Parser(
        prog="gatescope",
        description="See how recurrent neural networks think, gate by gate.",
        epilog=f"example: {EXAMPLE}",
    )
    parser.add_argument("--version", action="version", version=f"gatescope {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    trace = commands.add_parser(
        "trace",
        help="run a model on a text and print every gate, cell and hidden state",
        description="Run a model on a text and print or write its full trace.",
        epilog=f"example: {EXAMPLE}",
    )
    trace.add_argument("model", metavar="MODEL", help="built-in model name (see 'gatescope models') or a model file")
    trace.add_argument(
        "text",
        metavar="TEXT",
        nargs="?",
        help="the text to read ('-' reads standard input); omit it when using --array",
    )
    trace.add_argument(
        "--array",
        metavar="FILE.npy",
        type=Path,
        help="read a float array (T, input_size) from a .npy file instead of text",
    )
    trace.add_argument("--layer", type=int, metavar="N", help="only layer N (0 = bottom); default: every layer")
    trace.add_argument("--format", choices=TRACE_FORMATS, default="table", help="output format (default: table)")
    trace.add_argument(
        "--units", metavar="LIST", help="table only: units to show, e.g. '0,3,7' or '0-15' (default: the first 8)"
    )
    trace.add_argument("--out", metavar="PATH", type=Path, help="write to a file instead of standard output")
    trace.add_argument("--force", action="store_true", help="overwrite --out if it exists")
    trace.add_argument("--float64", action="store_true", help="compute in float64 instead of float32")

    gui = commands.add_parser(
        "gui",
        help="open the desktop app (the default command)",
        description="Open the desktop app, or render it headless with --screenshot.",
    )
    gui.add_argument("--model", metavar="M", help="built-in model name or model file (default: the last one used)")
    gui.add_argument("--text", metavar="T", help="text to read (default: the last text, or an example)")
    gui.add_argument(
        "--screenshot",
        metavar="PATH",
        type=Path,
        help="render the main window without a display, save it as PNG and exit",
    )
    gui.add_argument("--step", metavar="K", type=int, help="with --screenshot: the token to show (0 = first)")
    gui.add_argument("--size", metavar="WxH", default="1400x900", help="with --screenshot: window size (1400x900)")
    gui.add_argument(
        "--view",
        choices=("heatmaps", "cell"),
        default="heatmaps",
        help="with --screenshot: the central view in front (default: heatmaps)",
    )
    gui.add_argument(
        "--compare", metavar="M2", help="with --screenshot: render the compare window, --model and M2 side by side"
    )
    gui.add_argument(
        "--phase",
        metavar="P",
        help="with --screenshot: show the step up to this phase of the cell, by number (0 = combine) or "
        "name (LSTM: combine forget input cell output hidden; GRU: combine reset update candidate "
        "hidden; RNN: combine hidden)",
    )

    export = commands.add_parser(
        "export",
        help="write the animation (png, gif, mp4, svg) or the trace (csv, npz, json) without a display",
        description="Render the app's views offscreen into frames, an animated GIF, an MP4 or SVG frames, or write "
        "the trace as data. Frames = tokens x (phases per token, with --by phase) x (tween + 1).",
        epilog='example: gatescope export --model lstm-sentiment --text "not good at all" --format gif --out a.gif',
    )
    export.add_argument("--model", metavar="M", required=True, help="built-in model name or model file")
    export.add_argument("--text", metavar="T", required=True, help="the text to read ('-' reads standard input)")
    export.add_argument(
        "--format",
        required=True,
        choices=EXPORT_FORMATS,
        help="png (a folder of frames), gif, mp4, svg (a folder of frames), or csv, npz, json data",
    )
    export.add_argument("--out", metavar="PATH", type=Path, required=True, help="file, or folder for png and svg")
    export.add_argument(
        "--view",
        choices=("window", "cell", "heatmaps", "step"),
        default="window",
        help="what to draw: the whole window, the cell diagram, the heatmaps or the current-step "
        "panel (default: window)",
    )
    export.add_argument(
        "--by",
        choices=("token", "phase"),
        default="token",
        help="one stop per token, or one per phase of the cell (default: token)",
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

    commands.add_parser("models", help="list the built-in models", description="List the built-in models.")

    training = commands.add_parser(
        "train",
        help="train a model from a TOML config (NumPy only)",
        description="Train a model from a TOML config and write it in gatescope's format, "
        "with a model card NAME.md beside it.",
        epilog="example: gatescope train resources/configs/lstm-brackets.toml --out lstm-brackets.npz",
    )
    training.add_argument("config", metavar="CONFIG", type=Path, help="training config (.toml)")
    training.add_argument("--out", metavar="MODEL.npz", type=Path, required=True, help="where to write the model")
    training.add_argument("--force", action="store_true", help="overwrite MODEL.npz (and its card) if they exist")
    training.add_argument("--no-card", action="store_true", help="do not write the model card NAME.md")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``gatescope`` command; returns the exit code."""
    try:
        args = build_parser().parse_args(argv)
        if args.command == "trace":
            return _trace(args)
        if args.command == "models":
            return _models()
        if args.command == "train":
            return _train(args)
        if args.command == "export":
            return _export(args)
        return _gui(args)
    except GatescopeError as error:
        print(f"gatescope: error: {_one_line(str(error))}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("gatescope: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (e.g. piped into `head`): stop quietly.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _one_line(message: str) -> str:
    return " ".join(message.split())


def _models() -> int:
    from gatescope import list_models

    models = list_models()
    if not models:
        print("no built-in models are installed")
        return 0
    width = max(len(name) for name, _ in models)
    for name, description in models:
        print(f"{name:<{width}}  {description}")
    return 0


def _gui(args: argparse.Namespace) -> int:
    model = getattr(args, "model", None)
    text = getattr(args, "text", None)
    screenshot = getattr(args, "screenshot", None)
    if screenshot is None:
        for option in ("step", "phase", "compare"):
            if getattr(args, option, None) is not None:
                raise GatescopeError(f"--{option} goes with --screenshot")
        from gatescope.ui.app import run_gui

        return run_gui(model, text)
    size = _parse_size(args.size)
    if screenshot.suffix.lower() != ".png":
        raise GatescopeError(f"--screenshot {screenshot}: the file name must end in .png")
    _check_output(screenshot, force=True)
    from gatescope.ui.app import save_screenshot

    print(
        save_screenshot(
            screenshot, model, text, args.step, size, view=args.view, phase=args.phase, compare=args.compare
        )
    )
    return 0


def _export(args: argparse.Namespace) -> int:
    from gatescope import load_model
    from gatescope.export import trace_data

    text = sys.stdin.read() if args.text == "-" else args.text
    if args.format in trace_data.DATA_FORMATS:
        _check_output(args.out, args.force)
        model = load_model(args.model)
        trace = model.run(text)
        if not 0 <= args.layer < len(trace.layers):
            raise GatescopeError(f"--layer {args.layer}: this model has layers 0 to {len(trace.layers) - 1}")
        trace_data.write_trace(trace, args.out, args.format, None, model.name)
        print(args.out)
        return 0
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    size = _parse_size(args.size, low=(160, 120))
    model = load_model(args.model)
    if not model.reads_text:
        raise GatescopeError(f"{args.model}: this model has no tokenizer or embedding, so it cannot read text")
    from gatescope.export.animation import AnimationSettings, export_animation
    from gatescope.ui.app import _application, quiet_qt_messages

    settings = AnimationSettings(
        view=args.view,
        by=args.by,
        tween=args.tween,
        fps=args.fps,
        size=size,
        scale=args.scale,
        first=args.first,
        last=args.last,
        format=args.format,
        layer=args.layer,
        unit=args.unit,
    )
    app = _application(sys.argv[:1])
    quiet_qt_messages()
    from gatescope.ui.theme import apply_theme

    apply_theme(args.theme)
    report = _terminal_progress(f"{args.out.name}")
    paths = export_animation(model, text, settings, args.out, force=args.force, progress=report)
    sys.stderr.write("\n" if sys.stderr.isatty() else "")
    del app
    print(args.out if args.format in ("png", "svg") else paths[0])
    return 0


def _terminal_progress(name: str):
    """A progress callback that redraws one line on a terminal (and stays quiet when stderr is not one)."""
    import time

    shown = {"at": 0.0}

    def report(done: int, total: int, seconds_left: float) -> bool:
        now = time.monotonic()
        if sys.stderr.isatty() and (now - shown["at"] > 0.1 or done == total):
            shown["at"] = now
            width = 30
            filled = int(width * done / total)
            sys.stderr.write(
                f"\r{name}: [{'#' * filled}{'.' * (width - filled)}] frame {done}/{total}, {seconds_left:4.0f} s left "
            )
            sys.stderr.flush()
        return True

    return report


def _parse_size(text: str, low: tuple[int, int] = (320, 240)) -> tuple[int, int]:
    width, _, height = text.lower().partition("x")
    try:
        size = int(width), int(height)
    except ValueError:
        raise GatescopeError(f"--size {text!r}: expected WIDTHxHEIGHT, e.g. 1400x900") from None
    if not (low[0] <= size[0] <= 8000 and low[1] <= size[1] <= 8000):
        raise GatescopeError(f"--size {text!r}: width {low[0]}..8000 and height {low[1]}..8000 pixels")
    return size


def _train(args: argparse.Namespace) -> int:
    from gatescope.train.config import load_config
    from gatescope.train.pipeline import run

    load_config(args.config)  # report config mistakes before anything is written
    if args.out.suffix != ".npz":
        raise GatescopeError(f"--out {args.out}: a model file name must end in .npz")
    _check_output(args.out, args.force)
    if not args.no_card:
        _check_output(args.out.with_suffix(".md"), args.force)
    command = f"gatescope train {args.config} --out {args.out}"
    report = run(args.config, args.out, command=command, write_card=not args.no_card)
    for name, score in report.scores.items():
        print(f"{name:<14} {score:.2%}", file=sys.stderr)
    print(report.path)
    if report.card_path is not None:
        print(report.card_path)
    return 0


def _trace(args: argparse.Namespace) -> int:
    from gatescope import load_model
    from gatescope.export import trace_data
    from gatescope.model.formats.npzfile import write_atomic

    if args.format == "npz" and args.out is None:
        raise GatescopeError("--format npz writes a binary file: give --out PATH")
    if args.out is not None:
        _check_output(args.out, args.force)
    if (args.text is None) == (args.array is None):
        raise GatescopeError("give either TEXT or --array FILE.npy (exactly one)")
    model = load_model(args.model, dtype=np.float64 if args.float64 else np.float32)
    trace = model.run(_read_input(args))
    layers = None
    if args.layer is not None:
        if not 0 <= args.layer < len(trace.layers):
            raise GatescopeError(f"--layer {args.layer}: this model has layers 0 to {len(trace.layers) - 1}")
        layers = [args.layer]
    if args.out is not None and args.format in trace_data.DATA_FORMATS:
        trace_data.write_trace(trace, args.out, args.format, layers, model.name)
        print(args.out)
        return 0
    if args.format == "json":
        text = trace_data.to_json(trace, layers, model.name) + "\n"
    elif args.format == "csv":
        text = trace_data.csv_text(trace, layers)
    else:
        from gatescope.cli_table import format_trace_table

        units = _parse_units(args.units, model.units * (2 if model.bidirectional else 1))
        text = format_trace_table(model, trace, layers, units)
    if args.out is None:
        sys.stdout.write(text)
    else:
        write_atomic(args.out, lambda stream: stream.write(text.encode("utf-8")))
        print(args.out)
    return 0


def _read_input(args: argparse.Namespace) -> str | np.ndarray:
    if args.array is not None:
        from gatescope.model.formats.npzfile import check_readable

        check_readable(args.array)
        try:
            array = np.load(args.array, allow_pickle=False)
        except (ValueError, OSError, EOFError) as error:
            raise GatescopeError(f"{args.array}: not a readable .npy array ({_one_line(str(error))})") from None
        if not isinstance(array, np.ndarray):
            raise GatescopeError(f"{args.array}: expected one array (.npy), not an archive")
        return array
    if args.text == "-":
        return sys.stdin.read()
    return args.text


def _parse_units(spec: str | None, available: int) -> list[int]:
    if spec is None:
        return list(range(min(8, available)))
    units: list[int] = []
    try:
        for part in spec.split(","):
            first, _, last = part.strip().partition("-")
            units.extend(range(int(first), int(last or first) + 1))
    except ValueError:
        raise GatescopeError(f"--units {spec!r}: expected numbers like '0,3,7' or '0-15'") from None
    bad = [unit for unit in units if not 0 <= unit < available]
    if bad or not units:
        raise GatescopeError(f"--units {spec!r}: units run from 0 to {available - 1}")
    return units


def _check_output(path: Path, force: bool) -> None:
    if path.exists() and not force:
        raise GatescopeError(f"{path} exists; add --force to overwrite it")
    if path.is_dir():
        raise GatescopeError(f"{path} is a folder; give a file name")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise GatescopeError(f"{path}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise GatescopeError(f"{path}: cannot write in {folder} (permission denied)")
