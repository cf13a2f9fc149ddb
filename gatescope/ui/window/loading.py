"""Opening a model for a session from a window: load it, and on any problem say why in a dialog and keep the model
the session has."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget

import gatescope
from gatescope.errors import GatescopeError
from gatescope.ui.session import SessionModel

KEPT = "The current model stays loaded."


def load_into(parent: QWidget, session: SessionModel, source: str) -> bool:
    """Load a built-in model or a file into ``session``; False (after a dialog saying why) if it cannot be used."""
    try:
        model = gatescope.load_model(source)
    except GatescopeError as error:
        QMessageBox.warning(parent, "Cannot open this model", f"{error}\n\n{KEPT}")
        return False
    if not model.reads_text:
        QMessageBox.warning(
            parent,
            "This model cannot read text",
            f"{source}: the model has no tokenizer or embedding (for example a bare PyTorch state_dict), so it "
            f"cannot read typed text. {KEPT}",
        )
        return False
    return session.set_model(model)
