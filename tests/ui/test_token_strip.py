"""Token strip: the current chip highlighted, plain chips from a cache that must never go stale."""

from __future__ import annotations

from PySide6.QtGui import QImage

from gatescope.ui.session import SessionModel
from gatescope.ui.views.token_strip import TokenStrip
from tests.helpers import make_text_model


def make_strip(qtbot, session: SessionModel, width: int = 700) -> TokenStrip:
    strip = TokenStrip(session)
    qtbot.addWidget(strip)
    strip.resize(width, strip.sizeHint().height())
    strip.show()
    qtbot.waitExposed(strip)
    return strip


def fill_colour(strip: TokenStrip, image: QImage, index: int):
    """The chip's fill, read inside its left padding (clear of the border and the text)."""
    rect = strip.chip_rect(index)
    return image.pixelColor(int(rect.left() + 4), int(rect.center().y()))


def test_a_step_moves_the_highlight_to_the_new_chip(qtbot, session):
    """A reviewer should see the chip of the current token filled with the highlight colour and every other chip
    plain; after a step the old chip is plain again."""
    strip = make_strip(qtbot, session)
    highlight, base = strip.palette().highlight().color(), strip.palette().base().color()
    session.set_step(2)
    before = strip.grab().toImage()

    session.set_step(3)
    after = strip.grab().toImage()

    assert fill_colour(strip, before, 2) == highlight and fill_colour(strip, before, 3) == base
    assert fill_colour(strip, after, 3) == highlight and fill_colour(strip, after, 2) == base


def test_cached_chips_match_a_strip_painted_from_scratch(qtbot, session):
    stepped = make_strip(qtbot, session)
    for step in (1, 4, 2):
        session.set_step(step)
        stepped.grab()

    fresh = make_strip(qtbot, session)

    assert stepped.grab().toImage() == fresh.grab().toImage()


def test_long_text_scrolls_the_current_chip_into_view_and_highlights_it(qtbot):
    session = SessionModel(make_text_model("lstm", units=8), " ".join(["the plot was dull"] * 100))
    strip = make_strip(qtbot, session)
    strip.grab()

    session.set_step(350)
    image = strip.grab().toImage()

    rect = strip.chip_rect(350)
    assert 0 <= rect.left() and rect.right() <= strip.width()
    assert fill_colour(strip, image, 350) == strip.palette().highlight().color()
    in_view = [
        index
        for index in range(session.steps)
        if strip.chip_rect(index).left() >= 0 and strip.chip_rect(index).right() <= strip.width()
    ]
    assert len(in_view) > 5
    for index in in_view:  # every plain chip is drawn where it now is, not where it was before the scroll
        expected = strip.palette().highlight() if index == 350 else strip.palette().base()
        assert fill_colour(strip, image, index) == expected.color()
