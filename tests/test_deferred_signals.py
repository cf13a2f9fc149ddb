"""gatescope.interrupts: inside deferred_signals a stopping signal is noted, not raised; the handlers that were there
before come back; the exit codes are 128 + the signal's number."""

from __future__ import annotations

import os
import signal

import pytest

from gatescope.interrupts import Interrupted, deferred_signals

pytestmark = pytest.mark.skipif(os.name != "posix", reason="sends POSIX signals to this process")


def test_a_signal_inside_the_block_is_noted_and_raised_only_when_checked():
    before = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    with deferred_signals() as note:
        note.check()  # nothing yet
        os.kill(os.getpid(), signal.SIGTERM)  # a real signal to this process: no exception here
        os.kill(os.getpid(), signal.SIGINT)  # the first one counts
        assert note.received == signal.SIGTERM and not note.keep_going()
        with pytest.raises(Interrupted) as stop:
            note.check("nothing was written")
    assert str(stop.value) == "terminated (SIGTERM); nothing was written" and stop.value.exit_code == 143
    assert {number: signal.getsignal(number) for number in before} == before


@pytest.mark.parametrize(
    "number, code, words", [(signal.SIGINT, 130, "interrupted"), (signal.SIGHUP, 129, "hung up (SIGHUP)")]
)
def test_each_stopping_signal_has_its_words_and_shell_exit_code(number: int, code: int, words: str):
    stop = Interrupted(number)
    assert (str(stop), stop.exit_code) == (words, code)
    assert not isinstance(stop, Exception)  # an `except Exception` on the way up cannot swallow it
