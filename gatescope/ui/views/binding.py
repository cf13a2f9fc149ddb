"""Connect a view's handlers to the session by name, and disconnect them when the view closes; SessionView is the
base of views that do both and recolour on a theme change.

Names, not bound methods, are kept: a stored bound method would tie the view to itself and let Python's garbage
collector free a parentless view in the middle of a paint.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QWidget


def connect_session(view: QObject, session: QObject, slots: Sequence[tuple[str, str]]) -> None:
    """Connect ``session.<signal>`` to ``view.<handler>`` for each (signal, handler) name pair."""
    for signal, handler in slots:
        getattr(session, signal).connect(getattr(view, handler))
    view.setProperty("gatescope_connected", True)


def disconnect_session(view: QObject, session: QObject, slots: Sequence[tuple[str, str]]) -> None:
    """Undo connect_session; safe to call twice and after the session is gone."""
    if not view.property("gatescope_connected"):
        return
    view.setProperty("gatescope_connected", False)
    for signal, handler in slots:
        try:
            getattr(session, signal).disconnect(getattr(view, handler))
        except (RuntimeError, TypeError, AttributeError):
            pass


class SessionView(QWidget):
    """Base of a view bound to one session: ``bind`` connects its handlers (call it once the view's items exist),
    closing the view disconnects them, and a palette change calls ``palette_changed``."""

    def bind(self, session: QObject, slots: Sequence[tuple[str, str]]) -> None:
        """Connect ``session.<signal>`` to ``self.<handler>`` for each (signal, handler) name pair, until closed."""
        self._binding = (session, tuple(slots))
        connect_session(self, session, slots)

    def palette_changed(self) -> None:
        """Recolour from the new palette (the theme changed); views that paint with palette colours override it."""

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            self.palette_changed()
        super().changeEvent(event)

    def closeEvent(self, event) -> None:
        binding = getattr(self, "_binding", None)
        if binding is not None:
            disconnect_session(self, *binding)
        super().closeEvent(event)
