"""``gatescope check``: run a model file in gatescope and in the framework that wrote it (when that framework is
installed) and print the largest difference of every layer's h and c and of the logits."""

from __future__ import annotations

import argparse

import numpy as np

from gatescope.cli.common import read_standard_input
from gatescope.cli.model_options import add_checked_file, given_input, load_options
from gatescope.errors import GatescopeError
from gatescope.frameworks.check import TOLERANCE, CheckInput, Comparison, Unchecked, check_input
from gatescope.model.model import Model

#: Exit codes besides 0 (every difference within the tolerance) and 2 (an error).
EXIT_DIFFERS = 1
EXIT_NOT_CHECKED = 3
EXAMPLE = "gatescope check model.pt --vocab vocab.json"


def add_to(commands: argparse._SubParsersAction) -> None:
    check = commands.add_parser(
        "check",
        help="compare a model file's numbers in gatescope with the framework that wrote it",
        description="Run a PyTorch, safetensors, Keras or ONNX model file in gatescope and in its own framework "
        "(torch, keras or onnxruntime, when installed; gatescope never needs them) on the same input, and print "
        "the largest difference of every layer's hidden and cell states and of the logits.",
        epilog=f"exit codes: 0 every difference is within {TOLERANCE:.0e}; 1 some difference is larger; 2 an error "
        f"(the file cannot be read, bad options); 3 not checked (the framework is not installed here: the message "
        f"says which package to install; or the file is gatescope's own). Without --text, --ids or --input the "
        f"input is a few of the vocabulary's tokens, a few token ids, or seeded random numbers. "
        f"example: {EXAMPLE}",
    )
    add_checked_file(check, "a text to read, for a model with a vocabulary ('-' reads standard input)")
    check.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from gatescope import load_model
    from gatescope.frameworks.check import compare_with_framework

    model = load_model(args.model, **load_options(args))
    given = read_check_input(args, model)
    result = compare_with_framework(args.model, model, given)
    print(f"{args.model.name}: {_described(model)}")
    print(f"input: {given.description}")
    if isinstance(result, Unchecked):
        remedy = f"; {result.remedy} lets gatescope check it" if result.remedy else ""
        print(f"not checked: {result.reason}{remedy}")
        return EXIT_NOT_CHECKED
    print(_table(result))
    if result.passed:
        print(f"same numbers: every difference is within {TOLERANCE:.0e}")
        return 0
    worst = result.worst
    note = f" ({worst.note})" if worst.note else ""
    print(f"DIFFERENT: {worst.name} differs by {worst.largest:.1e}, more than {TOLERANCE:.0e}{note}")
    return EXIT_DIFFERS


def read_check_input(args: argparse.Namespace, model: Model) -> CheckInput:
    """The input both runs read: --text, --ids or --input when given, else check_input's default."""
    from gatescope.model.sequences import parse_ids, read_sequence

    kind = given_input(args, args.text)
    if kind == "text":
        return check_input(model, text=read_standard_input() if args.text == "-" else args.text)
    if kind == "ids":
        if model.embedding is None:
            raise GatescopeError("this model has no embedding, so it does not read token ids: give --input FILE")
        return check_input(model, ids=parse_ids(args.ids, model.id_count))
    if kind == "input":
        return check_input(model, array=read_sequence(args.input, model.input_size))
    return check_input(model)


def _described(model: Model) -> str:
    form = model.provenance.get("format", "gatescope model")
    return f"{form}; {model.provenance.get('architecture') or model.summary()}"


def _table(result: Comparison) -> str:
    version = f" {result.version}" if result.version else ""
    width = max(len("quantity"), *(len(difference.name) for difference in result.differences))
    lines = [f"compared with {result.framework} ({result.package}{version}):", ""]
    lines.append(f"  {'quantity':<{width}}  largest difference")
    for difference in result.differences:
        if difference.largest is None:
            value = f"-  ({difference.note})"
        else:
            mark = "" if difference.within else f"  > {TOLERANCE:.0e}"
            note = f"  ({difference.note})" if difference.note else ""
            value = f"{_number(difference.largest)}{mark}{note}"
        lines.append(f"  {difference.name:<{width}}  {value}")
    return "\n".join(lines + [""])


def _number(value: float) -> str:
    return "differs" if np.isinf(value) else f"{value:.1e}"
