"""Playback and tweening. They only move the session (step, position); they never paint."""

from __future__ import annotations

from PySide6.QtCore import QEasingCurve, QObject, QTimer, QVariantAnimation, Signal

from gatescope.ui.session import SessionModel

DEFAULT_SPEED = 2.0  # tokens per second
DEFAULT_TWEEN_MS = 250


class Tweener(QObject):
    """When the step changes, glide ``session.position`` from where it was to the new step over ``duration_ms``."""

    def __init__(self, session: SessionModel, duration_ms: int = DEFAULT_TWEEN_MS, parent: QObject | None = None):
        super().__init__(parent)
        self.session = session
        self._duration_ms = max(0, int(duration_ms))
        self._shown = session.position
        self._animation = QVariantAnimation(self)
        self._animation.setEasingCurve(QEasingCurve.Type.InOutCubic)
        self._animation.valueChanged.connect(self._on_value)
        session.step_changed.connect(self._on_step_changed)
        session.position_changed.connect(self._on_position_changed)
        session.trace_changed.connect(self._on_trace_changed)

    @property
    def duration_ms(self) -> int:
        return self._duration_ms

    def set_duration_ms(self, duration_ms: int) -> None:
        """Tween length; 0 turns tweening off (the position jumps to the step)."""
        self._duration_ms = max(0, int(duration_ms))

    def is_running(self) -> bool:
        return self._animation.state() == QVariantAnimation.State.Running

    def _on_trace_changed(self, _trace) -> None:
        self._animation.stop()
        self._shown = self.session.position

    def _on_position_changed(self, position: float) -> None:
        if not self.is_running():
            self._shown = position

    def _on_step_changed(self, step: int) -> None:
        start = self._shown
        self._animation.stop()
        if self._duration_ms == 0 or start == step or abs(start - step) > 50:
            self.session.set_position(float(step))
            return
        self.session.set_position(start)
        self._animation.setDuration(self._duration_ms)
        self._animation.setStartValue(float(start))
        self._animation.setEndValue(float(step))
        self._animation.start()

    def _on_value(self, value) -> None:
        self._shown = float(value)
        self.session.set_position(float(value))

    def finish(self) -> None:
        """Jump to the end of a running tween (used before screenshots and exports)."""
        if self.is_running():
            self._animation.stop()
            self.session.set_position(float(self.session.step))
            self._shown = self.session.position


class Playback(QObject):
    """Play: advance one token every 1/speed seconds until the last token."""

    playing_changed = Signal(bool)
    speed_changed = Signal(float)

    def __init__(self, session: SessionModel, speed: float = DEFAULT_SPEED, parent: QObject | None = None):
        super().__init__(parent)
        self.session = session
        self._speed = DEFAULT_SPEED
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._on_tick)
        self.set_speed(speed)
        session.trace_changed.connect(self._on_trace_changed)

    @property
    def speed(self) -> float:
        return self._speed

    @property
    def playing(self) -> bool:
        return self._timer.isActive()

    def set_speed(self, tokens_per_second: float) -> None:
        speed = min(max(float(tokens_per_second), 0.1), 60.0)
        if speed != self._speed:
            self._speed = speed
            self._timer.setInterval(int(round(1000 / speed)))
            self.speed_changed.emit(speed)
        self._timer.setInterval(int(round(1000 / speed)))

    def play(self) -> None:
        if self.playing or self.session.steps == 0:
            return
        if self.session.step >= self.session.steps - 1:
            self.session.set_step(0)  # playing from the end starts again
        self._timer.start()
        self.playing_changed.emit(True)

    def pause(self) -> None:
        if self.playing:
            self._timer.stop()
            self.playing_changed.emit(False)

    def toggle(self) -> None:
        self.pause() if self.playing else self.play()

    def _on_trace_changed(self, _trace) -> None:
        self.pause()

    def _on_tick(self) -> None:
        if self.session.step >= self.session.steps - 1:
            self.pause()
            return
        self.session.step_forward()
        if self.session.step >= self.session.steps - 1:
            self.pause()
