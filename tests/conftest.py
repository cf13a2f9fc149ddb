"""Shared test setup: Qt runs headless; a real small file system for full-disk and read-only tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

if TYPE_CHECKING:
    from tests.helpers import SmallDisk


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[SmallDisk]:
    """A 256 KiB tmpfs mounted on ``tmp_path / "disk"`` for this test (skipped where it cannot be mounted): fill it
    with ``small_disk.fill()`` for a real "No space left on device", or ``small_disk.make_read_only()``."""
    from tests.helpers import SmallDisk

    disk = SmallDisk.mount(tmp_path / "disk")
    try:
        yield disk
    finally:
        disk.unmount()
