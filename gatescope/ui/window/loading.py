"""Opening a model for a session from a window: load it — a built-in model, gatescope's own file, or another
framework's file with the user's answers for what it cannot say (the import dialog, asked once per file and
remembered) — give it something to read, and on any problem say why in a dialog and keep the model the session has.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QDialog, QMessageBox, QWidget

import gatescope
from gatescope.errors import GatescopeError
from gatescope.model.card import file_sha256, imported_card
from gatescope.model.formats import native
from gatescope.model.model import Model
from gatescope.model.sequences import InputProblem, example_ids, example_sequence, locate_ids
from gatescope.model.zoo import model_path
from gatescope.presentation.provenance import is_imported
from gatescope.ui.session import SessionModel
from gatescope.ui.views.text_input import input_mode
from gatescope.ui.window.file_memory import ImportChoices, remember_choices, remembered_choices
from gatescope.ui.window.import_dialog import ImportDialog, asks_anything

KEPT = "The current model stays loaded."
DEFAULT_TEXT = "the plot was dull but the ending was wonderful"
#: The name shown for the sequence a model that reads numbers starts with.
EXAMPLE_SEQUENCE = "example input (sine waves) — open yours with “Open input sequence…”"


def is_built_in(source: str | Path) -> bool:
    """True for a built-in model's name (not a path)."""
    text = str(source)
    return "/" not in text and "\\" not in text and model_path(text) is not None


def cannot_open(parent: QWidget, error: GatescopeError | str) -> None:
    QMessageBox.warning(parent, "Cannot open this model", f"{error}\n\n{KEPT}")


def read_model(parent: QWidget, settings: QSettings | None, source: str | Path, ask: bool = False) -> Model | None:
    """The model ``source`` names. Another framework's file gets the user's answers for what it cannot say: those
    remembered for it, else the import dialog's (``ask``: always the dialog). None when it cannot be opened (after a
    dialog saying why) or the user cancelled."""
    try:
        model = gatescope.load_model(source)
    except GatescopeError as error:
        cannot_open(parent, error)
        return None
    if is_built_in(source):
        return model
    path = Path(source).expanduser()
    if native.sniff(path) or not asks_anything(model):
        return model
    remembered = remembered_choices(settings, path)
    problem = ""
    if remembered is not None and not ask:
        if remembered.empty:
            return model
        try:
            return gatescope.load_model(path, **remembered.options())
        except GatescopeError as error:  # e.g. its vocabulary file moved: ask again, saying why
            problem = f"{error}\n(the answers remembered from last time no longer work)"
    return ask_import_choices(parent, settings, model, path, remembered or ImportChoices(), problem)


def load_remembered(settings: QSettings | None, source: str | Path, options: dict | None = None) -> Model:
    """The model ``source`` names, asking nothing (the app starting up): with ``options`` (vocab, labels, head, as the
    command line gives them; then remembered for the file), else with the answers remembered for its file (left out
    when they no longer work). GatescopeError when the file cannot be read."""
    if options:
        model = gatescope.load_model(source, **options)
        if not is_built_in(source) and Path(source).expanduser().is_file():
            given = {name: str(value) if name == "vocab" else value for name, value in options.items()}
            remember_choices(settings, Path(source).expanduser(), ImportChoices(**given))
        return model
    model = gatescope.load_model(source)
    remembered = None if is_built_in(source) else remembered_choices(settings, source)
    if remembered is None or remembered.empty:
        return model
    try:
        return gatescope.load_model(source, **remembered.options())
    except GatescopeError:
        return model


def ask_import_choices(
    parent: QWidget, settings: QSettings | None, model: Model, path: Path, choices: ImportChoices, problem: str = ""
) -> Model | None:
    """The import dialog for ``model`` (read from ``path`` alone); the model with the answers, remembered for the file,
    or None when cancelled."""

    def load(answers: ImportChoices) -> Model:
        return gatescope.load_model(path, **answers.options())

    dialog = ImportDialog(model, path, choices, load, parent, problem)
    try:
        if dialog.exec() != QDialog.DialogCode.Accepted or dialog.model is None or dialog.chosen is None:
            return None
        remember_choices(settings, path, dialog.chosen)
        return dialog.model
    finally:
        dialog.deleteLater()


def input_for(model: Model, current: str | np.ndarray, text: str = DEFAULT_TEXT) -> str | np.ndarray:
    """What ``model`` reads once opened: the current input when it can read it, else ``text`` (a text model), a few
    token ids (a model without a vocabulary) or an example sequence (a model that reads numbers)."""
    mode = input_mode(model)
    if mode == "text":
        return current if isinstance(current, str) and current else text
    if mode == "ids":
        count = model.id_count or 1
        if isinstance(current, np.ndarray) and current.dtype.kind in "iu" and current.size and current.max() < count:
            return current
        return example_ids(count)
    if isinstance(current, np.ndarray) and current.dtype.kind == "f" and current.shape[1:] == (model.input_size,):
        return current
    return example_sequence(model.input_size)


def imported_model_card(model: Model) -> str | None:
    """The card ``gatescope import`` writes, for a model opened from another framework's file (None for any other):
    the file and its sha256, format, architecture, vocabulary, labels, head, and that the app did not compare it with
    the framework."""
    if not is_imported(model) or model.source is None:
        return None
    try:
        digest = file_sha256(model.source)
    except OSError:
        digest = "unknown: the file can no longer be read"
    parity = f"Not compared here: `gatescope check {model.source.name}` compares it with its framework."
    return imported_card(model, model.source, digest, parity, gatescope.__version__)


def first_input(model: Model, text: str | None) -> str | np.ndarray:
    """What ``model`` reads when a window opens on it: ``text`` (token ids typed as numbers for a model without a
    vocabulary), or an example. GatescopeError when ``text`` cannot be read by it."""
    mode = input_mode(model)
    if mode == "text" or text is None:
        return input_for(model, "", DEFAULT_TEXT if text is None else text)
    if mode == "ids":
        parsed = locate_ids(text, model.id_count or 0)
        if isinstance(parsed, InputProblem):
            raise GatescopeError(f"{text!r}: {parsed.message} (this model has no vocabulary; it reads token ids)")
        return parsed[0]
    raise GatescopeError(
        f"{model.name}: this model reads {model.input_size} number{'s' if model.input_size != 1 else ''} a step, not "
        f"text; open a CSV or .npy input sequence in the window"
    )


def load_into(parent: QWidget, session: SessionModel, source: str, needs_text: bool = False) -> bool:
    """Load a built-in model or a file into ``session`` (reading what it read, or something it can read); False
    (after a dialog saying why) if it cannot be used. ``needs_text``: refuse a model that cannot read text."""
    model = read_model(parent, None, source)
    if model is None:
        return False
    if needs_text and not model.reads_text:
        QMessageBox.warning(
            parent,
            "This model cannot read text",
            f"{source}: the model has no vocabulary (it reads token ids or numbers), so it cannot read the text "
            f"here. {KEPT}",
        )
        return False
    return session.set_model(model, input_for(model, session.source))
