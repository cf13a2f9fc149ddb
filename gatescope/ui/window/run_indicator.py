"""The status bar's sign that a long run is computing: a busy bar and "Running 5,000 tokens through <model>…".

It appears only when a run in the worker has taken longer than ``SHOW_AFTER_MS``, so runs that come back at once
never flash it, and it goes when the new trace is in (or the run failed or was cancelled). Meanwhile the views keep
showing the last trace and stepping and typing work as usual.
"""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QWidget

from gatescope.ui.runner import RunRequest
from gatescope.ui.session import SessionModel

#: A run that takes longer than this gets the busy sign (a moment; the text box's debounce is 150 ms too).
SHOW_AFTER_MS = 150


def running_message(request: RunRequest) -> str:
    """What the status bar says while ``request`` runs."""
    tokens = f"{request.steps:,} token{'s' if request.steps != 1 else ''}"
    name = f" through {request.model.name}" if request.model.name else ""
    return f"Running {tokens}{name}…"


class RunIndicator(QWidget):
    """A label and an indeterminate progress bar bound to a session's runs in the worker."""

    def __init__(self, session: SessionModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._session = session
        self.label = QLabel(self)
        self.bar = QProgressBar(self)
        self.bar.setRange(0, 0)  # busy, no percentage: a run does not report how far it has got
        self.bar.setTextVisible(False)
        self.bar.setMaximumWidth(120)
        self.bar.setMaximumHeight(14)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 6, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        self._delay = QTimer(self, singleShot=True, interval=SHOW_AFTER_MS)
        self._delay.timeout.connect(self._appear)
        session.busy_changed.connect(self._on_busy_changed)
        session.run_started.connect(self._on_run_started)
        self.hide()

    def _on_busy_changed(self, busy: bool) -> None:
        if busy:
            self._delay.start()
        else:
            self._delay.stop()
            self.hide()

    def _on_run_started(self, request: RunRequest) -> None:
        self.label.setText(running_message(request))  # a newer text while the sign shows: say what runs now

    def _appear(self) -> None:
        request = self._session.pending
        if request is not None:
            self.label.setText(running_message(request))
            self.show()

    def closeEvent(self, event) -> None:
        self._delay.stop()
        super().closeEvent(event)
