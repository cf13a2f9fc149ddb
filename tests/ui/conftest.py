"""UI test fixtures: a small random text model and a session ready to step; settings in a file of the test's own; a
stand-in for another framework's model file (an embedding without a vocabulary, a head whose activation is
assumed), read through gatescope.load_model like the real importers."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from gatescope.errors import GatescopeError
from gatescope.model.model import Head, Model
from tests.helpers import SENTENCE, make_text_model

STAND_IN_MAGIC = b"GATESCOPE-TEST-IMPORT\n"


@pytest.fixture
def text_model() -> Model:
    return make_text_model("lstm", units=16)


@pytest.fixture
def session(qapp, text_model):
    from gatescope.ui.session import SessionModel

    return SessionModel(text_model, SENTENCE)


@pytest.fixture
def settings(qapp, tmp_path):
    """QSettings in an INI file of this test's own: nothing read from or written to the user's settings."""
    from PySide6.QtCore import QSettings

    return QSettings(str(tmp_path / "gatescope.ini"), QSettings.Format.IniFormat)


class StandInFormat:
    """A format reader for tests, registered like the real ones: a file that starts with STAND_IN_MAGIC holds the
    helper's word-level GRU as another framework's file would — embedding, no vocabulary, unnamed outputs, the head's
    activation assumed. A file that says "damaged" after the magic is refused."""

    @staticmethod
    def sniff(path: Path) -> bool:
        try:
            with path.open("rb") as stream:
                return stream.read(len(STAND_IN_MAGIC)) == STAND_IN_MAGIC
        except OSError:
            return False

    @staticmethod
    def load(path: Path, dtype=np.float32) -> Model:
        if b"damaged" in path.read_bytes():
            raise GatescopeError(f"{path}: the stand-in file is damaged; save it again")
        model = make_text_model("gru", units=6)
        head = Head(model.head.weight, model.head.bias, "softmax", None)
        return dataclasses.replace(
            model,
            tokenizer=None,
            vocabulary=None,
            head=head,
            name=path.stem,
            description="stand-in framework: a GRU text classifier",
            provenance={
                "format": "Stand-in framework (.fake)",
                "format_key": "stand-in",
                "file": path.name,
                "architecture": "Embedding(14, 8) → GRU(6) → Linear(6, 2)",
                "head_assumed": True,
            },
            source=path,
        )


@pytest.fixture
def stand_in_file(monkeypatch, tmp_path):
    """Write a stand-in model file (registered as a format for this test) and return its path."""
    from gatescope.model import formats

    monkeypatch.setattr(formats, "FORMATS", (*formats.FORMATS, StandInFormat))

    def write(name: str = "classifier.fake", damaged: bool = False) -> Path:
        path = tmp_path / name
        path.write_bytes(STAND_IN_MAGIC + (b"damaged" if damaged else b"ok"))
        return path

    return write
