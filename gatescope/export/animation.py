"""Animation export: drive the app's own views offscreen, frame by frame, into a streaming writer.

The app's File → Export animation and ``gatescope export`` both call :func:`export_animation`, which films a fresh
session offscreen — the whole stage, or one view from the registry — from the same settings, so both produce the same
frames. What the frames are is planned in :mod:`gatescope.export.settings`; how a widget becomes pixels is
:mod:`gatescope.export.render`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QApplication, QWidget

from gatescope.errors import GatescopeError
from gatescope.export.render import render_image, render_svg, rgb
from gatescope.export.settings import AnimationSettings, Frame, frame_plan
from gatescope.export.writers import ExportCancelled, open_writer
from gatescope.model.model import Model
from gatescope.ui.registry import WHOLE_STAGE, view_entry
from gatescope.ui.session import SessionModel
from gatescope.ui.stage import Settles, Stage


class FrameRenderer:
    """A fresh session and the chosen view (or the whole stage), laid out offscreen at the export size; renders any
    frame of the plan."""

    def __init__(self, model: Model, text: str | np.ndarray, settings: AnimationSettings) -> None:
        self.app = QApplication.instance()
        if self.app is None:
            raise GatescopeError("exporting needs a QApplication (gatescope export makes one itself)")
        self.session = SessionModel(model, worker_threshold_s=None)  # every frame needs the trace: run here
        errors: list[str] = []
        self.session.error_raised.connect(errors.append)
        if not self.session.set_source(text):
            raise GatescopeError(errors[0] if errors else "this model could not read the text")
        session = self.session
        self.settings = settings = settings.checked(session.steps, len(session.trace.layers), session.units)
        if settings.colour_scheme:
            session.set_colour_scheme(settings.colour_scheme)
        session.set_layer(settings.layer)
        session.set_unit_order(settings.unit_order)
        session.set_unit(settings.unit)
        self.widget = self._make_view(settings.view)
        self.widget.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen)
        self.widget.resize(QSize(*settings.size))
        self.widget.show()
        for _ in range(2):
            self.app.processEvents()

    def _make_view(self, view: str) -> QWidget:
        if view == WHOLE_STAGE:
            stage = Stage(self.session)
            stage.stop_animating()  # every frame sets its position and phase progress; nothing may move on its own
            stage.show_central_view("cell" if self.settings.by == "phase" else "heatmaps")
            return stage
        return view_entry(view).view_class()(self.session, None)

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
        if isinstance(self.widget, Settles):
            self.widget.settle()

    def rgb(self) -> np.ndarray:
        """(height, width, 3) uint8 RGB of the view now, at the export scale."""
        return rgb(render_image(self.widget, self.settings.size, self.settings.scale))

    def svg(self) -> bytes:
        """The view now as an SVG document."""
        return render_svg(self.widget, self.settings.size)

    def close(self) -> None:
        self.widget.close()
        self.widget.deleteLater()
        self.app.processEvents()


Progress = Callable[[int, int, float], bool]  # (frames done, total, seconds left) -> keep going?


def export_animation(
    model: Model,
    text: str | np.ndarray,
    settings: AnimationSettings,
    out: Path,
    force: bool = False,
    progress: Progress | None = None,
) -> list[Path]:
    """Render every frame of ``settings`` into ``out`` with ``model`` reading ``text`` (or token ids, or a number
    sequence (T, features), for a model that reads those); returns the written path(s).

    Cancelling (``progress`` returns False) or any failure leaves nothing behind: frames stream to a temporary file
    or folder that is renamed into place only when the last frame is in. ``progress`` is asked after every frame and
    once more, as (total, total, 0), when the output is on the disk and about to be renamed into place.
    """
    renderer = FrameRenderer(model, text, settings)
    try:
        settings = renderer.settings
        plan = frame_plan(settings, renderer.kind)
        writer = open_writer(settings.format, Path(out), fps=settings.fps, size=settings.pixel_size, force=force)
        with writer:
            started = time.perf_counter()
            for number, frame in enumerate(plan, start=1):
                renderer.show(frame)
                writer.write(renderer.svg() if settings.format == "svg" else renderer.rgb())
                if progress is not None:
                    elapsed = time.perf_counter() - started
                    left = elapsed / number * (len(plan) - number)
                    if not progress(number, len(plan), left):
                        writer.abort()
                        raise ExportCancelled(f"{out}: export cancelled; nothing was written")
            still_wanted = None if progress is None else (lambda: progress(len(plan), len(plan), 0.0))
            return writer.close(proceed=still_wanted)
    finally:
        renderer.close()
