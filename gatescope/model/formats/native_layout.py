"""gatescope's own model file, its layout and how a model is written in it (reading it: :mod:`native`).

One .npz: arrays in PyTorch's names and gate order (see :func:`to_arrays`) plus a JSON metadata entry ``__gatescope__``
(UTF-8 stored as uint8, keys ``METADATA_KEYS``). Kept apart from reading so that ``Model.save`` needs nothing that
builds models.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from gatescope.model.formats.npzfile import json_array, write_npz_atomic

if TYPE_CHECKING:
    from gatescope.model.model import Model

METADATA = "__gatescope__"
FORMAT_NAME = "gatescope-model"
#: The newest version this gatescope reads and writes. Version 2 adds ``cell.layer_options``; a model without any
#: is written as version 1, which every gatescope reads the same.
FORMAT_VERSION = 2
#: The version of files whose layers all have PyTorch's options.
PLAIN_FORMAT_VERSION = 1
METADATA_KEYS = (
    "format",
    "format_version",
    "name",
    "description",
    "cell",
    "tokenizer",
    "vocabulary",
    "head",
    "provenance",
    "card",
    "embedding",
    "masked_id",
)


def to_arrays(model: Model) -> dict[str, np.ndarray]:
    """Every array and the metadata entry of a model, as ``save`` writes them."""
    has_bias = any(np.any(d.bias_ih) or np.any(d.bias_hh) for layer in model.layers for d in layer.directions)
    arrays: dict[str, np.ndarray] = {}
    for k, layer in enumerate(model.layers):
        for direction, suffix in zip(layer.directions, ("", "_reverse")):
            arrays[f"weight_ih_l{k}{suffix}"] = direction.weight_ih
            arrays[f"weight_hh_l{k}{suffix}"] = direction.weight_hh
            if has_bias:
                arrays[f"bias_ih_l{k}{suffix}"] = direction.bias_ih
                arrays[f"bias_hh_l{k}{suffix}"] = direction.bias_hh
            if direction.peephole is not None:
                arrays[f"peephole_l{k}{suffix}"] = direction.peephole
    cell = _cell(model, has_bias)
    layer_options = cell.get("layer_options")
    if model.h0 is not None:  # with c0 for an LSTM: the model fills in the other state
        cell["initial_state"] = True
        arrays["initial_h"] = model.h0
        if model.c0 is not None:
            arrays["initial_c"] = model.c0
    meta: dict[str, Any] = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION if layer_options else PLAIN_FORMAT_VERSION,
        "name": model.name,
        "description": model.description,
        "cell": cell,
        "provenance": model.provenance,
        "tokenizer": None,
        "vocabulary": None,
        "head": None,
    }
    if model.card is not None:
        meta["card"] = model.card
    if model.masked_id is not None:
        meta["masked_id"] = model.masked_id
    _add_reading_and_head(model, meta, arrays)
    arrays[METADATA] = json_array(meta)
    return arrays


def _add_reading_and_head(model: Model, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
    """The embedding with what reads text into it (tokenizer, vocabulary) or alone (a model reading ids), the head."""
    if model.tokenizer is not None and model.vocabulary is not None and model.embedding is not None:
        meta["tokenizer"] = model.tokenizer.to_dict()
        meta["vocabulary"] = {"tokens": model.vocabulary.tokens(), "unknown": model.vocabulary.unknown}
        if model.vocabulary.padding is not None:
            meta["vocabulary"]["padding"] = model.vocabulary.padding
        arrays["embedding"] = model.embedding
    elif model.embedding is not None:  # a model that reads token ids: its embedding without a vocabulary
        meta["embedding"] = True
        arrays["embedding"] = model.embedding
    if model.head is not None:
        meta["head"] = {"activation": model.head.activation, "labels": model.head.labels}
        arrays["head_weight"] = model.head.weight
        arrays["head_bias"] = model.head.bias


def _cell(model: Model, has_bias: bool) -> dict[str, Any]:
    """The metadata's ``cell``: what every layer shares, and each layer's options when any is set."""
    first = model.layers[0]
    cell: dict[str, Any] = {
        "kind": first.kind,
        "layers": len(model.layers),
        "units": first.hidden_size,
        "input_size": first.input_size,
        "bidirectional": first.bidirectional,
        "bias": bool(has_bias),
        "peepholes": first.peepholes,
    }
    if first.kind == "gru":
        cell["gru_convention"] = first.gru_convention
    if first.kind == "rnn":
        cell["nonlinearity"] = first.nonlinearity
    layer_options = [layer.options() for layer in model.layers]
    if any(layer_options):  # one object per layer: the options it sets away from their defaults
        cell["layer_options"] = layer_options
    return cell


def save(model: Model, path: Path) -> None:
    """Write ``model`` to ``path`` atomically."""
    write_npz_atomic(path, to_arrays(model))
