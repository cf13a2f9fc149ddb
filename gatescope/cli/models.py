"""``gatescope models``: list the built-in models."""

from __future__ import annotations

import argparse


def add_to(commands: argparse._SubParsersAction) -> None:
    models = commands.add_parser("models", help="list the built-in models", description="List the built-in models.")
    models.set_defaults(run=run)


def run(_args: argparse.Namespace) -> int:
    from gatescope import list_models

    models = list_models()
    if not models:
        print("no built-in models are installed")
        return 0
    width = max(len(name) for name, _ in models)
    for name, description in models:
        print(f"{name:<{width}}  {description}")
    return 0
