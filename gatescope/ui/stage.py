"""The stage: the views bound to one session, composed as the window shows them — model bar, text, tokens and
transport on top, the central views as tabs (heatmaps, cell diagram), the colour legend, the docked panels on the
right. No menus, no settings, no dialogs: the main window is chrome around a stage, and an export films one offscreen.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtWidgets import QDockWidget, QHBoxLayout, QMainWindow, QPushButton, QTabWidget, QVBoxLayout, QWidget

from gatescope.ui.playback import DEFAULT_SPEED, DEFAULT_TWEEN_MS, PhaseTweener, Playback, Tweener
from gatescope.ui.registry import CENTRAL_VIEWS, VIEWS
from gatescope.ui.session import SessionModel
from gatescope.ui.views.legend import ColourLegend
from gatescope.ui.views.model_bar import ModelBar
from gatescope.ui.views.text_input import TextInput, input_mode
from gatescope.ui.views.token_strip import TokenStrip
from gatescope.ui.views.transport import Transport


@runtime_checkable
class Settles(Protocol):
    """A view that may defer work until the event loop is idle; ``settle()`` does it now (before a frame is taken)."""

    def settle(self) -> None: ...


class Stage(QMainWindow):
    """Every view of one session, laid out; ``views`` holds the registry's views by key."""

    status_message = Signal(str)  # hover and click reports from any view, for a status bar
    open_sequence_requested = Signal()  # "Open input sequence…" beside the input of a model that reads numbers

    def __init__(self, session: SessionModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowFlags(Qt.WindowType.Widget)  # QMainWindow always adds Qt.Window: a stage is a plain widget
        self.session = session
        self.tweener = Tweener(session, DEFAULT_TWEEN_MS, self)
        self.phase_tweener = PhaseTweener(session, DEFAULT_TWEEN_MS, self)
        self.playback = Playback(session, DEFAULT_SPEED, self)
        self.model_bar = ModelBar(session, self)
        self.text_input = TextInput(session, self)
        self.text_input.setMaximumHeight(72)
        self.open_sequence_button = QPushButton("Open input sequence…", self)
        self.open_sequence_button.setToolTip("A CSV of numbers or a .npy array (steps, features), one row per step")
        self.open_sequence_button.clicked.connect(self.open_sequence_requested)
        self.token_strip = TokenStrip(session, self)
        self.transport = Transport(session, self.playback, self.tweener, self, phase_tweener=self.phase_tweener)
        self.views: dict[str, QWidget] = {entry.key: entry.view_class()(session, self) for entry in VIEWS}
        self.legend = ColourLegend(session, self)
        self._compose()
        for view in (self.model_bar, self.text_input, self.token_strip, self.transport, *self.views.values()):
            view.status_message.connect(self.status_message)
        session.model_changed.connect(self._on_model_changed)
        self._on_model_changed(session.model)

    def _on_model_changed(self, model) -> None:
        self.open_sequence_button.setVisible(input_mode(model) == "sequence")

    def _compose(self) -> None:
        central = QWidget(self)
        column = QVBoxLayout(central)
        column.setContentsMargins(6, 6, 6, 2)
        column.addWidget(self.model_bar)
        input_row = QHBoxLayout()
        input_row.addWidget(self.text_input, stretch=1)
        input_row.addWidget(self.open_sequence_button, alignment=Qt.AlignmentFlag.AlignTop)
        column.addLayout(input_row)
        column.addWidget(self.token_strip)
        column.addWidget(self.transport)
        self.central_tabs = QTabWidget(self)
        self.central_tabs.setDocumentMode(True)
        self.docks: dict[str, QDockWidget] = {}
        for entry in VIEWS:
            if entry.place == "central":
                self.central_tabs.addTab(self.views[entry.key], entry.title)
                continue
            dock = QDockWidget(entry.title, self)
            dock.setObjectName(f"dock-{entry.key}")
            dock.setWidget(self.views[entry.key])
            self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
            self.docks[entry.key] = dock
        column.addWidget(self.central_tabs, stretch=1)
        column.addWidget(self.legend)
        self.setCentralWidget(central)

    def show_central_view(self, key: str) -> None:
        """Bring a central view to the front: "heatmaps" or "cell"."""
        if key not in CENTRAL_VIEWS:
            raise ValueError(f"view must be one of {', '.join(CENTRAL_VIEWS)}, not {key!r}")
        self.central_tabs.setCurrentIndex(CENTRAL_VIEWS.index(key))

    @property
    def central_view(self) -> str:
        return CENTRAL_VIEWS[self.central_tabs.currentIndex()]

    def reset_layout(self) -> None:
        """Every dock back on the right, shown."""
        for dock in self.docks.values():
            dock.setFloating(False)
            dock.show()
            self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)

    def stop_animating(self) -> None:
        """No more tweens or phase animations (the controls keep showing their settings): whoever films the stage sets
        every position and phase progress itself."""
        self.tweener.set_duration_ms(0)
        self.phase_tweener.set_duration_ms(0)

    def finish_animations(self) -> None:
        """Jump to the end of a running tween or phase animation."""
        self.tweener.finish()
        self.phase_tweener.finish()

    def settle(self) -> None:
        """Do deferred updates now, so that what is painted next shows the session's state."""
        QCoreApplication.processEvents()
        for view in self.views.values():
            if isinstance(view, Settles) and view.isVisible():
                view.settle()

    def closeEvent(self, event) -> None:
        self.playback.pause()
        super().closeEvent(event)
