"""Where the shipped resources are: inside an installed wheel, or at the top of a source checkout."""

from __future__ import annotations

import importlib.resources
from pathlib import Path

from gatescope.errors import GatescopeError


def resources_dir() -> Path:
    """The resources folder (models, examples), found in an installed wheel or a source checkout."""
    installed = Path(str(importlib.resources.files("gatescope"))) / "resources"
    if installed.is_dir():
        return installed
    checkout = Path(__file__).resolve().parent.parent / "resources"
    if checkout.is_dir():
        return checkout
    raise GatescopeError("gatescope's resources folder is missing; reinstall gatescope (pip install gatescope)")
