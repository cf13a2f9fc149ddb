"""Connect a view's handlers to the session by name, and disconnect them when the view closes.

Names, not bound methods, are kept: a stored bound method would tie the view to itself and let Python's garbage
collector free a parentless view in the middle of a paint.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QObject


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
