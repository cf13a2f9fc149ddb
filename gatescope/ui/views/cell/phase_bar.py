"""A row of buttons, one per phase of the cell: the current phase checked, a click asks for another."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QToolButton, QWidget

from gatescope.engine.phases import Phase
from gatescope.presentation.text import phase_title


class PhaseBar(QWidget):
    """Numbered phase buttons ("1 Combine h(t−1) and x(t)", ...); ``chosen`` says which one was clicked."""

    chosen = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(2)
        self._group = QButtonGroup(self)
        self._group.idClicked.connect(self.chosen)

    def set_phases(self, phases: Sequence[Phase]) -> None:
        """One button per phase, in order, replacing the buttons there were."""
        for button in self._group.buttons():
            self._group.removeButton(button)
            button.deleteLater()
        while self._layout.count():
            self._layout.takeAt(0)
        for index, phase in enumerate(phases):
            button = QToolButton(self)
            button.setText(f"{index + 1} {phase_title(phase.key)}")
            button.setCheckable(True)
            button.setAutoRaise(True)
            button.setToolTip(f"Show the step up to: {phase_title(phase.key)} (Shift+Right / Shift+Left move by phase)")
            self._layout.addWidget(button)
            self._group.addButton(button, index)
        self._layout.addStretch(1)

    def buttons(self) -> list[QToolButton]:
        """The phase buttons, first phase first."""
        return [self._group.button(index) for index in range(len(self._group.buttons()))]

    def set_current(self, index: int) -> None:
        """Check the button of phase ``index``."""
        button = self._group.button(index)
        if button is not None and not button.isChecked():
            button.setChecked(True)
