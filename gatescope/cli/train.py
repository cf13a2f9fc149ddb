"""``gatescope train``: train a model from a TOML config with the NumPy trainer; write it and its model card."""

from __future__ import annotations

import argparse
import sys

from gatescope._paths import user_path
from gatescope.cli.common import check_output
from gatescope.errors import GatescopeError


def add_to(commands: argparse._SubParsersAction) -> None:
    training = commands.add_parser(
        "train",
        help="train a model from a TOML config (NumPy only)",
        description="Train a model from a TOML config and write it in gatescope's format, "
        "with a model card NAME.md beside it.",
        epilog="example: gatescope train resources/configs/lstm-brackets.toml --out lstm-brackets.npz",
    )
    training.add_argument("config", metavar="CONFIG", type=user_path, help="training config (.toml)")
    training.add_argument("--out", metavar="MODEL.npz", type=user_path, required=True, help="where to write the model")
    training.add_argument("--force", action="store_true", help="overwrite MODEL.npz (and its card) if they exist")
    training.add_argument("--no-card", action="store_true", help="do not write the model card NAME.md")
    training.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from gatescope.train.config import load_config
    from gatescope.train.pipeline import run as train

    load_config(args.config)  # report config mistakes before anything is written
    if args.out.suffix != ".npz":
        raise GatescopeError(f"--out {args.out}: a model file name must end in .npz")
    check_output(args.out, args.force)
    if not args.no_card:
        check_output(args.out.with_suffix(".md"), args.force)
    command = f"gatescope train {args.config} --out {args.out}"
    report = train(args.config, args.out, command=command, write_card=not args.no_card)
    for name, score in report.scores.items():
        print(f"{name:<14} {score:.2%}", file=sys.stderr)
    print(report.path)
    if report.card_path is not None:
        print(report.card_path)
    return 0
