"""Backpropagation through time for batches of equal-length sequences: exact gradients of every weight, input and state.

The shared driver of training and gradient views. The forward pass is the engine's one forward pass
(``kernels.run_direction``, as the trace runs it), here on a whole batch, keeping what the backward pass needs; each
kind's kernel backpropagates through its steps, and this module turns what they return into gradients of the
weights in PyTorch's names, layout and shapes.

Arrays are time-major with the batch last inside, (T, features, B) as the kernels keep them, and a reverse direction
(a bidirectional layer's second, or a reverse layer's one) runs over the reversed sequence, so that its arrays are in
its own time order; the (B, T, ...) arrays handed out are transposed views or re-ordered copies. Weight gradients
come from one matrix product each over every step and sequence at once.

Imported layers' ONNX clip and input_forget and hard sigmoid gates have no backward steps: such layers are refused
with a GatescopeError (they run in traces; only training and gradients need the derivatives).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from gatescope.engine.cells import RecurrentLayer
from gatescope.engine.kernels import DirectionGrads, DirectionRun, backward_direction, run_direction
from gatescope.engine.kernels.steps import outer_sum, present
from gatescope.engine.layout import DirectionLayout
from gatescope.engine.trace import FloatArray
from gatescope.errors import GatescopeError


@dataclass(eq=False)
class LayerCache:
    """Everything layer_backward needs from one layer_forward call: the layer, each direction's input and run.

    Direction d's arrays are in its own time order: a reverse direction's input is the reversed sequence.
    """

    layer: RecurrentLayer
    inputs: tuple[FloatArray, ...]  # per direction (T, input_size, B), the layer's dtype
    runs: tuple[DirectionRun, ...]

    @property
    def steps(self) -> int:
        """Sequence length T."""
        return self.runs[0].steps

    @property
    def batch(self) -> int:
        """Batch size B."""
        return self.runs[0].batch

    def h(self) -> FloatArray:
        """(B, T, D*H) hidden states, forward units then reverse units, both in input order."""
        return _in_input_order([run.h[1:] for run in self.runs], self.layer.reverse)

    def c(self) -> FloatArray | None:
        """(B, T, D*H) LSTM cell states like h; None for GRU and RNN."""
        if self.layer.kind != "lstm":
            return None
        return _in_input_order([present(run.c)[1:] for run in self.runs], self.layer.reverse)

    def final_states(self) -> tuple[FloatArray, FloatArray | None]:
        """(h_n, c_n), each (D, B, H) like PyTorch's per-layer h_n (c_n None unless LSTM)."""
        h_n = np.stack([run.h[-1].T for run in self.runs])
        if self.layer.kind != "lstm":
            return h_n, None
        return h_n, np.stack([present(run.c)[-1].T for run in self.runs])


def layer_forward(
    layer: RecurrentLayer, x: npt.ArrayLike, h0: npt.ArrayLike | None = None, c0: npt.ArrayLike | None = None
) -> tuple[FloatArray, LayerCache]:
    """x (B, T, input_size) -> h (B, T, D*H) (forward units then reverse units, reverse in original time order).

    h0, c0: optional initial states (D, B, H), zeros when None. h may be a view of arrays the cache keeps: do not
    edit it.
    """
    check_differentiable(layer)
    x = np.asarray(x)
    if x.ndim != 3 or x.shape[2] != layer.input_size:
        raise GatescopeError(f"input has shape {x.shape}; expected (batch, steps, {layer.input_size})")
    B, T, _ = x.shape
    if B == 0 or T == 0:
        raise GatescopeError(f"input has shape {x.shape}; it needs at least one sequence and one step")
    dtype = layer.dtype
    H, D = layer.hidden_size, len(layer.directions)
    steps = np.ascontiguousarray(x.transpose(1, 2, 0), dtype=dtype)
    h0s = _batch_state(h0, "h0", (D, B, H), dtype)
    c0s = _batch_state(c0, "c0", (D, B, H), dtype) if layer.kind == "lstm" else None
    inputs, runs = [], []
    for d, (layout, direction) in enumerate(zip(layer.layouts, layer.direction_names)):
        inputs.append(np.ascontiguousarray(steps[::-1]) if direction == "reverse" else steps)
        initial_h = np.zeros((H, B), dtype) if h0s is None else h0s[d].T
        initial_c = None if layer.kind != "lstm" else np.zeros((H, B), dtype) if c0s is None else c0s[d].T
        runs.append(run_direction(layout, inputs[-1], initial_h, initial_c, training=True))
    cache = LayerCache(layer, tuple(inputs), tuple(runs))
    return cache.h(), cache


def layer_backward(
    layer: RecurrentLayer,
    cache: LayerCache,
    grad_h: npt.ArrayLike,
    grad_h_n: npt.ArrayLike | None = None,
    grad_c_n: npt.ArrayLike | None = None,
) -> tuple[FloatArray, list[dict[str, FloatArray]], dict[str, FloatArray]]:
    """grad_h (B, T, D*H) -> (grad_x (B, T, in), per-direction weight grads, {"h0", "c0", "h", "c"} state grads).

    Weight grads use PyTorch's names, layout and shapes ("weight_ih", "weight_hh", "bias_ih", "bias_hh" and, with
    peepholes, "peephole" (3, H)); bias grads are reported even for a layer built without biases. grad_h_n and
    grad_c_n (D, B, H) are optional gradients on the final states. The state dict holds "h0" (and LSTM "c0"),
    (D, B, H), and "h" (B, T, D*H): the total gradient reaching each h_t, from above and back through time (LSTM
    also "c" for c_t, including the path through h_t). grad_x, "h" and "c" may be transposed views.
    """
    if cache.layer is not layer:
        raise GatescopeError("this cache was made by layer_forward for a different layer")
    T, B = cache.steps, cache.batch
    H, D = layer.hidden_size, len(layer.directions)
    dtype = layer.dtype
    grad_h = np.asarray(grad_h)
    if grad_h.shape != (B, T, D * H):
        raise GatescopeError(f"grad_h has shape {grad_h.shape}; expected {(B, T, D * H)} like the layer's output")
    final_h = _batch_state(grad_h_n, "grad_h_n", (D, B, H), dtype)
    final_c = _batch_state(grad_c_n, "grad_c_n", (D, B, H), dtype) if layer.kind == "lstm" else None
    upstream = grad_h.transpose(1, 2, 0)  # (T, D*H, B)
    grad_x = np.empty((T, layer.input_size, B), dtype)
    weight_grads, directions = [], []
    for d, (layout, run, x) in enumerate(zip(layer.layouts, cache.runs, cache.inputs)):
        reverse = layer.direction_names[d] == "reverse"
        arriving = upstream[:, d * H : (d + 1) * H]
        grads = backward_direction(
            layout,
            run,
            np.array(arriving[::-1] if reverse else arriving, dtype=dtype, order="C"),  # owned: the kernel sums into it
            np.zeros((H, B), dtype) if final_h is None else final_h[d].T,
            None if layer.kind != "lstm" else np.zeros((H, B), dtype) if final_c is None else final_c[d].T,
        )
        if d == 0 and not reverse:
            np.matmul(layout.input_weight.T, grads.pre, out=grad_x)  # (T, input_size, B)
        elif d == 0:
            grad_x[...] = np.matmul(layout.input_weight.T, grads.pre)[::-1]
        else:
            grad_x += np.matmul(layout.input_weight.T, grads.pre)[::-1]
        weight_grads.append(_weight_grads(layout, grads, x))
        directions.append(grads)
    states = {
        "h0": np.stack([g.h0.T for g in directions]),
        "h": _in_input_order([g.h for g in directions], layer.reverse),
    }
    if layer.kind == "lstm":
        states["c0"] = np.stack([present(g.c0).T for g in directions])
        states["c"] = _in_input_order([present(g.c) for g in directions], layer.reverse)
    return grad_x.transpose(2, 0, 1), weight_grads, states


def _weight_grads(layout: DirectionLayout, grads: DirectionGrads, x: FloatArray) -> dict[str, FloatArray]:
    """One direction's weight grads in PyTorch's names, row order and scale."""
    named = {
        "weight_ih": layout.to_torch_rows(outer_sum(grads.pre, x)),
        "weight_hh": layout.to_torch_rows(grads.weight_hh),
        "bias_ih": layout.to_torch_rows(grads.pre.sum(axis=(0, 2))),
        "bias_hh": layout.to_torch_rows(grads.bias_hh),
    }
    if grads.peephole is not None:
        named["peephole"] = grads.peephole
    return named


def check_differentiable(layer: RecurrentLayer) -> None:
    """GatescopeError for a layer whose steps have no backward pass here: ONNX clip or input_forget, hard sigmoid."""
    refused = {
        "clip": "ONNX clip",
        "input_forget": "ONNX input_forget",
        "gate_activation": f"{layer.gate_activation} gates",
        "activation": f"a {layer.activation} activation",
    }
    found = [words for name, words in refused.items() if name in layer.options()]
    if found:
        raise GatescopeError(
            f"gradients are not available for layers with {' or '.join(found)}: gatescope traces such imported "
            "layers but cannot train them or show their gradients"
        )


def _in_input_order(parts: list[FloatArray], reverse: bool = False) -> FloatArray:
    """Per-direction (T, H, B) arrays, each in its own time order -> (B, T, D*H) in input order (a view for one);
    ``reverse``: the one direction read right to left."""
    if len(parts) == 1:
        return (parts[0][::-1] if reverse else parts[0]).transpose(2, 0, 1)
    return np.concatenate([parts[0], parts[1][::-1]], axis=1).transpose(2, 0, 1)


def _batch_state(state: object, name: str, shape: tuple[int, int, int], dtype: np.dtype[Any]) -> FloatArray | None:
    """Validate a per-direction state or state gradient (D, B, H); None stays None."""
    if state is None:
        return None
    array = np.asarray(state, dtype=dtype)
    if array.shape != shape:
        raise GatescopeError(f"{name} has shape {array.shape}; expected {shape} (directions, batch, units)")
    return array


# ----------------------------------------------------------------------------------------------------------------
# stacks
# ----------------------------------------------------------------------------------------------------------------


def stack_forward(layers: Sequence[RecurrentLayer], x: npt.ArrayLike) -> tuple[FloatArray, list[LayerCache]]:
    """Run stacked layers over x (B, T, input_size) from zero states; returns the top h (B, T, D*H) and caches."""
    if not layers:
        raise GatescopeError("a recurrent stack needs at least one layer")
    caches = []
    h: npt.ArrayLike = x
    for layer in layers:
        h, cache = layer_forward(layer, h)
        caches.append(cache)
    return np.asarray(h), caches


def stack_backward(
    layers: Sequence[RecurrentLayer], caches: Sequence[LayerCache], grad_top_h: npt.ArrayLike
) -> tuple[FloatArray, list[list[dict[str, FloatArray]]]]:
    """Backpropagate grad_top_h (B, T, D*H) through a stack; returns grad_x and weight grads per layer per direction."""
    if len(layers) != len(caches):
        raise GatescopeError(f"{len(layers)} layers but {len(caches)} caches")
    grads: list[list[dict[str, FloatArray]]] = [[] for _ in layers]
    grad = np.asarray(grad_top_h)
    for k in range(len(layers) - 1, -1, -1):
        grad, grads[k], _ = layer_backward(layers[k], caches[k], grad)
    return grad, grads


def parameter_gradients_by_name(grads_per_layer: Sequence[Sequence[dict[str, FloatArray]]]) -> dict[str, FloatArray]:
    """Grads per layer and direction -> PyTorch state_dict names (``weight_ih_l0``, ``bias_hh_l1_reverse``, ...)."""
    named: dict[str, FloatArray] = {}
    for k, directions in enumerate(grads_per_layer):
        for d, grads in enumerate(directions):
            suffix = "_reverse" if d else ""
            for name, grad in grads.items():
                named[f"{name}_l{k}{suffix}"] = grad
    return named


def hidden_state_gradients(
    layers: Sequence[RecurrentLayer], x: npt.ArrayLike, output_grad: npt.ArrayLike
) -> list[FloatArray]:
    """For one sequence x (T, in) and a gradient on the top output (T, D*H): dLoss/dh_t per layer, each (T, D*H).

    Each is the total gradient reaching h_t: from the layer above (or output_grad) and back through time.
    """
    x = np.asarray(x)
    output_grad = np.asarray(output_grad)
    if x.ndim != 2 or output_grad.ndim != 2:
        raise GatescopeError(f"expected x (T, in) and output_grad (T, units), got {x.shape} and {output_grad.shape}")
    _, caches = stack_forward(layers, x[None])
    result: list[FloatArray] = [np.empty(0)] * len(layers)
    grad = output_grad[None]
    for k in range(len(layers) - 1, -1, -1):
        grad, _, states = layer_backward(layers[k], caches[k], grad)
        result[k] = np.ascontiguousarray(states["h"][0])
    return result
