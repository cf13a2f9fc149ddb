"""The one QApplication, set up for gatescope (headless or not): one BLAS thread, no Qt GUI thread pool, large
arrays handed back to the system when freed, quiet about what Qt's offscreen platform says on every window."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from PySide6.QtCore import QSocketNotifier, qInstallMessageHandler
from PySide6.QtWidgets import QApplication
from threadpoolctl import threadpool_limits

from gatescope.interrupts import STOPPING_SIGNALS, SignalNote

#: Qt messages that say nothing useful to a user (the offscreen platform prints this on every window shown).
QUIET_QT_MESSAGES = ("This plugin does not support propagateSizeHints()",)
#: glibc's mallopt parameter M_MMAP_THRESHOLD, and the size from which arrays get memory of their own.
M_MMAP_THRESHOLD = -3
OWN_MAPPING_BYTES = 8 * 2**20


def application(argv: list[str] | None = None) -> QApplication:
    """The running QApplication, or a new one named gatescope."""
    # One model run per keystroke on small matrices: extra BLAS threads only spin against the UI thread.
    threadpool_limits(limits=1, user_api="blas")
    # Qt's raster engine hands every fill or image blend of 96+ scanlines to a thread pool and waits for it; for the
    # thin strips a step repaints, the hand-off costs more than the fill, and far more while another process keeps
    # the other cores busy. Read once, before the pool is first used.
    os.environ.setdefault("QT_NO_GUI_THREADPOOL", "1")
    return_large_arrays()
    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationName("gatescope")
    app.setOrganizationName("gatescope")
    return app


def return_large_arrays() -> None:
    """Large arrays (a trace of a wide model over a long text holds many of 20 MB) get memory mappings of their own,
    which go back to the system when the array is freed.

    glibc raises its mmap threshold to the size of each mapped block freed, up to 32 MB, so after the first trace is
    replaced, the next traces' arrays come from the heap, which keeps much of what is freed: new 5,000-token texts
    through a 2-layer bidirectional 512-unit LSTM took the app from 0.77 to 1.36 GB resident in four texts, the same
    traces alive (0.75 GB flat with a fixed threshold). Elsewhere than glibc this does nothing."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt(M_MMAP_THRESHOLD, OWN_MAPPING_BYTES)
    except (OSError, AttributeError):  # not glibc (musl has no mallopt): its own allocator decides
        pass


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


@contextmanager
def closing_on_signals(app: QApplication, note: SignalNote) -> Iterator[None]:
    """While the event loop runs, a stopping signal noted in ``note`` — Ctrl-C in the app's terminal, SIGTERM or
    SIGHUP, with handlers the caller installed by :func:`gatescope.interrupts.deferred_signals` — closes every
    window as its close button would (the main window saves its preferences; an export in progress is cancelled with
    its progress dialog) and ends the event loop; the note then says which signal it was. A signal noted before the
    block counts.

    Left to Python, the signal would wait for the next Python slot — a mouse move, a timer — and raise
    KeyboardInterrupt inside it, which the exception hook reports as an error while the app goes on. Qt waits for
    events in C++, so the signal also writes its number to a socket Qt watches (``signal.set_wakeup_fd``): the app
    wakes up at once and closes from its own event loop. The wake-up descriptor that was there before comes back when
    the block ends."""
    receiver, sender = socket.socketpair()
    for end in (receiver, sender):
        end.setblocking(False)
    previous_fd = signal.set_wakeup_fd(sender.fileno(), warn_on_full_buffer=False)
    notifier = QSocketNotifier(receiver.fileno(), QSocketNotifier.Type.Read)

    def on_wake_up() -> None:
        try:
            numbers = receiver.recv(64)
        except OSError:
            numbers = b""
        for number in numbers:  # the handler may not have run yet; the socket has the number already
            if number in STOPPING_SIGNALS:
                note.note(number)
        if note.received is not None:
            app.closeAllWindows()
            app.exit(128 + note.received)

    notifier.activated.connect(on_wake_up)
    if note.received is not None:
        sender.send(bytes([note.received]))  # came while the app was starting: close as soon as the loop runs
    try:
        yield
    finally:
        notifier.setEnabled(False)
        notifier.activated.disconnect(on_wake_up)
        signal.set_wakeup_fd(previous_fd)
        notifier.deleteLater()
        receiver.close()
        sender.close()
