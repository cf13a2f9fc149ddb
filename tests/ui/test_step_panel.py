"""StepPanel: the current step as colour strips with a caption of real numbers — model to view and view to model."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from numpy.testing import assert_allclose
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QPalette

from gatescope.model.model import Model
from gatescope.presentation import scales
from gatescope.ui.session import SessionModel
from gatescope.ui.views import colors
from gatescope.ui.views.step_panel import StepPanel
from tests.helpers import SENTENCE, WORDS, make_text_model, read_right_to_left, show_view

# The offscreen platform warns on every show(); it says nothing about the panel.
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

TOKENS = SENTENCE.split()


def make_panel(qtbot, session: SessionModel, width: int = 900, height: int = 420) -> StepPanel:
    return show_view(qtbot, StepPanel(session), width, height)


def cell_centre(panel: StepPanel, quantity: str, column: int) -> QPoint:
    """The centre of one display column of a strip, in the strips widget's coordinates."""
    return panel.cell_rect(quantity, column).center().toPoint()


def two(value: float) -> str:
    """A number the way captions print it."""
    text = f"{value:.2f}"
    return ("0.00" if float(text) == 0 else text).replace("-", "\u2212")


@dataclasses.dataclass(eq=False)
class WarmStartModel(Model):
    """A model that starts from non-zero h0 / c0, so the t−1 strips at step 0 are visibly not zeros."""

    def run(self, source, h0=None, c0=None):
        rows = len(self.layers) * (2 if self.bidirectional else 1)
        rng = np.random.default_rng(3)
        h0 = rng.uniform(-0.8, 0.8, (rows, self.units))
        c0 = rng.uniform(-1.5, 1.5, (rows, self.units)) if self.kind == "lstm" else None
        return super().run(source, h0, c0)


def warm(model: Model) -> WarmStartModel:
    return WarmStartModel(**{field.name: getattr(model, field.name) for field in dataclasses.fields(model)})


# --- model → view -----------------------------------------------------------------------------------------------
def test_lstm_strips_are_the_gates_then_cell_and_hidden_state_before_and_after(qtbot, session):
    panel = make_panel(qtbot, session)

    assert panel.quantities == (
        "input",
        "forget",
        "candidate",
        "output",
        "cell_before",
        "cell_state",
        "hidden_before",
        "hidden_state",
    )
    assert panel.heading.text() == "step 1 of 9 · 'the'"


def test_strips_equal_the_trace_row_of_the_current_step(qtbot, session):
    panel = make_panel(qtbot, session)
    layer = session.layer_trace

    session.set_step(4)

    assert panel.heading.text() == "step 5 of 9 · 'but'"
    for quantity in ("input", "forget", "candidate", "output"):
        assert_allclose(panel.strip_values(quantity), layer.gates[quantity][4])
    assert_allclose(panel.strip_values("cell_state"), layer.c[4])
    assert_allclose(panel.strip_values("cell_before"), layer.c[3])
    assert_allclose(panel.strip_values("hidden_state"), layer.h[4])
    assert_allclose(panel.strip_values("hidden_before"), layer.h[3])


def test_fractional_position_shows_the_linear_interpolation_between_tokens(qtbot, session):
    panel = make_panel(qtbot, session)
    layer = session.layer_trace

    session.set_step(3)
    session.set_position(3.25)

    assert_allclose(
        panel.strip_values("forget"), 0.75 * layer.gates["forget"][3] + 0.25 * layer.gates["forget"][4], rtol=1e-6
    )
    assert_allclose(panel.strip_values("cell_before"), 0.75 * layer.c[2] + 0.25 * layer.c[3], rtol=1e-6)
    assert panel.heading.text() == "step 4 of 9 · 'dull'"


def test_step_zero_reads_the_state_before_the_first_token_from_h0_and_c0(qtbot):
    session = SessionModel(warm(make_text_model("lstm", units=8)), SENTENCE)
    panel = make_panel(qtbot, session)
    layer = session.layer_trace
    assert np.abs(layer.h0).max() > 0.1  # the arrangement really starts from a non-zero state

    session.set_step(0)

    assert_allclose(panel.strip_values("hidden_before"), layer.h0)
    assert_allclose(panel.strip_values("cell_before"), layer.c0)


def test_reverse_units_start_from_the_next_token_and_from_h0_at_the_last(qtbot):
    session = SessionModel(warm(make_text_model("gru", units=6, bidirectional=True)), SENTENCE)
    panel = make_panel(qtbot, session)
    layer, forward = session.layer_trace, slice(0, 6)
    reverse = slice(6, 12)

    session.set_step(3)
    assert_allclose(panel.strip_values("hidden_before")[forward], layer.h[2, forward])
    assert_allclose(panel.strip_values("hidden_before")[reverse], layer.h[4, reverse])

    session.set_step(8)
    assert_allclose(panel.strip_values("hidden_before")[reverse], layer.h0[reverse])


def test_a_layer_that_reads_right_to_left_starts_each_step_from_the_next_token(qtbot):
    session = SessionModel(warm(read_right_to_left(make_text_model("lstm", units=6))), SENTENCE)
    panel = make_panel(qtbot, session)
    layer = session.layer_trace

    session.set_step(3)
    assert_allclose(panel.strip_values("hidden_before"), layer.h[4])
    assert_allclose(panel.strip_values("cell_before"), layer.c[4])
    session.set_step(8)
    assert_allclose(panel.strip_values("hidden_before"), layer.h0)
    session.set_unit(2)
    assert panel.caption.text().startswith("unit 2 (reverse): forget ")
    assert "reverse units read right to left" in panel.caption.text()


def test_strip_colours_are_the_values_on_fixed_scales(qtbot, session):
    panel = make_panel(qtbot, session)
    session.set_step(2)
    image = panel.strips.image()
    limit = scales.cell_state_limit(session.layer_trace)

    for quantity, (low, high), sequential in (("forget", (0.0, 1.0), True), ("cell_state", (-limit, limit), False)):
        row = panel.quantities.index(quantity)
        for column in (0, 5, 15):
            value = float(panel.strip_values(quantity)[column])
            expected = colors.colour_at(value, low, high, session.colour_scheme, sequential)
            shown = image.pixelColor(column, row)
            assert abs(shown.red() - expected.red()) <= 3
            assert abs(shown.green() - expected.green()) <= 3
            assert abs(shown.blue() - expected.blue()) <= 3


def test_unit_order_changes_the_columns_not_the_values(qtbot, session):
    panel = make_panel(qtbot, session)
    session.set_step(5)

    session.set_unit_order("variance")

    order = session.unit_permutation()
    assert not np.array_equal(order, np.arange(16))
    assert_allclose(panel.strip_values("hidden_state"), session.layer_trace.h[5][order])


def test_lstm_caption_reads_the_selected_units_numbers(qtbot, session):
    panel = make_panel(qtbot, session)
    layer = session.layer_trace

    session.set_step(4)
    session.set_unit(12)

    f, i, g = (layer.gates[name][4, 12] for name in ("forget", "input", "candidate"))
    expected = (
        f"unit 12: forget {two(f)} keeps {f * 100:.0f}% of c = {two(layer.c[3, 12])}; "
        f"input {two(i)} writes {two(i)} × g ({two(g)}); c → {two(layer.c[4, 12])}; "
        f"output {two(layer.gates['output'][4, 12])} → h = {two(layer.h[4, 12])}"
    )
    assert panel.caption.text() == expected


def test_caption_glides_with_the_position(qtbot, session):
    panel = make_panel(qtbot, session)
    layer = session.layer_trace
    session.set_unit(2)

    session.set_position(1.5)

    assert f"c → {two(0.5 * layer.c[1, 2] + 0.5 * layer.c[2, 2])};" in panel.caption.text()


def test_gru_caption_shows_the_update_blend(qtbot):
    session = SessionModel(make_text_model("gru", units=8), SENTENCE)
    panel = make_panel(qtbot, session)
    layer = session.layer_trace

    session.set_step(6)
    session.set_unit(3)

    z, r, n = (layer.gates[name][6, 3] for name in ("update", "reset", "candidate"))
    assert panel.quantities == ("update", "reset", "candidate", "hidden_before", "hidden_state")
    assert panel.caption.text() == (
        f"unit 3: reset {two(r)} lets {r * 100:.0f}% of h = {two(layer.h[5, 3])} into n = {two(n)}; "
        f"update {two(z)}: h = {two(1 - z)} × n + {two(z)} × h → {two(layer.h[6, 3])}"
    )


def test_rnn_shows_hidden_state_before_and_after_with_the_preactivation(qtbot):
    session = SessionModel(make_text_model("rnn", units=8), SENTENCE)
    panel = make_panel(qtbot, session)
    layer = session.layer_trace

    session.set_step(2)
    session.set_unit(5)

    assert panel.quantities == ("hidden_before", "hidden_state")
    assert panel.caption.text() == (
        f"unit 5: h was {two(layer.h[1, 5])}; W x + R h + b = "
        f"{two(layer.hidden_preactivation[2, 5])}; h = tanh("
        f"{two(layer.hidden_preactivation[2, 5])}) = {two(layer.h[2, 5])}"
    )


def test_bidirectional_reverse_unit_is_named_with_its_direction(qtbot):
    session = SessionModel(make_text_model("lstm", units=8, bidirectional=True), SENTENCE)
    panel = make_panel(qtbot, session)

    session.set_unit(11)

    assert panel.caption.text().startswith("unit 11 (reverse 3): forget ")
    assert "reverse units read right to left" in panel.caption.text()


def test_selected_unit_is_outlined_on_every_strip_at_its_column(qtbot, session):
    panel = make_panel(qtbot, session)
    session.set_unit_order("variance")

    session.set_unit(7)

    column = int(np.flatnonzero(session.unit_permutation() == 7)[0])
    assert panel.strips.marker == column
    image = panel.strips.grab().toImage()
    ink = panel.palette().color(QPalette.ColorRole.WindowText).lightness()
    for quantity in panel.quantities:  # the outline (dark, light line inside) runs just above every strip's cell
        cell = panel.cell_rect(quantity, column)
        above = [image.pixelColor(int(cell.center().x()), int(cell.top()) - dy).lightness() for dy in range(2, 7)]
        assert abs(min(above) - ink) < 40
    elsewhere = panel.cell_rect("forget", (column + 5) % 16)
    assert (
        min(image.pixelColor(int(elsewhere.center().x()), int(elsewhere.top()) - dy).lightness() for dy in range(2, 7))
        > 150
    )  # no outline over other columns


def test_layer_change_shows_the_upper_layer(qtbot):
    session = SessionModel(make_text_model("lstm", units=8, layers=2), SENTENCE)
    panel = make_panel(qtbot, session)
    session.set_step(3)

    session.set_layer(1)

    assert_allclose(panel.strip_values("hidden_state"), session.trace.layers[1].h[3])
    assert panel.heading.text() == "step 4 of 9 · 'dull' · layer 2 of 2"


def test_switching_to_a_gru_model_swaps_the_strips(qtbot, session):
    panel = make_panel(qtbot, session)

    session.set_model(make_text_model("gru", units=12))

    assert panel.quantities == ("update", "reset", "candidate", "hidden_before", "hidden_state")
    assert panel.strip_values("update").shape == (12,)


def test_five_thousand_tokens_show_the_tweened_step_far_into_the_text(qtbot, session):
    rng = np.random.default_rng(4)
    session.set_text(" ".join(rng.choice(WORDS[1:], size=5000)))
    panel = make_panel(qtbot, session)

    session.set_step(4321)
    session.set_position(4321.5)

    assert_allclose(
        panel.strip_values("hidden_state"),
        0.5 * session.layer_trace.h[4321] + 0.5 * session.layer_trace.h[4322],
        rtol=1e-6,
    )
    assert panel.heading.text().startswith("step 4322 of 5000 · ")


# --- view → model -----------------------------------------------------------------------------------------------
def test_clicking_a_strip_selects_that_unit(qtbot, session):
    panel = make_panel(qtbot, session)
    session.set_unit_order("variance")
    column = 9

    qtbot.mouseClick(panel.strips, Qt.MouseButton.LeftButton, pos=cell_centre(panel, "candidate", column))

    assert session.unit == int(session.unit_permutation()[column])


def test_hover_reports_the_exact_value_unit_and_token(qtbot, session):
    panel = make_panel(qtbot, session)
    session.set_step(4)

    with qtbot.waitSignal(panel.status_message) as message:
        qtbot.mouseMove(panel.strips, cell_centre(panel, "forget", 6))

    value = session.layer_trace.gates["forget"][4, 6]
    assert message.args[0] == f"forget gate f · unit 6 = {value:.4f} at 'but' (step 5 of 9)".replace("-", "\u2212")


# --- lifetime and theme -------------------------------------------------------------------------------------------
def test_closed_panel_stops_listening(qtbot, session):
    panel = make_panel(qtbot, session)
    panel.close()

    session.set_step(6)

    assert panel.heading.text() == "step 1 of 9 · 'the'"


def test_dark_palette_repaints_the_background(qtbot, session):
    panel = make_panel(qtbot, session)
    palette = QPalette(panel.palette())
    palette.setColor(QPalette.ColorRole.Window, QColor(20, 20, 24))
    palette.setColor(QPalette.ColorRole.WindowText, QColor(235, 235, 235))

    panel.setPalette(palette)

    image = panel.strips.grab().toImage()
    assert image.pixelColor(2, 2).lightness() < 40
    title_row = int(panel.cell_rect("input", 0).center().y())
    assert max(image.pixelColor(x, title_row).lightness() for x in range(int(panel.cell_rect("input", 0).left()))) > 150


# --- pixels -------------------------------------------------------------------------------------------------------
def test_pixels_show_coloured_strips_and_the_unit_marker_moves(qtbot, session):
    """A reviewer should see eight coloured strips (input, forget, candidate, output, c before/after, h
    before/after) with names on the left, and one unit's column outlined (dark over light) on every strip;
    selecting another unit moves that outline and changes nothing else."""
    panel = make_panel(qtbot, session)
    session.set_step(4)
    session.set_unit(3)
    first = panel.strips.grab().toImage()
    session.set_unit(12)
    second = panel.strips.grab().toImage()

    colours = {first.pixel(x, y) for x in range(0, first.width(), 4) for y in range(0, first.height(), 4)}
    assert len(colours) > 20  # not blank: many strip colours

    changed = [
        x for x in range(first.width()) for y in range(0, first.height(), 2) if first.pixel(x, y) != second.pixel(x, y)
    ]
    assert changed, "moving the selected unit changed no pixels"
    columns_at = {unit: panel.cell_rect("input", unit).center().x() for unit in (3, 12)}
    cell = panel.cell_rect("input", 0).width()
    near = [x for x in changed if min(abs(x - columns_at[3]), abs(x - columns_at[12])) <= cell + 4]
    assert len(near) == len(changed)  # only the two marker columns changed


def test_colour_scheme_change_recolours_the_strips(qtbot, session):
    panel = make_panel(qtbot, session)
    session.set_step(3)
    current = scales.SCHEMES[session.colour_scheme][0]
    scheme = next(name for name, (sequential, _) in scales.SCHEMES.items() if sequential != current)
    row = panel.quantities.index("forget")

    session.set_colour_scheme(scheme)

    value = float(panel.strip_values("forget")[4])
    expected = colors.colour_at(value, 0.0, 1.0, scheme, True)
    shown = panel.strips.image().pixelColor(4, row)
    assert abs(shown.red() - expected.red()) <= 3 and abs(shown.blue() - expected.blue()) <= 3
