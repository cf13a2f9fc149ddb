"""Compare mode's window: chrome (model loading, shortcuts) around a compare stage — two models side by side on the
same text, stepped in lockstep, e.g. an LSTM and a GRU reading the same review."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QVBoxLayout, QWidget

import gatescope
from gatescope.model.model import Model
from gatescope.ui.compare_stage import CompareStage, ModelColumn
from gatescope.ui.session import SessionModel
from gatescope.ui.window.loading import load_into

#: Which model to compare a shipped model with by default.
PARTNERS = {"lstm-sentiment": "gru-sentiment", "gru-sentiment": "lstm-sentiment", "rnn-sentiment": "lstm-sentiment"}


class CompareWindow(QWidget):
    """Two models, one text, in a window of its own."""

    def __init__(self, left: Model, right: Model, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setWindowTitle(f"gatescope — compare {left.name} and {right.name}")
        self.left_session = SessionModel(left, text, self)
        self.right_session = SessionModel(right, text, self)
        self.stage = CompareStage(self.left_session, self.right_session, self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stage)
        for column in (self.stage.left, self.stage.right):
            column.picker.model_requested.connect(lambda name, column=column: self._load(column, name))
        session = self.left_session
        for key, action in (
            ("Right", session.step_forward),
            ("Left", session.step_back),
            ("Shift+Right", session.next_phase),
            ("Shift+Left", session.previous_phase),
            ("Space", self.stage.playback.toggle),
        ):
            QShortcut(QKeySequence(key), self, action)
        self.resize(1500, 900)

    def _load(self, column: ModelColumn, name: str) -> bool:
        return load_into(self, column.session, name, needs_text=True)

    def closeEvent(self, event) -> None:
        self.stage.playback.pause()
        self.left_session.cancel()
        self.right_session.cancel()
        super().closeEvent(event)


def partner_for(name: str) -> str:
    """A sensible model to compare ``name`` with (the GRU for the LSTM, and so on)."""
    partner = PARTNERS.get(name, "gru-sentiment")
    names = [model for model, _ in gatescope.list_models()]
    return partner if partner in names else (names[0] if names else name)
