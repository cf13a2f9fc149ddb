"""Stepping controls: first / back / play-pause / forward / last, a scrubber, by token or by phase, speed and tween
duration."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSlider,
    QSpinBox,
    QStyle,
    QToolButton,
    QWidget,
)

from gatescope.ui.playback import PhaseTweener, Playback, Tweener
from gatescope.ui.session import SessionModel
from gatescope.ui.views.live_label import LiveLabel


class Transport(QWidget):
    """Buttons and a scrubber that move the session; labels that follow it."""

    status_message = Signal(str)

    def __init__(
        self,
        session: SessionModel,
        playback: Playback,
        tweener: Tweener,
        parent: QWidget | None = None,
        phase_tweener: PhaseTweener | None = None,
    ) -> None:
        super().__init__(parent)
        self.session, self.playback, self.tweener = session, playback, tweener
        self.phase_tweener = phase_tweener
        style = self.style()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)

        def button(icon: QStyle.StandardPixmap, tip: str, action) -> QToolButton:
            tool = QToolButton(self)
            tool.setIcon(style.standardIcon(icon))
            tool.setToolTip(tip)
            tool.setAutoRaise(True)
            tool.clicked.connect(action)
            layout.addWidget(tool)
            return tool

        self.first_button = button(QStyle.StandardPixmap.SP_MediaSkipBackward, "First token (Home)", self.first)
        self.back_button = button(QStyle.StandardPixmap.SP_MediaSeekBackward, "Previous token (Left)", self.back)
        self.play_button = button(QStyle.StandardPixmap.SP_MediaPlay, "Play / pause (Space)", playback.toggle)
        self.forward_button = button(QStyle.StandardPixmap.SP_MediaSeekForward, "Next token (Right)", self.forward)
        self.last_button = button(QStyle.StandardPixmap.SP_MediaSkipForward, "Last token (End)", self.last)

        self.scrubber = QSlider(Qt.Orientation.Horizontal, self)
        self.scrubber.setToolTip("Drag to move through the tokens")
        self.scrubber.setMinimumWidth(120)
        # Opaque: a moved handle repaints the slider alone, not the transport, the central widget and the window.
        self.scrubber.setAutoFillBackground(True)
        self.scrubber.valueChanged.connect(self._on_scrubbed)
        layout.addWidget(self.scrubber, stretch=1)
        self.position_label = LiveLabel(lines=1, parent=self)
        self.position_label.setFixedWidth(self.position_label.fontMetrics().horizontalAdvance("token 00000 of 00000"))
        self.position_label.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        layout.addWidget(self.position_label)

        self.mode_box = QComboBox(self)
        self.mode_box.addItems(["by token", "by phase"])
        self.mode_box.setToolTip(
            "Step and play token by token, or phase by phase through the cell "
            "(Shift+Left / Shift+Right always move by phase)"
        )
        self.mode_box.currentIndexChanged.connect(lambda index: self.set_by_phase(index == 1))
        layout.addWidget(self.mode_box)
        layout.addWidget(QLabel("speed", self))
        self.speed_box = QDoubleSpinBox(self)
        self.speed_box.setRange(0.1, 60.0)
        self.speed_box.setDecimals(1)
        self.speed_box.setSingleStep(0.5)
        self.speed_box.setSuffix(" tok/s")
        self.speed_box.setToolTip("Play speed: tokens per second")
        self.speed_box.setValue(playback.speed)
        self.speed_box.valueChanged.connect(playback.set_speed)
        layout.addWidget(self.speed_box)
        layout.addWidget(QLabel("tween", self))
        self.tween_box = QSpinBox(self)
        self.tween_box.setRange(0, 2000)
        self.tween_box.setSingleStep(50)
        self.tween_box.setSuffix(" ms")
        self.tween_box.setToolTip("How long values glide between tokens; 0 turns the animation off")
        self.tween_box.setValue(tweener.duration_ms)
        self.tween_box.valueChanged.connect(tweener.set_duration_ms)
        if phase_tweener is not None:
            self.tween_box.valueChanged.connect(phase_tweener.set_duration_ms)
        layout.addWidget(self.tween_box)

        session.trace_changed.connect(self._on_trace_changed)
        session.step_changed.connect(self._on_step_changed)
        session.phase_changed.connect(lambda _phase: self._on_step_changed(self.session.step))
        playback.playing_changed.connect(self._on_playing_changed)
        playback.speed_changed.connect(self._on_speed_changed)
        self._on_trace_changed(session.trace)

    @property
    def by_phase(self) -> bool:
        return self.playback.by_phase

    def set_by_phase(self, by_phase: bool) -> None:
        """Buttons and play move by phase (True) or by token (False)."""
        self.playback.set_by_phase(by_phase)
        if self.mode_box.currentIndex() != int(by_phase):
            self.mode_box.setCurrentIndex(int(by_phase))
        unit = "phase" if by_phase else "token"
        self.back_button.setToolTip(f"Previous {unit} ({'Shift+Left' if by_phase else 'Left'})")
        self.forward_button.setToolTip(f"Next {unit} ({'Shift+Right' if by_phase else 'Right'})")
        self.speed_box.setSuffix(" phase/s" if by_phase else " tok/s")
        self.speed_box.setToolTip(f"Play speed: {unit}s per second")
        self._on_step_changed(self.session.step)

    def forward(self) -> None:
        self.session.next_phase() if self.by_phase else self.session.step_forward()

    def back(self) -> None:
        self.session.previous_phase() if self.by_phase else self.session.step_back()

    def first(self) -> None:
        if self.session.steps:
            self.session.set_step(0)

    def last(self) -> None:
        if self.session.steps:
            self.session.set_step(self.session.steps - 1)

    def _on_scrubbed(self, value: int) -> None:
        if 0 <= value < self.session.steps and value != self.session.step:
            self.session.set_step(value)

    def _on_trace_changed(self, _trace) -> None:
        self.scrubber.blockSignals(True)
        self.scrubber.setRange(0, max(0, self.session.steps - 1))
        self.scrubber.setValue(self.session.step)
        self.scrubber.blockSignals(False)
        self._on_step_changed(self.session.step)

    def _on_step_changed(self, step: int) -> None:
        self.scrubber.blockSignals(True)
        self.scrubber.setValue(step)
        self.scrubber.blockSignals(False)
        total = self.session.steps
        self.position_label.setText(f"token {step + 1} of {total}" if total else "no tokens")
        phase, last = self.session.phase, self.session.last_phase
        by_phase = self.playback.by_phase
        self.back_button.setEnabled(step > 0 or (by_phase and phase > 0))
        self.first_button.setEnabled(step > 0)
        self.forward_button.setEnabled(step + 1 < total or (by_phase and phase < last))
        self.last_button.setEnabled(step + 1 < total)

    def _on_playing_changed(self, playing: bool) -> None:
        icon = QStyle.StandardPixmap.SP_MediaPause if playing else QStyle.StandardPixmap.SP_MediaPlay
        self.play_button.setIcon(self.style().standardIcon(icon))

    def _on_speed_changed(self, speed: float) -> None:
        if abs(self.speed_box.value() - speed) > 1e-9:
            self.speed_box.blockSignals(True)
            self.speed_box.setValue(speed)
            self.speed_box.blockSignals(False)
