"""Large trace arrays come from a pool of buffers (engine/memory.py): a buffer is reused only when no array refers to
it any more, so nothing a caller kept is ever overwritten, and a reused buffer gives the same trace as fresh memory."""

from __future__ import annotations

import numpy as np
import pytest

from gatescope.engine import memory, run_stack
from tests.helpers import make_layer


@pytest.fixture
def pool(monkeypatch):
    """Pool every array (the test's traces are small) in a pool of its own."""
    monkeypatch.setattr(memory, "POOLED_FROM_BYTES", 0)
    monkeypatch.setattr(memory, "_buffers", [])
    return memory


def _stack():
    return [make_layer(np.random.default_rng(3), "lstm", 6, 5, bidirectional=True)]


def test_a_run_reuses_the_buffers_of_a_dropped_trace_and_computes_the_same(pool):
    layers = _stack()
    x = np.random.default_rng(0).normal(size=(9, 6)).astype(np.float32)
    first = run_stack(layers, x)
    expected = {name: array.copy() for name, array in first[0].quantities().items()}
    addresses = {buffer.ctypes.data for buffer in pool._buffers}
    del first

    again = run_stack(layers, x)

    assert {buffer.ctypes.data for buffer in pool._buffers} == addresses  # no new buffer: the old ones served
    for name, array in again[0].quantities().items():
        np.testing.assert_array_equal(array, expected[name], err_msg=name)


def test_an_array_a_caller_keeps_is_never_overwritten_by_a_later_run(pool):
    layers = _stack()
    rng = np.random.default_rng(1)
    kept = run_stack(layers, rng.normal(size=(9, 6)).astype(np.float32))[0].h
    before = kept.copy()

    later = run_stack(layers, rng.normal(size=(9, 6)).astype(np.float32))

    assert not np.shares_memory(kept, later[0].h)
    np.testing.assert_array_equal(kept, before)


def test_the_pool_keeps_no_more_than_its_limit_and_releases_what_nothing_uses(pool, monkeypatch):
    monkeypatch.setattr(memory, "POOL_BYTES", 4096)
    arrays = [memory.trace_empty((100,), np.dtype(np.float64)) for _ in range(10)]
    assert sum(buffer.nbytes for buffer in pool._buffers) <= 4096
    del arrays
    memory.release()
    assert pool._buffers == []
