"""Keras reference run for ``gatescope check``: the file loaded by Keras itself (``safe_mode=True``) and run layer by
layer on the same input, its states returned in gatescope's conventions.

Each recurrent layer is run twice in Keras: called as a layer (its own forward pass, which gives h) and stepped
through its cell one token at a time (``layer.cell(x_t, states)``), which also gives an LSTM's cell state c at every
step; the two must agree. Keras' ``go_backwards`` layers return their outputs last token first: they are put back in
token order here, as gatescope shows them. A TextVectorization layer is skipped: ``inputs`` are its token ids.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from gatescope.model.formats.keras_config import INFERENCE_NO_OPS

if TYPE_CHECKING:
    from gatescope.model.model import Model

PACKAGE = "keras"
#: Largest difference tolerated between a layer's own output and its cell stepped by hand.
STEPPING_TOLERANCE = 1e-4
_RECURRENT = ("LSTM", "GRU", "SimpleRNN", "Bidirectional")
_PASSED_OVER = ("InputLayer", "TextVectorization", "Activation", "Softmax", *INFERENCE_NO_OPS)


def reference(path: Path, model: Model, inputs: np.ndarray) -> dict[str, np.ndarray]:
    """Run the Keras file ``path`` on ``inputs`` (token ids (T,) or floats (T, features)); ``model`` is unused
    (Keras reads the file on its own)."""
    _choose_backend()
    import keras

    keras_model = keras.saving.load_model(str(path), compile=False, safe_mode=True)
    return keras_reference(keras_model, inputs)


def keras_reference(keras_model: Any, inputs: np.ndarray) -> dict[str, np.ndarray]:
    """Every recurrent layer's h (and c) and the Dense head's raw output of an already loaded Keras model."""
    from keras import ops

    results: dict[str, np.ndarray] = {}
    sequence = np.asarray(inputs)[None]  # Keras' batch of one, in Keras' time order
    flipped = False  # the sequence runs last token first
    number = 0
    hidden: np.ndarray | None = None  # the top layer's h in token order
    for layer in keras_model.layers:
        kind = type(layer).__name__
        if kind in _PASSED_OVER:
            continue
        if kind == "Embedding":
            sequence = ops.convert_to_numpy(layer(sequence))
        elif kind in _RECURRENT:
            states, sequence, flipped = _run_recurrent(layer, sequence, flipped)
            hidden = states["h"]
            for name, array in states.items():
                results[f"layer {number} {name}"] = array
            number += 1
        elif kind == "Dense" and hidden is not None:
            logits = ops.matmul(hidden, layer.kernel)
            if layer.use_bias:
                logits = logits + layer.bias
            results["logits"] = ops.convert_to_numpy(logits).astype(np.float32)
        else:
            raise ValueError(f"layer {layer.name!r} ({kind}) is not one gatescope runs")
    return results


def _run_recurrent(layer: Any, sequence: np.ndarray, flipped: bool) -> tuple[dict[str, np.ndarray], np.ndarray, bool]:
    """(h and c in token order, the layer's output for the layer above in Keras' order, whether that is reversed)."""
    from keras import ops

    steps = sequence.shape[1]
    output = ops.convert_to_numpy(layer(sequence))
    if type(layer).__name__ == "Bidirectional":
        if flipped:
            raise ValueError(f"{layer.name!r}: a Bidirectional layer above a go_backwards layer")
        forward = _step(layer.forward_layer.cell, sequence[0], range(steps))
        backward = _step(layer.backward_layer.cell, sequence[0], range(steps - 1, -1, -1))
        states = {name: np.concatenate([forward[name], backward[name]], axis=1) for name in forward}
        last = np.concatenate([forward["h"][-1], backward["h"][0]])
        _check_agreement(layer, output, states["h"], last)
        return states, output, False
    order = range(steps - 1, -1, -1) if layer.go_backwards else range(steps)
    stepped = _step(layer.cell, sequence[0], order)  # row = Keras' index of the input it read
    reversed_out = flipped != layer.go_backwards
    in_token_order = {name: array[::-1] if flipped else array for name, array in stepped.items()}
    last = stepped["h"][order[-1]]
    keras_order = stepped["h"][list(order)]  # what the layer returns: processing order
    _check_agreement(layer, output, keras_order, last)
    return in_token_order, output, reversed_out


def _step(cell: Any, inputs: np.ndarray, order: range) -> dict[str, np.ndarray]:
    """Run ``cell`` over ``inputs`` (T, features) in ``order`` from zero states; rows indexed like ``inputs``."""
    from keras import ops

    steps, units = inputs.shape[0], cell.units
    lstm = type(cell).__name__ == "LSTMCell"
    states = [np.zeros((1, units), np.float32) for _ in range(2 if lstm else 1)]
    h = np.zeros((steps, units), np.float32)
    c = np.zeros((steps, units), np.float32)
    for t in order:
        output, states = cell(inputs[t][None].astype(np.float32), states)
        states = [ops.convert_to_numpy(state) for state in states]
        h[t] = ops.convert_to_numpy(output)[0]
        if lstm:
            c[t] = states[1][0]
    return {"h": h, "c": c} if lstm else {"h": h}


def _check_agreement(layer: Any, output: np.ndarray, sequence: np.ndarray, last: np.ndarray) -> None:
    """The layer's own output (every step, or the last) equals its cell stepped by hand."""
    expected = sequence if output.ndim == 3 else last
    difference = float(np.max(np.abs(output[0] - expected)))
    if difference > STEPPING_TOLERANCE:
        raise RuntimeError(f"{layer.name!r}: Keras' layer and its cell stepped by hand differ by {difference:.2e}")


def _choose_backend() -> None:
    """Keras needs a backend: when none is chosen and Keras is not imported yet, take one that is installed."""
    if "KERAS_BACKEND" in os.environ or "keras" in sys.modules:
        return
    for backend in ("tensorflow", "torch", "jax"):
        if importlib.util.find_spec(backend) is not None:
            os.environ["KERAS_BACKEND"] = backend
            return
