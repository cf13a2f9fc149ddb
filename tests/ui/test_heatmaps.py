"""HeatmapPanel: units × tokens images of the selected layer, both ways — model to view and view to model."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QPalette

from gatescope.presentation import scales
from gatescope.presentation.downsample import most_extreme
from gatescope.presentation.text import signed
from gatescope.ui.session import SessionModel
from gatescope.ui.views import colors
from gatescope.ui.views.heatmaps import WINDOW_COLUMNS, HeatmapPanel
from tests.helpers import SENTENCE, WORDS, make_text_model, read_right_to_left, show_view, viewport_point

# The offscreen platform warns on every show(); it says nothing about the panel.
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

LSTM_QUANTITIES = ("input", "forget", "candidate", "output", "cell_state", "hidden_state")


def make_panel(qtbot, session: SessionModel, width: int = 900, height: int = 900) -> HeatmapPanel:
    return show_view(qtbot, HeatmapPanel(session), width, height)


def expected_image(session: SessionModel, quantity: str, rows: np.ndarray) -> np.ndarray:
    """What a heatmap must show: the trace's (T, units) array, transposed, rows in display order."""
    return session.layer_trace.quantities()[quantity].T[rows]


def marker_token(panel: HeatmapPanel, quantity: str) -> float:
    """The token position under the centre of a heatmap's column marker, read back through the ViewBox."""
    heatmap = panel.heatmap(quantity)
    return heatmap.plot.vb.mapSceneToView(heatmap.column_marker.sceneBoundingRect().center()).x()


def long_text(tokens: int) -> str:
    rng = np.random.default_rng(1)
    return " ".join(rng.choice(WORDS[1:], size=tokens))


# --- model → view -----------------------------------------------------------------------------------------------
def test_lstm_layer_shows_every_gate_then_cell_and_hidden_state_not_preactivations(qtbot, session):
    panel = make_panel(qtbot, session)

    assert panel.quantities == LSTM_QUANTITIES
    assert panel.heatmap("forget").plot.titleLabel.text == "forget gate f (0..1)"
    assert panel.heatmap("candidate").plot.titleLabel.text == "candidate g (\u22121..1)"


def test_images_equal_the_trace_arrays_in_unit_order(qtbot, session):
    panel = make_panel(qtbot, session)

    for quantity in LSTM_QUANTITIES:
        image = panel.heatmap(quantity).image.image
        assert image.dtype == np.float32 and image.flags.c_contiguous
        assert image.shape == (16, len(SENTENCE.split()))
        assert_array_equal(image, expected_image(session, quantity, np.arange(16)))


def test_layer_change_swaps_the_data(qtbot):
    session = SessionModel(make_text_model("lstm", units=8, layers=2), SENTENCE)
    panel = make_panel(qtbot, session)
    bottom_layer = panel.heatmap("hidden_state").image.image.copy()

    session.set_layer(1)

    assert_array_equal(panel.heatmap("hidden_state").image.image, session.trace.layers[1].h.T)
    assert not np.allclose(panel.heatmap("hidden_state").image.image, bottom_layer)


def test_unit_order_change_permutes_rows(qtbot, session):
    panel = make_panel(qtbot, session)

    session.set_unit_order("variance")

    permutation = session.unit_permutation()
    assert not np.array_equal(permutation, np.arange(16))
    assert_array_equal(panel.rows, permutation)
    for quantity in ("forget", "hidden_state"):
        assert_array_equal(panel.heatmap(quantity).image.image, expected_image(session, quantity, permutation))
    top_row_variance = panel.heatmap("hidden_state").image.image[0].var()
    assert top_row_variance == pytest.approx(session.layer_trace.h.var(axis=0).max())


def test_levels_are_fixed_and_never_follow_the_data(qtbot, session):
    panel = make_panel(qtbot, session)
    session.set_text("the plot")  # two tokens: gate values span far less than 0..1

    layer = session.layer_trace
    forget = panel.heatmap("forget").image
    assert forget.image.min() > 0.0 or forget.image.max() < 1.0
    assert tuple(forget.levels) == (0.0, 1.0)
    assert tuple(panel.heatmap("candidate").image.levels) == (-1.0, 1.0)
    limit = scales.cell_state_limit(layer)
    assert tuple(panel.heatmap("cell_state").image.levels) == (-limit, limit)


def test_colour_scheme_change_swaps_the_lookup_tables(qtbot, session):
    panel = make_panel(qtbot, session)

    session.set_colour_scheme("cividis + blue-red")

    assert_array_equal(panel.heatmap("forget").image.lut, colors.lookup_table("cividis + blue-red", True))
    assert_array_equal(panel.heatmap("cell_state").image.lut, colors.lookup_table("cividis + blue-red", False))


@pytest.mark.parametrize("position", [5.0, 3.25, 0.5])
def test_column_marker_follows_the_position_even_between_tokens(qtbot, session, position):
    panel = make_panel(qtbot, session)

    session.set_step(int(position))
    session.set_position(position)

    for quantity in LSTM_QUANTITIES:
        assert marker_token(panel, quantity) == pytest.approx(position, abs=1e-6)


def test_row_marker_follows_the_selected_unit_through_the_unit_order(qtbot, session):
    panel = make_panel(qtbot, session)
    session.set_unit_order("variance")

    session.set_unit(5)

    row = int(np.flatnonzero(session.unit_permutation() == 5)[0])
    assert panel.marked_row == row
    marker = panel.heatmap("forget").row_marker.sceneBoundingRect()
    centre = panel.heatmap("forget").plot.vb.mapSceneToView(marker.center())
    assert abs(centre.y() - row) < 0.05


# --- view → model -----------------------------------------------------------------------------------------------
def test_clicking_a_cell_selects_its_token_and_unit(qtbot, session):
    panel = make_panel(qtbot, session)
    session.set_unit_order("variance")

    qtbot.mouseClick(
        panel.canvas().viewport(), Qt.MouseButton.LeftButton, pos=viewport_point(panel, "output", token=6, row=3)
    )

    assert session.step == 6
    assert session.unit == int(session.unit_permutation()[3])


def test_hovering_a_cell_reports_quantity_unit_token_and_exact_value(qtbot, session):
    panel = make_panel(qtbot, session)
    unit = 2
    value = session.layer_trace.gates["forget"][4, unit]

    with qtbot.waitSignal(panel.status_message) as message:
        qtbot.mouseMove(panel.canvas().viewport(), viewport_point(panel, "forget", token=4, row=unit))

    assert message.args == [f"forget gate f · unit 2 = {signed(value, 4)} at 'but' (step 5 of 9)"]


def test_more_units_than_pixels_show_each_blocks_most_extreme_value_and_hover_reads_the_exact_one(qtbot):
    session = SessionModel(make_text_model("lstm", units=300, seed=3), SENTENCE)
    panel = make_panel(qtbot, session, height=600)  # six heatmaps: well under 300 pixels each
    heatmap = panel.heatmap("forget")
    high = int(np.ceil(heatmap.plot.vb.height() * panel.devicePixelRatioF()))
    full = expected_image(session, "forget", panel.rows)

    assert heatmap.image.image.shape == (high, 9) and high < 300
    assert_array_equal(heatmap.image.image, most_extreme(full, high, axis=0, centre=0.5))
    pointer = viewport_point(panel, "forget", token=4, row=123)  # a pixel covers about four units: whichever
    row = round(heatmap.plot.vb.mapSceneToView(panel.canvas().mapToScene(pointer)).y())  # it lands on is named
    unit = int(panel.rows[row])
    value = session.layer_trace.gates["forget"][4, unit]
    with qtbot.waitSignal(panel.status_message) as message:
        qtbot.mouseMove(panel.canvas().viewport(), pointer)
    assert abs(row - 123) <= 4
    assert message.args == [f"forget gate f · unit {unit} = {signed(value, 4)} at 'but' (step 5 of 9)"]


def test_a_taller_panel_rebuilds_the_downsampled_image(qtbot):
    session = SessionModel(make_text_model("lstm", units=300, seed=3), SENTENCE)
    panel = make_panel(qtbot, session, height=600)
    before = panel.heatmap("hidden_state").image.image.shape[0]

    panel.resize(900, 1400)
    qtbot.waitUntil(lambda: panel.heatmap("hidden_state").image.image.shape[0] > before)

    heatmap = panel.heatmap("hidden_state")
    high = int(np.ceil(heatmap.plot.vb.height() * panel.devicePixelRatioF()))
    assert heatmap.image.image.shape[0] == min(high, 300)


# --- layouts ----------------------------------------------------------------------------------------------------
def test_bidirectional_layer_puts_forward_units_above_reverse_with_a_divider(qtbot):
    session = SessionModel(make_text_model("lstm", units=6, bidirectional=True), SENTENCE)
    panel = make_panel(qtbot, session)
    session.set_unit_order("variance")

    assert np.all(panel.rows[:6] < 6) and np.all(panel.rows[6:] >= 6)
    assert sorted(panel.rows.tolist()) == list(range(12))
    heatmap = panel.heatmap("hidden_state")
    assert heatmap.divider.isVisible() and heatmap.divider.line().y1() == pytest.approx(5.5)
    labels = heatmap.plot.getAxis("left").labels
    assert labels[0].startswith("fwd ") and labels[6].startswith("rev ")
    assert labels[6] == f"rev {panel.rows[6] - 6}"
    assert_array_equal(heatmap.image.image, expected_image(session, "hidden_state", panel.rows))


def test_a_layer_that_reads_right_to_left_labels_its_units_rev_without_a_divider(qtbot):
    session = SessionModel(read_right_to_left(make_text_model("gru", units=6)), SENTENCE)
    panel = make_panel(qtbot, session)

    heatmap = panel.heatmap("hidden_state")
    assert heatmap.plot.getAxis("left").labels == [f"rev {unit}" for unit in panel.rows]
    assert not heatmap.divider.isVisible()
    assert_array_equal(heatmap.image.image, expected_image(session, "hidden_state", panel.rows))


def test_bidirectional_hover_names_the_direction(qtbot):
    session = SessionModel(make_text_model("gru", units=4, bidirectional=True), SENTENCE)
    panel = make_panel(qtbot, session)
    value = session.layer_trace.h[1, 5]

    with qtbot.waitSignal(panel.status_message) as message:
        qtbot.mouseMove(panel.canvas().viewport(), viewport_point(panel, "hidden_state", token=1, row=5))

    assert message.args == [f"hidden state h · unit 5 (reverse 1) = {signed(value, 4)} at 'plot' (step 2 of 9)"]


@pytest.mark.parametrize(
    ("kind", "quantities"),
    [
        ("gru", ("update", "reset", "candidate", "hidden_state")),
        ("rnn", ("hidden_state",)),
    ],
)
def test_gru_and_rnn_show_their_own_quantities(qtbot, kind, quantities):
    session = SessionModel(make_text_model(kind, units=8), SENTENCE)
    panel = make_panel(qtbot, session)

    assert panel.quantities == quantities
    assert not panel.heatmap("hidden_state").divider.isVisible()
    if kind == "gru":
        assert panel.heatmap("candidate").plot.titleLabel.text == "candidate n (\u22121..1)"


def test_switching_model_kind_rebuilds_the_plots(qtbot, session):
    panel = make_panel(qtbot, session)

    session.set_model(make_text_model("gru", units=12))

    assert panel.quantities == ("update", "reset", "candidate", "hidden_state")
    assert panel.heatmap("update").image.image.shape == (12, len(SENTENCE.split()))


def test_session_without_text_shows_nothing_until_a_text_arrives(qtbot):
    session = SessionModel(make_text_model("lstm", units=8))
    panel = make_panel(qtbot, session)
    assert panel.quantities == ()

    session.set_text(SENTENCE)

    assert panel.quantities == LSTM_QUANTITIES


# --- long texts -------------------------------------------------------------------------------------------------
def test_long_text_shows_a_window_of_columns_that_moves_with_the_step(qtbot):
    session = SessionModel(make_text_model("lstm", units=16), long_text(5000))
    panel = make_panel(qtbot, session)
    assert session.steps == 5000

    image = panel.heatmap("forget").image
    assert image.image.shape[1] <= 200
    start, end = panel.window
    assert start == 0 and end - start == image.image.shape[1]

    session.set_step(10)  # well inside the window: nothing moves but the marker
    assert panel.window == (start, end)

    session.set_step(4000)
    start, end = panel.window
    assert start < 4000 < end and image.image.shape[1] <= 200
    assert image.mapRectToParent(image.boundingRect()).left() == pytest.approx(start - 0.5)
    assert_array_equal(image.image, session.layer_trace.gates["forget"][start:end].T)
    assert panel.heatmap("forget").plot.vb.viewRange()[0] == pytest.approx([start - 0.5, end - 0.5])
    assert marker_token(panel, "forget") == pytest.approx(4000, abs=1e-6)


def test_reading_on_through_a_long_text_shifts_the_window_rarely(qtbot):
    session = SessionModel(make_text_model("rnn", units=4), long_text(1000))
    panel = make_panel(qtbot, session)
    windows = {panel.window}

    for step in range(1, 1000):
        session.set_step(step)
        windows.add(panel.window)
        start, end = panel.window
        assert start <= step < end

    assert len(windows) <= 1000 // (WINDOW_COLUMNS // 2) + 1


def test_long_text_window_is_at_most_window_columns_wide(qtbot):
    session = SessionModel(make_text_model("rnn", units=4), long_text(WINDOW_COLUMNS + 1))
    panel = make_panel(qtbot, session)

    session.set_step(WINDOW_COLUMNS)

    start, end = panel.window
    assert end == WINDOW_COLUMNS + 1 and end - start == WINDOW_COLUMNS


# --- pixels, theme, teardown ------------------------------------------------------------------------------------
def test_rendered_heatmap_is_not_blank_and_the_current_column_is_outlined(qtbot, session):
    """Reviewer should see: the input gate heatmap in colour (viridis), and the column of token 4 ('but') outlined
    by a white line inside a black halo (visible on light and dark themes alike); plain column boundaries (between
    tokens 6 and 7) carry no such line."""
    panel = make_panel(qtbot, session)
    session.set_step(4)
    qtbot.wait(10)

    picture = panel.grab().toImage()

    def outlined_rows(token_edge: float) -> float:
        """Share of sampled rows with both a near-white and a near-black pixel within 3 px of a column edge."""
        found = []
        for row in np.linspace(1, 14, 40):
            point = panel.canvas().mapTo(panel, viewport_point(panel, "input", token_edge, row))
            pixels = [picture.pixelColor(point.x() + dx, point.y()) for dx in range(-3, 4)]
            white = any(min(p.red(), p.green(), p.blue()) > 225 for p in pixels)
            black = any(max(p.red(), p.green(), p.blue()) < 40 for p in pixels)
            found.append(white and black)
        return float(np.mean(found))

    inside = {
        picture.pixelColor(panel.canvas().mapTo(panel, viewport_point(panel, "input", t, r))).rgb()
        for t in range(9)
        for r in range(16)
    }
    assert len(inside) > 20  # many distinct colours: the image is drawn
    assert marker_token(panel, "input") == pytest.approx(4, abs=1e-6)
    marked, plain = outlined_rows(3.5), outlined_rows(6.5)
    assert marked > 0.8
    assert plain < 0.2


def test_application_palette_change_recolours_background_axes_and_titles(qtbot, qapp, session):
    panel = make_panel(qtbot, session)
    light = qapp.palette()
    dark = QPalette(light)
    dark.setColor(QPalette.ColorRole.Window, QColor("#202124"))
    dark.setColor(QPalette.ColorRole.WindowText, QColor("#e8eaed"))

    try:
        qapp.setPalette(dark)  # how the app switches to its dark theme
        qtbot.waitUntil(lambda: panel.canvas().backgroundBrush().color() == QColor("#202124"))
        assert panel.heatmap("forget").plot.getAxis("left").textPen().color() == QColor("#e8eaed")
        assert QColor(panel.heatmap("forget").plot.titleLabel.opts["color"]) == QColor("#e8eaed")
    finally:
        qapp.setPalette(light)


def test_closed_panel_no_longer_follows_the_session(qtbot, session):
    panel = make_panel(qtbot, session)
    session.set_step(2)

    panel.close()
    session.set_step(7)
    session.set_layer(0)

    assert marker_token(panel, "forget") == pytest.approx(2, abs=1e-6)


def test_session_outliving_a_deleted_panel_keeps_working(qtbot, session):
    panel = HeatmapPanel(session)
    panel.deleteLater()
    qtbot.wait(10)

    session.set_step(3)
    session.set_unit(4)

    assert session.step == 3


def test_column_marker_stays_on_its_token_when_the_panel_is_resized(qtbot, session):
    panel = make_panel(qtbot, session)
    session.set_position(2.5)

    panel.resize(500, 600)

    qtbot.waitUntil(lambda: abs(marker_token(panel, "output") - 2.5) < 1e-6)
    column = panel.heatmap("output").plot.vb.mapViewToScene(QPointF(2.0, 0)).x()
    assert panel.heatmap("output").column_marker.sceneBoundingRect().left() < column
