"""What the app remembers about files between runs, in QSettings: the recently opened model files (File → Open Recent)
and, per imported file, the vocabulary, labels and head activation its user chose (so reopening does not ask again).

Values are stored as JSON text: lists and dictionaries keyed by paths survive every QSettings format the same way.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings

RECENT_KEY = "files/recent"
CHOICES_KEY = "files/import_choices"
#: Files listed under File → Open Recent.
RECENT_LIMIT = 10
#: Imported files whose choices are remembered (the oldest are forgotten first).
CHOICES_LIMIT = 100


def absolute(path: str | Path) -> str:
    """The key a file is remembered by: its absolute path, ``~`` expanded, links left as the user gave them."""
    return os.path.abspath(os.path.expanduser(os.fspath(path)))


def _read_json(settings: QSettings, key: str, default: Any) -> Any:
    text = settings.value(key, "", type=str)
    try:
        value = json.loads(text) if text else default
    except json.JSONDecodeError:
        return default
    return value if isinstance(value, type(default)) else default


class RecentFiles:
    """Model files opened lately, newest first, at most RECENT_LIMIT."""

    def __init__(self, settings: QSettings | None) -> None:
        self.settings = settings

    def paths(self) -> list[str]:
        if self.settings is None:
            return []
        entries = _read_json(self.settings, RECENT_KEY, [])
        return [entry for entry in entries if isinstance(entry, str)][:RECENT_LIMIT]

    def add(self, path: str | Path) -> None:
        key = absolute(path)
        self._store([key, *(entry for entry in self.paths() if entry != key)])

    def remove(self, path: str | Path) -> None:
        key = absolute(path)
        self._store([entry for entry in self.paths() if entry != key])

    def clear(self) -> None:
        self._store([])

    def _store(self, paths: list[str]) -> None:
        if self.settings is not None:
            self.settings.setValue(RECENT_KEY, json.dumps(paths[:RECENT_LIMIT]))


@dataclass(frozen=True)
class ImportChoices:
    """What the user said about an imported file: a vocabulary file, labels ("a, b") and a head activation ("softmax",
    "sigmoid", "none"); empty strings mean "not given" (the file's own, or nothing)."""

    vocab: str = ""
    labels: str = ""
    head: str = ""

    def options(self) -> dict[str, str | None]:
        """Keyword arguments for ``gatescope.load_model``."""
        return {"vocab": self.vocab or None, "labels": self.labels or None, "head": self.head or None}

    @property
    def empty(self) -> bool:
        return not (self.vocab or self.labels or self.head)


def remembered_choices(settings: QSettings | None, path: str | Path) -> ImportChoices | None:
    """The choices last made for ``path``, or None when it was never imported here."""
    if settings is None:
        return None
    entry = _read_json(settings, CHOICES_KEY, {}).get(absolute(path))
    if not isinstance(entry, dict):
        return None
    return ImportChoices(**{key: str(entry.get(key) or "") for key in ("vocab", "labels", "head")})


def remember_choices(settings: QSettings | None, path: str | Path, choices: ImportChoices) -> None:
    if settings is None:
        return
    stored = _read_json(settings, CHOICES_KEY, {})
    key = absolute(path)
    stored.pop(key, None)
    stored[key] = asdict(choices)  # newest last: the oldest go first when there are too many
    while len(stored) > CHOICES_LIMIT:
        stored.pop(next(iter(stored)))
    settings.setValue(CHOICES_KEY, json.dumps(stored))
