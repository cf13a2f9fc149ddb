"""``gatescope import``: read a model file (PyTorch, safetensors, Keras, ONNX) with what it cannot say given as
options, and write it in gatescope's own format with a model card saying where it came from and how closely gatescope
reproduces its framework."""

from __future__ import annotations

import argparse
import dataclasses
import stat
import sys

from gatescope._paths import path_status, user_path
from gatescope.cli.check import EXIT_DIFFERS, read_check_input
from gatescope.cli.common import check_output
from gatescope.cli.model_options import add_checked_file, load_options
from gatescope.errors import GatescopeError

EXAMPLE = "gatescope import model.pt --vocab vocab.json --labels negative,positive --out sentiment.npz"


def add_to(commands: argparse._SubParsersAction) -> None:
    command = commands.add_parser(
        "import",
        help="convert a model file to gatescope's format, with a model card",
        description="Read a PyTorch, safetensors, Keras or ONNX model file and write it as a gatescope model "
        "(.npz) whose model card records the source file (name and sha256), its format and architecture, the "
        "vocabulary, labels and head activation (given or assumed) and the largest difference from the framework "
        "that wrote it, when that framework is installed here (see 'gatescope check').",
        epilog=f"exit codes: 0 written; 1 written, but gatescope's numbers differ from the framework's (the card "
        f"says by how much); 2 an error, nothing written. example: {EXAMPLE}",
    )
    command.add_argument("--out", metavar="PATH", type=user_path, required=True, help="the .npz file to write")
    command.add_argument("--force", action="store_true", help="replace --out if it exists")
    add_checked_file(command, "the input of the comparison with the framework, for a model that reads text")
    command.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from gatescope import __version__, load_model
    from gatescope.frameworks.check import Comparison, Unchecked, compare_with_framework, parity_sentence
    from gatescope.model.card import file_sha256, imported_card

    if args.out.suffix.lower() != ".npz":
        raise GatescopeError(f"--out {args.out}: the file name must end in .npz")
    check_output(args.out, args.force)
    status = path_status(args.model)
    if status is None or not stat.S_ISREG(status.st_mode):
        raise GatescopeError(f"{args.model}: no such model file")
    model = load_model(args.model, **load_options(args))
    given = read_check_input(args, model)
    result = compare_with_framework(args.model, model, given)
    card = imported_card(model, args.model, file_sha256(args.model), parity_sentence(result, given), __version__)
    dataclasses.replace(model, card=card).save(args.out)
    print(args.out)
    if isinstance(result, Unchecked):
        remedy = f" ({result.remedy} lets gatescope check it)" if result.remedy else ""
        print(f"gatescope: note: not compared with its framework: {result.reason}{remedy}", file=sys.stderr)
    if isinstance(result, Comparison) and not result.passed:
        worst = result.worst
        print(
            f"gatescope: warning: {args.out.name} differs from {result.framework}: {worst.name} by "
            f"{worst.largest:.1e}; see its model card",
            file=sys.stderr,
        )
        return EXIT_DIFFERS
    return 0
