"""ColourLegend: one compact colour bar per fixed scale the selected layer's heatmaps use."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint

from gatescope.presentation import scales
from gatescope.ui.session import SessionModel
from gatescope.ui.views import colors
from gatescope.ui.views.legend import LEGEND_HEIGHT, ColourLegend
from tests.helpers import SENTENCE, make_text_model, show_view

# The offscreen platform warns on every show(); it says nothing about the legend.
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


def make_legend(qtbot, session: SessionModel, width: int = 800) -> ColourLegend:
    return show_view(qtbot, ColourLegend(session), width, LEGEND_HEIGHT)


def bar_end_colours(legend: ColourLegend, index: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """RGB a couple of pixels in from the left and right ends of a bar, from a grab of the widget."""
    picture = legend.grab().toImage()
    bar = legend.bar_rect(index)
    middle = bar.center().y()
    left = picture.pixelColor(QPoint(bar.left() + 2, middle))
    right = picture.pixelColor(QPoint(bar.right() - 2, middle))
    return (left.red(), left.green(), left.blue()), (right.red(), right.green(), right.blue())


def close_to(rgb: tuple[int, ...], table_row, tolerance: int = 12) -> bool:
    return all(abs(int(a) - int(b)) <= tolerance for a, b in zip(rgb, table_row[:3], strict=True))


def test_lstm_legend_names_gates_tanh_and_cell_state_with_the_layer_limit(qtbot, session):
    legend = make_legend(qtbot, session)

    limit = scales.cell_state_limit(session.layer_trace)
    m = f"{limit:g}"
    assert legend.captions() == [
        "gates 0..1",
        "tanh (candidate, h) \u22121..1",
        f"cell state ±{m}",
    ]
    assert [scale.sequential for scale in legend.scales] == [True, False, False]


@pytest.mark.parametrize(
    ("kind", "captions"),
    [
        ("gru", ["gates 0..1", "tanh (candidate, h) \u22121..1"]),
        ("rnn", ["tanh (h) \u22121..1"]),
    ],
)
def test_gru_and_rnn_have_no_cell_state_bar(qtbot, kind, captions):
    legend = make_legend(qtbot, SessionModel(make_text_model(kind, units=8), SENTENCE))

    assert legend.captions() == captions


def test_new_trace_updates_the_scales(qtbot, session):
    legend = make_legend(qtbot, session)

    session.set_model(make_text_model("rnn", units=8))

    assert legend.captions() == ["tanh (h) \u22121..1"]


def test_layer_change_updates_the_cell_state_limit(qtbot):
    session = SessionModel(make_text_model("lstm", units=8, layers=2, seed=3), " ".join([SENTENCE] * 3))
    legend = make_legend(qtbot, session)
    assert legend.scales[-1].high == 2.0  # layer 0 of this seed; layer 1 stays within 1

    session.set_layer(1)

    limit = scales.cell_state_limit(session.trace.layers[1])
    assert legend.scales[-1].high == limit and legend.scales[-1].low == -limit


def test_legend_is_compact(qtbot, session):
    legend = make_legend(qtbot, session)

    assert legend.height() <= 44 and legend.sizeHint().height() <= 44


def test_bars_are_painted_with_the_scheme_lookup_tables(qtbot, session):
    """Reviewer should see: a dark-purple-to-yellow gates bar (viridis) and two blue-to-yellow diverging bars."""
    legend = make_legend(qtbot, session)
    sequential = colors.lookup_table(session.colour_scheme, True)
    diverging = colors.lookup_table(session.colour_scheme, False)

    gates_left, gates_right = bar_end_colours(legend, 0)
    tanh_left, tanh_right = bar_end_colours(legend, 1)

    assert close_to(gates_left, sequential[0]) and close_to(gates_right, sequential[255])
    assert close_to(tanh_left, diverging[0]) and close_to(tanh_right, diverging[255])


def test_colour_scheme_change_repaints_the_bars(qtbot, session):
    legend = make_legend(qtbot, session)
    before = bar_end_colours(legend, 1)

    session.set_colour_scheme("cividis + blue-red")

    after = bar_end_colours(legend, 1)
    diverging = colors.lookup_table("cividis + blue-red", False)
    assert after != before
    assert close_to(after[0], diverging[0]) and close_to(after[1], diverging[255])


def test_closed_legend_no_longer_follows_the_session(qtbot, session):
    legend = make_legend(qtbot, session)

    legend.close()
    session.set_model(make_text_model("rnn", units=8))

    assert len(legend.scales) == 3
