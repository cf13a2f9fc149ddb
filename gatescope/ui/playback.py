"""Playback and tweening. They only move the session (step, position, phase, phase progress); they never paint."""

from __future__ import annotations

from PySide6.QtCore import QEasingCurve, QObject, QTimer, QVariantAnimation, Signal

from gatescope.ui.session import SessionModel

DEFAULT_SPEED = 2.0  # tokens per second
DEFAULT_TWEEN_MS = 250


class _Animator(QObject):
    """One eased animation of a session value, with a duration that 0 turns off."""

    def __init__(
        self, session: SessionModel, duration_ms: int, easing: QEasingCurve.Type, parent: QObject | None = None
    ):
        super().__init__(parent)
        self.session = session
        self._duration_ms = max(0, int(duration_ms))
        self._animation = QVariantAnimation(self)
        self._animation.setEasingCurve(easing)
        self._animation.valueChanged.connect(self._on_value)

    @property
    def duration_ms(self) -> int:
        return self._duration_ms

    def set_duration_ms(self, duration_ms: int) -> None:
        """Animation length; 0 turns the animation off (values jump)."""
        self._duration_ms = max(0, int(duration_ms))

    def is_running(self) -> bool:
        return self._animation.state() == QVariantAnimation.State.Running

    def _on_value(self, value) -> None:
        raise NotImplementedError


class Tweener(_Animator):
    """When the step changes, glide ``session.position`` from where it was to the new step over ``duration_ms``."""

    def __init__(self, session: SessionModel, duration_ms: int = DEFAULT_TWEEN_MS, parent: QObject | None = None):
        super().__init__(session, duration_ms, QEasingCurve.Type.InOutCubic, parent)
        self._shown = session.position
        session.step_changed.connect(self._on_step_changed)
        session.position_changed.connect(self._on_position_changed)
        session.trace_changed.connect(self._on_trace_changed)

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


class PhaseTweener(_Animator):
    """When the session moves on by one phase, run ``session.phase_progress`` from 0 to 1 over ``duration_ms`` so
    the values of that phase travel along the cell diagram's wires. Any other jump shows the phase complete."""

    def __init__(self, session: SessionModel, duration_ms: int = DEFAULT_TWEEN_MS, parent: QObject | None = None):
        super().__init__(session, duration_ms, QEasingCurve.Type.InOutSine, parent)
        self._where = (session.step, session.phase)
        self._animation.setStartValue(0.0)
        self._animation.setEndValue(1.0)
        session.phase_changed.connect(self._on_phase_changed)
        session.trace_changed.connect(self._on_trace_changed)

    def _on_value(self, value) -> None:
        self.session.set_phase_progress(float(value))

    def _on_trace_changed(self, _trace) -> None:
        self._animation.stop()
        self._where = (self.session.step, self.session.phase)

    def _on_phase_changed(self, phase: int) -> None:
        step = self.session.step
        before, self._where = self._where, (step, phase)
        self._animation.stop()
        one_on = (before[0] == step and phase == before[1] + 1) or (step == before[0] + 1 and phase == 0)
        if self._duration_ms == 0 or not one_on:
            self.session.set_phase_progress(1.0)
            return
        self.session.set_phase_progress(0.0)
        self._animation.setDuration(self._duration_ms)
        self._animation.start()

    def finish(self) -> None:
        """Jump to the end of a running phase animation."""
        if self.is_running():
            self._animation.stop()
        self.session.set_phase_progress(1.0)


class Playback(QObject):
    """Play: advance one token (or one phase, in phase mode) every 1/speed seconds until the end."""

    playing_changed = Signal(bool)
    speed_changed = Signal(float)

    def __init__(self, session: SessionModel, speed: float = DEFAULT_SPEED, parent: QObject | None = None):
        super().__init__(parent)
        self.session = session
        self._speed = DEFAULT_SPEED
        self._by_phase = False
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

    @property
    def by_phase(self) -> bool:
        """True: each tick shows the next phase of the cell (then the next token); False: the next token."""
        return self._by_phase

    def set_by_phase(self, by_phase: bool) -> None:
        self._by_phase = bool(by_phase)

    def set_speed(self, tokens_per_second: float) -> None:
        speed = min(max(float(tokens_per_second), 0.1), 60.0)
        if speed != self._speed:
            self._speed = speed
            self._timer.setInterval(int(round(1000 / speed)))
            self.speed_changed.emit(speed)
        self._timer.setInterval(int(round(1000 / speed)))

    def _at_end(self) -> bool:
        session = self.session
        return session.step >= session.steps - 1 and (not self._by_phase or session.phase >= session.last_phase)

    def play(self) -> None:
        if self.playing or self.session.steps == 0:
            return
        if self._at_end():
            self.session.set_step(0, phase=0 if self._by_phase else None)  # playing from the end starts again
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
        if self._at_end():
            self.pause()
            return
        if self._by_phase:
            self.session.next_phase()
        else:
            self.session.step_forward()
        if self._at_end():
            self.pause()
