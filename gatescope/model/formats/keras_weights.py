"""Where a Keras file keeps each layer's weights, in Keras' own order and shapes (conversion: :mod:`keras_model`).

Keras 3 (``model.weights.h5`` in a ``.keras`` archive): ``layers/<snake_case class>[_n]/vars/0, 1, ...``, numbered
per class in the model's layer order, not by layer name; a recurrent layer's under ``cell/vars``, a Bidirectional's
under ``forward_layer/cell/vars`` and ``backward_layer/cell/vars``. Keras 2.13-2.15 wrote ``_layer_checkpoint_
dependencies`` instead of ``layers``. Recent Keras also writes the layer's name as an attribute of ``vars``: when it
is there it must match.

Legacy HDF5 (``model.save("x.h5")``, Keras 2 and 3; ``save_weights`` of Keras 2 writes the same at the root): group
``model_weights/<layer name>`` with attribute ``weight_names`` (split into ``weight_names0, 1, ...`` when long) listing
dataset paths inside it, e.g. ``lstm_1/lstm_cell/kernel:0`` (Keras 2) or ``sequential/lstm/lstm_cell/kernel`` (Keras
3), forward weights before backward ones in a Bidirectional (``forward_lstm/...``, ``backward_lstm/...``).
"""

from __future__ import annotations

import re
from typing import Any, Protocol

import h5py
import numpy as np

from gatescope.errors import GatescopeError
from gatescope.model.formats.keras_config import DenseSpec, EmbeddingSpec, LayerSpec, RecurrentSpec
from gatescope.model.formats.keras_h5 import SafeH5

#: One list of arrays per direction (one list for an Embedding, Dense or unidirectional layer).
LayerArrays = list[list[np.ndarray]]


class WeightSource(Protocol):
    """Reads one layer's weights in Keras' order: kernel, recurrent kernel, bias; embeddings; kernel, bias."""

    def read(self, spec: LayerSpec) -> LayerArrays: ...


def expected_names(spec: LayerSpec) -> list[str]:
    """The weights a layer has, in Keras' order, for one direction."""
    if isinstance(spec, EmbeddingSpec):
        return ["embeddings"]
    if isinstance(spec, DenseSpec):
        return ["kernel", "bias"] if spec.use_bias else ["kernel"]
    assert isinstance(spec, RecurrentSpec)
    return ["kernel", "recurrent_kernel", "bias"] if spec.use_bias else ["kernel", "recurrent_kernel"]


class Keras3Weights:
    """The layers of a Keras 3 weights file (``model.weights.h5``)."""

    def __init__(self, safe: SafeH5, dtype: np.dtype[Any]) -> None:
        self.safe = safe
        self.dtype = dtype
        layers = safe.group(safe.root, "layers") or safe.group(safe.root, "_layer_checkpoint_dependencies")
        if layers is None:
            raise GatescopeError(f"{safe.where}: no 'layers' group, so no layer weights; save the model again")
        self.layers = layers

    def read(self, spec: LayerSpec) -> LayerArrays:
        group = self.safe.group(self.layers, spec.h5_key)
        if group is None:
            raise GatescopeError(
                f"{self.safe.where}: no weights for layer {spec.name!r} ({spec.class_name}): expected them in "
                f"layers/{spec.h5_key}"
            )
        self._check_name(group, spec)
        if isinstance(spec, RecurrentSpec):
            parts = ["cell/vars"] if spec.directions == 1 else ["forward_layer/cell/vars", "backward_layer/cell/vars"]
        else:
            parts = ["vars"]
        return [self._vars(group, part, spec) for part in parts]

    def _check_name(self, group: h5py.Group, spec: LayerSpec) -> None:
        own = self.safe.group(group, "vars")
        stored = None if own is None else self.safe.text_attr(own, "name")
        if stored is not None and stored != spec.name:
            raise GatescopeError(
                f"{self.safe.where}: layers/{spec.h5_key} holds the weights of layer {stored!r}, but the config puts "
                f"layer {spec.name!r} ({spec.class_name}) there; the config and the weights do not belong together"
            )

    def _vars(self, group: h5py.Group, part: str, spec: LayerSpec) -> list[np.ndarray]:
        names = expected_names(spec)
        where = f"layers/{spec.h5_key}/{part}"
        variables = self.safe.group(group, part)
        if variables is None:
            raise GatescopeError(f"{self.safe.where}: no weights for layer {spec.name!r}: {where} is missing")
        stored = self.safe.members(variables)
        if sorted(stored) != sorted(str(number) for number in range(len(names))):
            raise GatescopeError(
                f"{self.safe.where}: {where} holds {len(stored)} arrays ({', '.join(stored) or 'none'}); layer "
                f"{spec.name!r} ({_describe(spec)}) has {len(names)}: {', '.join(names)}"
            )
        return [self.safe.array(variables, str(number), self.dtype) for number in range(len(names))]


class LegacyWeights:
    """The layers of a legacy HDF5 file: ``group`` is ``model_weights`` (whole model) or the root (save_weights)."""

    def __init__(self, safe: SafeH5, group: h5py.Group, dtype: np.dtype[Any]) -> None:
        self.safe = safe
        self.group = group
        self.dtype = dtype

    def read(self, spec: LayerSpec) -> LayerArrays:
        layer = self.safe.group(self.group, spec.name)
        if layer is None:
            raise GatescopeError(
                f"{self.safe.where}: no weights for layer {spec.name!r} ({spec.class_name}) in {self.group.name}"
            )
        listed = self.safe.names_attr(layer, "weight_names") or []
        names = expected_names(spec)
        directions = spec.directions if isinstance(spec, RecurrentSpec) else 1
        short = [_short_name(name) for name in listed]
        if short != names * directions:
            raise GatescopeError(
                f"{self.safe.where}: layer {spec.name!r} ({_describe(spec)}) lists weights "
                f"{', '.join(listed) or '(none)'}; expected {', '.join(names * directions)}. Files of Keras 1 and "
                f"cuDNN layers are laid out differently: load the model in Keras 2 or 3 and save it again"
            )
        if directions == 2:
            _check_directions(self.safe.where, spec, listed)
        count = len(names)
        return [
            [self.safe.array(layer, name, self.dtype) for name in listed[start : start + count]]
            for start in range(0, len(listed), count)
        ]


def _short_name(path: str) -> str:
    """``bidirectional/forward_lstm/lstm_cell/kernel:0`` → ``kernel``."""
    return re.sub(r":\d+$", "", path.rsplit("/", 1)[-1])


def _check_directions(where: str, spec: LayerSpec, listed: list[str]) -> None:
    half = len(listed) // 2
    for names, direction in ((listed[:half], "forward"), (listed[half:], "backward")):
        if not all(f"/{direction}_" in f"/{name}" for name in names):
            raise GatescopeError(
                f"{where}: layer {spec.name!r} (Bidirectional) lists {', '.join(names)} where its {direction} "
                f"layer's weights belong"
            )


def _describe(spec: LayerSpec) -> str:
    if isinstance(spec, RecurrentSpec):
        wrapped = f"Bidirectional {spec.cell_class}" if spec.directions == 2 else spec.cell_class
        return f"{wrapped}, use_bias={spec.use_bias}"
    return spec.class_name
