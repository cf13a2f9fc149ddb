"""Options every command that loads a model shares: what the file cannot say (``--vocab``, ``--labels``, ``--head``)
and inputs that are not text (``--ids`` for a model that reads token ids, ``--input`` for one that reads numbers)."""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from gatescope._paths import user_path
from gatescope.cli.common import read_standard_input
from gatescope.errors import GatescopeError
from gatescope.model.model import Model

HEADS = ("softmax", "sigmoid", "none")


def add_load_options(parser: argparse.ArgumentParser) -> None:
    """--vocab, --labels and --head: passed to gatescope.load_model."""
    group = parser.add_argument_group("what a model file cannot say (PyTorch, safetensors, Keras, ONNX files)")
    group.add_argument(
        "--vocab",
        metavar="FILE",
        type=user_path,
        help="the model's vocabulary, so that it reads text: a JSON token → id object or token list, one token a "
        "line, a Hugging Face tokenizer.json (word-level), a Keras Tokenizer or TextVectorization config",
    )
    group.add_argument("--labels", metavar="A,B", help="names of the outputs, in order, e.g. negative,positive")
    group.add_argument(
        "--head",
        choices=HEADS,
        help="the output layer's activation (default: the file's, else softmax for 2+ outputs, sigmoid for 1)",
    )


def load_options(args: argparse.Namespace) -> dict[str, Any]:
    """The keyword arguments of gatescope.load_model the command line gave (only those given)."""
    given = {"vocab": args.vocab, "labels": args.labels, "head": args.head}
    return {name: value for name, value in given.items() if value is not None}


def add_checked_file(parser: argparse.ArgumentParser, text_help: str) -> None:
    """FILE, the input of a comparison with its framework (--text, --ids, --input) and the load options: what
    ``check`` and ``import`` read."""
    parser.add_argument("model", metavar="FILE", type=user_path, help="the model file")
    parser.add_argument("--text", metavar="T", help=text_help)
    add_input_options(parser)
    add_load_options(parser)


def add_input_options(parser: argparse.ArgumentParser) -> None:
    """--ids and --input (--array, its older name, still works): inputs for models that do not read text."""
    parser.add_argument(
        "--ids",
        metavar='"3 17 5"',
        help="token ids, for a model with an embedding but no vocabulary (whole numbers separated by spaces)",
    )
    parser.add_argument("--array", dest="input", type=user_path, help=argparse.SUPPRESS)  # --input's older name
    parser.add_argument(
        "--input",
        dest="input",
        metavar="FILE",
        type=user_path,
        help="a sequence of numbers fed to the first layer, for a model without an embedding (or past it): a CSV "
        "(one row per step, one column per feature) or a .npy array (T, features)",
    )


def given_input(args: argparse.Namespace, text: str | None) -> str | None:
    """Which input the command line gave ('text', 'ids' or 'input'), refusing more than one; None for none."""
    given = [name for name, value in (("text", text), ("ids", args.ids), ("input", args.input)) if value is not None]
    if len(given) > 1:
        raise GatescopeError(f"give one input, not {' and '.join(_flag(name) for name in given)}")
    return given[0] if given else None


def read_input(args: argparse.Namespace, model: Model, text: str | None) -> str | np.ndarray:
    """The input the model reads: TEXT ('-' = standard input), --ids or --input; exactly one, of the kind the model
    reads (text, token ids or numbers), else a GatescopeError saying which kind to give."""
    kind = given_input(args, text)
    if kind is None:
        raise GatescopeError(f"no input given: {_wanted(model)}")
    if kind == "text":
        assert text is not None
        if not model.reads_text:
            raise GatescopeError(f"this model does not read text: {_wanted(model)}")
        return read_standard_input() if text == "-" else text
    if kind == "ids":
        from gatescope.model.sequences import parse_ids

        if model.embedding is None:
            raise GatescopeError(f"this model has no embedding, so it does not read token ids: {_wanted(model)}")
        return parse_ids(args.ids, model.id_count)
    from gatescope.model.sequences import read_sequence

    return read_sequence(args.input, model.input_size)  # for a model with an embedding: vectors in its place


def _wanted(model: Model) -> str:
    """What to give a model, as the end of an error message."""
    if model.reads_text:
        return "give a text (or token ids with --ids)"
    if model.embedding is not None:
        return (
            f'give token ids 0-{model.embedding.shape[0] - 1} with --ids "3 17 5", or a vocabulary with --vocab FILE '
            f"so that it reads text"
        )
    return f"give a CSV or .npy file of {model.input_size} numbers a step with --input FILE"


def _flag(name: str) -> str:
    return "TEXT" if name == "text" else f"--{name}"
