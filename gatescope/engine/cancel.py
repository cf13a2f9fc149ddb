"""Cooperative cancellation of a run: a caller on another thread asks, the engine stops at its next checkpoint.

A long trace (thousands of tokens through a wide stack) runs in a worker thread of the app; when a newer text
arrives, the old run is no longer wanted. Inside ``with cancellable(event):`` the engine calls ``checkpoint()``
before each direction of each layer and raises ``RunCancelled`` there once ``event`` is set. Outside such a block a
checkpoint does nothing, so scripts, the command line and training never see it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_requested: ContextVar[threading.Event | None] = ContextVar("gatescope_cancel_requested", default=None)


class RunCancelled(Exception):
    """The caller asked the run to stop (its result is no longer wanted); nothing is wrong with the input."""


@contextmanager
def cancellable(requested: threading.Event) -> Iterator[None]:
    """Runs inside this block stop at their next checkpoint once ``requested`` is set (this thread only)."""
    token = _requested.set(requested)
    try:
        yield
    finally:
        _requested.reset(token)


def checkpoint() -> None:
    """Raise RunCancelled if this thread's caller asked to stop; otherwise return at once."""
    requested = _requested.get()
    if requested is not None and requested.is_set():
        raise RunCancelled("the run was cancelled")
