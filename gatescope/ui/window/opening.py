"""The main window's files: File → Open (every format), File → Open Recent, drag and drop, Model → Vocabulary,
labels and head…, and File → Open input sequence… for models that read numbers.

An ``Opener`` belongs to one main window: it asks (file dialogs, the import dialog), loads through
:mod:`gatescope.ui.window.loading`, and hands the window a model to install; it remembers recent files and each
imported file's answers in the window's QSettings.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox

import gatescope
from gatescope.errors import GatescopeError
from gatescope.model.formats import native
from gatescope.model.sequences import read_sequence
from gatescope.ui.views.text_input import input_mode
from gatescope.ui.window.file_memory import ImportChoices, RecentFiles, remembered_choices
from gatescope.ui.window.loading import ask_import_choices, cannot_open, is_built_in

if TYPE_CHECKING:
    from gatescope.ui.window.main_window import MainWindow

MODEL_FILTER = "Models (*.npz *.pt *.pth *.bin *.safetensors *.keras *.h5 *.hdf5 *.onnx);;All files (*)"
SEQUENCE_FILTER = "Input sequences (*.csv *.npy);;All files (*)"
#: Dropped files that are a vocabulary for the open model, or an input sequence, rather than a model.
VOCABULARY_SUFFIXES = (".json", ".txt", ".vocab")
SEQUENCE_SUFFIXES = (".csv", ".npy")
NO_RECENT = "No recent files"


class Opener(QObject):
    """Open dialogs, recent files and dropped files for ``window``."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.recent = RecentFiles(window.settings)
        self.import_path: Path | None = None  # the other framework's file the model came from, when it did
        self.sequence_path: Path | None = None  # where the current input sequence came from, when it did

    def _folder(self, key: str) -> str:
        settings = self.window.settings
        return settings.value(key, str(Path.home()), type=str) if settings is not None else ""

    def _remember_folder(self, key: str, path: str) -> None:
        if self.window.settings is not None:
            self.window.settings.setValue(key, str(Path(path).parent))

    # --- models ----------------------------------------------------------------------------------------------------
    def open_model_dialog(self) -> None:
        """File → Open model…: any format (recognised by content, so "All files" works too)."""
        folder = self._folder("files/last_folder")
        path, _ = QFileDialog.getOpenFileName(self.window, "Open model", folder, MODEL_FILTER)
        if path:
            self._remember_folder("files/last_folder", path)
            self.window.load_model(path)

    def opened(self, source: str) -> None:
        """A model from ``source`` is now the session's: note the file for Open Recent and the import action."""
        self.import_path = None
        path = Path(source).expanduser()
        if not is_built_in(source) and path.is_file():
            self.recent.add(path)
            self.fill_recent_menu()
            if not native.sniff(path):
                self.import_path = path
        self.window.import_action.setEnabled(self.import_path is not None)

    def edit_import_choices(self, vocabulary: str = "") -> bool:
        """Model → Vocabulary, labels and head…: the import dialog again for the open file (with ``vocabulary`` filled
        in, when given: a vocabulary file dropped on the window); True if the model changed."""
        path = self.import_path
        if path is None:
            return False
        try:
            file_model = gatescope.load_model(path)
        except GatescopeError as error:
            cannot_open(self.window, error)
            return False
        choices = remembered_choices(self.window.settings, path) or ImportChoices()
        if vocabulary:
            choices = dataclasses.replace(choices, vocab=vocabulary)
        model = ask_import_choices(self.window, self.window.settings, file_model, path, choices)
        return model is not None and self.window.install_model(model, str(path))

    # --- recent files ----------------------------------------------------------------------------------------------
    def build_recent_menu(self, menu: QMenu) -> None:
        self.recent_menu = menu
        menu.setToolTipsVisible(True)
        menu.aboutToShow.connect(self.fill_recent_menu)
        self.fill_recent_menu()

    def fill_recent_menu(self) -> None:
        """Newest first; a file no longer there is greyed and says so (Remove missing files tidies the list)."""
        menu = self.recent_menu
        menu.clear()
        paths = self.recent.paths()
        missing = [path for path in paths if not os.path.isfile(path)]
        self.recent_file_actions: list[QAction] = []
        for number, path in enumerate(paths, start=1):
            gone = path in missing
            label = f"&{number % 10} {Path(path).name}" + ("  (missing)" if gone else "")
            action = menu.addAction(label, lambda path=path: self.open_recent(path))
            action.setToolTip(f"{path} — no longer there" if gone else path)
            action.setEnabled(not gone)
            self.recent_file_actions.append(action)
        if not paths:
            menu.addAction(NO_RECENT).setEnabled(False)
        menu.addSeparator()
        if missing:
            menu.addAction("Remove missing files", self.remove_missing)
        clear = menu.addAction("Clear menu", self.clear_recent)
        clear.setEnabled(bool(paths))

    def open_recent(self, path: str) -> bool:
        if not os.path.isfile(path):
            QMessageBox.warning(
                self.window,
                "Cannot open this model",
                f"{path}: no such file (it was moved or deleted); it is taken off the recent files.",
            )
            self.recent.remove(path)
            self.fill_recent_menu()
            return False
        return self.window.load_model(path)

    def remove_missing(self) -> None:
        for path in self.recent.paths():
            if not os.path.isfile(path):
                self.recent.remove(path)
        self.fill_recent_menu()

    def clear_recent(self) -> None:
        self.recent.clear()
        self.fill_recent_menu()

    # --- input sequences -------------------------------------------------------------------------------------------
    def open_sequence_dialog(self) -> bool:
        """File → Open input sequence…: a CSV of numbers or a .npy array, one row per step."""
        path, _ = QFileDialog.getOpenFileName(
            self.window, "Open input sequence", self._folder("files/sequence_folder"), SEQUENCE_FILTER
        )
        if not path:
            return False
        self._remember_folder("files/sequence_folder", path)
        return self.open_sequence(path)

    def open_sequence(self, path: str | Path, quiet: bool = False) -> bool:
        """Read ``path`` as the input of a model that reads numbers; a problem shows in a dialog (unless ``quiet``)
        and the input stays."""
        session = self.window.session
        try:
            if input_mode(session.model) != "sequence":
                raise GatescopeError(
                    f"{path}: this model reads {'text' if session.model.reads_text else 'token ids'}, not a sequence "
                    f"of numbers"
                )
            sequence = read_sequence(path, session.model.input_size)
        except GatescopeError as error:
            if not quiet:
                QMessageBox.warning(
                    self.window, "Cannot open this input sequence", f"{error}\n\nThe current input stays."
                )
            return False
        self.window.stage.text_input.set_sequence_name(Path(path).name)
        if not session.set_source(sequence):
            return False
        self.sequence_path = Path(path)
        return True

    # --- drag and drop ---------------------------------------------------------------------------------------------
    def open_dropped(self, path: str) -> bool:
        """A dropped file: an input sequence for a model that reads numbers, a vocabulary for an imported model with an
        embedding (the import dialog opens with it), or else a model."""
        model, suffix = self.window.session.model, Path(path).suffix.lower()
        if input_mode(model) == "sequence" and (suffix in SEQUENCE_SUFFIXES or _is_npy(path)):
            return self.open_sequence(path)
        if suffix in VOCABULARY_SUFFIXES and self.import_path is not None and model.embedding is not None:
            return self.edit_import_choices(vocabulary=path)
        return self.window.load_model(path)


def _is_npy(path: str) -> bool:
    try:
        with open(path, "rb") as stream:
            return stream.read(6) == b"\x93NUMPY"
    except OSError:
        return False
