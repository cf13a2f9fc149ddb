"""Compare mode: two models side by side on the same text, stepped in lockstep, each with its own cell diagram and
prediction — e.g. an LSTM and a GRU reading the same review.

The left session leads; :class:`Lockstep` copies its text, token, phase, phase progress, tween position, selected
unit and colours to the right session. Cells with different phase counts (LSTM 6, GRU 5) keep the first phase
(combine) and the last (hidden state) together and map the phases between proportionally.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QMessageBox, QSplitter, QVBoxLayout, QWidget

import gatescope
from gatescope.errors import GatescopeError
from gatescope.model.model import Model
from gatescope.ui.playback import DEFAULT_SPEED, DEFAULT_TWEEN_MS, PhaseTweener, Playback, Tweener
from gatescope.ui.session import SessionModel
from gatescope.ui.views.cell_diagram import CellDiagram
from gatescope.ui.views.prediction import PredictionPanel
from gatescope.ui.views.text_input import TextInput
from gatescope.ui.views.token_strip import TokenStrip
from gatescope.ui.views.transport import Transport

#: Which model to compare a shipped model with by default.
PARTNERS = {"lstm-sentiment": "gru-sentiment", "gru-sentiment": "lstm-sentiment", "rnn-sentiment": "lstm-sentiment"}


def map_phase(phase: int, phases: int, other_phases: int) -> int:
    """The follower's phase for the leader's: first to first, last to last, the ones between proportionally."""
    if phase <= 0:
        return 0
    if phase >= phases - 1:
        return other_phases - 1
    if other_phases <= 2:
        return 0
    mapped = round(phase * (other_phases - 1) / (phases - 1))
    return min(max(mapped, 1), other_phases - 2)


class Lockstep(QObject):
    """Keep ``follower`` on the same text, token, phase and unit as ``leader``."""

    def __init__(self, leader: SessionModel, follower: SessionModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.leader, self.follower = leader, follower
        leader.trace_changed.connect(lambda _trace: self.sync_text(leader.text))  # new text or new model
        leader.step_changed.connect(lambda _step: self.sync_step())
        leader.phase_changed.connect(lambda _phase: self.sync_step())
        leader.phase_progress_changed.connect(follower.set_phase_progress)
        leader.position_changed.connect(self._sync_position)
        leader.unit_changed.connect(self._sync_unit)
        leader.colour_scheme_changed.connect(follower.set_colour_scheme)
        leader.unit_order_changed.connect(follower.set_unit_order)
        follower.trace_changed.connect(lambda _trace: self.sync_step())  # e.g. after its model changed
        self.sync_text(leader.text)

    def sync_text(self, text: str) -> None:
        if text and self.follower.text != text:
            self.follower.set_text(text)
        self.sync_step()

    def sync_step(self) -> None:
        leader, follower = self.leader, self.follower
        if follower.trace is None or leader.trace is None:
            return
        step = min(leader.step, follower.steps - 1)
        phase = map_phase(leader.phase, len(leader.phases), len(follower.phases))
        if (follower.step, follower.phase) != (step, phase):
            follower.set_step(step, phase=phase)
        follower.set_phase_progress(leader.phase_progress)
        self._sync_position(leader.position)
        self._sync_unit(leader.unit)

    def _sync_position(self, position: float) -> None:
        if self.follower.steps:
            self.follower.set_position(min(position, self.follower.steps - 1))

    def _sync_unit(self, unit: int) -> None:
        if self.follower.units:
            self.follower.set_unit(min(unit, self.follower.units - 1))


class ModelColumn(QWidget):
    """One side: a model picker, the cell diagram and the prediction."""

    def __init__(self, session: SessionModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.model_box = QComboBox(self)
        for name, description in gatescope.list_models():
            self.model_box.addItem(name)
            self.model_box.setItemData(self.model_box.count() - 1, description, Qt.ItemDataRole.ToolTipRole)
        if self.model_box.findText(session.model.name) < 0:
            self.model_box.insertItem(0, session.model.name)
        self.model_box.setCurrentIndex(self.model_box.findText(session.model.name))
        self.model_box.activated.connect(self._on_model_chosen)
        self.summary = QLabel(session.model.summary(), self)
        self.summary.setWordWrap(True)
        self.diagram = CellDiagram(session, self)
        self.prediction = PredictionPanel(session, self)
        self.prediction.setMaximumHeight(260)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        top = QHBoxLayout()
        top.addWidget(self.model_box)
        top.addWidget(self.summary, 1)
        layout.addLayout(top)
        layout.addWidget(self.diagram, 3)
        layout.addWidget(self.prediction, 1)
        session.model_changed.connect(lambda model: self.summary.setText(model.summary()))

    def _on_model_chosen(self, index: int) -> None:
        name = self.model_box.itemText(index)
        if name == self.session.model.name:
            return
        try:
            model = gatescope.load_model(name)
        except GatescopeError as error:
            QMessageBox.warning(self, "Cannot open this model", f"{error}\n\nThe current model stays loaded.")
            model = None
        if model is None or not model.reads_text or not self.session.set_model(model):
            self.model_box.setCurrentIndex(self.model_box.findText(self.session.model.name))


class CompareWindow(QWidget):
    """Two models, one text: shared text box, tokens and transport; a diagram and prediction per model."""

    def __init__(self, left: Model, right: Model, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setWindowTitle(f"gatescope — compare {left.name} and {right.name}")
        self.left_session = SessionModel(left, text, self)
        self.right_session = SessionModel(right, text, self)
        self.lockstep = Lockstep(self.left_session, self.right_session, self)
        session = self.left_session
        self.tweener = Tweener(session, DEFAULT_TWEEN_MS, self)
        self.phase_tweener = PhaseTweener(session, DEFAULT_TWEEN_MS, self)
        self.playback = Playback(session, DEFAULT_SPEED, self)
        self.text_input = TextInput(session, self)
        self.text_input.setMaximumHeight(60)
        self.token_strip = TokenStrip(session, self)
        self.transport = Transport(session, self.playback, self.tweener, self, phase_tweener=self.phase_tweener)
        self.transport.set_by_phase(True)
        self.left = ModelColumn(self.left_session, self)
        self.right = ModelColumn(self.right_session, self)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(self.left)
        splitter.addWidget(self.right)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.text_input)
        layout.addWidget(self.token_strip)
        layout.addWidget(self.transport)
        layout.addWidget(splitter, 1)
        for key, action in (
            ("Right", session.step_forward),
            ("Left", session.step_back),
            ("Shift+Right", session.next_phase),
            ("Shift+Left", session.previous_phase),
            ("Space", self.playback.toggle),
        ):
            QShortcut(QKeySequence(key), self, action)
        self.resize(1500, 900)

    def closeEvent(self, event) -> None:
        self.playback.pause()
        super().closeEvent(event)


def partner_for(name: str) -> str:
    """A sensible model to compare ``name`` with (the GRU for the LSTM, and so on)."""
    partner = PARTNERS.get(name, "gru-sentiment")
    names = [model for model, _ in gatescope.list_models()]
    return partner if partner in names else (names[0] if names else name)
