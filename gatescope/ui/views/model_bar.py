"""The model bar: which model (a picker), which layer, how units are ordered, and the model in one line.

Choosing a model only asks for it (``model_requested``, ``open_file_requested``): loading a file, and saying why it
could not be loaded, is the window's business, so the bar stays a view of the session.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

import gatescope
from gatescope.model.model import Model
from gatescope.model.zoo import models_dir
from gatescope.presentation.provenance import origin_line, origin_rows
from gatescope.ui.session import UNIT_ORDERS, SessionModel

OPEN_FILE = "Open model file…"


def model_key(model: Model) -> str:
    """What asks for this model again: a built-in model's name, or the path of the file it was opened from."""
    if model.source is not None and model.source.parent != models_dir():
        return str(model.source)
    return model.name


def model_title(model: Model) -> str:
    """How the model is named to people: a built-in model's name, or its file's name."""
    if model.source is not None and model.source.parent != models_dir():
        return model.source.name
    return model.name


class ModelPicker(QComboBox):
    """The built-in models (descriptions as tooltips), the session's model when it is not one of them, and, if
    ``offer_files``, an entry that asks for a model file. Each model's item carries its key as data (a built-in
    model's name, a file's path): what an item says is for people, what it asks for is read from the data."""

    model_requested = Signal(str)  # a built-in model's name or a model file's path
    open_file_requested = Signal()

    def __init__(self, session: SessionModel, parent: QWidget | None = None, offer_files: bool = True) -> None:
        super().__init__(parent)
        self.session = session
        self._offer_files = offer_files
        for name, description in gatescope.list_models():
            self.addItem(name, name)
            self.setItemData(self.count() - 1, description, Qt.ItemDataRole.ToolTipRole)
        if offer_files:
            self.insertSeparator(self.count())
            self.addItem(OPEN_FILE)  # no data: not a model
        self._on_model_changed(session.model)
        self.activated.connect(self._on_activated)
        session.model_changed.connect(self._on_model_changed)

    def _on_model_changed(self, model: Model) -> None:
        key = model_key(model)
        if self.findData(key) < 0:
            models = self.count() - 2 if self._offer_files else self.count()  # before the separator
            self.insertItem(models, model_title(model), key)
            self.setItemData(models, key if key != model.name else model.description, Qt.ItemDataRole.ToolTipRole)
        self.setCurrentIndex(self.findData(key))

    def _on_activated(self, index: int) -> None:
        key = self.itemData(index)
        self.setCurrentIndex(self.findData(model_key(self.session.model)))  # until the session really changes model
        if key is None:
            if self._offer_files:
                self.open_file_requested.emit()
        elif key != model_key(self.session.model):
            self.model_requested.emit(key)


class ModelBar(QWidget):
    """Model picker, layer picker (stacked models only), unit order, and the model's one-line summary; under them,
    for a model imported from another framework's file, where it came from."""

    status_message = Signal(str)

    def __init__(self, session: SessionModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.picker = ModelPicker(session, self)
        self.layer_box = QComboBox(self)
        self.order_box = QComboBox(self)
        self.order_box.addItems([f"units by {order}" for order in UNIT_ORDERS])
        self.summary = QLabel(self)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.origin = QLabel(self)
        self.origin.setObjectName("model-origin")
        self.origin.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.origin.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        layout = QHBoxLayout()
        column.addLayout(layout)
        column.addWidget(self.origin)
        layout.addWidget(QLabel("Model", self))
        layout.addWidget(self.picker)
        layout.addWidget(self.layer_box)
        layout.addWidget(self.order_box)
        layout.addWidget(self.summary, stretch=1)
        self.layer_box.activated.connect(self._on_layer_chosen)
        self.order_box.activated.connect(lambda index: session.set_unit_order(UNIT_ORDERS[index]))
        session.model_changed.connect(self._on_model_changed)
        session.trace_changed.connect(lambda _trace: self.layer_box.setCurrentIndex(session.layer))
        session.layer_changed.connect(self.layer_box.setCurrentIndex)
        session.unit_order_changed.connect(lambda order: self.order_box.setCurrentIndex(UNIT_ORDERS.index(order)))
        self._on_model_changed(session.model)
        self.order_box.setCurrentIndex(UNIT_ORDERS.index(session.unit_order))

    def _on_model_changed(self, model: Model) -> None:
        self.summary.setText(model.summary())
        self.summary.setToolTip(model.description or model.summary())
        origin = origin_line(model)  # an imported model: its file, its format, what was assumed
        self.origin.setText(origin)
        self.origin.setToolTip("\n".join(f"{what}: {value}" for what, value in origin_rows(model)))
        self.origin.setVisible(bool(origin))
        self.layer_box.clear()
        for index, layer in enumerate(model.layers):
            direction = ", both directions" if layer.bidirectional else ", right to left" if layer.reverse else ""
            self.layer_box.addItem(f"layer {index}: {layer.kind.upper()} ×{layer.hidden_size}{direction}")
        self.layer_box.setVisible(len(model.layers) > 1)

    def _on_layer_chosen(self, index: int) -> None:
        if index >= 0:
            self.session.set_layer(index)
