"""The main window: chrome around a stage — menus, shortcuts, the status bar, model loading, dialogs and saved
preferences. Every view lives in the stage (:mod:`gatescope.ui.stage`)."""

from __future__ import annotations

from PySide6.QtCore import QSettings, QSize, Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QMainWindow,
    QMessageBox,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

import gatescope
from gatescope.errors import GatescopeError
from gatescope.model.model import Model
from gatescope.model.sequences import ids_text, locate_ids
from gatescope.presentation.scales import DEFAULT_SCHEME, SCHEMES
from gatescope.ui.playback import DEFAULT_SPEED, DEFAULT_TWEEN_MS
from gatescope.ui.registry import CENTRAL_VIEWS, view_entry
from gatescope.ui.session import UNIT_ORDERS, SessionModel
from gatescope.ui.stage import Stage
from gatescope.ui.theme import THEMES, apply_theme
from gatescope.ui.views.model_bar import model_title
from gatescope.ui.views.text_input import input_mode
from gatescope.ui.window.loading import DEFAULT_TEXT, EXAMPLE_SEQUENCE, imported_model_card, input_for, read_model
from gatescope.ui.window.opening import Opener
from gatescope.ui.window.run_indicator import RunIndicator

HINT = "Left/Right step through the tokens, Space plays; click any cell to inspect a unit"


class MainWindow(QMainWindow):
    """The app's window: a stage of every view, with menus, shortcuts, a status bar and saved preferences."""

    def __init__(
        self,
        session: SessionModel,
        settings: QSettings | None = None,
        model_source: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.settings = settings
        self.model_source = model_source or session.model.name
        self.last_text = session.text or DEFAULT_TEXT  # what a text model reads after one that reads ids or numbers
        self.setWindowTitle("gatescope")
        self.setAcceptDrops(True)
        self.stage = Stage(session, self)
        self.setCentralWidget(self.stage)
        self.opener = Opener(self)
        if input_mode(session.model) == "sequence" and not self.stage.text_input.sequence_name:
            self.stage.text_input.set_sequence_name(EXAMPLE_SEQUENCE)
        self._build_menus()
        self._build_shortcuts()
        self.stage.status_message.connect(self._show_status)
        self.run_indicator = RunIndicator(session, self)
        self.statusBar().addPermanentWidget(self.run_indicator)
        self.stage.model_bar.picker.model_requested.connect(self.load_model)
        self.stage.model_bar.picker.open_file_requested.connect(self.open_model_dialog)
        self.stage.open_sequence_requested.connect(self.opener.open_sequence_dialog)
        session.error_raised.connect(self._on_error_raised)
        session.model_changed.connect(self._on_model_changed)
        session.text_changed.connect(self._on_text_changed)
        self._on_model_changed(session.model)
        self.opener.opened(self.model_source)
        self.statusBar().showMessage(HINT)
        self.restore_preferences()

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        open_action = file_menu.addAction("&Open model…", self.open_model_dialog)
        open_action.setShortcut(QKeySequence.StandardKey.Open)
        self.opener.build_recent_menu(file_menu.addMenu("Open &Recent"))
        self.sequence_action = file_menu.addAction("Open input &sequence…", self.opener.open_sequence_dialog)
        self.sequence_action.setStatusTip("A CSV of numbers or a .npy array (steps, features), one row per step")
        file_menu.addSeparator()
        export_action = file_menu.addAction("&Export animation…", self.export_animation_dialog)
        export_action.setShortcut(QKeySequence("Ctrl+E"))
        file_menu.addAction("Export &trace…", self.export_trace_dialog)
        file_menu.addSeparator()
        quit_action = file_menu.addAction("&Quit", self.close)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)

        view_menu = self.menuBar().addMenu("&View")
        for index, key in enumerate(CENTRAL_VIEWS):
            action = view_menu.addAction(view_entry(key).title, lambda key=key: self.stage.show_central_view(key))
            action.setShortcut(QKeySequence(f"Ctrl+{index + 1}"))
        view_menu.addSeparator()
        theme_menu = view_menu.addMenu("&Theme")
        self.theme_actions = self._exclusive_actions(theme_menu, THEMES, self.set_theme)
        scheme_menu = view_menu.addMenu("&Colour map")
        self.scheme_actions = self._exclusive_actions(scheme_menu, list(SCHEMES), self.session.set_colour_scheme)
        self.session.colour_scheme_changed.connect(lambda name: self.scheme_actions[name].setChecked(True))
        view_menu.addSeparator()
        compare = view_menu.addAction("Compare with another &model…", self.open_compare)
        compare.setShortcut(QKeySequence("Ctrl+Shift+M"))
        view_menu.addSeparator()
        for dock in self.stage.docks.values():
            view_menu.addAction(dock.toggleViewAction())
        view_menu.addAction("&Reset layout", self.stage.reset_layout)

        model_menu = self.menuBar().addMenu("&Model")
        model_menu.addAction("Model &card…", self.show_model_card)
        self.import_action = model_menu.addAction(
            "&Vocabulary, labels and head…", lambda: self.opener.edit_import_choices()
        )
        self.import_action.setEnabled(False)
        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction("&Keyboard shortcuts", self.show_shortcuts)
        help_menu.addAction("&About gatescope", self.show_about)

    def _exclusive_actions(self, menu, names, choose) -> dict[str, QAction]:
        group = QActionGroup(self)
        actions = {}
        for name in names:
            action = menu.addAction(name)
            action.setCheckable(True)
            action.triggered.connect(lambda _checked=False, name=name: choose(name))
            group.addAction(action)
            actions[name] = action
        return actions

    def _build_shortcuts(self) -> None:
        session, transport = self.session, self.stage.transport
        for key, action in (
            (Qt.Key.Key_Right, session.step_forward),
            (Qt.Key.Key_Left, session.step_back),
            (Qt.Key.Key_Space, self.stage.playback.toggle),
            (Qt.Key.Key_Home, transport.first),
            (Qt.Key.Key_End, transport.last),
        ):
            QShortcut(QKeySequence(key), self, action)
        QShortcut(QKeySequence("Shift+Right"), self, session.next_phase)
        QShortcut(QKeySequence("Shift+Left"), self, session.previous_phase)

    def export_animation_dialog(self):
        """File → Export animation…: settings, progress with Cancel; the written paths go to the status bar."""
        from gatescope.ui.window.export_dialog import export_animation_interactive

        playback = self.stage.playback
        playback.pause()
        by = "phase" if playback.by_phase else "token"
        paths = export_animation_interactive(self, self.session, self.settings, view=self.stage.central_view, by=by)
        if paths:
            where = paths[0].parent if len(paths) > 1 else paths[0]
            self._show_status(f"Exported {len(paths)} file{'s' if len(paths) > 1 else ''} to {where}")
        return paths

    def export_trace_dialog(self):
        """File → Export trace…: tidy CSV, NPZ or JSON."""
        from gatescope.ui.window.export_dialog import export_trace_interactive

        path = export_trace_interactive(self, self.session, self.settings)
        if path is not None:
            self._show_status(f"Trace written to {path}")
        return path

    def open_compare(self, other: str | None = None):
        """Open a compare window: this model and ``other`` (a sensible partner by default) on the current text."""
        from gatescope.ui.window.compare import CompareWindow, partner_for

        if not self.session.model.reads_text:
            QMessageBox.information(
                self,
                "Compare needs text",
                "Compare puts two models on one text; this model reads token ids or "
                "numbers. Give it a vocabulary (Model → Vocabulary, labels and head…) to compare it.",
            )
            return None
        name = other or partner_for(self.session.model.name)
        try:
            partner = gatescope.load_model(name)
        except GatescopeError as error:
            QMessageBox.warning(self, "Cannot open this model", str(error))
            return None
        window = CompareWindow(self.session.model, partner, self.session.text, self)
        window.left_session.set_colour_scheme(self.session.colour_scheme)
        window.left_session.set_step(self.session.step)
        window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        window.show()
        self.compare_window = window
        return window

    # --- session events --------------------------------------------------------------------------------------------
    def _on_model_changed(self, model) -> None:
        self.setWindowTitle(f"gatescope — {model_title(model)}")
        self.sequence_action.setEnabled(input_mode(model) == "sequence")

    def _on_text_changed(self, text: str) -> None:
        if text:
            self.last_text = text

    def _on_error_raised(self, message: str) -> None:
        self._show_status(f"⚠ {message}")

    def _show_status(self, message: str) -> None:
        self.statusBar().showMessage(message, 10000)

    # --- models ----------------------------------------------------------------------------------------------------
    def load_model(self, source: str) -> bool:
        """Load a built-in model or a file of any format (asking what an imported file cannot say, once); a bad one
        shows its error and the current model stays."""
        model = read_model(self, self.settings, source)
        return model is not None and self.install_model(model, source)

    def install_model(self, model: Model, source: str) -> bool:
        """Make ``model`` (loaded from ``source``) the session's, reading the current input if it can, else the last
        text, a few token ids or an example sequence."""
        current = self.session.source
        given = input_for(model, current, self.last_text)
        text_input = self.stage.text_input
        previous_name = text_input.sequence_name
        if input_mode(model) == "sequence" and given is not current:
            text_input.set_sequence_name(EXAMPLE_SEQUENCE)
        if not self.session.set_model(model, given):
            text_input.set_sequence_name(previous_name)
            return False
        if given is not current:
            self.opener.sequence_path = None
        self.model_source = str(source)
        self.opener.opened(str(source))
        return True

    def open_model_dialog(self) -> None:
        self.opener.open_model_dialog()

    def dragEnterEvent(self, event) -> None:
        urls = event.mimeData().urls()
        if urls and urls[0].isLocalFile():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        urls = event.mimeData().urls()
        if urls and urls[0].isLocalFile():
            event.acceptProposedAction()
            self.opener.open_dropped(urls[0].toLocalFile())

    def restore_input(self) -> None:
        """The input saved last time, if this model reads it: the text, the token ids, or the sequence file."""
        settings, mode = self.settings, input_mode(self.session.model)
        if settings is None:
            return
        if mode == "text":
            saved = settings.value("session/text", "", type=str)
            if saved:
                self.session.set_text(saved)  # one this model cannot read keeps the example (and says so)
        elif mode == "ids":
            parsed = locate_ids(settings.value("session/ids", "", type=str), self.session.model.id_count or 0)
            if isinstance(parsed, tuple):
                self.session.set_source(parsed[0])
        else:
            saved = settings.value("session/sequence", "", type=str)
            if saved:
                self.opener.open_sequence(saved, quiet=True)

    # --- dialogs ---------------------------------------------------------------------------------------------------
    def _text_dialog(self, title: str, markdown: str) -> QDialog:
        dialog = QDialog(self)
        dialog.setWindowTitle(title)
        browser = QTextBrowser(dialog)
        browser.setOpenExternalLinks(True)
        browser.setMarkdown(markdown)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, dialog)
        buttons.rejected.connect(dialog.reject)
        layout = QVBoxLayout(dialog)
        layout.addWidget(browser)
        layout.addWidget(buttons)
        dialog.resize(640, 520)
        return dialog

    def show_model_card(self) -> QDialog:
        """Model → Model card…: the model's own card; for a file opened from another framework, the card
        ``gatescope import`` would write (where it came from, what was given or assumed), without the parity check."""
        model = self.session.model
        card = model.card or imported_model_card(model)
        card = card or f"# {model_title(model)}\n\n{model.description or 'No description.'}\n"
        dialog = self._text_dialog(f"Model card — {model_title(model)}", card + f"\n\n---\n\n{model.summary()}\n")
        dialog.show()
        return dialog

    def show_shortcuts(self) -> None:
        self._text_dialog(
            "Keyboard shortcuts",
            "| key | does |\n|---|---|\n| Right / Left | next / previous token |\n"
            "| Shift+Right / Shift+Left | next / previous phase of the cell |\n"
            "| Space | play / pause |\n| Home / End | first / last token |\n"
            "| Ctrl+1 / Ctrl+2 | heatmaps / cell diagram |\n"
            "| Enter (in the text) | run now |\n"
            "| Esc (in the text) | back to stepping |\n| Ctrl+O | open a model file |\n",
        ).show()

    def show_about(self) -> None:
        QMessageBox.about(
            self,
            "About gatescope",
            f"gatescope {gatescope.__version__}\n\nSee how recurrent networks "
            "think: every gate, the cell state and the hidden state, live on your own words.",
        )

    # --- preferences -----------------------------------------------------------------------------------------------
    def set_theme(self, theme: str) -> None:
        apply_theme(theme)
        self.theme_actions[theme if theme in THEMES else "light"].setChecked(True)
        self._theme = theme

    def restore_preferences(self) -> None:
        """Apply saved preferences (or the defaults when there are no settings, as for screenshots)."""
        settings, stage = self.settings, self.stage

        def value(key, default, kind):
            return settings.value(key, default, type=kind) if settings is not None else default

        self.set_theme(value("view/theme", "light", str))
        scheme = value("view/colour_scheme", DEFAULT_SCHEME, str)
        self.session.set_colour_scheme(scheme if scheme in SCHEMES else DEFAULT_SCHEME)
        self.scheme_actions[self.session.colour_scheme].setChecked(True)
        order = value("view/unit_order", "index", str)
        self.session.set_unit_order(order if order in UNIT_ORDERS else "index")
        stage.playback.set_speed(value("playback/speed", DEFAULT_SPEED, float))
        stage.transport.speed_box.setValue(stage.playback.speed)
        stage.transport.tween_box.setValue(value("playback/tween_ms", DEFAULT_TWEEN_MS, int))
        stage.transport.set_by_phase(value("playback/by_phase", False, bool))
        central = value("view/central", "heatmaps", str)
        stage.show_central_view(central if central in CENTRAL_VIEWS else "heatmaps")
        geometry = settings.value("window/geometry") if settings is not None else None
        if geometry is None:
            self.resize(self.first_run_size())
        if settings is not None:
            state = settings.value("window/state")
            if geometry is not None:
                self.restoreGeometry(geometry)
            if state is not None:
                stage.restoreState(state)

    def first_run_size(self) -> QSize:
        """1400x900, or 90% of a smaller screen: room for the heatmaps and the three docked views."""
        screen = self.screen().availableGeometry() if self.screen() is not None else None
        if screen is None:
            return QSize(1400, 900)
        return QSize(min(1400, int(screen.width() * 0.9)), min(900, int(screen.height() * 0.9)))

    def save_preferences(self) -> None:
        settings, stage = self.settings, self.stage
        if settings is None:
            return
        settings.setValue("window/geometry", self.saveGeometry())
        settings.setValue("window/state", stage.saveState())
        settings.setValue("session/model", self.model_source)
        settings.setValue("session/text", self.session.requested_text or self.last_text)
        source = self.session.source
        if input_mode(self.session.model) == "ids" and not isinstance(source, str):
            settings.setValue("session/ids", ids_text(source))
        sequence = self.opener.sequence_path
        settings.setValue("session/sequence", str(sequence) if sequence is not None else "")
        settings.setValue("playback/speed", stage.playback.speed)
        settings.setValue("playback/tween_ms", stage.tweener.duration_ms)
        settings.setValue("playback/by_phase", stage.playback.by_phase)
        settings.setValue("view/central", stage.central_view)
        settings.setValue("view/colour_scheme", self.session.colour_scheme)
        settings.setValue("view/theme", getattr(self, "_theme", "light"))
        settings.setValue("view/unit_order", self.session.unit_order)
        settings.sync()

    def closeEvent(self, event) -> None:
        self.stage.playback.pause()
        self.stage.text_input.commit()
        self.save_preferences()
        self.session.cancel()  # a run in the worker stops at its next checkpoint; nobody will look at it
        super().closeEvent(event)
