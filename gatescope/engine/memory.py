"""Memory for traces, kept for the next run once nothing reads it any more.

A long run writes hundreds of megabytes of new arrays. On some machines (virtual ones whose host takes freed memory
back) writing fresh memory costs more than a tenth of the run (docs/platform-facts.md): a new text through the same
model would pay it every time. So large trace arrays come from a small pool of buffers. A buffer is handed out again
only when nothing but the pool refers to it — every array and view of a trace holds a reference to the buffer its
data lives in (NumPy's ``base``), so a trace still in use, or any array a caller kept from it, keeps its buffer out
of the pool's reach. The pool keeps at most ``POOL_BYTES`` in all; beyond that arrays are allocated as usual.
"""

from __future__ import annotations

import sys
import threading
from typing import Any

import numpy as np

from gatescope.engine.layout import ALIGNMENT, aligned_empty
from gatescope.engine.trace import FloatArray

#: Arrays smaller than this are allocated as usual (their first touch is cheap).
POOLED_FROM_BYTES = 8 * 2**20
#: Bytes of buffers the pool keeps at most, those in use included.
POOL_BYTES = 512 * 2**20

_lock = threading.Lock()
_buffers: list[np.ndarray[Any, Any]] = []  # uint8 buffers, each ALIGNMENT bytes longer than the arrays it serves


def trace_empty(shape: tuple[int, ...], dtype: np.dtype[Any]) -> FloatArray:
    """An uninitialised C-contiguous array starting on an ALIGNMENT-byte boundary; a large one reuses a buffer no
    array refers to any more."""
    size = int(np.prod(shape)) * dtype.itemsize
    if size < POOLED_FROM_BYTES:
        return aligned_empty(shape, dtype)
    with _lock:
        buffer = _free_buffer(size + ALIGNMENT)
        if buffer is None:
            buffer = np.empty(size + ALIGNMENT, np.uint8)
            _make_room(buffer.nbytes)
            if sum(kept.nbytes for kept in _buffers) + buffer.nbytes <= POOL_BYTES:
                _buffers.append(buffer)
        return _view(buffer, shape, dtype, size)


def release() -> None:
    """Forget every buffer nothing refers to (their memory goes back to the system)."""
    with _lock:
        _buffers[:] = [_buffers[index] for index in range(len(_buffers)) if not _unused(index)]


def _free_buffer(nbytes: int) -> np.ndarray[Any, Any] | None:
    """An unused buffer of at least ``nbytes`` and at most a quarter more (a text a few tokens longer or shorter)."""
    for index in range(len(_buffers)):
        if nbytes <= _buffers[index].nbytes <= nbytes * 1.25 and _unused(index):
            return _buffers[index]
    return None


def _make_room(nbytes: int) -> None:
    """Forget unused buffers, oldest first, until ``nbytes`` more fit: what the pool keeps and nothing uses never
    exceeds what the newest runs could use."""
    index = 0
    while index < len(_buffers) and sum(kept.nbytes for kept in _buffers) + nbytes > POOL_BYTES:
        if _unused(index):
            del _buffers[index]
        else:
            index += 1


def _unused(index: int) -> bool:
    """True when only the pool refers to buffer ``index``: its list entry, and getrefcount's argument."""
    return sys.getrefcount(_buffers[index]) <= 2


def _view(buffer: np.ndarray[Any, Any], shape: tuple[int, ...], dtype: np.dtype[Any], size: int) -> FloatArray:
    start = -buffer.ctypes.data % ALIGNMENT
    array: FloatArray = buffer[start : start + size].view(dtype).reshape(shape)  # a reused buffer may be longer
    return array
