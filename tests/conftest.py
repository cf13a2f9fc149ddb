"""Shared test setup: Qt runs headless; helpers to make small models."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
