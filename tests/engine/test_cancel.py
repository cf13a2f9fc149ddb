"""Cooperative cancellation: a run inside ``cancellable`` stops at the next checkpoint once asked; outside, nothing
changes."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from gatescope.engine import run_stack
from gatescope.engine.cancel import RunCancelled, cancellable, checkpoint
from tests.helpers import make_text_model


def stack_and_input():
    model = make_text_model("lstm", units=6, layers=2, bidirectional=True)
    x = np.random.default_rng(0).normal(size=(7, model.input_size)).astype(np.float32)
    return model.layers, x


def test_a_run_asked_to_stop_raises_at_its_first_checkpoint():
    layers, x = stack_and_input()
    requested = threading.Event()
    requested.set()

    with cancellable(requested), pytest.raises(RunCancelled):
        run_stack(layers, x)


def test_a_run_not_asked_to_stop_gives_the_same_trace():
    layers, x = stack_and_input()
    plain = run_stack(layers, x)

    with cancellable(threading.Event()):
        watched = run_stack(layers, x)

    for one, other in zip(plain, watched, strict=True):
        assert_array_equal(one.h, other.h)
        assert_array_equal(one.c, other.c)


def test_outside_a_cancellable_block_a_checkpoint_does_nothing():
    requested = threading.Event()
    requested.set()
    with cancellable(requested):
        pass

    checkpoint()  # the request belonged to the block, which has ended


def test_a_request_on_one_thread_does_not_stop_another():
    layers, x = stack_and_input()
    requested = threading.Event()
    requested.set()
    results = []
    with cancellable(requested):
        worker = threading.Thread(target=lambda: results.append(run_stack(layers, x)))
        worker.start()
        worker.join()

    assert len(results) == 1
