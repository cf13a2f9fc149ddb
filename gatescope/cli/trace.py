"""``gatescope trace``: run a model on a text (or an array) and print or write every gate, cell and hidden state."""

from __future__ import annotations

import argparse
import sys

import numpy as np

from gatescope._paths import user_path
from gatescope.cli.common import check_output, one_line, read_standard_input
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
        help="the text to read ('-' reads standard input); omit it when using --array",
    )
    trace.add_argument(
        "--array",
        metavar="FILE.npy",
        type=user_path,
        help="read a float array (T, input_size) from a .npy file instead of text",
    )
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
    trace.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from gatescope import load_model
    from gatescope.export import trace_data
    from gatescope.model.formats.npzfile import write_atomic

    if args.format == "npz" and args.out is None:
        raise GatescopeError("--format npz writes a binary file: give --out PATH")
    if args.out is not None:
        check_output(args.out, args.force)
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
        from gatescope.cli.table import format_trace_table

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
            raise GatescopeError(f"{args.array}: not a readable .npy array ({one_line(str(error))})") from None
        if not isinstance(array, np.ndarray):
            raise GatescopeError(f"{args.array}: expected one array (.npy), not an archive")
        return array
    if args.text == "-":
        return read_standard_input()
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
