"""A terminal progress bar for training: epoch, loss, accuracy, ETA. Redraws in place on a terminal."""

from __future__ import annotations

import sys
import time
from typing import TextIO


def format_duration(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


class TrainingProgress:
    """Shows one line per epoch; on a terminal the line also moves batch by batch."""

    def __init__(self, epochs: int, batches_per_epoch: int, stream: TextIO | None = None, width: int = 24) -> None:
        self.epochs = epochs
        self.batches_per_epoch = max(1, batches_per_epoch)
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        self.interactive = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.started = time.perf_counter()
        self._last_draw = 0.0

    def _eta(self, epoch: int, batch: int) -> str:
        done = (epoch - 1) * self.batches_per_epoch + batch
        total = self.epochs * self.batches_per_epoch
        elapsed = time.perf_counter() - self.started
        return format_duration(elapsed / done * (total - done)) if done else "?"

    def batch(self, epoch: int, batch: int, loss: float) -> None:
        """After each batch (drawn at most 10 times a second, and only on a terminal)."""
        now = time.perf_counter()
        if not self.interactive or now - self._last_draw < 0.1:
            return
        self._last_draw = now
        filled = int(self.width * batch / self.batches_per_epoch)
        bar = "#" * filled + "." * (self.width - filled)
        self.stream.write(f"\repoch {epoch}/{self.epochs} [{bar}] loss {loss:.4f}  ETA {self._eta(epoch, batch)}   ")
        self.stream.flush()

    def epoch(self, epoch: int, loss: float, train_accuracy: float, validation_accuracy: float, note: str = "") -> None:
        """After each epoch: a permanent line."""
        eta = self._eta(epoch, self.batches_per_epoch) if epoch < self.epochs else "0:00"
        prefix = "\r" if self.interactive else ""
        self.stream.write(
            f"{prefix}epoch {epoch}/{self.epochs}  loss {loss:.4f}  train acc {train_accuracy:.2%}  "
            f"val acc {validation_accuracy:.2%}  "
            f"elapsed {format_duration(time.perf_counter() - self.started)}"
            f"  ETA {eta}{'  ' + note if note else ''}\n"
        )
        self.stream.flush()

    def message(self, text: str) -> None:
        self.stream.write(text + "\n")
        self.stream.flush()
