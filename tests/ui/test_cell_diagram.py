"""The cell diagram: every strip shows the trace's numbers, phase by phase, for LSTM, GRU and RNN cells."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt

from gatescope.engine.phases import PHASES, wire_phase
from gatescope.presentation.text import signed
from gatescope.ui.playback import PhaseTweener, Playback
from gatescope.ui.session import SessionModel
from gatescope.ui.views import colors
from gatescope.ui.views.cell.items import ACTIVE, FUTURE_OPACITY
from gatescope.ui.views.cell.layouts import BLOCK_W, STRIP_SIZE
from gatescope.ui.views.cell.view import CellDiagram
from tests.helpers import SENTENCE, make_text_model, read_right_to_left, scene_pixel, show_view


def make_diagram(qtbot, kind="lstm", **options):
    session = SessionModel(make_text_model(kind, units=12, **options), SENTENCE)
    return session, show_view(qtbot, CellDiagram(session), 1000, 600)


def trace_values(session: SessionModel, wire: str, step: int, direction: int = 0) -> np.ndarray:
    """The value a wire must show, read straight from the trace (not from the diagram's own flow)."""
    layer = session.layer_trace
    part = slice(direction * layer.units, (direction + 1) * layer.units)
    direct = {"hidden": layer.h, "cell": layer.c, **layer.gates}
    if wire in direct:
        return np.asarray(direct[wire][step, part])
    if wire == "x":
        return np.asarray(session.trace.layer_input(session.layer)[step])
    if wire in ("h_prev", "c_prev"):
        states, initial = (layer.h, layer.h0) if wire == "h_prev" else (layer.c, layer.c0)
        previous = step - 1 if direction == 0 else step + 1
        return np.asarray(states[previous, part] if 0 <= previous < layer.steps else initial[part])
    if wire == "kept":
        keep = "forget" if layer.kind == "lstm" else "update"
        before = trace_values(session, "c_prev" if layer.kind == "lstm" else "h_prev", step, direction)
        return np.asarray(layer.gates[keep][step, part]) * before
    if wire == "written":
        if layer.kind == "lstm":
            return np.asarray(layer.gates["input"][step, part] * layer.gates["candidate"][step, part])
        return np.asarray((1 - layer.gates["update"][step, part]) * layer.gates["candidate"][step, part])
    if wire == "cell_tanh":
        return np.tanh(np.asarray(layer.c[step, part]))
    if wire == "preactivation":
        return np.asarray(layer.hidden_preactivation[step, part])
    return None  # reset_applied: checked against the weights in tests/engine/test_phases.py


@pytest.mark.parametrize("kind", ["lstm", "gru", "rnn"])
def test_each_phase_shows_the_trace_values_and_nothing_not_yet_computed(qtbot, kind):
    session, diagram = make_diagram(qtbot, kind)
    produced = wire_phase(kind)
    step = 3
    for phase in range(len(PHASES[kind])):
        session.set_step(step, phase=phase)
        shown = diagram.shown_values()
        for wire, values in shown.items():
            if produced[wire] > phase:
                assert values is None, (kind, phase, wire)
                continue
            expected = trace_values(session, wire, step)
            assert values is not None, (kind, phase, wire)
            if expected is not None:
                np.testing.assert_allclose(values, expected, atol=1e-6, err_msg=f"{kind} phase {phase} {wire}")


def test_phase_buttons_follow_the_cell_kind_and_move_the_session(qtbot):
    session, diagram = make_diagram(qtbot, "gru")
    assert diagram.phase_button_texts() == [
        "1 Combine h(t−1) and x(t)",
        "2 Reset gate",
        "3 Update gate",
        "4 Candidate",
        "5 Hidden state",
    ]
    qtbot.mouseClick(diagram.phase_bar.buttons()[2], Qt.MouseButton.LeftButton)
    assert session.phase == 2
    diagram.settle()  # views settle once the session has finished emitting (a zero timer); exports call this too
    assert "phase 3 of 5: Update gate" in diagram.heading.text()


def test_items_are_faint_before_their_phase_and_highlighted_during_it(qtbot):
    session, diagram = make_diagram(qtbot, "lstm")
    session.set_step(2, phase=1)
    diagram.settle()
    (lstm,) = diagram.diagrams
    blocks = {block.spec.name: block for block in lstm.blocks}
    assert blocks["forget"].state == "active" and blocks["input"].state == "future"
    assert blocks["input"].opacity() == pytest.approx(FUTURE_OPACITY)
    session.set_phase(4)
    diagram.settle()
    assert blocks["forget"].state == "done" and blocks["output"].state == "active"
    assert lstm.strips["forget"].state == "done" and lstm.strips["hidden"].state == "future"


def test_values_travel_along_the_active_wires(qtbot):
    session, diagram = make_diagram(qtbot, "lstm")
    session.set_step(2, phase=1)
    session.set_phase(2)
    diagram.settle()
    session.set_phase_progress(0.5)
    (lstm,) = diagram.diagrams
    moving = [packet for packet in lstm.packets if packet.isVisible()]
    assert moving and all(packet.wire.spec.phase == 2 for packet in moving)
    for packet in moving:
        halfway = packet.wire.path.pointAtPercent(0.5)
        assert (packet.pos() - halfway).manhattanLength() < 1e-6
    assert lstm.strips["input"].opacity() == pytest.approx(0.5)
    session.set_phase_progress(1.0)
    assert not any(packet.isVisible() for packet in lstm.packets)
    assert lstm.strips["input"].opacity() == 1.0


def test_strip_colours_use_the_fixed_scales(qtbot):
    session, diagram = make_diagram(qtbot, "lstm")
    session.set_step(4)
    strip = diagram.vector_strip("forget")
    image = strip.image()
    values = trace_values(session, "forget", 4)
    table = colors.lookup_table(session.colour_scheme, True)
    for unit in (0, 5, 11):
        colour = image.pixelColor(unit, 0)
        expected = table[int(np.clip(values[unit] * 255, 0, 255))]
        assert (colour.red(), colour.green(), colour.blue()) == tuple(int(v) for v in expected[:3])
    assert diagram.vector_strip("forget").title.endswith("0..1") and "−1..1" in diagram.vector_strip("candidate").title


def test_caption_names_the_selected_unit_and_its_values(qtbot):
    session, diagram = make_diagram(qtbot, "lstm")
    session.set_unit(7)
    session.set_step(4, phase=1)
    forget = float(session.layer_trace.gates["forget"][4, 7])
    old = float(session.layer_trace.c[3, 7])
    diagram.settle()
    text = diagram.caption.text()
    assert text.startswith("Forget gate, unit 7: ") and signed(forget) in text and signed(old) in text
    session.set_phase(5)
    diagram.settle()
    assert signed(float(session.layer_trace.h[4, 7])) in diagram.caption.text()


def test_selected_unit_is_outlined_and_a_click_selects_another(qtbot):
    session, diagram = make_diagram(qtbot, "gru")
    session.set_unit_order("variance")
    session.set_unit(4)
    order = list(session.unit_permutation())
    assert diagram.vector_strip("hidden").marker == order.index(4)
    assert diagram.vector_strip("x").marker is None
    strip = diagram.vector_strip("update")
    width = STRIP_SIZE[0]
    scene_point = strip.mapToScene(QPointF(9.5 * width / 12, STRIP_SIZE[1] / 2))  # the middle of column 9
    with qtbot.waitSignal(session.unit_changed):
        qtbot.mouseClick(
            diagram.canvas.viewport(), Qt.MouseButton.LeftButton, pos=diagram.canvas.mapFromScene(scene_point)
        )
    assert session.unit == order[9]
    assert diagram.vector_strip("hidden").marker == 9


def test_hover_reports_the_exact_value(qtbot):
    session, diagram = make_diagram(qtbot, "lstm")
    session.set_step(2)
    strip = diagram.vector_strip("cell")

    def middle_of(column: int):
        return diagram.canvas.mapFromScene(
            strip.mapToScene(QPointF((column + 0.5) * STRIP_SIZE[0] / 12, STRIP_SIZE[1] / 2))
        )

    qtbot.mouseMove(diagram.canvas.viewport(), middle_of(2))  # the pointer runs along the strip
    with qtbot.waitSignal(diagram.status_message) as message:
        qtbot.mouseMove(diagram.canvas.viewport(), middle_of(3))
    assert message.args[0] == f"c(t) · unit 3 = {signed(float(session.layer_trace.c[2, 3]), 4)} at 'was'"


def test_bidirectional_layer_shows_both_directions(qtbot):
    session, diagram = make_diagram(qtbot, "lstm", bidirectional=True)
    assert len(diagram.diagrams) == 2
    session.set_step(2)
    for direction in (0, 1):
        shown = diagram.shown_values(direction)
        np.testing.assert_allclose(shown["hidden"], trace_values(session, "hidden", 2, direction), atol=1e-6)
        np.testing.assert_allclose(shown["h_prev"], trace_values(session, "h_prev", 2, direction), atol=1e-6)
    session.set_unit(12 + 5)  # reverse unit 5
    diagram.settle()
    assert diagram.diagrams[1].strips["hidden"].marker == 5 and diagram.diagrams[0].strips["hidden"].marker is None
    assert "reverse 5" in diagram.caption.text()


def test_a_layer_that_reads_right_to_left_shows_one_reverse_diagram(qtbot):
    session = SessionModel(read_right_to_left(make_text_model("gru", units=12)), SENTENCE)
    diagram = show_view(qtbot, CellDiagram(session), 1000, 600)
    session.set_step(2)
    session.set_phase(0)
    session.set_unit(4)
    diagram.settle()

    assert len(diagram.diagrams) == 1
    assert "GRU cell — reverse, reads right to left" in [text.text() for text in diagram.diagrams[0].texts]
    np.testing.assert_allclose(diagram.shown_values()["h_prev"], session.layer_trace.h[3], atol=1e-6)
    assert "Unit 4 (reverse) starts from" in diagram.caption.text() and "after 'dull'" in diagram.caption.text()


def test_stacked_model_follows_the_layer_picker(qtbot):
    session, diagram = make_diagram(qtbot, "gru", layers=2)
    session.set_layer(1)
    session.set_step(1)
    np.testing.assert_allclose(diagram.shown_values()["x"], session.trace.layers[0].h[1], atol=1e-7)
    diagram.settle()
    assert "layer 2 of 2" in diagram.heading.text()


def test_hidden_diagram_waits_until_it_is_shown(qtbot):
    session, diagram = make_diagram(qtbot, "lstm")
    diagram.hide()
    session.set_step(5)
    qtbot.wait(10)
    assert diagram.heading.text().startswith("step 1 of 9")  # nothing repainted while hidden
    diagram.show()
    assert diagram.heading.text().startswith("step 6 of 9 · 'the'")  # brought up to date as it shows
    np.testing.assert_allclose(diagram.shown_values()["hidden"], session.layer_trace.h[5], atol=1e-7)


def test_phase_tweener_runs_the_progress_and_play_walks_phases_then_tokens(qtbot):
    session, diagram = make_diagram(qtbot, "rnn")
    tweener = PhaseTweener(session, 80)
    seen = []
    session.phase_progress_changed.connect(seen.append)
    session.set_step(1, phase=0)
    session.next_phase()
    qtbot.waitUntil(lambda: not tweener.is_running(), timeout=3000)
    assert session.phase_progress == 1.0 and any(0.0 < value < 1.0 for value in seen)
    tweener.set_duration_ms(0)
    playback = Playback(session, speed=60)
    playback.set_by_phase(True)
    visited = []
    session.phase_changed.connect(lambda phase: visited.append((session.step, phase)))
    session.set_step(6, phase=0)
    visited.clear()
    playback.play()
    qtbot.waitUntil(lambda: not playback.playing, timeout=5000)
    assert visited == [(6, 1), (7, 0), (7, 1), (8, 0), (8, 1)]


def test_active_colour_is_painted(qtbot):
    session, diagram = make_diagram(qtbot, "lstm")
    session.set_step(3, phase=3)
    diagram.settle()
    image = diagram.canvas.grab().toImage()
    found = any(
        image.pixelColor(x, y).rgb() == ACTIVE.rgb()
        for x in range(0, image.width(), 2)
        for y in range(0, image.height(), 2)
    )
    assert found


def test_theme_change_repaints_with_the_new_ink(qtbot):
    """Dark theme: the blocks are filled dark and the [h(t−1), x(t)] node drawn light; back to light: the other way
    round."""
    from PySide6.QtWidgets import QApplication

    from gatescope.ui.theme import apply_theme

    session, diagram = make_diagram(qtbot, "gru")
    (gru,) = diagram.diagrams
    reset = next(block for block in gru.blocks if block.spec.name == "reset")
    inside = reset.mapToScene(QPointF(-BLOCK_W / 2 + 6, 0))  # left of the function and the name
    node = gru.combine_node.mapToScene(QPointF(0, 0))  # a disc in the ink colour

    def block_and_node() -> tuple[int, int]:
        QApplication.processEvents()
        picture = diagram.canvas.viewport().grab().toImage()
        return tuple(scene_pixel(picture, diagram.canvas, point).lightness() for point in (inside, node))

    apply_theme("dark")
    try:
        fill, ink = block_and_node()
        assert fill < 80 and ink > 200
    finally:
        apply_theme("light")
    fill, ink = block_and_node()
    assert fill > 200 and ink < 80


def test_keyboard_moves_by_phase_in_the_main_window(qtbot, session):
    from gatescope.ui.window.main_window import MainWindow

    window = MainWindow(session, settings=None)
    qtbot.addWidget(window)
    window.show()
    window.stage.tweener.set_duration_ms(0)
    window.stage.phase_tweener.set_duration_ms(0)
    qtbot.waitExposed(window)
    window.stage.show_central_view("cell")
    canvas = window.stage.views["cell"].canvas
    canvas.setFocus()
    qtbot.waitUntil(canvas.hasFocus, timeout=2000)
    session.set_step(2, phase=0)
    qtbot.keyClick(canvas, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    assert (session.step, session.phase) == (2, 1)
    qtbot.keyClick(canvas, Qt.Key.Key_Left, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClick(canvas, Qt.Key.Key_Left, Qt.KeyboardModifier.ShiftModifier)
    assert (session.step, session.phase) == (1, 5)
    qtbot.keyClick(canvas, Qt.Key.Key_Right)
    assert (session.step, session.phase) == (2, 5)
    session.set_step(1)
    assert (session.step, session.phase) == (1, 5)
    window.stage.transport.mode_box.setCurrentIndex(1)
    window.stage.transport.forward_button.click()
    assert (session.step, session.phase) == (2, 0)
    assert window.stage.transport.speed_box.suffix() == " phase/s"
