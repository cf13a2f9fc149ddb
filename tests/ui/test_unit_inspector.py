"""UnitInspector: one unit's gates, c and h over every token, on fixed axes — both ways."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QPalette

from gatescope.presentation import scales
from gatescope.presentation.text import signed
from gatescope.ui.session import SessionModel
from gatescope.ui.views.unit_inspector import UnitInspector
from tests.helpers import SENTENCE, WORDS, emitted, make_text_model, show_view

# The offscreen platform warns on every show(); it says nothing about the panel.
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


def make_inspector(qtbot, session: SessionModel, width: int = 900, height: int = 560) -> UnitInspector:
    return show_view(qtbot, UnitInspector(session), width, height)


def viewport_point(inspector: UnitInspector, plot: str, token: float, value: float) -> QPoint:
    scene_point = inspector.plots[plot].getViewBox().mapViewToScene(QPointF(token, value))
    return inspector.graphics.mapFromScene(scene_point)


def curve_values(inspector: UnitInspector, quantity: str) -> np.ndarray:
    x, y = inspector.curves[quantity].getData()
    assert_allclose(x, np.arange(len(x)))
    return y


# --- model → view -----------------------------------------------------------------------------------------------
def test_lstm_curves_are_the_selected_units_column_of_every_quantity(qtbot, session):
    inspector = make_inspector(qtbot, session)
    layer = session.layer_trace

    session.set_unit(12)

    assert inspector.title.text == "unit 12 (forward)"
    for gate in ("input", "forget", "output", "candidate"):
        assert_allclose(curve_values(inspector, gate), layer.gates[gate][:, 12])
    assert_allclose(curve_values(inspector, "cell_state"), layer.c[:, 12])
    assert_allclose(curve_values(inspector, "hidden_state"), layer.h[:, 12])


def test_axes_are_fixed_gates_zero_to_one_tanh_minus_one_to_one_cell_symmetric(qtbot, session):
    inspector = make_inspector(qtbot, session)
    limit = scales.cell_state_limit(session.layer_trace)

    gates, tanh, cell = (inspector.plots[name].viewRange()[1] for name in ("gates", "tanh", "cell"))

    assert gates == pytest.approx([-0.04, 1.04])
    assert tanh == pytest.approx([-1.08, 1.08])
    assert cell[0] == pytest.approx(-cell[1]) and cell[1] == pytest.approx(limit * 1.08)
    session.set_unit(5)  # another unit never rescales
    assert inspector.plots["gates"].viewRange()[1] == pytest.approx([-0.04, 1.04])


def test_lstm_plots_gates_candidate_and_h_then_cell_state(qtbot, session):
    inspector = make_inspector(qtbot, session)

    assert inspector.plots_shown == ("gates", "tanh", "cell")
    assert [item[1].text for item in inspector.legends["gates"].items] == [
        "input gate i",
        "forget gate f",
        "output gate o",
    ]
    assert [item[1].text for item in inspector.legends["tanh"].items] == ["candidate g", "h"]


def test_gru_shows_update_reset_candidate_and_h_without_a_cell_state(qtbot):
    session = SessionModel(make_text_model("gru", units=8), SENTENCE)
    inspector = make_inspector(qtbot, session)
    layer = session.layer_trace

    session.set_unit(4)

    assert inspector.plots_shown == ("gates", "tanh")
    assert not inspector.curves["cell_state"].isVisible()
    for gate in ("update", "reset", "candidate"):
        assert_allclose(curve_values(inspector, gate), layer.gates[gate][:, 4])
    assert [item[1].text for item in inspector.legends["tanh"].items] == ["candidate n", "h"]


def test_rnn_shows_only_the_hidden_state(qtbot):
    session = SessionModel(make_text_model("rnn", units=8), SENTENCE)
    inspector = make_inspector(qtbot, session)

    session.set_unit(6)

    assert inspector.plots_shown == ("tanh",)
    assert_allclose(curve_values(inspector, "hidden_state"), session.layer_trace.h[:, 6])


def test_bidirectional_reverse_unit_is_titled_and_read_from_the_reverse_half(qtbot):
    session = SessionModel(make_text_model("lstm", units=8, bidirectional=True), SENTENCE)
    inspector = make_inspector(qtbot, session)

    session.set_unit(13)

    assert inspector.title.text == "unit 13 (reverse 5)"
    assert_allclose(curve_values(inspector, "forget"), session.layer_trace.gates["forget"][:, 13])


def test_layer_change_reads_the_upper_layer(qtbot):
    session = SessionModel(make_text_model("lstm", units=8, layers=2), SENTENCE)
    inspector = make_inspector(qtbot, session)
    session.set_unit(3)

    session.set_layer(1)

    assert inspector.title.text == "unit 3 (forward) · layer 2 of 2"
    assert_allclose(curve_values(inspector, "hidden_state"), session.trace.layers[1].h[:, 3])


def test_new_text_redraws_for_the_same_unit(qtbot, session):
    inspector = make_inspector(qtbot, session)
    session.set_unit(9)

    session.set_text("not good but great")

    assert_allclose(curve_values(inspector, "cell_state"), session.layer_trace.c[:, 9])
    assert inspector.axes["cell"].tickStrings([0.0, 3.0], 1.0, 1.0) == ["not", "great"]


def test_step_line_follows_the_fractional_position_on_every_plot(qtbot, session):
    inspector = make_inspector(qtbot, session)

    session.set_step(5)
    session.set_position(5.4)

    for name in inspector.plots_shown:
        assert inspector.step_lines[name].pos().x() == pytest.approx(5.4)


def test_long_text_steps_by_moving_the_lines_not_by_replotting(qtbot, session):
    """On 5,000 tokens a step moves the step lines; the unit's curves are not plotted again (pyqtgraph's
    sigPlotChanged stays quiet) and the pixels change only around the old and the new line."""
    rng = np.random.default_rng(6)
    session.set_text(" ".join(rng.choice(WORDS[1:], size=5000)))
    inspector = make_inspector(qtbot, session)
    session.set_step(1000)
    before = inspector.graphics.grab().toImage()
    replotted = [emitted(curve.sigPlotChanged) for curve in inspector.curves.values()]

    session.set_step(4000)
    session.set_position(4000.25)

    after = inspector.graphics.grab().toImage()
    assert replotted == [[] for _ in inspector.curves]
    assert inspector.step_lines["gates"].pos().x() == pytest.approx(4000.25)
    line_at = [viewport_point(inspector, "gates", position, 0.5).x() for position in (1000, 4000.25)]
    changed = {
        x
        for x in range(before.width())
        for y in range(0, before.height(), 2)
        if before.pixel(x, y) != after.pixel(x, y)
    }
    assert changed and all(min(abs(x - at) for at in line_at) <= 8 for x in changed)


# --- view → model and hover ---------------------------------------------------------------------------------------
def test_hover_reports_every_exact_value_at_the_token(qtbot, session):
    inspector = make_inspector(qtbot, session)
    session.set_unit(2)
    layer = session.layer_trace

    with qtbot.waitSignal(inspector.status_message) as message:
        qtbot.mouseMove(inspector.graphics.viewport(), viewport_point(inspector, "gates", 3.2, 0.5))

    expected = (
        f"unit 2 (forward) at 'dull' (step 4 of 9): i {signed(layer.gates['input'][3, 2], 4)} · "
        f"f {signed(layer.gates['forget'][3, 2], 4)} · o {signed(layer.gates['output'][3, 2], 4)} · "
        f"g {signed(layer.gates['candidate'][3, 2], 4)} · h {signed(layer.h[3, 2], 4)} · c {signed(layer.c[3, 2], 4)}"
    )
    assert message.args[0] == expected.replace("-", "\u2212")


def test_clicking_a_plot_jumps_to_that_token(qtbot, session):
    inspector = make_inspector(qtbot, session)

    qtbot.mouseClick(
        inspector.graphics.viewport(), Qt.MouseButton.LeftButton, pos=viewport_point(inspector, "tanh", 6.8, 0.0)
    )

    assert session.step == 7


def test_closed_inspector_stops_listening(qtbot, session):
    inspector = make_inspector(qtbot, session)
    inspector.close()

    session.set_unit(10)

    assert inspector.title.text == "unit 0 (forward)"


# --- pixels -------------------------------------------------------------------------------------------------------
def test_pixels_show_curves_and_a_step_line_that_moves(qtbot, session):
    """A reviewer should see the title "unit 4 (forward)" over three stacked plots sharing a token axis: input,
    forget and output gate curves on 0..1, candidate g and a thick h on −1..1, and c on a symmetric axis; a dark
    vertical line crosses all three at the current step and moves when the step changes."""
    inspector = make_inspector(qtbot, session)
    session.set_unit(4)
    session.set_step(1)
    first = inspector.graphics.grab().toImage()
    session.set_step(7)
    second = inspector.graphics.grab().toImage()

    colours = {first.pixel(x, y) for x in range(0, first.width(), 3) for y in range(0, first.height(), 3)}
    assert len(colours) > 8  # curves in several colours on the background

    line_at = {step: viewport_point(inspector, "gates", step, 0.5).x() for step in (1, 7)}
    rows = [
        viewport_point(inspector, name, 1, value).y() for name, value in (("gates", 0.5), ("tanh", 0.0), ("cell", 0.0))
    ]
    for y in rows:  # the line crosses every plot: dark at the old step before, at the new step after
        assert first.pixelColor(line_at[1], y).lightness() < 80
        assert second.pixelColor(line_at[7], y).lightness() < 80
    changed = {
        x for x in range(first.width()) for y in range(0, first.height(), 2) if first.pixel(x, y) != second.pixel(x, y)
    }
    assert changed and all(min(abs(x - line_at[1]), abs(x - line_at[7])) <= 8 for x in changed)


def test_dark_palette_darkens_the_plots_and_recolours_h_and_the_title(qtbot, session):
    inspector = make_inspector(qtbot, session)
    palette = QPalette(inspector.palette())
    palette.setColor(QPalette.ColorRole.Base, QColor(18, 18, 22))
    palette.setColor(QPalette.ColorRole.WindowText, QColor(240, 240, 240))

    inspector.setPalette(palette)

    assert inspector.graphics.grab().toImage().pixelColor(3, 3).lightness() < 40
    assert inspector.curves["hidden_state"].opts["pen"].color().lightness() > 200
    assert inspector.title.text == "unit 0 (forward)"
