"""How much a model file may make gatescope read, decided from the sizes its headers declare before anything is
inflated or allocated: a 2 MB file must not cost gigabytes or seconds before it is refused.

Every reader of a model file — the .npz formats today; safetensors, PyTorch zip, Keras HDF5 and ONNX importers
later — follows the same three steps:

1. List what the file holds from its directory alone (a zip's central directory, a safetensors JSON header, HDF5
   dataset shapes, ONNX tensor dims). Refuse names the format does not expect; never open members it does not need.
2. Before opening any member, :meth:`ReadBudget.reserve` the declared sizes of all the members it will read
   (``zipfile.ZipInfo.file_size``, a safetensors offset range): their sum must stay within ``MAX_FILE_BYTES``. Then
   :meth:`ReadBudget.check_array` each array's own header (shape × itemsize from an .npy header, a safetensors
   entry, an HDF5 dataset) against ``MAX_ARRAY_BYTES``; :func:`array_bytes` computes it without overflow.
3. Read each array with :func:`read_exactly`: it stops at the declared size and calls a member that holds less or
   more than declared damaged (zipfile also never inflates past ``file_size`` and checks the CRC).

The limits: ``MAX_FILE_BYTES`` (1 GB) holds a 2-layer bidirectional 2048-unit LSTM with a 100,000-word, 300-wide
embedding (0.7 GB), more than NumPy steps through at an interactive speed; loading takes about twice the file's
arrays in memory while the weights are converted. ``MAX_ARRAY_BYTES`` (500 MB) takes a 400,000 × 300 float32
embedding (GloVe's size) or a 4096-unit LSTM's recurrent weights (270 MB).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import IO

import numpy as np

from gatescope.errors import GatescopeError

#: Bytes one array may hold (a guard against headers claiming huge shapes).
MAX_ARRAY_BYTES = 500_000_000
#: Bytes all the arrays read from one file may hold together.
MAX_FILE_BYTES = 1_000_000_000
#: Bytes read per call while filling an array, so that no second full-size buffer is ever made.
READ_CHUNK = 1 << 24


class ReadBudget:
    """The bytes one file may make gatescope read: each array against ``per_array``, all of them against ``total``.
    Messages start with ``source`` (the file)."""

    def __init__(self, source: object, total: int = MAX_FILE_BYTES, per_array: int = MAX_ARRAY_BYTES) -> None:
        self.source = str(source)
        self.total = total
        self.per_array = per_array
        self.reserved = 0

    def reserve(self, declared: dict[str, int]) -> None:
        """Count the declared sizes of members about to be read (name -> bytes), refusing before any is opened when
        they and what was reserved before exceed the total."""
        wanted = self.reserved + sum(declared.values())
        if wanted > self.total:
            largest = max(declared, key=declared.__getitem__)
            raise GatescopeError(
                f"{self.source}: the arrays gatescope needs from it declare {size_text(wanted)} in all (the largest, "
                f"{largest!r}, {size_text(declared[largest])}), more than the {size_text(self.total)} gatescope "
                f"loads from one file; refused as too large before reading them. If the model is real, save its "
                f"weights as float32 or with fewer units or a smaller vocabulary"
            )
        self.reserved = wanted

    def check_array(self, name: str, nbytes: int) -> None:
        """Refuse one array whose header declares more than ``per_array`` bytes, before any of its data is read."""
        if nbytes > self.per_array:
            raise GatescopeError(
                f"{self.source}: array {name!r} claims {size_text(nbytes)} ({nbytes:,} bytes), more than the "
                f"{size_text(self.per_array)} gatescope reads for one array; refused as too large (a damaged file can "
                f"claim any shape; if the data is real, store it as float32 or in smaller arrays)"
            )


def array_bytes(shape: Sequence[int], dtype: np.dtype) -> int:
    """Bytes an array of ``shape`` and ``dtype`` holds, in Python integers (NumPy's int64 would wrap around)."""
    return math.prod(int(side) for side in shape) * dtype.itemsize


def read_exactly(stream: IO[bytes], array: np.ndarray, what: str) -> None:
    """Fill C-contiguous ``array`` from ``stream`` in chunks, then check that nothing follows; ``what`` names the array
    in the messages (a short member is truncated, a long one damaged)."""
    buffer = array.reshape(-1).view(np.uint8).data if array.nbytes else memoryview(b"")
    filled = 0
    while filled < len(buffer):
        chunk = stream.read(min(READ_CHUNK, len(buffer) - filled))
        if not chunk:
            raise GatescopeError(f"{what} is truncated ({filled:,} of {len(buffer):,} bytes)")
        buffer[filled : filled + len(chunk)] = chunk
        filled += len(chunk)
    if stream.read(1):
        raise GatescopeError(f"{what} holds more data than its header declares; the file is damaged")


def size_text(nbytes: int) -> str:
    """Bytes as people read them: 812 bytes, 3.4 MB, 2 GB (powers of 1000, at most one decimal)."""
    if nbytes < 1000:
        return f"{nbytes} bytes"
    amount = float(nbytes)
    for unit in ("kB", "MB", "GB", "TB"):
        amount /= 1000
        if amount < 999.95:
            return f"{amount:.1f}".removesuffix(".0") + f" {unit}"
    return f"{amount / 1000:,.1f}".removesuffix(".0") + " PB"
