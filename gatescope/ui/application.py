"""The one QApplication, set up for gatescope (headless or not): one BLAS thread, no Qt GUI thread pool, quiet about
what Qt's offscreen platform says on every window."""

from __future__ import annotations

import os
import sys

from PySide6.QtCore import qInstallMessageHandler
from PySide6.QtWidgets import QApplication
from threadpoolctl import threadpool_limits

#: Qt messages that say nothing useful to a user (the offscreen platform prints this on every window shown).
QUIET_QT_MESSAGES = ("This plugin does not support propagateSizeHints()",)


def application(argv: list[str] | None = None) -> QApplication:
    """The running QApplication, or a new one named gatescope."""
    # One model run per keystroke on small matrices: extra BLAS threads only spin against the UI thread.
    threadpool_limits(limits=1, user_api="blas")
    # Qt's raster engine hands every fill or image blend of 96+ scanlines to a thread pool and waits for it; for the
    # thin strips a step repaints, the hand-off costs more than the fill, and far more while another process keeps
    # the other cores busy. Read once, before the pool is first used.
    os.environ.setdefault("QT_NO_GUI_THREADPOOL", "1")
    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationName("gatescope")
    app.setOrganizationName("gatescope")
    return app


def headless_application() -> QApplication:
    """A QApplication that draws offscreen (for exports and screenshots), with Qt's noise filtered out."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = application()
    quiet_qt_messages()
    return app


def quiet_qt_messages() -> None:
    """Drop QUIET_QT_MESSAGES; every other Qt message goes on to the handler that was there before."""
    previous = None

    def handler(kind, context, message: str) -> None:
        if message in QUIET_QT_MESSAGES:
            return
        if previous is not None:
            previous(kind, context, message)
        else:
            sys.stderr.write(message + "\n")

    previous = qInstallMessageHandler(handler)
