"""Start the desktop app: QApplication, logging, one exception hook, the main window — or a headless screenshot."""

from __future__ import annotations

import logging
import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path

from gatescope.errors import GatescopeError
from gatescope.interrupts import SignalNote, deferred_signals
from gatescope.ui.application import application, closing_on_signals, headless_application
from gatescope.ui.window.loading import first_input, load_remembered

PREFERRED_MODELS = ("lstm-sentiment", "bracket-counter")
log = logging.getLogger("gatescope")


def default_model_name() -> str:
    """The first shipped model of PREFERRED_MODELS (the trained sentiment LSTM when it is installed)."""
    from gatescope import list_models

    names = [name for name, _ in list_models()]
    for name in PREFERRED_MODELS:
        if name in names:
            return name
    if not names:
        raise GatescopeError("no built-in models are installed; reinstall gatescope")
    return names[0]


def _log_file() -> Path:
    from platformdirs import user_log_dir

    folder = Path(user_log_dir("gatescope", appauthor=False))
    folder.mkdir(parents=True, exist_ok=True)
    return folder / "gatescope.log"


def setup_logging() -> Path | None:
    """Log to a file in the user's log folder (and warnings to stderr)."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        path = _log_file()
        handler = logging.FileHandler(path, encoding="utf-8")
    except OSError:
        return None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    return path


def install_exception_hook(parent_getter) -> None:
    """Unhandled exceptions: log them, show one dialog, keep running."""
    from PySide6.QtWidgets import QMessageBox

    showing = {"now": False}

    def hook(kind, value, trace_back) -> None:
        text = "".join(traceback.format_exception(kind, value, trace_back))
        log.error("unhandled exception\n%s", text)
        sys.__stderr__.write(text)
        if showing["now"]:
            return
        showing["now"] = True
        try:
            box = QMessageBox(
                QMessageBox.Icon.Critical,
                "Something went wrong",
                f"{kind.__name__}: {value}\n\nYour text and settings are kept; the app keeps running. "
                f"Details are in the log.",
                QMessageBox.StandardButton.Ok,
                parent_getter(),
            )
            box.setDetailedText(text)
            box.exec()
        finally:
            showing["now"] = False

    sys.excepthook = hook


def build_window(model_name: str | None, text: str | None, settings=None, load_options: dict | None = None):
    """The main window for a model (name or path) reading ``text`` (None: an example; token ids as numbers, "3 17 5",
    for a model without a vocabulary); GatescopeError when the model cannot be used or cannot read the text.

    ``load_options`` (vocab, labels, head: the command line's) go to load_model and are remembered for the file; without
    them, a file from another framework gets the answers remembered for it."""
    from gatescope.ui.session import SessionModel
    from gatescope.ui.window.main_window import MainWindow

    model_name = model_name or default_model_name()
    model = load_remembered(settings, model_name, load_options)
    session = SessionModel(model)
    errors: list[str] = []
    session.error_raised.connect(errors.append)
    session.set_source(first_input(model, text))
    session.wait()  # the window opens on a trace (a long text through a large model runs in the worker meanwhile)
    session.error_raised.disconnect(errors.append)
    if errors:
        raise GatescopeError(errors[0])
    return MainWindow(session, settings=settings, model_source=model_name)


def run_gui(
    model_name: str | None = None,
    text: str | None = None,
    signals: SignalNote | None = None,
    load_options: dict | None = None,
) -> int:
    """Open the app (restoring the last model and text unless given); returns the exit code.

    SIGINT (Ctrl-C in its terminal), SIGTERM and SIGHUP close it as its close button would, then raise Interrupted.
    ``signals`` is the note of the caller's :func:`deferred_signals` (installed before Qt is imported, so that a
    signal while the app starts is noted too, not raised inside Qt); without one, run_gui installs them itself."""
    if signals is None:
        with deferred_signals() as signals:
            return run_gui(model_name, text, signals, load_options)
    from PySide6.QtCore import QSettings

    if sys.platform.startswith("linux") and not any(
        os.environ.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    ):
        raise GatescopeError(
            "no display found (DISPLAY is not set): run gatescope on a desktop, or render the "
            "window with 'gatescope gui --screenshot window.png'"
        )
    setup_logging()
    app = application()
    settings = QSettings()
    window = None
    install_exception_hook(lambda: window)
    saved_model = settings.value("session/model", "", type=str)
    try:
        window = build_window(model_name or saved_model or None, text, settings, load_options)
    except GatescopeError as error:
        if model_name or not saved_model:
            raise
        log.warning("could not use the last model, %s (%s); using the default model", saved_model, error)
        window = build_window(None, text, settings)
    if text is None:
        window.restore_input()  # the last text (ids, sequence); one this model cannot read keeps the example
    window.show()
    with closing_on_signals(app, signals):
        code = app.exec()
    window.deleteLater()
    signals.check()  # Ctrl-C, SIGTERM or SIGHUP closed the app: one line and 128 + its number
    return code


def save_screenshot(
    path: Path,
    model_name: str | None = None,
    text: str | None = None,
    step: int | None = None,
    size: tuple[int, int] = (1400, 900),
    view: str = "heatmaps",
    phase: str | None = None,
    compare: str | None = None,
    force: bool = False,
    proceed: Callable[[], bool] | None = None,
    load_options: dict | None = None,
) -> Path:
    """Render the main window headless (default preferences, no saved settings) and save it as PNG: one frame,
    painted and written the way exports are, atomically (an existing ``path`` is replaced only with ``force``).

    ``view`` is the central view in front ("heatmaps" or "cell"); ``phase`` (number or name, e.g. "forget") shows
    the step up to that phase of the cell. ``compare`` names a second model: the compare window is rendered instead.
    ``proceed`` is asked before the file takes its place; False cancels (ExportCancelled, nothing written).
    ``load_options`` (vocab, labels, head) go to load_model for the model.
    """
    from gatescope.export.render import save_png

    app = headless_application()
    window = build_window(model_name, text, settings=None, load_options=load_options)
    if compare is not None:
        main = window
        try:
            window = _compare_window(main, compare)
        finally:
            main.close()
            main.deleteLater()
    try:
        session = window.left_session if compare is not None else window.session
        if compare is not None:
            window.left_session.wait()
            window.right_session.wait()
        _show_state(session, step, phase)
        if compare is None:
            window.stage.show_central_view(view)
        window.stage.finish_animations()
        window.resize(*size)
        window.show()
        for _ in range(3):
            app.processEvents()
        window.stage.settle()
        return save_png(window, path, force=force, proceed=proceed)
    finally:
        window.close()
        window.deleteLater()
        app.processEvents()


def _compare_window(main, compare: str):
    """The compare window of the main window's model and ``compare`` on its text."""
    import gatescope
    from gatescope.ui.window.compare import CompareWindow

    other = gatescope.load_model(compare)
    if not other.reads_text or not main.session.model.reads_text:
        raise GatescopeError(
            f"--compare {compare}: compare puts two models on one text, and one of them has no vocabulary (it reads "
            f"token ids or numbers)"
        )
    return CompareWindow(main.session.model, other, main.session.text)


def _show_state(session, step: int | None, phase: str | None) -> None:
    """Put the session at token ``step`` and (number or name) ``phase``; GatescopeError naming the valid range."""
    from gatescope.engine.phases import phase_index

    if step is not None:
        if not 0 <= step < session.steps:
            raise GatescopeError(f"--step {step}: the text has tokens 0 to {session.steps - 1}")
        session.set_step(step)
    if phase is not None:
        try:
            session.set_phase(phase_index(session.layer_trace.kind, phase))
        except ValueError as error:
            raise GatescopeError(f"--phase: {error}") from None
