"""The main window end to end: keyboard, typing, chips, layers, models, preferences, errors, long repaint runs."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, QSettings, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication, QMessageBox

from gatescope.presentation import scales
from gatescope.ui.session import SessionModel
from gatescope.ui.views import colors
from gatescope.ui.views.cell.layouts import BLOCK_W, STRIP_SIZE
from gatescope.ui.window.main_window import MainWindow
from tests.helpers import (
    SENTENCE,
    column_outline_share,
    make_text_model,
    near,
    pixel_at,
    scene_pixel,
    show_main_window,
)


@pytest.fixture
def window(qtbot, session):
    window = show_main_window(qtbot, session, size=(1300, 850))
    window.stage.views["heatmaps"].setFocus()
    return window


def test_arrow_keys_home_end_step_through_tokens(window, qtbot):
    session = window.session
    qtbot.keyClick(window.stage.views["heatmaps"], Qt.Key.Key_Right)
    qtbot.keyClick(window.stage.views["heatmaps"], Qt.Key.Key_Right)
    assert session.step == 2
    qtbot.keyClick(window.stage.views["heatmaps"], Qt.Key.Key_Left)
    assert session.step == 1
    qtbot.keyClick(window.stage.views["heatmaps"], Qt.Key.Key_End)
    assert session.step == session.steps - 1
    qtbot.keyClick(window.stage.views["heatmaps"], Qt.Key.Key_Home)
    assert session.step == 0


def test_space_plays_until_the_last_token(window, qtbot):
    window.stage.playback.set_speed(50)
    qtbot.keyClick(window.stage.views["heatmaps"], Qt.Key.Key_Space)
    assert window.stage.playback.playing
    qtbot.waitUntil(lambda: not window.stage.playback.playing, timeout=5000)
    assert window.session.step == window.session.steps - 1


def test_arrow_keys_edit_text_while_the_text_box_has_focus(window, qtbot):
    window.stage.text_input.setFocus()
    qtbot.keyClick(window.stage.text_input, Qt.Key.Key_Right)
    assert window.session.step == 0


def test_typing_reruns_the_model_after_a_pause(window, qtbot):
    window.stage.text_input.selectAll()
    qtbot.keyClicks(window.stage.text_input, "not good")
    qtbot.waitUntil(lambda: window.session.text == "not good", timeout=3000)
    assert window.session.trace.tokens == ["not", "good"]
    assert window.stage.transport.position_label.text() == "token 1 of 2"


def test_clicking_a_chip_moves_to_its_token(window, qtbot):
    strip = window.stage.token_strip
    rect = strip.chip_rect(3)
    qtbot.mouseClick(strip, Qt.MouseButton.LeftButton, pos=QPoint(int(rect.center().x()), int(rect.center().y())))
    assert window.session.step == 3


def test_scrubber_and_step_stay_in_sync(window):
    window.stage.transport.scrubber.setValue(5)
    assert window.session.step == 5
    window.session.set_step(2)
    assert window.stage.transport.scrubber.value() == 2


def test_layer_picker_on_a_stacked_model(qtbot, qapp):
    session = SessionModel(make_text_model("gru", units=8, layers=2, bidirectional=True), SENTENCE)
    window = MainWindow(session, settings=None)
    qtbot.addWidget(window)
    layer_box = window.stage.model_bar.layer_box
    assert layer_box.count() == 2 and "both directions" in layer_box.itemText(1)
    layer_box.activated.emit(1)
    assert session.layer == 1
    session.set_layer(0)
    assert window.stage.model_bar.layer_box.currentIndex() == 0


def test_unit_order_picker_sets_the_session_order(window):
    window.stage.model_bar.order_box.activated.emit(1)
    assert window.session.unit_order == "variance"


def test_bad_model_file_shows_its_error_and_keeps_the_current_model(window, tmp_path, monkeypatch):
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text: shown.append(text))
    bad = tmp_path / "broken.npz"
    bad.write_bytes(b"this is not a model")
    before = window.session.model
    assert window.load_model(str(bad)) is False
    assert window.session.model is before
    assert len(shown) == 1 and "broken.npz" in shown[0] and "its content matches none of the formats" in shown[0]


def test_open_dialog_on_a_name_longer_than_the_file_system_allows_says_why(window, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    chosen = tmp_path / f"{'a' * 300}.npz"
    shown = []
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *args: (str(chosen), "Models (*.npz)"))
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text: shown.append((title, text)))
    before = window.session.model

    window.open_model_dialog()

    path = str(chosen)
    assert shown == [
        (
            "Cannot open this model",
            f"{path[:40]}…{path[-40:]} ({len(path)} characters): cannot read it: the name is too long for the file "
            f"system (a name of 304 bytes; at most 255 here); choose a shorter name\n\nThe current model stays loaded.",
        )
    ]
    assert window.session.model is before


def test_built_in_model_loads_and_shows_its_card(window, qtbot):
    assert window.load_model("bracket-counter")
    assert window.session.model.name == "bracket-counter"
    assert window.session.trace.tokens[0] == "t"  # a character model reads the same text letter by letter
    dialog = window.show_model_card()
    qtbot.addWidget(dialog)
    assert "bracket-counter" in dialog.windowTitle()


def test_preferences_round_trip_through_qsettings(qtbot, qapp, tmp_path):
    settings = QSettings(str(tmp_path / "gatescope.ini"), QSettings.Format.IniFormat)
    first = MainWindow(SessionModel(make_text_model(), SENTENCE), settings=settings, model_source="random")
    qtbot.addWidget(first)
    first.stage.playback.set_speed(7.5)
    first.stage.transport.tween_box.setValue(400)
    first.set_theme("dark")
    first.session.set_colour_scheme("cividis + blue-red")
    first.session.set_unit_order("variance")
    first.stage.docks["unit"].hide()
    first.session.set_text("the ending was great")
    first.close()
    saved_layout = first.stage.saveState()

    second = MainWindow(SessionModel(make_text_model(), SENTENCE), settings=settings)
    qtbot.addWidget(second)
    assert second.stage.playback.speed == 7.5
    assert second.stage.tweener.duration_ms == 400
    assert second.theme_actions["dark"].isChecked()
    assert second.session.colour_scheme == "cividis + blue-red"
    assert second.session.unit_order == "variance"
    assert second.stage.saveState() == saved_layout and second.stage.docks["unit"].isHidden()
    assert settings.value("window/geometry") is not None
    assert settings.value("session/text") == "the ending was great"
    assert settings.value("session/model") == "random"
    second.set_theme("light")


def test_exception_hook_logs_shows_one_dialog_and_keeps_running(monkeypatch, qapp):
    from gatescope.ui.window import app

    shown = []
    monkeypatch.setattr(QMessageBox, "exec", lambda box: shown.append(box.text()))
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    app.install_exception_hook(lambda: None)
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        sys.excepthook(*sys.exc_info())
    assert len(shown) == 1 and "RuntimeError: boom" in shown[0] and "keeps running" in shown[0]


def test_tween_glides_through_fractional_positions(window, qtbot):
    seen = []
    window.session.position_changed.connect(seen.append)
    window.stage.tweener.set_duration_ms(120)
    window.session.set_step(3)
    qtbot.waitUntil(lambda: not window.stage.tweener.is_running(), timeout=3000)
    assert window.session.position == 3.0
    assert any(0.0 < value < 3.0 and value != int(value) for value in seen)


def test_five_thousand_repaints_of_python_painted_views_do_not_crash(window, qapp):
    """Catches the PySide6 6.12.0 abort (a few thousand repaints of Python-overridden paint methods) — and that
    after them every Python-painted view still draws the step the session ended on."""
    session = window.session
    painted = [window.stage.token_strip, window.stage.views["step"].strips, window.stage.legend]
    for number in range(5000):
        session.set_step(number % session.steps)
        painted[number % len(painted)].repaint()
        if number % 50 == 0:
            window.stage.views["heatmaps"].repaint()
            QApplication.processEvents()
    picture = window.grab().toImage()

    step = 4999 % session.steps
    assert session.step == step
    chips, highlight = window.stage.token_strip, window.palette().highlight().color()
    for chip in (step - 1, step, step + 1):  # the chip a step ends on is filled, its neighbours are not
        inside = chips.chip_rect(chip).adjusted(3, 3, -3, -3).topLeft()
        assert near(pixel_at(picture, chips, inside, window), highlight.getRgb()[:3]) == (chip == step)
    panel = window.stage.views["heatmaps"]
    assert column_outline_share(picture, window, panel, "input", step - 0.5, np.linspace(1, 14, 30)) > 0.8
    assert column_outline_share(picture, window, panel, "input", step + 2.5, np.linspace(1, 14, 30)) < 0.2
    strips, layer = window.stage.views["step"], session.layer_trace
    low, high = scales.levels("hidden_state", layer)
    for unit in (3, 9, 14):  # unit order "index": column = unit; the marker outlines column 0
        centre = strips.cell_rect("hidden_state", unit).center()
        expected = colors.colour_at(float(layer.h[step, unit]), low, high, session.colour_scheme, False)
        assert near(pixel_at(picture, strips.strips, centre, window), expected.getRgb()[:3])
    gates = window.stage.legend.bar_rect(0)
    first = colors.lookup_table(session.colour_scheme, True)[0][:3]
    assert near(
        pixel_at(picture, window.stage.legend, gates.center() - QPoint(gates.width() // 2 - 1, 0), window), first
    )


def test_five_thousand_repaints_of_the_cell_diagram_do_not_crash(window, qapp):
    """The diagram's items all paint in Python: the same PySide6 abort would show here first. Afterwards the diagram
    shows the phase the session ended on: the output gate working, the gates before it with the trace's colours,
    the hidden state not computed yet."""
    session = window.session
    window.stage.phase_tweener.set_duration_ms(0)  # the loop alone moves the phase progress
    window.stage.show_central_view("cell")
    diagram = window.stage.views["cell"]
    viewport = diagram.canvas.viewport()
    session.set_step(0, phase=0)
    for number in range(5000):
        if number % 5 == 0:
            session.next_phase() or session.set_step(0, phase=0)
        session.set_phase_progress((number % 5) / 4)
        viewport.repaint()
        if number % 100 == 0:
            QApplication.processEvents()
    QApplication.processEvents()
    picture = viewport.grab().toImage()

    phases = len(session.phases)
    assert (session.step, session.phase) == divmod(1000 % (session.steps * phases), phases) == (4, 4)
    assert session.phases[session.phase].key == "output" and session.phase_progress == 1.0
    blocks = {block.spec.name: block for block in diagram.diagrams[0].blocks}
    inside = QPointF(-BLOCK_W / 2 + 6, 0)  # left of the function and the name, inside the rounded box
    working = scene_pixel(picture, diagram.canvas, blocks["output"].mapToScene(inside))
    done = scene_pixel(picture, diagram.canvas, blocks["forget"].mapToScene(inside))
    assert working.red() - working.blue() > 40  # tinted with the active orange
    assert near(done, (255, 255, 255))
    layer, scheme = session.layer_trace, session.colour_scheme
    for wire, gate in (("forget", "forget"), ("output", "output")):
        strip = diagram.vector_strip(wire)
        for unit in (2, 7, 13):  # unit order "index": column = unit
            centre = strip.mapToScene(QPointF((unit + 0.5) * STRIP_SIZE[0] / layer.units, STRIP_SIZE[1] / 2))
            expected = colors.colour_at(float(layer.gates[gate][4, unit]), 0.0, 1.0, scheme, True)
            assert near(scene_pixel(picture, diagram.canvas, centre), expected.getRgb()[:3]), (wire, unit)
    hidden = diagram.vector_strip("hidden")  # not computed yet: faint and empty, one pale grey from end to end
    across = [hidden.mapToScene(QPointF(x, STRIP_SIZE[1] / 2)) for x in np.linspace(4, STRIP_SIZE[0] - 4, 20)]
    shown = {scene_pixel(picture, diagram.canvas, point).rgb() for point in across}
    assert len(shown) == 1 and QColor(shown.pop()).lightness() > 220


def test_long_pasted_text_keeps_views_windowed(window, qtbot):
    words = np.random.default_rng(0).choice(["the", "plot", "was", "dull", "but", "wonderful", "."], 5000)
    window.session.set_text(" ".join(words))
    assert window.session.steps == 5000
    window.session.set_step(4321)
    start, end = window.stage.views["heatmaps"].window
    assert end - start <= 200 and start <= 4321 < end
    window.repaint()


def test_window_screenshot_marks_the_current_column(window, qtbot):
    """Whole-window grab: at the current token the input-gate heatmap carries the white-on-black outline on both
    column edges; two tokens later there is none."""
    window.session.set_step(4)
    qtbot.wait(20)
    picture = window.grab().toImage()
    panel, rows = window.stage.views["heatmaps"], np.linspace(1, 14, 30)

    assert column_outline_share(picture, window, panel, "input", 3.5, rows) > 0.8
    assert column_outline_share(picture, window, panel, "input", 4.5, rows) > 0.8
    assert column_outline_share(picture, window, panel, "input", 6.5, rows) < 0.2


def test_dropping_a_model_file_opens_it(window, tmp_path):
    from PySide6.QtCore import QMimeData, QPointF, QUrl
    from PySide6.QtGui import QDropEvent

    path = tmp_path / "dropped.npz"
    make_text_model("gru", units=6, seed=3).save(path)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(
        QPointF(50, 50), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    window.dropEvent(event)
    assert window.session.model.kind == "gru" and window.session.units == 6
