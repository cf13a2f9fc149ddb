"""``gatescope gui`` (the default command): open the app, or render its window headless with --screenshot."""

from __future__ import annotations

import argparse

from gatescope._paths import user_path
from gatescope.cli.common import check_output, parse_size
from gatescope.cli.model_options import add_load_options, load_options
from gatescope.errors import GatescopeError
from gatescope.interrupts import NOTHING_WRITTEN, deferred_signals
from gatescope.ui.registry import CENTRAL_VIEWS


def add_to(commands: argparse._SubParsersAction) -> None:
    gui = commands.add_parser(
        "gui",
        help="open the desktop app (the default command)",
        description="Open the desktop app, or render it headless with --screenshot.",
    )
    gui.add_argument("file", metavar="MODEL", nargs="?", help="a model file or built-in model name (or use --model)")
    gui.add_argument("--model", metavar="M", help="built-in model name or model file (default: the last one used)")
    gui.add_argument("--text", metavar="T", help="text to read (default: the last text, or an example)")
    gui.add_argument(
        "--screenshot",
        metavar="PATH",
        type=user_path,
        help="render the main window without a display, save it as PNG and exit",
    )
    gui.add_argument("--force", action="store_true", help="with --screenshot: replace PATH if it exists")
    gui.add_argument("--step", metavar="K", type=int, help="with --screenshot: the token to show (0 = first)")
    gui.add_argument("--size", metavar="WxH", default="1400x900", help="with --screenshot: window size (1400x900)")
    gui.add_argument(
        "--view",
        choices=CENTRAL_VIEWS,
        default=CENTRAL_VIEWS[0],
        help=f"with --screenshot: the central view in front (default: {CENTRAL_VIEWS[0]})",
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
    add_load_options(gui)
    gui.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    model = getattr(args, "model", None)
    if getattr(args, "file", None) is not None:
        if model is not None:
            raise GatescopeError(f"give the model once: {args.file} or --model {model}")
        model = args.file
    text = getattr(args, "text", None)
    screenshot = getattr(args, "screenshot", None)
    options = load_options(args) if hasattr(args, "vocab") else {}  # no command at all: the app, no options
    if options and model is None:
        option = next(iter(options))
        raise GatescopeError(f"--{option} goes with a model: gatescope gui MODEL --{option} …")
    if screenshot is None:
        for option in ("step", "phase", "compare"):
            if getattr(args, option, None) is not None:
                raise GatescopeError(f"--{option} goes with --screenshot")
        if getattr(args, "force", False):
            raise GatescopeError("--force goes with --screenshot")
        with deferred_signals() as signals:  # from before Qt is imported: no signal is raised inside Qt
            from gatescope.ui.window.app import run_gui

            return run_gui(model, text, signals, load_options=options)
    size = parse_size(args.size)
    if screenshot.suffix.lower() != ".png":
        raise GatescopeError(f"--screenshot {screenshot}: the file name must end in .png")
    check_output(screenshot, args.force)
    # Signals are noted, not raised, while Qt renders: the screenshot stops before its file takes its place.
    with deferred_signals() as signals:
        from gatescope.ui.window.app import save_screenshot

        signals.check(NOTHING_WRITTEN)
        try:
            path = save_screenshot(
                screenshot,
                model,
                text,
                args.step,
                size,
                view=args.view,
                phase=args.phase,
                compare=args.compare,
                force=args.force,
                proceed=signals.keep_going,
                load_options=options,
            )
        except GatescopeError:  # cancelled by the signal, or failed under it
            signals.check(NOTHING_WRITTEN)
            raise
    print(path)
    return 0
