"""Builders of hostile inputs for the resource-limit tests and benchmarks/limits.py — zip bombs hidden in .npz files,
.npy headers that claim huge shapes — and a way to run a command with little memory. Each file is built in well under
a second, so no binary is committed."""

from __future__ import annotations

import functools
import io
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import numpy as np

#: Bytes of zeros compressed once and repeated: a deflate stream of n megabytes of zeros is this block n times.
_BLOCK = 1 << 20


def npy_header(shape: tuple[int, ...], descr: str = "<f4") -> bytes:
    """A version 1.0 .npy header claiming ``shape`` of ``descr`` (the data itself is not included)."""
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": descr, "fortran_order": False, "shape": shape})
    return buffer.getvalue()


def write_npy_header_only(path: Path, shape: tuple[int, ...], descr: str = "<f4") -> Path:
    """A .npy file whose header claims ``shape`` but which holds no data at all."""
    path.write_bytes(npy_header(shape, descr))
    return path


@functools.lru_cache(maxsize=4)
def deflated_zeros(prefix: bytes, zeros: int) -> tuple[bytes, int, int]:
    """(raw deflate stream, CRC-32, inflated size) of ``prefix`` followed by ``zeros`` zero bytes (kept for the next
    caller: the CRC of 2 GB takes a second or two).

    Full flushes reset the compressor between megabytes, so every megabyte of zeros compresses to the same block,
    which is computed once: zipfile would take seconds to deflate them.
    """
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = compressor.compress(prefix) + compressor.flush(zlib.Z_FULL_FLUSH)
    megabytes, rest = divmod(zeros, _BLOCK)
    chunk = bytes(_BLOCK)
    block = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH) if megabytes else b""
    tail = compressor.compress(bytes(rest)) + compressor.flush()
    crc = zlib.crc32(prefix)
    for _ in range(megabytes):
        crc = zlib.crc32(chunk, crc)
    crc = zlib.crc32(bytes(rest), crc)
    return head + block * megabytes + tail, crc, len(prefix) + zeros


def write_zip_with_bomb(
    path: Path, members: list[tuple[str, bytes]], bomb: str, prefix: bytes, zeros: int, declared: int | None = None
) -> Path:
    """A zip of ``members`` plus a deflated member ``bomb`` that inflates to ``prefix`` and ``zeros`` zero bytes.

    ``declared`` (default: the true size) is the uncompressed size the zip headers state; a smaller one makes a member
    that inflates to more than it declares.
    """
    stream, crc, size = deflated_zeros(prefix, zeros)
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members:
            archive.writestr(name, data)
        info = zipfile.ZipInfo(bomb)
        info.compress_type = zipfile.ZIP_STORED
        archive.writestr(info, stream)
    # zipfile cannot store bytes that are deflated already: write them stored, then mark the member deflated.
    data = bytearray(path.read_bytes())
    local = info.header_offset
    central = data.rfind(b"PK\x01\x02")  # the bomb is the last member, so its central record is the last one
    stated = size if declared is None else declared
    struct.pack_into("<HHH", data, local + 4, 20, 0, zipfile.ZIP_DEFLATED)
    struct.pack_into("<III", data, local + 14, crc, len(stream), stated)
    struct.pack_into("<HHH", data, central + 6, 20, 0, zipfile.ZIP_DEFLATED)
    struct.pack_into("<III", data, central + 16, crc, len(stream), stated)
    path.write_bytes(bytes(data))
    return path


def npz_with_bomb(
    model_file: Path, path: Path, bomb: str = "padding", inflated: int = 2_000_000_000, declared: int | None = None
) -> Path:
    """``model_file``'s arrays plus an extra uint8 array ``bomb`` of about ``inflated`` bytes (under gatescope's
    per-array cap before issue 14), deflated to about a thousandth of that."""
    with zipfile.ZipFile(model_file) as archive:
        members = [(info.filename, archive.read(info)) for info in archive.infolist()]
    prefix = npy_header((inflated,), "|u1")
    return write_zip_with_bomb(path, members, f"{bomb}.npy", prefix, inflated, declared)


def run_cli_limited(argv: list[str], address_space: int) -> subprocess.CompletedProcess[str]:
    """``gatescope argv`` in a fresh Python whose address space is capped at ``address_space`` bytes (about 180 MB
    are taken by Python and NumPy): a command that inflates or allocates what it should refuse dies of MemoryError
    instead of answering in one line."""
    program = (
        "import resource, sys\n"
        f"resource.setrlimit(resource.RLIMIT_AS, ({address_space}, {address_space}))\n"
        "from gatescope.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    return subprocess.run(
        [sys.executable, "-c", program, *argv], capture_output=True, text=True, timeout=120, env=_quiet_environment()
    )


def _quiet_environment() -> dict[str, str]:
    import os

    return {**os.environ, "QT_QPA_PLATFORM": "offscreen", "OPENBLAS_NUM_THREADS": "1"}
