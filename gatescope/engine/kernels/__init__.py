"""One kernel module per cell kind (lstm, gru, rnn), each holding its forward steps and its backward steps.

``run_direction`` is the one forward pass of the engine: the trace (forward.py) runs it on a batch of one sequence,
training (bptt.py) on a batch of many, and ``backward_direction`` backpropagates through what it kept.
"""

from __future__ import annotations

from typing import Protocol

from gatescope.engine.cancel import checkpoint
from gatescope.engine.kernels import gru, lstm, rnn
from gatescope.engine.kernels.steps import DirectionGrads, DirectionRun
from gatescope.engine.layout import DirectionLayout
from gatescope.engine.trace import FloatArray


class Kernel(Protocol):
    """What a kernel module provides."""

    def forward(
        self, layout: DirectionLayout, x: FloatArray, h0: FloatArray, c0: FloatArray | None, training: bool
    ) -> DirectionRun: ...

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


def backward_direction(
    layout: DirectionLayout,
    run: DirectionRun,
    grad_h: FloatArray,
    grad_h_n: FloatArray,
    grad_c_n: FloatArray | None,
) -> DirectionGrads:
    """Backpropagate through one direction's run; grad_h (T, H, B) is owned by the kernel, which sums into it."""
    return KERNELS[layout.kind].backward(layout, run, grad_h, grad_h_n, grad_c_n)


__all__ = ["DirectionGrads", "DirectionRun", "Kernel", "backward_direction", "run_direction"]
