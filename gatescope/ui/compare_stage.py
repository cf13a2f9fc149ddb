"""The compare stage: two sessions on one text, in lockstep — shared text box, tokens and transport; per model a
picker, its summary, its cell diagram and its prediction. Views only: loading a model is the window's business."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSplitter, QVBoxLayout, QWidget

from gatescope.ui.lockstep import Lockstep
from gatescope.ui.playback import DEFAULT_SPEED, DEFAULT_TWEEN_MS, PhaseTweener, Playback, Tweener
from gatescope.ui.session import SessionModel
from gatescope.ui.views.cell.view import CellDiagram
from gatescope.ui.views.model_bar import ModelPicker
from gatescope.ui.views.prediction import PredictionPanel
from gatescope.ui.views.text_input import TextInput
from gatescope.ui.views.token_strip import TokenStrip
from gatescope.ui.views.transport import Transport


class ModelColumn(QWidget):
    """One side: a model picker, the model's summary, its cell diagram and its prediction."""

    def __init__(self, session: SessionModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.picker = ModelPicker(session, self, offer_files=False)
        self.summary = QLabel(session.model.summary(), self)
        self.summary.setWordWrap(True)
        self.diagram = CellDiagram(session, self)
        self.prediction = PredictionPanel(session, self)
        self.prediction.setMaximumHeight(260)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        top = QHBoxLayout()
        top.addWidget(self.picker)
        top.addWidget(self.summary, 1)
        layout.addLayout(top)
        layout.addWidget(self.diagram, 3)
        layout.addWidget(self.prediction, 1)
        session.model_changed.connect(lambda model: self.summary.setText(model.summary()))


class CompareStage(QWidget):
    """Two models, one text: ``left`` leads, ``right`` follows it step for step and phase for phase."""

    def __init__(self, left: SessionModel, right: SessionModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.left_session, self.right_session = left, right
        self.lockstep = Lockstep(left, right, self)
        self.tweener = Tweener(left, DEFAULT_TWEEN_MS, self)
        self.phase_tweener = PhaseTweener(left, DEFAULT_TWEEN_MS, self)
        self.playback = Playback(left, DEFAULT_SPEED, self)
        self.text_input = TextInput(left, self)
        self.text_input.setMaximumHeight(60)
        self.token_strip = TokenStrip(left, self)
        self.transport = Transport(left, self.playback, self.tweener, self, phase_tweener=self.phase_tweener)
        self.transport.set_by_phase(True)
        self.left = ModelColumn(left, self)
        self.right = ModelColumn(right, self)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(self.left)
        splitter.addWidget(self.right)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.text_input)
        layout.addWidget(self.token_strip)
        layout.addWidget(self.transport)
        layout.addWidget(splitter, 1)

    def finish_animations(self) -> None:
        """Jump to the end of a running tween or phase animation."""
        self.tweener.finish()
        self.phase_tweener.finish()

    def settle(self) -> None:
        """Bring both cell diagrams up to date now."""
        for column in (self.left, self.right):
            if column.diagram.isVisible():
                column.diagram.settle()

    def closeEvent(self, event) -> None:
        self.playback.pause()
        super().closeEvent(event)
