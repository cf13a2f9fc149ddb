"""One kernel module per cell kind (lstm, gru, rnn), each holding its forward steps and its backward steps.

Each kind's forward steps are one set of time loops, run two ways: ``run_direction`` into arrays of the run's own,
for training (bptt.py) on a batch of many sequences, after which ``backward_direction`` backpropagates through what
it kept; ``record_direction`` into arrays the caller lays out, for the trace (forward.py), which hands the views of
its own arrays so that each step is written where the trace keeps it.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from gatescope.engine.cancel import checkpoint
from gatescope.engine.kernels import gru, lstm, rnn
from gatescope.engine.kernels.steps import (
    DirectionGrads,
    DirectionRun,
    Steps,
    gate_blocks,
    merged_blocks,
    project_inputs,
)
from gatescope.engine.layout import DirectionLayout
from gatescope.engine.trace import FloatArray


class Kernel(Protocol):
    """What a kernel module provides."""

    def forward(
        self, layout: DirectionLayout, x: FloatArray, h0: FloatArray, c0: FloatArray | None, training: bool
    ) -> DirectionRun: ...

    def record(self, layout: DirectionLayout, steps: Steps) -> None: ...

    def backward(
        self,
        layout: DirectionLayout,
        run: DirectionRun,
        grad_h: FloatArray,
        grad_h_n: FloatArray,
        grad_c_n: FloatArray | None,
    ) -> DirectionGrads: ...


KERNELS: dict[str, Kernel] = {"lstm": lstm, "gru": gru, "rnn": rnn}


def run_direction(
    layout: DirectionLayout, x: FloatArray, h0: FloatArray, c0: FloatArray | None, training: bool = False
) -> DirectionRun:
    """Run one direction over x (T, input_size, B), in the direction's time order; h0, c0 (H, B), c0 LSTM only.

    The inputs of every step are projected at once; the kernel's loop then adds the recurrent product step by step.
    A trace (``training`` False) keeps every pre-activation. Training keeps what the backward pass needs instead: the
    gates overwrite their pre-activations (the backward pass needs only the gates), which halves the memory a training
    batch takes, and a GRU keeps the product its candidate read at every step. A run inside ``cancel.cancellable``
    stops here, before the direction starts, once its caller has asked (``cancel.RunCancelled``).
    """
    checkpoint()
    return KERNELS[layout.kind].forward(layout, x, h0, c0, training)


def record_direction(layout: DirectionLayout, x: FloatArray, steps: Steps, scratch: FloatArray | None = None) -> None:
    """Run one direction over x (T, input_size, B), in the direction's time order, into ``steps``, whose states hold
    the initial ones in row 0. The inputs are projected straight into ``steps.pre`` when its gate blocks follow each
    other in memory, else into ``scratch`` (T, G*H, B) and copied over in one call. Pre-activations are kept as
    run_direction keeps them for a trace. A run inside ``cancel.cancellable`` stops here, before the direction
    starts, once its caller has asked (``cancel.RunCancelled``).
    """
    checkpoint()
    rows = merged_blocks(steps.pre)
    if rows is not None:
        project_inputs(layout, x, rows)
    else:
        assert scratch is not None, "a bidirectional trace's pre-activations need a scratch array for the projection"
        np.copyto(steps.pre, gate_blocks(project_inputs(layout, x, scratch), steps.pre.shape[1]))
    KERNELS[layout.kind].record(layout, steps)


def backward_direction(
    layout: DirectionLayout,
    run: DirectionRun,
    grad_h: FloatArray,
    grad_h_n: FloatArray,
    grad_c_n: FloatArray | None,
) -> DirectionGrads:
    """Backpropagate through one direction's run; grad_h (T, H, B) is owned by the kernel, which sums into it."""
    return KERNELS[layout.kind].backward(layout, run, grad_h, grad_h_n, grad_c_n)


__all__ = [
    "DirectionGrads",
    "DirectionRun",
    "Kernel",
    "Steps",
    "backward_direction",
    "record_direction",
    "run_direction",
]
