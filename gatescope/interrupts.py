"""Signals that stop a command — SIGINT (Ctrl-C), SIGTERM, SIGHUP — noted at once and obeyed at a safe moment.

Python runs a signal handler between two bytecodes of the main thread, and during an export or a screenshot that is
often inside a Qt slot or a paint: the KeyboardInterrupt raised there is printed and dropped by PySide (the export
goes on and exits 0), or unwinds through Qt's C++ mid-paint and crashes the process. Inside :func:`deferred_signals`
a stopping signal only notes that it came; the work looks at the note where stopping is safe (between frames, before
output is moved into place), removes what it started and raises :class:`Interrupted`. The command then prints one
line and exits with 128 + the signal's number: 130 for Ctrl-C, 143 for SIGTERM, 129 for SIGHUP, the codes a shell
gives a program the signal killed. No Qt here.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

#: The signals that stop a command; SIGHUP (the terminal went away) does not exist on Windows.
STOPPING_SIGNALS: tuple[signal.Signals, ...] = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)
#: What an interrupted command that writes a file says after the signal's name.
NOTHING_WRITTEN = "nothing was written"
_WORDS = {"SIGINT": "interrupted", "SIGTERM": "terminated (SIGTERM)", "SIGHUP": "hung up (SIGHUP)"}


class Interrupted(BaseException):
    """A stopping signal arrived and the work stopped at a safe point. Like KeyboardInterrupt it is no Exception, so
    an ``except Exception`` on the way up cannot swallow it."""

    def __init__(self, number: int, detail: str = "") -> None:
        self.number = int(number)
        self.detail = detail
        words = _WORDS.get(signal.Signals(number).name, f"stopped by {signal.Signals(number).name}")
        super().__init__(f"{words}; {detail}" if detail else words)

    @property
    def exit_code(self) -> int:
        """128 + the signal's number, as a shell reports a program the signal stopped."""
        return 128 + self.number


class SignalNote:
    """The first stopping signal that arrived while it was listening, if any."""

    def __init__(self) -> None:
        self.received: int | None = None

    def note(self, number: int, frame: FrameType | None = None) -> None:
        """The signal handler: remember the signal and return at once (no exception, no I/O)."""
        if self.received is None:
            self.received = number

    def keep_going(self) -> bool:
        """False once a stopping signal has arrived (the shape of an export's progress answer)."""
        return self.received is None

    def check(self, detail: str = "") -> None:
        """Raise :class:`Interrupted` if a stopping signal has arrived."""
        if self.received is not None:
            raise Interrupted(self.received, detail)


@contextmanager
def deferred_signals() -> Iterator[SignalNote]:
    """Within the block, SIGINT, SIGTERM and SIGHUP only set the yielded note; the handlers that were there before
    come back when the block ends. Outside the main thread (where Python cannot set handlers) the note stays empty."""
    note = SignalNote()
    if threading.current_thread() is not threading.main_thread():
        yield note
        return
    previous = {number: signal.signal(number, note.note) for number in STOPPING_SIGNALS}
    try:
        yield note
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler if handler is not None else signal.SIG_DFL)  # None: set outside Python
