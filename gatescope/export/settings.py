"""What an animation export draws and how, and its frame plan. Qt-free: the command line and the export dialog
check settings and count frames without starting Qt.

Frames: for every token in the range, by token: ``tween + 1`` frames that glide from the previous token's values to
this token's (the first token of the range holds still); by phase: for every phase of the cell, ``tween + 1`` frames
in which that phase's values travel along the cell diagram's wires and arrive. So

    frames = tokens × (phases per token, when by phase) × (tween + 1).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from gatescope.engine.phases import PHASES
from gatescope.errors import GatescopeError
from gatescope.export.limits import check_frames
from gatescope.export.writers import FORMATS
from gatescope.ui.registry import EXPORT_VIEWS

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

    def checked(self, steps: int, layers: int = 1, units: int = 1) -> AnimationSettings:
        """These settings with ``last`` filled in, or a GatescopeError naming what is wrong; ``units`` counts both
        directions of a bidirectional layer."""
        self.precheck()
        last = steps - 1 if self.last is None else self.last
        if not 0 <= self.first < steps:
            raise GatescopeError(f"--from {self.first}: the text has tokens 0 to {steps - 1}")
        if not self.first <= last < steps:
            raise GatescopeError(f"--to {last}: give a token from {self.first} to {steps - 1}")
        if not 0 <= self.layer < layers:
            raise GatescopeError(f"layer {self.layer}: the model has layers 0 to {layers - 1}")
        if not 0 <= self.unit < units:
            raise GatescopeError(f"--unit {self.unit}: the model has units 0 to {units - 1}")
        return replace(self, last=last)

    def precheck(self) -> None:
        """The checks that need neither the text nor the model: choices, amounts, and whether frames of this size
        can be encoded and fit in memory (refused before any model is loaded or frame drawn)."""
        self._check_choices()
        self._check_amounts()
        check_frames(self.format, self.size, self.scale, self.pixel_size)

    def _check_choices(self) -> None:
        if self.view not in EXPORT_VIEWS:
            raise GatescopeError(f"--view {self.view!r}: choose one of {', '.join(EXPORT_VIEWS)}")
        if self.by not in BY:
            raise GatescopeError(f"--by {self.by!r}: choose token or phase")
        if self.format not in FORMATS:
            raise GatescopeError(f"--format {self.format!r}: animation formats are {', '.join(FORMATS)}")

    def _check_amounts(self) -> None:
        if not 0 <= self.tween <= 240:
            raise GatescopeError(f"--tween {self.tween}: give 0 (no in-between frames) to 240")
        if not 0.1 <= self.fps <= 120:
            raise GatescopeError(f"--fps {self.fps:g}: give 0.1 to 120 frames per second")
        if not 0.25 <= self.scale <= 4:
            raise GatescopeError(f"--scale {self.scale:g}: give 0.25 to 4 (2 = twice the pixels, for slides)")
        width, height = self.size
        if not (160 <= width <= 8000 and 120 <= height <= 8000):
            raise GatescopeError(f"--size {width}x{height}: width 160..8000 and height 120..8000 pixels")

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
    assert settings.last is not None, "check the settings first"
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
    assert settings.last is not None, "check the settings first"
    tokens = settings.last - settings.first + 1
    phases = len(PHASES[kind]) if settings.by == "phase" else 1
    return tokens * phases * (settings.tween + 1)
