"""Lockstep: keep a follower session on the same text, token, phase, phase progress, tween position, selected unit and
colours as a leader — two models reading one text in step (compare mode).

Cells with different phase counts (LSTM 6, GRU 5) keep the first phase (combine) and the last (hidden state)
together and map the phases between proportionally.
"""

from __future__ import annotations

from PySide6.QtCore import QObject

from gatescope.ui.session import SessionModel


def map_phase(phase: int, phases: int, other_phases: int) -> int:
    """The follower's phase for the leader's: first to first, last to last, the ones between proportionally."""
    if phase <= 0:
        return 0
    if phase >= phases - 1:
        return other_phases - 1
    if other_phases <= 2:
        return 0
    mapped = round(phase * (other_phases - 1) / (phases - 1))
    return min(max(mapped, 1), other_phases - 2)


class Lockstep(QObject):
    """Keep ``follower`` on the same text, token, phase and unit as ``leader``."""

    def __init__(self, leader: SessionModel, follower: SessionModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.leader, self.follower = leader, follower
        leader.trace_changed.connect(lambda _trace: self.sync_text(leader.text))  # new text or new model
        leader.step_changed.connect(lambda _step: self.sync_step())
        leader.phase_changed.connect(lambda _phase: self.sync_step())
        leader.phase_progress_changed.connect(follower.set_phase_progress)
        leader.position_changed.connect(self._sync_position)
        leader.unit_changed.connect(self._sync_unit)
        leader.colour_scheme_changed.connect(follower.set_colour_scheme)
        leader.unit_order_changed.connect(follower.set_unit_order)
        follower.trace_changed.connect(lambda _trace: self.sync_step())  # e.g. after its model changed
        self.sync_text(leader.text)

    def sync_text(self, text: str) -> None:
        if text and self.follower.text != text:
            self.follower.set_text(text)
        self.sync_step()

    def sync_step(self) -> None:
        leader, follower = self.leader, self.follower
        if follower.trace is None or leader.trace is None:
            return
        step = min(leader.step, follower.steps - 1)
        phase = map_phase(leader.phase, len(leader.phases), len(follower.phases))
        if (follower.step, follower.phase) != (step, phase):
            follower.set_step(step, phase=phase)
        follower.set_phase_progress(leader.phase_progress)
        self._sync_position(leader.position)
        self._sync_unit(leader.unit)

    def _sync_position(self, position: float) -> None:
        if self.follower.steps:
            self.follower.set_position(min(position, self.follower.steps - 1))

    def _sync_unit(self, unit: int) -> None:
        if self.follower.units:
            self.follower.set_unit(min(unit, self.follower.units - 1))
