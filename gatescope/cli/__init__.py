"""The command line, one module per command: ``gatescope`` (the app), ``trace``, ``export``, ``train``, ``models``,
``import``, ``check``. Bad input: one line on stderr and exit code 2. Ctrl-C: one line and exit code 130; SIGTERM and
SIGHUP, which ``export``, ``gui --screenshot`` and the app stop on as cleanly (gatescope.interrupts): 143 and 129.
``check`` also exits 1 (numbers differ from the framework's) and 3 (not checked); ``import`` 1 (written, differs)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from gatescope.cli import check, export, gui, import_model, models, trace, train
from gatescope.cli.common import EXIT_USAGE, Parser, one_line
from gatescope.errors import GatescopeError
from gatescope.interrupts import Interrupted

#: In the order ``gatescope --help`` lists them.
COMMANDS = (trace, gui, export, models, import_model, check, train)


def build_parser() -> argparse.ArgumentParser:
    from gatescope import __version__

    parser = Parser(
        prog="gatescope",
        description="See how recurrent neural networks think, gate by gate.",
        epilog=f"example: {trace.EXAMPLE}",
    )
    parser.add_argument("--version", action="version", version=f"gatescope {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for command in COMMANDS:
        command.add_to(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``gatescope`` command; returns the exit code."""
    try:
        args = build_parser().parse_args(argv)
        return getattr(args, "run", gui.run)(args)  # no command: the app
    except GatescopeError as error:
        print(f"gatescope: error: {one_line(str(error))}", file=sys.stderr)
        return EXIT_USAGE
    except Interrupted as stop:
        print(f"gatescope: {stop}", file=sys.stderr)
        return stop.exit_code
    except KeyboardInterrupt:
        print("gatescope: interrupted", file=sys.stderr)
        return 130
    except UnicodeEncodeError as error:
        if error.encoding.lower().replace("-", "").startswith("utf"):
            raise  # gatescope writes its files in UTF-8: not a terminal that cannot show the text, but a bug
        character = ascii(error.object[error.start : error.start + 1])
        print(
            f"gatescope: error: standard output is in {error.encoding}, which cannot show {character}; use a UTF-8 "
            f"locale (e.g. LC_ALL=C.UTF-8) or write to a file with --out",
            file=sys.stderr,
        )
        return EXIT_USAGE
    except BrokenPipeError:
        # The reader went away (e.g. piped into `head`): stop quietly.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
