"""The input box: what the model reads, with the current step highlighted in it.

Three modes, by what the session's model reads:

- text: type or paste; the text is re-run after a short pause.
- ids (a model with an embedding but no vocabulary): token ids typed as whole numbers, "3 17 5". Checked as you type:
  a number out of range or a word that is no number is underlined and explained in a line at the bottom of the box,
  the typed text stays, and the last good trace stays on screen until the ids are right again.
- sequence (a model that reads numbers, (T, features)): read-only, one line per step with its values; the sequence
  comes from a file the window opens (``sequence_name`` says which).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPalette, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QTextEdit, QWidget

from gatescope.model.model import Model
from gatescope.model.sequences import InputProblem, ids_text, locate_ids
from gatescope.presentation.text import number
from gatescope.ui.session import SessionModel
from gatescope.ui.views.binding import connect_session, disconnect_session

DEBOUNCE_MS = 150
#: Values of one step shown in sequence mode (wider steps end with "…"), and steps shown (the rest are counted).
SHOWN_FEATURES = 12
SHOWN_STEPS = 10_000
PLACEHOLDERS = {
    "text": "Type or paste a sentence…",
    "ids": "Token ids separated by spaces, e.g. 3 17 5 (this model has no vocabulary)…",
    "sequence": "Open an input sequence: a CSV of numbers or a .npy array, one row per step",
}
SESSION_SLOTS = (
    ("source_changed", "_on_source_changed"),
    ("model_changed", "_on_model_changed"),
    ("step_changed", "_on_step_changed"),
    ("trace_changed", "_on_trace_changed"),
    ("error_raised", "_on_error_raised"),
)


def problem_colour(palette: QPalette) -> QColor:
    """Red that reads on the palette's background: darker on a light theme, lighter on a dark one."""
    return QColor(200, 30, 30) if palette.base().color().lightness() > 128 else QColor(255, 120, 110)


def input_mode(model: Model) -> str:
    """ "text", "ids" or "sequence": what a person gives this model to read."""
    if model.reads_text:
        return "text"
    return "ids" if model.reads_ids else "sequence"


class TextInput(QPlainTextEdit):
    """A plain-text editor bound to ``session.source``: edits run the model after DEBOUNCE_MS of quiet."""

    status_message = Signal(str)

    def __init__(self, session: SessionModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.setTabChangesFocus(True)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.setMaximumBlockCount(0)
        self.problem = QLabel(self)
        self.problem.setObjectName("input-problem")
        self.problem.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.problem.hide()
        self.sequence_name = ""  # where a sequence came from, for its first line (the window sets it)
        self._problem: InputProblem | None = None
        self._last_error = ""
        self._debounce = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._debounce.timeout.connect(self.commit)
        self._mode = ""
        self._shown = ""  # the box's text that stands for session.source
        self._spans: list[tuple[int, int]] = []  # per step, where it is in self._shown (code points)
        self._utf16 = _utf16_offsets("")
        self._in_sync: bool | None = None  # does the editor show self._shown? None: not yet compared
        self._set_mode(input_mode(session.model))
        self._show_source(session.source)
        self._on_trace_changed(session.trace)
        self.textChanged.connect(self._on_edited)
        connect_session(self, session, SESSION_SLOTS)

    @property
    def mode(self) -> str:
        return self._mode

    def set_sequence_name(self, name: str) -> None:
        """Where the session's number sequence came from (a file name), for the box's first line."""
        if name != self.sequence_name:
            self.sequence_name = name
            if self._mode == "sequence" and isinstance(self.session.source, np.ndarray):
                self._show_source(self.session.source)

    def commit(self) -> None:
        """Run the model on the editor's text now (normally after the debounce)."""
        self._debounce.stop()
        text = self.toPlainText()
        if self._mode == "ids":
            parsed = self._check_ids(text)
            if parsed is not None and not _same_ids(parsed[0], self.session.source):
                self._shown, self._spans = text, parsed[1]
                self.session.set_source(parsed[0])
        elif self._mode == "text" and text != self.session.requested_text:  # neither shown nor already running
            if self.session.set_text(text):
                self._set_problem(None)
            else:
                self._set_problem(InputProblem(self._last_error, 0, 0))

    # --- session events ----------------------------------------------------------------------------------------
    def _on_model_changed(self, model: Model) -> None:
        self._set_mode(input_mode(model))

    def _on_source_changed(self, source) -> None:
        self._show_source(source)

    def _on_trace_changed(self, trace) -> None:
        if self._mode == "text":
            self._spans = list(trace.spans) if trace is not None and trace.spans else []
        self._in_sync = None
        self._highlight_current()

    def _on_step_changed(self, _step: int) -> None:
        self._highlight_current()
        if self._mode == "sequence":
            self._scroll_to_current()

    def _on_error_raised(self, message: str) -> None:
        self._last_error = message

    # --- modes and what the box shows --------------------------------------------------------------------------
    def _set_mode(self, mode: str) -> None:
        if mode == self._mode:
            return
        self._mode = mode
        self._debounce.stop()
        self._set_problem(None)
        self.setReadOnly(mode == "sequence")
        self.setPlaceholderText(PLACEHOLDERS[mode])
        self.setLineWrapMode(
            QPlainTextEdit.LineWrapMode.NoWrap if mode == "sequence" else QPlainTextEdit.LineWrapMode.WidgetWidth
        )

    def _show_source(self, source) -> None:
        """Put the text that stands for ``source`` in the box (unless it shows it already, as typed)."""
        if isinstance(source, str):
            shown, self._spans = source, []  # the trace of this text brings its spans
        elif self._mode == "ids":
            typed = locate_ids(self.toPlainText(), self.session.model.id_count or 0)
            if not isinstance(typed, InputProblem) and _same_ids(typed[0], source):
                shown, self._spans = self.toPlainText(), typed[1]  # as typed, commas and spaces kept
            else:
                shown = ids_text(source)
                parsed = locate_ids(shown, self.session.model.id_count or 0)
                self._spans = [] if isinstance(parsed, InputProblem) else parsed[1]
        elif self._mode == "sequence":
            shown, self._spans = sequence_text(source, self.sequence_name)
        else:
            shown = ""
        self._shown = shown
        self._utf16 = _utf16_offsets(shown)
        self._in_sync = None
        if self._debounce.isActive():  # a run from the worker arrived while the user is still typing: keep the typing
            return
        if shown != self.toPlainText():
            self.blockSignals(True)
            self.setPlainText(shown)
            self.blockSignals(False)
        self._set_problem(None)

    def _on_edited(self) -> None:
        self._in_sync = None
        if self._mode == "sequence":
            return
        if self._mode == "ids":
            self._check_ids(self.toPlainText())  # at once: the problem shows while typing
        self._debounce.start()

    def _check_ids(self, text: str) -> tuple[np.ndarray, list[tuple[int, int]]] | None:
        parsed = locate_ids(text, self.session.model.id_count or 0)
        if isinstance(parsed, InputProblem):
            self._set_problem(parsed)
            return None
        self._set_problem(None)
        return parsed

    # --- the problem line --------------------------------------------------------------------------------------
    def _set_problem(self, problem: InputProblem | None) -> None:
        if problem != self._problem:
            self._problem = problem
            self._show_problem_line(problem)
        self._highlight_current()  # the underline follows the text as typed

    def _show_problem_line(self, problem: InputProblem | None) -> None:
        if problem is None:
            self.problem.hide()
            self.setViewportMargins(0, 0, 0, 0)
        else:
            self.problem.setText(f"⚠ {problem.message}")
            self.problem.setToolTip(problem.message)
            self.problem.setStyleSheet(f"color: {problem_colour(self.palette()).name()}; padding: 0 4px;")
            self.setViewportMargins(0, 0, 0, self.problem.sizeHint().height())
            self._place_problem()
            self.problem.show()

    def _place_problem(self) -> None:
        frame = self.frameWidth()
        height = self.problem.sizeHint().height()
        self.problem.setGeometry(frame, self.height() - frame - height, self.width() - 2 * frame, height)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self._problem is not None:
            self._place_problem()

    # --- highlighting ------------------------------------------------------------------------------------------
    def _shows_source(self) -> bool:
        """Compared once per edit or new source, not per step: a long text costs a copy each time."""
        if self._in_sync is None:
            self._in_sync = self.toPlainText() == self._shown
        return self._in_sync

    def _selection(self, start: int, end: int, text_format: QTextCharFormat) -> QTextEdit.ExtraSelection:
        selection = QTextEdit.ExtraSelection()
        selection.cursor = QTextCursor(self.document())
        selection.cursor.setPosition(start)
        selection.cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
        selection.format = text_format
        return selection

    def _highlight_current(self) -> None:
        selections = []
        problem = self._problem
        if problem is not None and problem.end > problem.start:
            utf16 = _utf16_offsets(self.toPlainText())
            underline = QTextCharFormat()
            underline.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
            underline.setUnderlineColor(problem_colour(self.palette()))
            underline.setForeground(problem_colour(self.palette()))
            selections.append(self._selection(utf16(problem.start), utf16(problem.end), underline))
        step = self.session.step
        if self.session.trace is not None and step < len(self._spans) and self._shows_source():
            start, end = self._spans[step]
            current = QTextCharFormat()
            highlight = self.palette().highlight().color()
            current.setBackground(QColor(highlight.red(), highlight.green(), highlight.blue(), 110))
            current.setFontUnderline(True)
            # Qt counts UTF-16 code units; Python counts code points.
            selections.append(self._selection(self._utf16(start), self._utf16(end), current))
        self.setExtraSelections(selections)

    def _scroll_to_current(self) -> None:
        step = self.session.step
        if step == 0:
            self.verticalScrollBar().setValue(0)  # the first line says what the sequence is
        elif step < len(self._spans) and self._shows_source():
            cursor = self.textCursor()
            cursor.setPosition(self._utf16(self._spans[step][0]))
            self.setTextCursor(cursor)
            self.ensureCursorVisible()

    def keyPressEvent(self, event) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not event.modifiers():
            self.commit()  # Enter runs at once instead of adding a line
            return
        if event.key() == Qt.Key.Key_Escape:
            self.clearFocus()  # hand the keyboard back to stepping
            return
        super().keyPressEvent(event)

    def closeEvent(self, event) -> None:
        disconnect_session(self, self.session, SESSION_SLOTS)
        super().closeEvent(event)


def sequence_text(sequence: np.ndarray, name: str = "") -> tuple[str, list[tuple[int, int]]]:
    """A number sequence (T, features) as the box shows it: a first line saying what it is, then one line per step
    ("3:  0.5  −1.2  …", the first SHOWN_STEPS); and each shown step's span in that text."""
    steps, features = sequence.shape
    head = f"{name or 'input sequence'}: {steps:,} step{'s' if steps != 1 else ''} × {features} feature"
    lines = [head + ("s" if features != 1 else "")]
    spans = []
    position = len(lines[0]) + 1
    width = len(str(min(steps, SHOWN_STEPS) - 1))
    for step, row in enumerate(sequence[:SHOWN_STEPS]):
        values = "  ".join(number(float(f"{value:.4g}")) for value in row[:SHOWN_FEATURES])
        line = f"{step:>{width}}:  {values}{'  …' if features > SHOWN_FEATURES else ''}"
        lines.append(line)
        spans.append((position, position + len(line)))
        position += len(line) + 1
    if steps > SHOWN_STEPS:
        lines.append(f"… {steps - SHOWN_STEPS:,} more steps, not shown here")
    return "\n".join(lines), spans


def _same_ids(ids: np.ndarray, source) -> bool:
    return isinstance(source, np.ndarray) and source.dtype.kind in "iu" and np.array_equal(ids, source)


def _utf16_offsets(text: str):
    """Map a code-point index (Python) to a UTF-16 position (Qt): characters beyond U+FFFF count twice."""
    if text.isascii() or all(ord(character) <= 0xFFFF for character in text):
        return lambda index: index
    before = np.concatenate([[0], np.cumsum(np.fromiter((ord(c) > 0xFFFF for c in text), bool, len(text)))])
    return lambda index: index + int(before[index])
