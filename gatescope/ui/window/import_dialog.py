"""The import dialog: what a model file from another framework cannot say — a vocabulary (so that a model with an
embedding reads text), names for the head's outputs and the head's activation — asked for once, with what the file
does say on top. "Open without" opens the model as the file alone describes it.

The dialog loads the model itself (through the ``load`` it is given, ``gatescope.load_model(path, vocab=..., ...)``
in the app): a problem with the answers — a vocabulary that does not fit, three labels for two outputs — shows in
the dialog, which stays open to fix it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from gatescope.errors import GatescopeError
from gatescope.model.model import Model
from gatescope.presentation.provenance import HEAD_NAMES
from gatescope.ui.views.text_input import problem_colour
from gatescope.ui.window.file_memory import ImportChoices

HEAD_CHOICES = ("softmax", "sigmoid", "none")
VOCABULARY_FILTER = "Vocabularies (*.json *.txt *.vocab);;All files (*)"
ASSUMED = "assumed: the file does not say"


def asks_anything(model: Model) -> bool:
    """True when the dialog has something to ask: a vocabulary (the model has an embedding) or the head's labels and
    activation (it has a head)."""
    return model.embedding is not None or model.head is not None


class ImportDialog(QDialog):
    """Vocabulary, labels and head activation for ``model`` (as read from ``path``); after ``exec()`` returns
    Accepted, ``model`` is the loaded model and ``chosen`` the answers to remember."""

    def __init__(
        self,
        model: Model,
        path: Path,
        choices: ImportChoices,
        load: Callable[[ImportChoices], Model],
        parent: QWidget | None = None,
        problem: str = "",
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Open {path.name}")
        self.file_model = model
        self.path = path
        self.model: Model | None = None
        self.chosen: ImportChoices | None = None
        self._load = load
        layout = QVBoxLayout(self)
        layout.addWidget(self._summary(model, path))
        rule = QFrame(self)
        rule.setFrameShape(QFrame.Shape.HLine)
        rule.setFrameShadow(QFrame.Shadow.Sunken)
        layout.addWidget(rule)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        form.addRow("Vocabulary", self._with_note(self._vocabulary_row(model, choices), self._vocabulary_note(model)))
        self.labels = QLineEdit(self)
        self.head = QComboBox(self)
        self.head.addItems(HEAD_CHOICES)
        self.head_note = self._note("")
        self.head_assumed = False
        self._fill_head(model, choices)
        form.addRow("Labels", self.labels)
        head_row = QHBoxLayout()
        head_row.addWidget(self.head)
        head_row.addWidget(self.head_note, stretch=1)
        form.addRow("Head activation", head_row)
        layout.addLayout(form)
        self.problem = QLabel(self)
        self.problem.setObjectName("import-problem")
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet(f"color: {problem_colour(self.palette()).name()};")
        self.problem.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.show_problem(problem)
        layout.addWidget(self.problem)
        layout.addStretch(1)
        buttons = QDialogButtonBox(self)
        self.open_button = buttons.addButton("Open", QDialogButtonBox.ButtonRole.AcceptRole)
        self.open_without_button = buttons.addButton("Open without", QDialogButtonBox.ButtonRole.ActionRole)
        self.open_without_button.setToolTip("Open the model as the file describes it, without these answers")
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.open_button.setDefault(True)
        self.open_button.clicked.connect(self.open_with_answers)
        self.open_without_button.clicked.connect(self.open_without)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(620, self.sizeHint().height())

    # --- parts -----------------------------------------------------------------------------------------------------
    def _with_note(self, field: QWidget, text: str) -> QWidget:
        """``field`` with an explanation under it, as wide as the field."""
        column = QWidget(self)
        layout = QVBoxLayout(column)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(field)
        layout.addWidget(self._note(text))
        return column

    def _note(self, text: str) -> QLabel:
        note = QLabel(text, self)
        note.setWordWrap(True)
        note.setEnabled(False)  # greyed: an explanation, not a value
        return note

    def _summary(self, model: Model, path: Path) -> QLabel:
        provenance = model.provenance
        lines = [f"<b>{_escape(path.name)}</b> — {_escape(str(provenance.get('format') or 'gatescope model'))}"]
        if provenance.get("architecture"):
            lines.append(_escape(str(provenance["architecture"])))
        lines.append(_escape(model.summary()))
        summary = QLabel("<br>".join(lines), self)
        summary.setWordWrap(True)
        summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        return summary

    def _vocabulary_row(self, model: Model, choices: ImportChoices) -> QWidget:
        row = QWidget(self)
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        self.vocab = QLineEdit(choices.vocab, row)
        self.vocab_button = QPushButton("Browse…", row)
        self.vocab_button.clicked.connect(self.browse_vocabulary)
        layout.addWidget(self.vocab, stretch=1)
        layout.addWidget(self.vocab_button)
        if model.embedding is None:
            self.vocab.setPlaceholderText("does not apply")
        elif model.vocabulary is not None:
            self.vocab.setPlaceholderText(f"the file's own ({len(model.vocabulary):,} tokens)")
        else:
            self.vocab.setPlaceholderText("none: the model reads token ids")
        for widget in (self.vocab, self.vocab_button):
            widget.setEnabled(model.embedding is not None)
        return row

    @staticmethod
    def _vocabulary_note(model: Model) -> str:
        if model.embedding is None:
            return "No embedding: this model reads numbers, one row of features a step (open a CSV or .npy input)."
        rows = int(model.embedding.shape[0])
        if model.vocabulary is not None:
            return (
                f"The file holds the model's vocabulary ({rows:,} tokens). Give another only to replace it: a JSON "
                f"object token → id, a JSON list, or one token per line."
            )
        return (
            f"The embedding has {rows:,} rows (ids 0 to {rows - 1:,}). A JSON object token → id, a JSON list, or one "
            f"token per line lets the model read text; without one, type token ids."
        )

    def _fill_head(self, model: Model, choices: ImportChoices) -> None:
        head = model.head
        if head is None:
            self.labels.setPlaceholderText("does not apply: no output layer")
            for widget in (self.labels, self.head):
                widget.setEnabled(False)
            self.head_note.setText("The model has no output layer (head).")
            return
        self.labels.setText(choices.labels or (", ".join(head.labels) if head.labels else ""))
        self.labels.setPlaceholderText(f"{head.outputs} names separated by commas, e.g. negative, positive")
        self.head.setCurrentText(choices.head or HEAD_NAMES[head.activation])
        outputs = f"{head.outputs} output{'s' if head.outputs != 1 else ''}"
        self.head_assumed = bool(model.provenance.get("head_assumed"))  # the file does not say it
        if self.head_assumed and not choices.head:
            self.head_note.setText(f"{outputs}; {ASSUMED}")
            self.head_note.setEnabled(True)  # not greyed: worth a look
        elif self.head_assumed:
            self.head_note.setText(f"{outputs}; the file does not say: your choice last time")
        else:
            self.head_note.setText(f"{outputs}; as the file says")

    # --- actions ---------------------------------------------------------------------------------------------------
    def choices(self) -> ImportChoices:
        """The answers as they stand in the dialog: what differs from the file, and the head's activation when the
        file does not say it (opening with it shown confirms it)."""
        head = self.file_model.head
        if head is None:
            return ImportChoices(vocab=self._vocabulary())
        labels = ", ".join(parts for parts in (part.strip() for part in self.labels.text().split(",")) if parts)
        own_labels = ", ".join(head.labels) if head.labels else ""
        activation = self.head.currentText()
        own_activation = HEAD_NAMES[head.activation]
        return ImportChoices(
            vocab=self._vocabulary(),
            labels=self.labels.text().strip() if labels != own_labels else "",
            head=activation if activation != own_activation or self.head_assumed else "",
        )

    def _vocabulary(self) -> str:
        return self.vocab.text().strip() if self.file_model.embedding is not None else ""

    def browse_vocabulary(self) -> None:
        folder = str(Path(self.vocab.text()).parent) if self.vocab.text() else str(self.path.parent)
        path, _ = QFileDialog.getOpenFileName(self, "Vocabulary", folder, VOCABULARY_FILTER)
        if path:
            self.vocab.setText(path)

    def show_problem(self, message: str) -> None:
        self.problem.setText(f"⚠ {message}" if message else "")
        self.problem.setVisible(bool(message))

    def open_with_answers(self) -> None:
        """Load the model with the answers; a problem stays in the dialog to be fixed."""
        choices = self.choices()
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            model = self._load(choices)
        except GatescopeError as error:
            self.show_problem(str(error))
            return
        finally:
            QGuiApplication.restoreOverrideCursor()
        self.model, self.chosen = model, choices
        self.accept()

    def open_without(self) -> None:
        self.model, self.chosen = self.file_model, ImportChoices()
        self.accept()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
