"""Animation export: drive the app's own views offscreen, frame by frame, into a streaming writer.

The app's File → Export animation and ``gatescope export`` both call :func:`export_animation`, which builds a fresh
stage (a session and the chosen view, never shown on screen) from the same settings, so both produce the same frames.

Frames: for every token in the range, by token: ``tween + 1`` frames that glide from the previous token's values to
this token's (the first token of the range holds still); by phase: for every phase of the cell, ``tween + 1`` frames
in which that phase's values travel along the cell diagram's wires and arrive. So

    frames = tokens × (phases per token, when by phase) × (tween + 1).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPoint, QRect, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QApplication, QWidget

from gatescope.engine.phases import PHASES
from gatescope.errors import GatescopeError
from gatescope.export.writers import FORMATS, open_writer
from gatescope.model.model import Model
from gatescope.ui.views.cell_diagram import CellDiagram

VIEWS = ("window", "cell", "heatmaps", "step")
BY = ("token", "phase")


@dataclass(frozen=True)
class AnimationSettings:
    """What to export and how; validated by :meth:`checked` (GatescopeError names the setting)."""

    view: str = "window"
    by: str = "token"
    tween: int = 0
    fps: float = 4.0
    size: tuple[int, int] = (1280, 720)
    scale: float = 1.0
    first: int = 0
    last: int | None = None  # inclusive; None = the last token
    format: str = "gif"
    layer: int = 0
    unit: int = 0
    unit_order: str = "index"
    colour_scheme: str = ""

    def checked(self, steps: int, layers: int = 1) -> AnimationSettings:
        """These settings with ``last`` filled in, or a GatescopeError naming what is wrong."""
        if self.view not in VIEWS:
            raise GatescopeError(f"--view {self.view!r}: choose one of {', '.join(VIEWS)}")
        if self.by not in BY:
            raise GatescopeError(f"--by {self.by!r}: choose token or phase")
        if self.format not in FORMATS:
            raise GatescopeError(f"--format {self.format!r}: animation formats are {', '.join(FORMATS)}")
        if not 0 <= self.tween <= 240:
            raise GatescopeError(f"--tween {self.tween}: give 0 (no in-between frames) to 240")
        if not 0.1 <= self.fps <= 120:
            raise GatescopeError(f"--fps {self.fps:g}: give 0.1 to 120 frames per second")
        if not 0.25 <= self.scale <= 4:
            raise GatescopeError(f"--scale {self.scale:g}: give 0.25 to 4 (2 = twice the pixels, for slides)")
        width, height = self.size
        if not (160 <= width <= 8000 and 120 <= height <= 8000):
            raise GatescopeError(f"--size {width}x{height}: width 160..8000 and height 120..8000 pixels")
        last = steps - 1 if self.last is None else self.last
        if not 0 <= self.first < steps:
            raise GatescopeError(f"--from {self.first}: the text has tokens 0 to {steps - 1}")
        if not self.first <= last < steps:
            raise GatescopeError(f"--to {last}: give a token from {self.first} to {steps - 1}")
        if not 0 <= self.layer < layers:
            raise GatescopeError(f"layer {self.layer}: the model has layers 0 to {layers - 1}")
        return replace(self, last=last)

    @property
    def pixel_size(self) -> tuple[int, int]:
        """(width, height) of each frame in pixels: the view's size times the scale."""
        return round(self.size[0] * self.scale), round(self.size[1] * self.scale)


@dataclass(frozen=True)
class Frame:
    """The state one frame shows."""

    step: int
    phase: int
    position: float  # the (possibly fractional) token position values are shown at
    progress: float  # 0..1 of the phase's values travelling


def frame_plan(settings: AnimationSettings, kind: str) -> list[Frame]:
    """Every frame of an export, in order (``settings`` already checked)."""
    last_phase = len(PHASES[kind]) - 1
    count = settings.tween + 1
    frames = []
    for step in range(settings.first, settings.last + 1):
        if settings.by == "phase":
            for phase in range(last_phase + 1):
                frames += [Frame(step, phase, float(step), (k + 1) / count) for k in range(count)]
        else:
            start = step - 1 if step > settings.first else step
            frames += [Frame(step, last_phase, start + (step - start) * (k + 1) / count, 1.0) for k in range(count)]
    return frames


def frame_count(settings: AnimationSettings, kind: str) -> int:
    """tokens × (phases per token, when by phase) × (tween + 1)."""
    tokens = settings.last - settings.first + 1
    phases = len(PHASES[kind]) if settings.by == "phase" else 1
    return tokens * phases * (settings.tween + 1)


class Stage:
    """A session and one view, laid out offscreen at the export size; renders any frame of the plan."""

    def __init__(self, model: Model, text: str, settings: AnimationSettings) -> None:
        from gatescope.ui.session import SessionModel

        self.app = QApplication.instance()
        if self.app is None:
            raise GatescopeError("exporting needs a QApplication (gatescope export makes one itself)")
        self.session = SessionModel(model)
        errors: list[str] = []
        self.session.error_raised.connect(errors.append)
        if not self.session.set_text(text):
            raise GatescopeError(errors[0] if errors else "this model could not read the text")
        session = self.session
        self.settings = settings = settings.checked(session.steps, len(session.trace.layers))
        if settings.colour_scheme:
            session.set_colour_scheme(settings.colour_scheme)
        session.set_layer(settings.layer)
        session.set_unit_order(settings.unit_order)
        session.set_unit(min(max(settings.unit, 0), session.units - 1))
        self.widget = self._make_view(settings.view)
        self.widget.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen)
        self.widget.resize(QSize(*settings.size))
        self.widget.show()
        for _ in range(2):
            self.app.processEvents()
        # Cell diagrams refresh from a zero timer in the app; a frame must never depend on when that fires.
        self._diagrams = [
            view for view in (self.widget, *self.widget.findChildren(CellDiagram)) if isinstance(view, CellDiagram)
        ]

    def _make_view(self, view: str) -> QWidget:
        session = self.session
        if view == "window":
            from gatescope.ui.main_window import MainWindow

            window = MainWindow(session, settings=None, own_theme=False)
            window.tweener.set_duration_ms(0)
            window.phase_tweener.set_duration_ms(0)
            window.show_central_view("cell" if self.settings.by == "phase" else "heatmaps")
            return window
        if view == "cell":
            return CellDiagram(session)
        if view == "heatmaps":
            from gatescope.ui.views.heatmaps import HeatmapPanel

            return HeatmapPanel(session)
        from gatescope.ui.views.step_panel import StepPanel

        return StepPanel(session)

    @property
    def kind(self) -> str:
        return self.session.layer_trace.kind

    def show(self, frame: Frame) -> None:
        """Put the session in the frame's state and let the view update."""
        session = self.session
        session.set_step(frame.step, phase=frame.phase)
        session.set_position(frame.position)
        session.set_phase_progress(frame.progress)
        self.app.processEvents()
        for diagram in self._diagrams:
            if diagram.isVisible():
                diagram.refresh()

    def image(self) -> QImage:
        """The view as it looks now, at the export scale."""
        width, height = self.settings.pixel_size
        image = QImage(width, height, QImage.Format.Format_RGB888)
        image.setDevicePixelRatio(self.settings.scale)
        image.fill(self.widget.palette().window().color())
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.widget.render(painter, QPoint(0, 0))
        painter.end()
        return image

    def rgb(self) -> np.ndarray:
        """(height, width, 3) uint8 RGB of the view now."""
        image = self.image()
        data = np.frombuffer(image.constBits(), np.uint8, image.sizeInBytes())
        width, height = self.settings.pixel_size
        return data.reshape(height, image.bytesPerLine())[:, : width * 3].reshape(height, width, 3).copy()

    def svg(self) -> bytes:
        """The view as an SVG document (vector shapes and text; pixel images stay embedded images)."""
        from PySide6.QtSvg import QSvgGenerator

        width, height = self.settings.size
        data = QByteArray()
        buffer = QBuffer(data)
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        generator = QSvgGenerator()
        generator.setOutputDevice(buffer)
        generator.setSize(QSize(width, height))
        generator.setViewBox(QRect(0, 0, width, height))
        generator.setTitle("gatescope")
        painter = QPainter(generator)
        painter.fillRect(QRect(0, 0, width, height), QColor(self.widget.palette().window().color()))
        self.widget.render(painter, QPoint(0, 0))
        painter.end()
        buffer.close()
        return bytes(data.data())

    def close(self) -> None:
        self.widget.close()
        self.widget.deleteLater()
        self.app.processEvents()


Progress = Callable[[int, int, float], bool]  # (frames done, total, seconds left) -> keep going?


def export_animation(
    model: Model,
    text: str,
    settings: AnimationSettings,
    out: Path,
    force: bool = False,
    progress: Progress | None = None,
) -> list[Path]:
    """Render every frame of ``settings`` into ``out``; returns the written path(s).

    Cancelling (``progress`` returns False) or any failure leaves nothing behind: frames stream to a temporary file
    or folder that is renamed into place only when the last frame is in.
    """
    stage = Stage(model, text, settings)
    try:
        settings = stage.settings
        plan = frame_plan(settings, stage.kind)
        writer = open_writer(settings.format, Path(out), fps=settings.fps, size=settings.pixel_size, force=force)
        with writer:
            started = time.perf_counter()
            for number, frame in enumerate(plan, start=1):
                stage.show(frame)
                writer.write(stage.svg() if settings.format == "svg" else stage.rgb())
                if progress is not None:
                    elapsed = time.perf_counter() - started
                    left = elapsed / number * (len(plan) - number)
                    if not progress(number, len(plan), left):
                        writer.abort()
                        raise ExportCancelled(f"{out}: export cancelled; nothing was written")
            return writer.close()
    finally:
        stage.close()


class ExportCancelled(GatescopeError):
    """The user cancelled; nothing was written."""
