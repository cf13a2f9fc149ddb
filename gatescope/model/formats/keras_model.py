"""Keras weights → gatescope's layers, embedding and head (PyTorch layout), and the Model with its provenance.

Conversions (Keras kernels are (in, G·H), PyTorch's weight_ih (G·H, in)): LSTM gates i,f,c,o are PyTorch's i,f,g,o,
so ``weight_ih = kernel.T``, ``weight_hh = recurrent_kernel.T``, ``bias_ih = bias``. GRU gates z,r,h become r,z,n;
with ``reset_after=True`` the bias is (2, 3H) = [input bias, recurrent bias] and the cell is PyTorch's; with
``reset_after=False`` the bias is (3H,) and the reset gate multiplies h before the recurrent product (the engine's
``gru_convention="cho"``). SimpleRNN: ``.T`` and its activation (tanh or relu). Dense: ``kernel.T``.

``go_backwards`` on a single-direction layer: Keras reads its input last step first and returns its outputs in that
order, so the layer above reads them reversed. gatescope always indexes rows by input position, so a layer runs
right to left (``reverse=True``) when it reads backwards an input in position order, or forwards an input Keras had
reversed; the numbers are Keras' own, re-ordered.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from gatescope.engine.cells import DirectionWeights, RecurrentLayer, gate_count
from gatescope.errors import GatescopeError
from gatescope.model.formats.keras_config import DenseSpec, EmbeddingSpec, KerasPlan, RecurrentSpec
from gatescope.model.formats.keras_text import TextParts
from gatescope.model.formats.keras_weights import LayerArrays, WeightSource
from gatescope.model.model import Head, Model

#: Keras GRU gate blocks z, r, h → PyTorch r, z, n.
_GRU_TO_TORCH = (1, 0, 2)


@dataclass(frozen=True)
class FileInfo:
    """What the file says about itself: format name for people, Keras version, notes gathered while reading."""

    format: str
    keras_version: str | None
    notes: tuple[str, ...] = ()


def build_model(
    path: Path,
    plan: KerasPlan,
    weights: WeightSource,
    text: TextParts | None,
    info: FileInfo,
    dtype: np.dtype[Any],
) -> Model:
    """The gatescope Model of a checked plan, reading each layer's weights from ``weights``."""
    notes = list(info.notes)
    embedding = _embedding(plan.embedding, weights.read(plan.embedding)) if plan.embedding else None
    input_size = None if embedding is None else int(embedding.shape[1])
    layers: list[RecurrentLayer] = []
    flipped = False  # Keras' sequence at this point runs last position first
    for spec in plan.recurrent:
        reverse, flipped = _direction(spec, flipped)
        layer = recurrent_layer(spec, weights.read(spec), input_size, reverse, dtype)
        layers.append(layer)
        input_size = layer.output_size
    head = _head(plan.dense, weights.read(plan.dense), input_size, dtype) if plan.dense else None
    notes += _reading_notes(plan, layers, flipped)
    if text is not None:
        notes += text.notes
    provenance: dict[str, Any] = {
        "format": info.format,
        "format_key": "keras",
        "file": path.name,
        "architecture": architecture(plan, text),
    }
    if info.keras_version:
        provenance["keras_version"] = info.keras_version
    if notes:
        provenance["notes"] = notes
    if text is not None and text.settings is not None:
        provenance["text_vectorization"] = text.settings  # how a vocabulary given later (--vocab) is read
    try:
        return Model(
            layers=layers,
            tokenizer=None if text is None else text.tokenizer,
            vocabulary=None if text is None else text.vocabulary,
            embedding=embedding,
            head=head,
            name=path.stem,
            description=f"Keras {plan.model_class} model: {provenance['architecture']}",
            provenance=provenance,
            source=path,
            masked_id=0 if plan.embedding is not None and plan.embedding.mask_zero else None,
        )
    except GatescopeError as error:
        names = ", ".join(f"{number} = {spec.name!r}" for number, spec in enumerate(plan.recurrent))
        raise GatescopeError(
            f"{error} (gatescope's recurrent layers are Keras' {names}; the model: {provenance['architecture']})"
        ) from None


def _direction(spec: RecurrentSpec, flipped: bool) -> tuple[bool, bool]:
    """(this layer runs right to left in gatescope, Keras' sequence above it is reversed)."""
    if spec.directions == 2:
        if flipped:
            raise GatescopeError(
                f"layer {spec.name!r} (Bidirectional) reads the reversed sequence a go_backwards layer below it "
                f"returns; gatescope cannot show that pairing of directions"
            )
        return False, False
    return spec.go_backwards != flipped, flipped != spec.go_backwards


def recurrent_layer(
    spec: RecurrentSpec, arrays: LayerArrays, input_size: int | None, reverse: bool, dtype: np.dtype[Any]
) -> RecurrentLayer:
    """One Keras recurrent layer (both directions of a Bidirectional) in the engine's PyTorch layout."""
    directions = []
    for number, weights in enumerate(arrays):
        where = f"layer {spec.name!r} ({spec.cell_class}{', backward' if number else ''})"
        if input_size is None:  # no embedding: the first layer reads as many features as its kernel has rows
            input_size = int(weights[0].shape[0]) if weights[0].ndim == 2 else 0
        directions.append(_direction_weights(spec, weights, input_size, where, dtype))
    options: dict[str, Any] = {
        "gru_convention": "pytorch" if spec.kind != "gru" or spec.reset_after else "cho",
        "nonlinearity": spec.activation if spec.kind == "rnn" else "tanh",
    }
    wanted = {"gate_activation": (spec.gate_activation, "sigmoid"), "reverse": (reverse, False)}
    options.update({option: value for option, (value, default) in wanted.items() if value != default})
    return RecurrentLayer(spec.kind, input_size or 0, spec.units, tuple(directions), **options)


def _direction_weights(
    spec: RecurrentSpec, weights: list[np.ndarray], input_size: int, where: str, dtype: np.dtype[Any]
) -> DirectionWeights:
    units, rows = spec.units, gate_count(spec.kind) * spec.units
    bias_shape = (2, rows) if spec.kind == "gru" and spec.reset_after else (rows,)
    expected = [("kernel", (input_size, rows)), ("recurrent_kernel", (units, rows)), ("bias", bias_shape)]
    for (name, shape), array in zip(expected, weights):
        if array.shape != shape:
            hint = f" (the config says reset_after={spec.reset_after})" if spec.kind == "gru" and name == "bias" else ""
            raise GatescopeError(
                f"{where}: {name} has shape {array.shape}; expected {shape} for {units} units reading "
                f"{input_size} features{hint}"
            )
    kernel, recurrent = _torch_blocks(spec.kind, weights[0]).T, _torch_blocks(spec.kind, weights[1]).T
    zeros = np.zeros(rows, dtype)
    if len(weights) < 3:
        bias_ih, bias_hh = zeros, zeros.copy()
    elif bias_shape == (2, rows):
        bias_ih, bias_hh = _torch_blocks(spec.kind, weights[2][0]), _torch_blocks(spec.kind, weights[2][1])
    else:
        bias_ih, bias_hh = _torch_blocks(spec.kind, weights[2]), zeros
    return DirectionWeights(*(np.ascontiguousarray(a, dtype=dtype) for a in (kernel, recurrent, bias_ih, bias_hh)))


def _torch_blocks(kind: str, array: np.ndarray) -> np.ndarray:
    """Keras' gate blocks on the last axis in PyTorch's order (only the GRU's differ: z,r,h → r,z,n)."""
    if kind != "gru":
        return array
    blocks = np.split(array, 3, axis=-1)
    return np.concatenate([blocks[index] for index in _GRU_TO_TORCH], axis=-1)


def _embedding(spec: EmbeddingSpec, arrays: LayerArrays) -> np.ndarray:
    table = arrays[0][0]
    if table.shape != (spec.input_dim, spec.output_dim):
        raise GatescopeError(
            f"layer {spec.name!r} (Embedding): embeddings have shape {table.shape}; expected "
            f"({spec.input_dim}, {spec.output_dim}) as its config says"
        )
    return table


def _head(spec: DenseSpec, arrays: LayerArrays, features: int | None, dtype: np.dtype[Any]) -> Head:
    weights = arrays[0]
    kernel = weights[0]
    if kernel.shape != (features, spec.units):
        raise GatescopeError(
            f"layer {spec.name!r} (Dense): kernel has shape {kernel.shape}; expected ({features}, {spec.units}) for "
            f"{spec.units} outputs reading the top recurrent layer's {features} features"
        )
    bias = weights[1] if len(weights) > 1 else np.zeros(spec.units, dtype)
    if bias.shape != (spec.units,):
        raise GatescopeError(f"layer {spec.name!r} (Dense): bias has shape {bias.shape}; expected ({spec.units},)")
    return Head(np.ascontiguousarray(kernel.T), np.ascontiguousarray(bias), spec.activation)


def _reading_notes(plan: KerasPlan, layers: Sequence[RecurrentLayer], flipped: bool) -> list[str]:
    """How gatescope's trace relates to what Keras computes, where the two are not simply the same."""
    notes = []
    if plan.embedding is not None and plan.embedding.mask_zero:
        notes.append(
            "the Embedding has mask_zero=True: Keras skips steps whose id is 0 (padding); gatescope refuses id 0 "
            "(text never maps to it)"
        )
    top = plan.recurrent[-1]
    if not top.return_sequences:
        if top.directions == 2:
            where = (
                "Keras' single prediction reads the forward direction at the last token and the backward "
                "direction at the first; gatescope's head reads both directions at the same token, so none of "
                "its rows is exactly Keras' prediction"
            )
        else:
            reverse = getattr(layers[-1], "reverse", False)
            row = "first" if reverse else "last"
            where = f"Keras' single prediction equals gatescope's head at the {row} token"
        notes.append(
            f"layer {top.name!r} returns only its last step (return_sequences=False); gatescope applies the head "
            f"at every token: {where}"
            if plan.dense
            else f"layer {top.name!r} returns only its last step in Keras (return_sequences=False); gatescope shows "
            f"every step"
        )
    if flipped:
        notes.append(
            "Keras returns this model's per-step outputs last token first (go_backwards); gatescope's row t is "
            "always token t"
        )
    if any(spec.stateful for spec in plan.recurrent):
        notes.append("stateful layers: Keras carries states from batch to batch; gatescope starts every text at zero")
    if plan.passed_over:
        notes.append(f"passed over (no effect at inference): {', '.join(plan.passed_over)}")
    return notes


def architecture(plan: KerasPlan, text: TextParts | None) -> str:
    """``TextVectorization(word, 28 tokens) → Embedding(28, 8) → 2 × bidirectional LSTM(8) → Dense(2, softmax)``."""
    parts: list[str] = []
    if text is not None:
        parts.append(text.description)
    if plan.embedding is not None:
        parts.append(f"Embedding({plan.embedding.input_dim}, {plan.embedding.output_dim})")
    described = [_recurrent_text(spec) for spec in plan.recurrent]
    start = 0
    while start < len(described):
        end = start
        while end + 1 < len(described) and described[end + 1] == described[start]:
            end += 1
        count = end - start + 1
        parts.append(described[start] if count == 1 else f"{count} × {described[start]}")
        start = end + 1
    if plan.dense is not None:
        parts.append(f"Dense({plan.dense.units}, {plan.dense.activation})")
    return " → ".join(parts)


def _recurrent_text(spec: RecurrentSpec) -> str:
    options = []
    if spec.kind == "gru":
        options.append(f"reset_after={spec.reset_after}")
    if spec.kind == "rnn" and spec.activation != "tanh":
        options.append(spec.activation)
    if spec.gate_activation != "sigmoid":
        options.append(spec.gate_activation)
    if spec.go_backwards:
        options.append("go_backwards")
    if not spec.use_bias:
        options.append("no bias")
    inside = ", ".join([str(spec.units), *options])
    return f"{'bidirectional ' if spec.directions == 2 else ''}{spec.cell_class}({inside})"
