"""``gatescope trace``: run a model on a text (token ids, or numbers) and print or write every gate, cell and hidden
state."""

from __future__ import annotations

import argparse
import sys

import numpy as np

from gatescope._paths import user_path
from gatescope.cli.common import check_output
from gatescope.cli.model_options import add_input_options, add_load_options, load_options, read_input
from gatescope.errors import GatescopeError

FORMATS = ("table", "json", "csv", "npz")
EXAMPLE = 'gatescope trace bracket-counter "(a(b)c) d"'


def add_to(commands: argparse._SubParsersAction) -> None:
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
        help="the text to read ('-' reads standard input); omit it when using --ids or --input",
    )
    add_input_options(trace)
    trace.add_argument("--layer", type=int, metavar="N", help="only layer N (0 = bottom); default: every layer")
    trace.add_argument("--format", choices=FORMATS, default="table", help="output format (default: table)")
    trace.add_argument(
        "--units",
        metavar="LIST",
        help="table only: units to show, e.g. '0,3,7' or '0-15' (default: the first 8)",
    )
    trace.add_argument("--out", metavar="PATH", type=user_path, help="write to a file instead of standard output")
    trace.add_argument("--force", action="store_true", help="overwrite --out if it exists")
    trace.add_argument("--float64", action="store_true", help="compute in float64 instead of float32")
    add_load_options(trace)
    trace.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from gatescope import load_model
    from gatescope.export import trace_data
    from gatescope.model.formats.npzfile import write_atomic

    if args.format == "npz" and args.out is None:
        raise GatescopeError("--format npz writes a binary file: give --out PATH")
    if args.out is not None:
        check_output(args.out, args.force)
    model = load_model(args.model, dtype=np.float64 if args.float64 else np.float32, **load_options(args))
    units = _parse_units(args.units, model.units * (2 if model.bidirectional else 1)) if args.format == "table" else []
    trace = model.run(read_input(args, model, args.text))
    layers = None
    if args.layer is not None:
        if not 0 <= args.layer < len(trace.layers):
            raise GatescopeError(f"--layer {args.layer}: this model has layers 0 to {len(trace.layers) - 1}")
        layers = [args.layer]
    if args.out is not None and args.format in trace_data.DATA_FORMATS:
        trace_data.write_trace(trace, args.out, args.format, layers, model.name)
        print(args.out)
        return 0
    if args.format in ("json", "csv"):
        trace_data.write_text(trace, sys.stdout, args.format, layers, model.name)
        return 0
    from gatescope.cli.table import format_trace_table

    text = format_trace_table(model, trace, layers, units)
    if args.out is None:
        sys.stdout.write(text)
    else:
        write_atomic(args.out, lambda stream: stream.write(text.encode("utf-8")))
        print(args.out)
    return 0


def _parse_units(spec: str | None, available: int) -> list[int]:
    """The units ``--units`` names, in its order without repeats; every range is checked against the model's units
    before it is expanded, so '0-99999999' costs nothing."""
    if spec is None:
        return list(range(min(8, available)))
    ranges: list[tuple[int, int]] = []
    try:
        for part in spec.split(","):
            first, _, last = part.strip().partition("-")
            ranges.append((int(first), int(last or first)))
    except ValueError:
        raise GatescopeError(f"--units {spec!r}: expected numbers like '0,3,7' or '0-15'") from None
    ranges = [(first, last) for first, last in ranges if first <= last]  # '5-3' names no unit, as before
    if not ranges or any(first < 0 or last >= available for first, last in ranges):
        raise GatescopeError(f"--units {spec!r}: units run from 0 to {available - 1}")
    return list(dict.fromkeys(unit for first, last in ranges for unit in range(first, last + 1)))
