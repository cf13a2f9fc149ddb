"""PredictionPanel: the head's output after every token, the verdict in words, flips — both ways."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from numpy.testing import assert_allclose
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QPalette

from gatescope.model.model import Head
from gatescope.ui.session import SessionModel
from gatescope.ui.views.prediction import NO_HEAD, PredictionPanel
from tests.helpers import SENTENCE, WORDS, emitted, make_text_model, show_view

# The offscreen platform warns on every show(); it says nothing about the panel.
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

TOKENS = SENTENCE.split()


def make_panel(qtbot, session: SessionModel, width: int = 900, height: int = 420) -> PredictionPanel:
    return show_view(qtbot, PredictionPanel(session), width, height)


def viewport_point(panel: PredictionPanel, token: float, probability: float) -> QPoint:
    scene_point = panel.plot.getViewBox().mapViewToScene(QPointF(token, probability))
    return panel.plot_widget.mapFromScene(scene_point)


def first_flip(outputs: np.ndarray) -> int:
    changes = np.flatnonzero(np.diff(np.argmax(outputs, axis=1))) + 1
    assert changes.size, "the arrangement needs a text whose prediction changes"
    return int(changes[0])


# --- model → view -----------------------------------------------------------------------------------------------
def test_one_curve_per_label_equal_to_the_trace_outputs(qtbot, session):
    panel = make_panel(qtbot, session)
    outputs = session.trace.outputs

    visible = [curve for curve in panel.curves if curve.isVisible()]

    assert len(visible) == 2
    for label, curve in enumerate(visible):
        x, y = curve.getData()
        assert_allclose(x, np.arange(9))
        assert_allclose(y, outputs[:, label])
    assert [item[1].text for item in panel.legend.items] == ["negative", "positive"]


def test_probability_axis_is_fixed_from_zero_to_one(qtbot, session):
    panel = make_panel(qtbot, session)

    low, high = panel.plot.viewRange()[1]

    assert low == pytest.approx(-0.05) and high == pytest.approx(1.05)


def test_verdict_names_the_likeliest_label_and_its_probability(qtbot, session):
    panel = make_panel(qtbot, session)

    session.set_step(8)

    row = session.trace.outputs[8]
    label = ["negative", "positive"][int(np.argmax(row))]
    assert panel.verdict.text() == f"after 'wonderful': {label} ({row.max() * 100:.0f}%)"


def test_flip_note_names_the_token_where_the_prediction_changed(qtbot, session):
    panel = make_panel(qtbot, session)
    outputs = session.trace.outputs
    flip = first_flip(outputs)
    new, old = (["negative", "positive"][int(np.argmax(outputs[t]))] for t in (flip, flip - 1))

    session.set_step(flip)

    assert panel.note.text() == f"⚑ flipped to {new} at '{TOKENS[flip]}' (was {old})"


def test_before_any_flip_the_note_says_no_change_of_mind(qtbot, session):
    panel = make_panel(qtbot, session)
    assert first_flip(session.trace.outputs) > 0

    session.set_step(0)

    assert "no change of mind so far" in panel.note.text()


def test_flip_points_are_marked_on_the_plot(qtbot, session):
    panel = make_panel(qtbot, session)
    flip = first_flip(session.trace.outputs)

    winner = int(np.argmax(session.trace.outputs[flip]))

    marks = panel.flip_marks[winner].path()  # a tick in the colour of the label that took over

    assert marks.elementCount() >= 2
    assert marks.elementAt(0).x == pytest.approx(flip)
    assert panel.flip_marks[winner].pen().color() == panel.curves[winner].opts["pen"].color()


def test_step_line_and_dots_follow_the_fractional_position(qtbot, session):
    panel = make_panel(qtbot, session)
    outputs = session.trace.outputs

    session.set_step(2)
    session.set_position(2.25)

    assert panel.step_line.pos().x() == pytest.approx(2.25)
    for label in range(2):
        dot = panel.current_dots[label].pos()
        assert dot.x() == pytest.approx(2.25)
        assert dot.y() == pytest.approx(0.75 * outputs[2, label] + 0.25 * outputs[3, label], rel=1e-6)


def test_gru_rnn_and_bidirectional_models_show_their_predictions(qtbot):
    for kind, bidirectional in (("gru", False), ("rnn", False), ("lstm", True)):
        session = SessionModel(make_text_model(kind, units=8, bidirectional=bidirectional), SENTENCE)
        panel = make_panel(qtbot, session)

        session.set_step(5)

        row = session.trace.outputs[5]
        assert panel.verdict.text().endswith(f"({row.max() * 100:.0f}%)")
        assert_allclose(panel.curves[1].getData()[1], session.trace.outputs[:, 1])


def test_model_without_a_head_says_so_instead_of_curves(qtbot):
    headless = dataclasses.replace(make_text_model("lstm", units=8), head=None)
    session = SessionModel(headless, SENTENCE)
    panel = make_panel(qtbot, session)

    assert panel.note.text() == NO_HEAD
    assert NO_HEAD.startswith("this model has no output head")
    assert not panel.plot_widget.isVisible()
    session.set_step(3)  # stepping a headless model is fine
    assert panel.verdict.text() == ""


def test_single_sigmoid_output_reads_as_label_or_not(qtbot):
    model = make_text_model("lstm", units=8)
    head = Head(model.head.weight[1:], np.array([-3.0], np.float32), activation="sigmoid", labels=["positive"])
    session = SessionModel(dataclasses.replace(model, head=head), SENTENCE)
    panel = make_panel(qtbot, session)
    p = float(session.trace.outputs[4, 0])
    assert p < 0.5  # the strong negative bias makes the arrangement a "no"

    session.set_step(4)

    assert panel.verdict.text() == f"after 'but': not positive ({(1 - p) * 100:.0f}%)"


def test_new_text_redraws_the_curves(qtbot, session):
    panel = make_panel(qtbot, session)

    session.set_text("the ending was great")

    assert_allclose(panel.curves[0].getData()[1], session.trace.outputs[:, 0])
    assert panel.axis.tickStrings([0.0, 3.0], 1.0, 1.0) == ["the", "great"]


def test_long_text_steps_by_moving_the_line_not_by_replotting_and_labels_only_some_tokens(qtbot, session):
    """On 5,000 tokens a step moves the step line and the dots; the curves are not plotted again (pyqtgraph's
    sigPlotChanged stays quiet) and the pixels change only around the old and the new line."""
    rng = np.random.default_rng(5)
    session.set_text(" ".join(rng.choice(WORDS[1:], size=5000)))
    panel = make_panel(qtbot, session)
    session.set_step(1000)
    before = panel.plot_widget.grab().toImage()
    replotted = [emitted(curve.sigPlotChanged) for curve in panel.curves]

    session.set_step(4000)
    session.set_position(4000.5)

    after = panel.plot_widget.grab().toImage()
    assert replotted == [[] for _ in panel.curves]
    assert panel.step_line.pos().x() == pytest.approx(4000.5)
    line_at = [viewport_point(panel, position, 0.5).x() for position in (1000, 4000.5)]
    changed = {
        x
        for x in range(before.width())
        for y in range(0, before.height(), 2)
        if before.pixel(x, y) != after.pixel(x, y)
    }
    assert changed and all(min(abs(x - at) for at in line_at) <= 8 for x in changed)
    ((spacing, ticks),) = panel.axis.tickValues(*panel.plot.viewRange()[0], panel.axis.geometry().width())
    assert len(ticks) <= panel.axis.geometry().width() / 56 and spacing == 500
    assert panel.axis.tickStrings(ticks[:1], 1.0, spacing) == [session.trace.tokens[int(ticks[0])]]


# --- view → model -----------------------------------------------------------------------------------------------
def test_clicking_the_plot_jumps_to_the_nearest_token(qtbot, session):
    panel = make_panel(qtbot, session)

    qtbot.mouseClick(panel.plot_widget.viewport(), Qt.MouseButton.LeftButton, pos=viewport_point(panel, 4.7, 0.5))

    assert session.step == 5


def test_hover_reports_every_labels_exact_probability(qtbot, session):
    panel = make_panel(qtbot, session)

    with qtbot.waitSignal(panel.status_message) as message:
        qtbot.mouseMove(panel.plot_widget.viewport(), viewport_point(panel, 6.8, 0.3))

    negative, positive = session.trace.outputs[7]
    assert message.args[0] == f"after 'was' (step 8 of 9): negative {negative:.4f} · positive {positive:.4f}"


def test_closed_panel_stops_listening(qtbot, session):
    panel = make_panel(qtbot, session)
    before = panel.verdict.text()
    panel.close()

    session.set_step(6)

    assert panel.verdict.text() == before


# --- pixels -------------------------------------------------------------------------------------------------------
def test_pixels_show_the_curves_and_a_step_line_that_moves(qtbot, session):
    """A reviewer should see two curves (vermillion 'negative', blue 'positive') over the tokens on a 0–100% axis,
    a legend, dotted lines where the verdict flipped, and a dark vertical line with a dot on each curve at the
    current step; moving from step 2 to step 6 moves that line and nothing far from it."""
    panel = make_panel(qtbot, session)
    session.set_step(2)
    first = panel.plot_widget.grab().toImage()
    session.set_step(6)
    second = panel.plot_widget.grab().toImage()

    blue = [
        (x, y)
        for x in range(first.width())
        for y in range(0, first.height(), 2)
        if first.pixelColor(x, y).blue() > 150 and first.pixelColor(x, y).red() < 60
    ]
    assert len(blue) > 50  # the 'positive' curve is drawn

    changed = {
        x for x in range(first.width()) for y in range(0, first.height(), 2) if first.pixel(x, y) != second.pixel(x, y)
    }
    view = panel.plot.getViewBox()
    line_at = {step: panel.plot_widget.mapFromScene(view.mapViewToScene(QPointF(step, 0.5))).x() for step in (2, 6)}
    assert any(abs(x - line_at[2]) <= 2 for x in changed) and any(abs(x - line_at[6]) <= 2 for x in changed)
    assert all(min(abs(x - line_at[2]), abs(x - line_at[6])) <= 8 for x in changed)


def test_after_a_flip_the_note_remembers_where_it_happened(qtbot):
    session = SessionModel(make_text_model("lstm", units=16, seed=2), SENTENCE)
    panel = make_panel(qtbot, session)
    outputs = session.trace.outputs
    changes = set((np.flatnonzero(np.diff(np.argmax(outputs, axis=1))) + 1).tolist())
    later = next(step for step in range(2, 9) if step - 1 in changes and step not in changes)  # the verdict held

    session.set_step(later)

    flip = later - 1
    new, old = (["negative", "positive"][int(np.argmax(outputs[t]))] for t in (flip, flip - 1))
    assert (
        panel.note.text()
        == f"{new} since '{TOKENS[flip]}' (step {flip + 1} of {len(TOKENS)}), where it flipped from {old}"
    )


def test_dark_palette_darkens_the_plot_and_lightens_the_step_line(qtbot, session):
    panel = make_panel(qtbot, session)
    palette = QPalette(panel.palette())
    palette.setColor(QPalette.ColorRole.Base, QColor(18, 18, 22))
    palette.setColor(QPalette.ColorRole.WindowText, QColor(240, 240, 240))

    panel.setPalette(palette)

    assert panel.plot_widget.grab().toImage().pixelColor(3, 3).lightness() < 40
    assert panel.step_line.pen().color().lightness() > 200
