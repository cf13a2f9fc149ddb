"""The main window: composition of the views, menus, shortcuts, model loading and persisted preferences."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, QSize, Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDockWidget,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSizePolicy,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

import gatescope
from gatescope.errors import GatescopeError
from gatescope.ui.playback import DEFAULT_SPEED, DEFAULT_TWEEN_MS, PhaseTweener, Playback, Tweener
from gatescope.ui.session import UNIT_ORDERS, SessionModel
from gatescope.ui.theme import THEMES, apply_theme
from gatescope.ui.views.cell_diagram import CellDiagram
from gatescope.ui.views.colors import DEFAULT_SCHEME, SCHEMES
from gatescope.ui.views.heatmaps import HeatmapPanel
from gatescope.ui.views.legend import ColourLegend
from gatescope.ui.views.prediction import PredictionPanel
from gatescope.ui.views.step_panel import StepPanel
from gatescope.ui.views.text_input import TextInput
from gatescope.ui.views.token_strip import TokenStrip
from gatescope.ui.views.transport import Transport
from gatescope.ui.views.unit_inspector import UnitInspector

OPEN_FILE = "Open model file…"
#: The central views, in tab order: (key used by --view and QSettings, tab title).
CENTRAL_VIEWS = (("heatmaps", "Heatmaps"), ("cell", "Cell diagram"))
MODEL_FILTER = "gatescope or PyTorch state_dict models (*.npz);;All files (*)"


class MainWindow(QMainWindow):
    """Text, tokens and transport on top; heatmaps in the middle; step, prediction and unit views docked."""

    def __init__(
        self,
        session: SessionModel,
        settings: QSettings | None = None,
        model_source: str = "",
        parent: QWidget | None = None,
        own_theme: bool = True,
    ) -> None:
        super().__init__(parent)
        self.session = session
        self._own_theme = own_theme  # False for offscreen copies (exports): they never restyle the application
        self.settings = settings
        self.model_source = model_source or session.model.name
        self.setWindowTitle("gatescope")
        self.setAcceptDrops(True)
        self.tweener = Tweener(session, DEFAULT_TWEEN_MS, self)
        self.phase_tweener = PhaseTweener(session, DEFAULT_TWEEN_MS, self)
        self.playback = Playback(session, DEFAULT_SPEED, self)

        self.model_box = QComboBox(self)
        self.layer_box = QComboBox(self)
        self.order_box = QComboBox(self)
        self.order_box.addItems([f"units by {order}" for order in UNIT_ORDERS])
        self.model_label = QLabel(self)
        self.model_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.model_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.text_input = TextInput(session, self)
        self.text_input.setMaximumHeight(72)
        self.token_strip = TokenStrip(session, self)
        self.transport = Transport(session, self.playback, self.tweener, self, phase_tweener=self.phase_tweener)
        self.heatmaps = HeatmapPanel(session, self)
        self.cell_diagram = CellDiagram(session, self)
        self.legend = ColourLegend(session, self)
        self.step_panel = StepPanel(session, self)
        self.prediction = PredictionPanel(session, self)
        self.unit_inspector = UnitInspector(session, self)
        self._compose()
        self._build_menus()
        self._build_shortcuts()
        for view in (
            self.text_input,
            self.token_strip,
            self.transport,
            self.heatmaps,
            self.cell_diagram,
            self.step_panel,
            self.prediction,
            self.unit_inspector,
        ):
            view.status_message.connect(self._show_status)
        session.error_raised.connect(self._on_error_raised)
        session.model_changed.connect(self._on_model_changed)
        session.trace_changed.connect(self._on_trace_changed)
        session.layer_changed.connect(self._on_layer_changed)
        self.model_box.activated.connect(self._on_model_chosen)
        self.layer_box.activated.connect(self._on_layer_chosen)
        self.order_box.activated.connect(lambda index: session.set_unit_order(UNIT_ORDERS[index]))
        self._fill_model_box()
        self._on_model_changed(session.model)
        self.restore_preferences()

    # --- layout ----------------------------------------------------------------------------------------------------
    def _compose(self) -> None:
        top = QHBoxLayout()
        top.addWidget(QLabel("Model", self))
        top.addWidget(self.model_box)
        top.addWidget(self.layer_box)
        top.addWidget(self.order_box)
        top.addWidget(self.model_label, stretch=1)
        central = QWidget(self)
        column = QVBoxLayout(central)
        column.setContentsMargins(6, 6, 6, 2)
        column.addLayout(top)
        column.addWidget(self.text_input)
        column.addWidget(self.token_strip)
        column.addWidget(self.transport)
        self.central_tabs = QTabWidget(self)
        self.central_tabs.setDocumentMode(True)
        for (_key, title), view in zip(CENTRAL_VIEWS, (self.heatmaps, self.cell_diagram), strict=True):
            self.central_tabs.addTab(view, title)
        column.addWidget(self.central_tabs, stretch=1)
        column.addWidget(self.legend)
        self.setCentralWidget(central)
        self.docks = {}
        for name, title, widget in (
            ("step", "Current step", self.step_panel),
            ("prediction", "Prediction", self.prediction),
            ("unit", "Unit inspector", self.unit_inspector),
        ):
            dock = QDockWidget(title, self)
            dock.setObjectName(f"dock-{name}")
            dock.setWidget(widget)
            self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
            self.docks[name] = dock
        self.statusBar().showMessage(
            "Left/Right step through the tokens, Space plays; click any cell to inspect a unit"
        )

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        open_action = file_menu.addAction("&Open model…", self.open_model_dialog)
        open_action.setShortcut(QKeySequence.StandardKey.Open)
        file_menu.addSeparator()
        export_action = file_menu.addAction("&Export animation…", self.export_animation_dialog)
        export_action.setShortcut(QKeySequence("Ctrl+E"))
        file_menu.addAction("Export &trace…", self.export_trace_dialog)
        file_menu.addSeparator()
        quit_action = file_menu.addAction("&Quit", self.close)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)

        view_menu = self.menuBar().addMenu("&View")
        for index, (key, title) in enumerate(CENTRAL_VIEWS):
            action = view_menu.addAction(title, lambda key=key: self.show_central_view(key))
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
        for dock in self.docks.values():
            view_menu.addAction(dock.toggleViewAction())
        view_menu.addAction("&Reset layout", self.reset_layout)

        model_menu = self.menuBar().addMenu("&Model")
        model_menu.addAction("Model &card…", self.show_model_card)
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
        session, playback = self.session, self.playback
        for key, action in (
            (Qt.Key.Key_Right, session.step_forward),
            (Qt.Key.Key_Left, session.step_back),
            (Qt.Key.Key_Space, playback.toggle),
            (Qt.Key.Key_Home, self.transport._first),
            (Qt.Key.Key_End, self.transport._last),
        ):
            QShortcut(QKeySequence(key), self, action)
        QShortcut(QKeySequence("Shift+Right"), self, session.next_phase)
        QShortcut(QKeySequence("Shift+Left"), self, session.previous_phase)

    def export_animation_dialog(self):
        """File → Export animation…: settings, progress with Cancel; the written paths go to the status bar."""
        from gatescope.ui.export_dialog import export_animation_interactive

        self.playback.pause()
        by = "phase" if self.playback.by_phase else "token"
        paths = export_animation_interactive(self, self.session, self.settings, view=self.central_view, by=by)
        if paths:
            where = paths[0].parent if len(paths) > 1 else paths[0]
            self._show_status(f"Exported {len(paths)} file{'s' if len(paths) > 1 else ''} to {where}")
        return paths

    def export_trace_dialog(self):
        """File → Export trace…: tidy CSV, NPZ or JSON."""
        from gatescope.ui.export_dialog import export_trace_interactive

        path = export_trace_interactive(self, self.session, self.settings)
        if path is not None:
            self._show_status(f"Trace written to {path}")
        return path

    def open_compare(self, other: str | None = None):
        """Open a compare window: this model and ``other`` (a sensible partner by default) on the current text."""
        from gatescope.ui.compare import CompareWindow, partner_for

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

    def show_central_view(self, key: str) -> None:
        """Bring a central view to the front: "heatmaps" or "cell"."""
        keys = [name for name, _title in CENTRAL_VIEWS]
        if key not in keys:
            raise ValueError(f"view must be one of {', '.join(keys)}, not {key!r}")
        self.central_tabs.setCurrentIndex(keys.index(key))

    @property
    def central_view(self) -> str:
        return CENTRAL_VIEWS[self.central_tabs.currentIndex()][0]

    # --- session events --------------------------------------------------------------------------------------------
    def _on_model_changed(self, model) -> None:
        self.model_label.setText(model.summary())
        self.model_label.setToolTip(model.description or model.summary())
        self.setWindowTitle(f"gatescope — {model.name}")
        self.layer_box.clear()
        for index, layer in enumerate(model.layers):
            direction = ", both directions" if layer.bidirectional else ""
            self.layer_box.addItem(f"layer {index}: {layer.kind.upper()} ×{layer.hidden_size}{direction}")
        self.layer_box.setVisible(len(model.layers) > 1)
        index = self.model_box.findText(model.name)
        if index >= 0:
            self.model_box.setCurrentIndex(index)

    def _on_trace_changed(self, _trace) -> None:
        self.layer_box.setCurrentIndex(self.session.layer)

    def _on_layer_changed(self, layer: int) -> None:
        self.layer_box.setCurrentIndex(layer)

    def _on_layer_chosen(self, index: int) -> None:
        if index >= 0:
            self.session.set_layer(index)

    def _on_error_raised(self, message: str) -> None:
        self._show_status(f"⚠ {message}")

    def _show_status(self, message: str) -> None:
        self.statusBar().showMessage(message, 10000)

    # --- models ----------------------------------------------------------------------------------------------------
    def _fill_model_box(self) -> None:
        self.model_box.clear()
        for name, description in gatescope.list_models():
            self.model_box.addItem(name)
            self.model_box.setItemData(self.model_box.count() - 1, description, Qt.ItemDataRole.ToolTipRole)
        if self.model_box.findText(self.session.model.name) < 0:
            self.model_box.addItem(self.session.model.name)
        self.model_box.insertSeparator(self.model_box.count())
        self.model_box.addItem(OPEN_FILE)

    def _on_model_chosen(self, index: int) -> None:
        name = self.model_box.itemText(index)
        if name == OPEN_FILE:
            self.model_box.setCurrentIndex(max(0, self.model_box.findText(self.session.model.name)))
            self.open_model_dialog()
        elif name != self.session.model.name:
            self.load_model(name)

    def load_model(self, source: str) -> bool:
        """Load a built-in model or a file; a bad one shows its error and the current model stays."""
        try:
            model = gatescope.load_model(source)
        except GatescopeError as error:
            QMessageBox.warning(self, "Cannot open this model", f"{error}\n\nThe current model stays loaded.")
            self._on_model_changed(self.session.model)
            return False
        if not model.reads_text:
            QMessageBox.warning(
                self,
                "This model cannot read text",
                f"{source}: the model has no tokenizer or embedding (for example a bare PyTorch "
                f"state_dict), so it cannot read typed text. The current model stays loaded.",
            )
            return False
        if not self.session.set_model(model):
            return False
        self.model_source = str(source)
        if self.model_box.findText(model.name) < 0:
            self.model_box.insertItem(0, model.name)
        self.model_box.setCurrentIndex(self.model_box.findText(model.name))
        return True

    def open_model_dialog(self) -> None:
        folder = self.settings.value("files/last_folder", str(Path.home()), type=str) if self.settings else ""
        path, _ = QFileDialog.getOpenFileName(self, "Open model", folder, MODEL_FILTER)
        if path:
            if self.settings is not None:
                self.settings.setValue("files/last_folder", str(Path(path).parent))
            self.load_model(path)

    def dragEnterEvent(self, event) -> None:
        urls = event.mimeData().urls()
        if urls and urls[0].isLocalFile():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        urls = event.mimeData().urls()
        if urls and urls[0].isLocalFile():
            self.load_model(urls[0].toLocalFile())

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
        model = self.session.model
        card = model.card or f"# {model.name}\n\n{model.description or 'No description.'}\n"
        dialog = self._text_dialog(f"Model card — {model.name}", card + f"\n\n---\n\n{model.summary()}\n")
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
        if self._own_theme:
            apply_theme(theme)
        self.theme_actions[theme if theme in THEMES else "light"].setChecked(True)
        self._theme = theme

    def reset_layout(self) -> None:
        for dock in self.docks.values():
            dock.setFloating(False)
            dock.show()
            self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)

    def restore_preferences(self) -> None:
        """Apply saved preferences (or the defaults when there are no settings, as for screenshots)."""
        settings = self.settings
        value = (
            (lambda key, default, kind: settings.value(key, default, type=kind))
            if settings
            else (lambda key, default, kind: default)
        )
        self.set_theme(value("view/theme", "light", str))
        scheme = value("view/colour_scheme", DEFAULT_SCHEME, str)
        self.session.set_colour_scheme(scheme if scheme in SCHEMES else DEFAULT_SCHEME)
        self.scheme_actions[self.session.colour_scheme].setChecked(True)
        order = value("view/unit_order", "index", str)
        self.session.set_unit_order(order if order in UNIT_ORDERS else "index")
        self.order_box.setCurrentIndex(UNIT_ORDERS.index(self.session.unit_order))
        self.playback.set_speed(value("playback/speed", DEFAULT_SPEED, float))
        self.transport.speed_box.setValue(self.playback.speed)
        self.transport.tween_box.setValue(value("playback/tween_ms", DEFAULT_TWEEN_MS, int))
        self.transport.set_by_phase(value("playback/by_phase", False, bool))
        central = value("view/central", "heatmaps", str)
        self.show_central_view(central if central in dict(CENTRAL_VIEWS) else "heatmaps")
        geometry = settings.value("window/geometry") if settings is not None else None
        if geometry is None:
            self.resize(self.first_run_size())
        if settings is not None:
            state = settings.value("window/state")
            if geometry is not None:
                self.restoreGeometry(geometry)
            if state is not None:
                self.restoreState(state)

    def first_run_size(self) -> QSize:
        """1400x900, or 90% of a smaller screen: room for the heatmaps and the three docked views."""
        screen = self.screen().availableGeometry() if self.screen() is not None else None
        if screen is None:
            return QSize(1400, 900)
        return QSize(min(1400, int(screen.width() * 0.9)), min(900, int(screen.height() * 0.9)))

    def save_preferences(self) -> None:
        settings = self.settings
        if settings is None:
            return
        settings.setValue("window/geometry", self.saveGeometry())
        settings.setValue("window/state", self.saveState())
        settings.setValue("session/model", self.model_source)
        settings.setValue("session/text", self.session.text)
        settings.setValue("playback/speed", self.playback.speed)
        settings.setValue("playback/tween_ms", self.tweener.duration_ms)
        settings.setValue("playback/by_phase", self.playback.by_phase)
        settings.setValue("view/central", self.central_view)
        settings.setValue("view/colour_scheme", self.session.colour_scheme)
        settings.setValue("view/theme", getattr(self, "_theme", "light"))
        settings.setValue("view/unit_order", self.session.unit_order)
        settings.sync()

    def closeEvent(self, event) -> None:
        self.playback.pause()
        self.text_input.commit()
        self.save_preferences()
        super().closeEvent(event)
