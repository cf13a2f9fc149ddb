"""File → Export animation… and File → Export trace…: choose, watch the progress, cancel — nothing half-written.

The animation goes through :func:`gatescope.export.animation.export_animation`, the same code `gatescope export`
runs, on a fresh offscreen copy of the chosen view; so the app and the command line make the same frames.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressDialog,
    QPushButton,
    QSpinBox,
    QWidget,
)

from gatescope._paths import user_path
from gatescope.engine.phases import PHASES
from gatescope.errors import GatescopeError
from gatescope.export.animation import ExportCancelled, export_animation
from gatescope.export.settings import AnimationSettings, frame_count
from gatescope.export.trace_data import DATA_FORMATS, write_trace
from gatescope.ui.registry import EXPORT_VIEWS
from gatescope.ui.session import SessionModel

FORMAT_CHOICES = (
    ("gif", "Animated GIF (.gif)", ".gif"),
    ("mp4", "MP4 video, H.264 (.mp4)", ".mp4"),
    ("png", "PNG frames (a folder)", ""),
    ("svg", "SVG frames (a folder)", ""),
)
SCALES = (1.0, 1.5, 2.0, 3.0)


class ExportAnimationDialog(QDialog):
    """The export settings; ``settings()`` and ``out_path()`` read them back."""

    def __init__(
        self,
        session: SessionModel,
        qsettings: QSettings | None = None,
        parent: QWidget | None = None,
        view: str = "window",
        by: str = "token",
    ):
        super().__init__(parent)
        self.setWindowTitle("Export animation")
        self.session = session
        self.qsettings = qsettings
        self._defaults = {"view": view, "by": by}  # what the app shows now, until the user has exported once
        steps = max(1, session.steps)
        self.view_box = QComboBox(self)
        for key, title in EXPORT_VIEWS.items():
            self.view_box.addItem(title, key)
        self.range_box = QComboBox(self)
        self.range_box.addItems(["all tokens", "a range"])
        self.first_box, self.last_box = QSpinBox(self), QSpinBox(self)
        for box in (self.first_box, self.last_box):
            box.setRange(1, steps)
        self.last_box.setValue(steps)
        self.by_box = QComboBox(self)
        self.by_box.addItem("by token", "token")
        self.by_box.addItem("by phase (the cell's steps, one after another)", "phase")
        self.tween_box = QSpinBox(self)
        self.tween_box.setRange(0, 240)
        self.tween_box.setToolTip("In-between frames per token or phase: values glide (by token) or travel (by phase)")
        self.fps_box = QDoubleSpinBox(self)
        self.fps_box.setRange(0.1, 120.0)
        self.fps_box.setDecimals(1)
        self.width_box, self.height_box = QSpinBox(self), QSpinBox(self)
        self.width_box.setRange(160, 8000)
        self.height_box.setRange(120, 8000)
        self.scale_box = QComboBox(self)
        for scale in SCALES:
            self.scale_box.addItem(f"{scale:g}×", scale)
        self.format_box = QComboBox(self)
        for key, title, _suffix in FORMAT_CHOICES:
            self.format_box.addItem(title, key)
        self.path_edit = QLineEdit(self)
        self.path_edit.setPlaceholderText("where to write it")
        browse = QPushButton("Choose…", self)
        browse.clicked.connect(self._choose_path)
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)

        tokens = QHBoxLayout()
        tokens.addWidget(self.range_box)
        tokens.addWidget(QLabel("from", self))
        tokens.addWidget(self.first_box)
        tokens.addWidget(QLabel("to", self))
        tokens.addWidget(self.last_box)
        size = QHBoxLayout()
        size.addWidget(self.width_box)
        size.addWidget(QLabel("×", self))
        size.addWidget(self.height_box)
        size.addWidget(QLabel("px, scale", self))
        size.addWidget(self.scale_box)
        path = QHBoxLayout()
        path.addWidget(self.path_edit, 1)
        path.addWidget(browse)
        form = QFormLayout(self)
        form.addRow("What", self.view_box)
        form.addRow("Tokens", tokens)
        form.addRow("Steps", self.by_box)
        form.addRow("Tween frames", self.tween_box)
        form.addRow("Frames per second", self.fps_box)
        form.addRow("Size", size)
        form.addRow("Format", self.format_box)
        form.addRow("Save to", path)
        form.addRow(self.summary)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.export_button = buttons.addButton("Export", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self._restore()
        for signal in (
            self.view_box.currentIndexChanged,
            self.range_box.currentIndexChanged,
            self.first_box.valueChanged,
            self.last_box.valueChanged,
            self.by_box.currentIndexChanged,
            self.tween_box.valueChanged,
            self.fps_box.valueChanged,
            self.width_box.valueChanged,
            self.height_box.valueChanged,
            self.scale_box.currentIndexChanged,
            self.format_box.currentIndexChanged,
            self.path_edit.textChanged,
        ):
            signal.connect(self._update_summary)
        self.format_box.currentIndexChanged.connect(self._fix_suffix)
        self._update_summary()

    # --- reading the choices ----------------------------------------------------------------------------------------
    def settings(self) -> AnimationSettings:
        session = self.session
        ranged = self.range_box.currentIndex() == 1
        return AnimationSettings(
            view=self.view_box.currentData(),
            by=self.by_box.currentData(),
            tween=self.tween_box.value(),
            fps=self.fps_box.value(),
            size=(self.width_box.value(), self.height_box.value()),
            scale=float(self.scale_box.currentData()),
            first=self.first_box.value() - 1 if ranged else 0,
            last=self.last_box.value() - 1 if ranged else None,
            format=self.format_box.currentData(),
            layer=session.layer,
            unit=session.unit,
            unit_order=session.unit_order,
            colour_scheme=session.colour_scheme,
        )

    def out_path(self) -> Path | None:
        """The path typed, ``~`` expanded; None when there is none or it names an unknown user (the summary says so)."""
        try:
            return self._typed_path()
        except GatescopeError:
            return None

    def _typed_path(self) -> Path | None:
        text = self.path_edit.text().strip()
        return user_path(text) if text else None

    def _update_summary(self, *_args) -> None:
        self.first_box.setEnabled(self.range_box.currentIndex() == 1)
        self.last_box.setEnabled(self.range_box.currentIndex() == 1)
        layer = self.session.layer_trace
        try:
            settings = self.settings().checked(self.session.steps, len(self.session.model.layers), self.session.units)
            self._typed_path()  # a path naming an unknown user: the summary says so
        except GatescopeError as error:
            self.summary.setText(f"⚠ {error}")
            self.export_button.setEnabled(False)
            return
        kind = layer.kind if layer is not None else "rnn"
        frames = frame_count(settings, kind)
        width, height = settings.pixel_size
        phases = f" × {len(PHASES[kind])} phases" if settings.by == "phase" else ""
        self.summary.setText(
            f"{frames:,} frames ({settings.last - settings.first + 1} tokens{phases} × "
            f"{settings.tween + 1}) of {width}×{height} px, {frames / settings.fps:.1f} s at "
            f"{settings.fps:g} frames/s"
        )
        self.export_button.setEnabled(self.out_path() is not None)

    def _suffix(self) -> str:
        return FORMAT_CHOICES[self.format_box.currentIndex()][2]

    def _fix_suffix(self) -> None:
        path = self.out_path()
        if path is None:
            return
        stem = path.with_suffix("") if path.suffix.lower() in (".gif", ".mp4") else path
        self.path_edit.setText(str(stem) + self._suffix())

    def _choose_path(self) -> None:
        start = str(self.out_path() or Path.home() / f"gatescope{self._suffix()}")
        if self._suffix():
            path, _ = QFileDialog.getSaveFileName(self, "Export animation to", start, f"*{self._suffix()}")
        else:
            path, _ = QFileDialog.getSaveFileName(
                self,
                "Export frames to a new folder",
                start.rstrip("/"),
                options=QFileDialog.Option.DontConfirmOverwrite,
            )
        if path:
            self.path_edit.setText(path)

    # --- remembered settings ------------------------------------------------------------------------------------------
    def _restore(self) -> None:
        q = self.qsettings

        def value(key, default, kind):
            return q.value(f"export/{key}", default, type=kind) if q is not None else default

        def pick(box: QComboBox, data) -> None:
            index = box.findData(data)
            box.setCurrentIndex(max(0, index))

        pick(self.view_box, value("view", self._defaults["view"], str))
        pick(self.by_box, value("by", self._defaults["by"], str))
        self.tween_box.setValue(value("tween", 0, int))
        self.fps_box.setValue(value("fps", 4.0, float))
        self.width_box.setValue(value("width", 1280, int))
        self.height_box.setValue(value("height", 720, int))
        pick(self.scale_box, value("scale", 1.0, float))
        pick(self.format_box, value("format", "gif", str))
        folder = value("folder", str(Path.home()), str)
        self.path_edit.setText(str(Path(folder) / f"gatescope{self._suffix() or '-frames'}"))

    def remember(self) -> None:
        q = self.qsettings
        if q is None:
            return
        settings = self.settings()
        for key, value in (
            ("view", settings.view),
            ("by", settings.by),
            ("tween", settings.tween),
            ("fps", settings.fps),
            ("width", settings.size[0]),
            ("height", settings.size[1]),
            ("scale", settings.scale),
            ("format", settings.format),
        ):
            q.setValue(f"export/{key}", value)
        if self.out_path() is not None:
            q.setValue("export/folder", str(self.out_path().parent))


def run_animation_export(
    parent: QWidget, session: SessionModel, settings: AnimationSettings, out: Path, force: bool = False
) -> list[Path] | None:
    """Export with a progress dialog (estimate, Cancel). Returns the written paths; None when cancelled or failed
    (a dialog says why; nothing is left behind)."""
    progress = QProgressDialog("Preparing…", "Cancel", 0, 100, parent)
    progress.setWindowTitle("Exporting animation")
    progress.setWindowModality(Qt.WindowModality.WindowModal)
    progress.setMinimumDuration(0)
    progress.setValue(0)

    def report(done: int, total: int, seconds_left: float) -> bool:
        progress.setMaximum(total)
        progress.setValue(done)
        progress.setLabelText(f"Frame {done:,} of {total:,} — about {seconds_left:.0f} s left")
        return not progress.wasCanceled()

    try:
        return export_animation(session.model, session.source, settings, out, force=force, progress=report)
    except ExportCancelled:
        return None
    except GatescopeError as error:
        QMessageBox.warning(parent, "Cannot export the animation", f"{error}\n\nNothing was written.")
        return None
    finally:
        progress.close()
        progress.deleteLater()


def export_animation_interactive(
    parent: QWidget, session: SessionModel, qsettings: QSettings | None, view: str = "window", by: str = "token"
):
    """The whole File → Export animation… flow; returns the written paths or None."""
    dialog = ExportAnimationDialog(session, qsettings, parent, view=view, by=by)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    dialog.remember()
    out = dialog.out_path()
    if out is None:
        return None
    force = False
    if os.path.lexists(out):  # False for a name the file system refuses: the export then says why
        answer = QMessageBox.question(parent, "Replace it?", f"{out} already exists. Replace it?")
        if answer != QMessageBox.StandardButton.Yes:
            return None
        force = True
    return run_animation_export(parent, session, dialog.settings(), out, force)


TRACE_FILTERS = {"csv": "Tidy CSV (*.csv)", "npz": "NumPy arrays (*.npz)", "json": "JSON (*.json)"}


def export_trace_interactive(parent: QWidget, session: SessionModel, qsettings: QSettings | None) -> Path | None:
    """File → Export trace…: tidy CSV, NPZ or JSON of every gate, state and output; written atomically."""
    if session.trace is None:
        return None
    folder = qsettings.value("export/trace_folder", str(Path.home()), type=str) if qsettings else str(Path.home())
    chosen = qsettings.value("export/trace_format", "csv", type=str) if qsettings else "csv"
    filters = ";;".join(TRACE_FILTERS.values())
    path, selected = QFileDialog.getSaveFileName(
        parent, "Export trace", str(Path(folder) / f"trace.{chosen}"), filters, TRACE_FILTERS.get(chosen, "")
    )
    if not path:
        return None
    return save_trace(parent, session, Path(path), selected, qsettings)


def save_trace(
    parent: QWidget, session: SessionModel, path: Path, selected_filter: str = "", qsettings: QSettings | None = None
) -> Path | None:
    """Write the session's trace to ``path`` (format from the suffix, else the chosen filter)."""
    format = path.suffix.lower().lstrip(".")
    if format not in DATA_FORMATS:
        format = next((key for key, name in TRACE_FILTERS.items() if name == selected_filter), "csv")
        path = path.with_name(path.name + f".{format}")
    try:
        write_trace(session.trace, path, format, None, session.model.name)
    except (GatescopeError, OSError) as error:
        QMessageBox.warning(parent, "Cannot export the trace", f"{path}: {error}\n\nNothing was written.")
        return None
    if qsettings is not None:
        qsettings.setValue("export/trace_folder", str(path.parent))
        qsettings.setValue("export/trace_format", format)
    return path
