"""UI test fixtures: a small random text model and a session ready to step."""

from __future__ import annotations

import pytest

from gatescope.model.model import Model
from tests.helpers import SENTENCE, make_text_model


@pytest.fixture
def text_model() -> Model:
    return make_text_model("lstm", units=16)


@pytest.fixture
def session(qapp, text_model):
    from gatescope.ui.session import SessionModel

    return SessionModel(text_model, SENTENCE)
