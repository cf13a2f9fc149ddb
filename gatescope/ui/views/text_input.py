"""The text box: type or paste; the text is re-run after a short pause; the current token is highlighted in it."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QPlainTextEdit, QTextEdit, QWidget

from gatescope.ui.session import SessionModel
from gatescope.ui.views.binding import connect_session, disconnect_session

DEBOUNCE_MS = 150
SESSION_SLOTS = (
    ("text_changed", "_on_text_changed"),
    ("step_changed", "_on_step_changed"),
    ("trace_changed", "_on_trace_changed"),
)


class TextInput(QPlainTextEdit):
    """A plain-text editor bound to ``session.text``: edits run the model after DEBOUNCE_MS of quiet."""

    status_message = Signal(str)

    def __init__(self, session: SessionModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.setPlaceholderText("Type or paste a sentence…")
        self.setTabChangesFocus(True)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.setMaximumBlockCount(0)
        self._debounce = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._debounce.timeout.connect(self.commit)
        self._utf16 = _utf16_offsets(session.text)
        self.setPlainText(session.text)
        self.textChanged.connect(self._debounce.start)
        self.textChanged.connect(self._forget_sync)
        self._in_sync: bool | None = None  # does the editor show session.text? None: not yet compared
        connect_session(self, session, SESSION_SLOTS)
        self._highlight_current()

    def commit(self) -> None:
        """Run the model on the editor's text now (normally after the debounce)."""
        self._debounce.stop()
        text = self.toPlainText()
        if text != self.session.requested_text:  # not what is shown, nor what is already running
            self.session.set_text(text)

    def _on_text_changed(self, text: str) -> None:
        self._in_sync = None
        if self._debounce.isActive():  # a run from the worker arrived while the user is still typing: keep the typing
            return
        if text != self.toPlainText():
            self.blockSignals(True)
            self.setPlainText(text)
            self.blockSignals(False)

    def _on_trace_changed(self, _trace) -> None:
        self._utf16 = _utf16_offsets(self.session.text)
        self._in_sync = None
        self._highlight_current()

    def _forget_sync(self) -> None:
        self._in_sync = None

    def _shows_session_text(self) -> bool:
        """Compared once per edit or new text, not per step: a long text costs a copy each time."""
        if self._in_sync is None:
            self._in_sync = self.toPlainText() == self.session.text
        return self._in_sync

    def _on_step_changed(self, _step: int) -> None:
        self._highlight_current()

    def _highlight_current(self) -> None:
        trace = self.session.trace
        if trace is None or not trace.spans or not self._shows_session_text():
            self.setExtraSelections([])
            return
        start, end = trace.spans[self.session.step]
        selection = QTextEdit.ExtraSelection()
        selection.cursor = QTextCursor(self.document())
        # Qt counts UTF-16 code units; Python counts code points.
        selection.cursor.setPosition(self._utf16(start))
        selection.cursor.setPosition(self._utf16(end), QTextCursor.MoveMode.KeepAnchor)
        text_format = QTextCharFormat()
        highlight = self.palette().highlight().color()
        text_format.setBackground(QColor(highlight.red(), highlight.green(), highlight.blue(), 110))
        text_format.setFontUnderline(True)
        selection.format = text_format
        self.setExtraSelections([selection])

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


def _utf16_offsets(text: str):
    """Map a code-point index (Python) to a UTF-16 position (Qt): characters beyond U+FFFF count twice."""
    if text.isascii() or all(ord(character) <= 0xFFFF for character in text):
        return lambda index: index
    before = np.concatenate([[0], np.cumsum(np.fromiter((ord(c) > 0xFFFF for c in text), bool, len(text)))])
    return lambda index: index + int(before[index])
