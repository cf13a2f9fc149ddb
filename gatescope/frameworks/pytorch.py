"""Reference runs in PyTorch itself of the files gatescope reads as PyTorch state_dicts (``.pt`` and ``.npz``), for
``gatescope check``: torch loads the file (``weights_only=True``), builds nn modules of the architecture gatescope
inferred, runs them and returns each layer's states in gatescope's layout.

Every layer's h comes from stepping single-layer, single-direction modules holding that layer's weights one time step
at a time (nn.LSTM returns no per-step cell state), the top layer's h from the whole module; ``"logits"`` is the head
Linear applied to the module's output. torch is imported inside the functions: it is never a requirement.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from gatescope.model.model import Model

PACKAGE = "torch"
_RECURRENT = re.compile(r"^(weight|bias)_(ih|hh)_l\d+(_reverse)?$")


def reference(path: Path, model: Model, inputs: np.ndarray) -> dict[str, np.ndarray]:
    """Run ``path`` in PyTorch on ``inputs`` (token ids (T,) or floats (T, features)); arrays keyed "layer {k} h",
    "layer {k} c" and "logits", (T, directions × units), forward units first, reverse row t at input position t."""
    return run_state_dict(model, load_state_dict(path, model), inputs)


def load_state_dict(path: Path, model: Model) -> dict[str, Any]:
    """The state_dict's tensors as torch loads them, from where gatescope found them (checkpoint key, prefix)."""
    import torch

    locator = model.provenance.get("state_dict", {})
    if _is_npz(path):
        with np.load(path, allow_pickle=False) as arrays:
            loaded: Any = {name: torch.from_numpy(arrays[name].copy()) for name in arrays.files}
    else:
        loaded = torch.load(path, weights_only=True, map_location="cpu")
    if locator.get("checkpoint_key") is not None:
        loaded = loaded[locator["checkpoint_key"]]
    return strip_prefix(loaded, locator.get("stripped_prefix", ""))


def _is_npz(path: Path) -> bool:
    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as archive:
        return any(name.endswith(".npy") for name in archive.namelist())


def strip_prefix(tensors: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    """The tensors whose keys start with ``prefix``, the prefix removed."""
    import torch

    return {
        name[len(prefix) :]: value
        for name, value in tensors.items()
        if name.startswith(prefix) and isinstance(value, torch.Tensor)
    }


def run_state_dict(model: Model, tensors: Mapping[str, Any], inputs: np.ndarray) -> dict[str, np.ndarray]:
    """Build torch modules of ``model``'s architecture from ``tensors`` (state_dict keys) and run them on ``inputs``."""
    import torch
    import torch.nn.functional as F

    locator = model.provenance.get("state_dict", {})
    prefix = locator.get("recurrent", "")
    weights = {name[len(prefix) :]: t for name, t in tensors.items() if name.startswith(prefix)}
    weights = {name: t for name, t in weights.items() if _RECURRENT.match(name)}
    dtype = torch.float64 if any(t.dtype == torch.float64 for t in weights.values()) else torch.float32
    weights = {name: t.to(dtype) for name, t in weights.items()}
    if locator.get("embedding"):
        embedding = tensors[locator["embedding"]].to(dtype)
        x = embedding[torch.as_tensor(np.asarray(inputs, dtype=np.int64))]
    else:
        x = torch.as_tensor(np.asarray(inputs), dtype=dtype)
    shape = Shape(model.kind, len(model.layers), model.bidirectional, model.layers[0].nonlinearity)
    module = recurrent_module(shape, weights, x.shape[1], dtype)
    with torch.no_grad():
        output = module(x.unsqueeze(1))[0][:, 0, :]
        states = stepped_layers(shape, weights, x, dtype)
    results: dict[str, np.ndarray] = {}
    for k, (h, c) in enumerate(states):
        results[f"layer {k} h"] = (output if k == len(states) - 1 else h).numpy()
        if c is not None:
            results[f"layer {k} c"] = c.numpy()
    if locator.get("head"):
        head = locator["head"]
        weight, bias = tensors[f"{head}weight"].to(dtype), tensors[f"{head}bias"].to(dtype)
        with torch.no_grad():
            results["logits"] = F.linear(output, weight, bias).numpy()
    return results


@dataclass(frozen=True)
class Shape:
    """What torch needs beyond the weights to build the recurrent module."""

    kind: str
    num_layers: int
    bidirectional: bool
    nonlinearity: str = "tanh"


def recurrent_module(shape: Shape, weights: Mapping[str, Any], input_size: int, dtype: Any) -> Any:
    """The whole nn.LSTM / nn.GRU / nn.RNN, its state_dict (``weights``) loaded strictly."""
    import torch

    units = weights["weight_hh_l0"].shape[1]
    options: dict[str, Any] = {"bias": "bias_ih_l0" in weights, "bidirectional": shape.bidirectional}
    if shape.kind == "rnn":
        options["nonlinearity"] = shape.nonlinearity
    module_class = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[shape.kind]
    module = module_class(input_size, units, shape.num_layers, **options).to(dtype)
    module.load_state_dict(dict(weights), strict=True)
    return module.eval()


def stepped_layers(shape: Shape, weights: Mapping[str, Any], x: Any, dtype: Any) -> list[tuple[Any, Any]]:
    """Each layer's (h, c) (T, directions × units), c None but for LSTMs: single-layer, single-direction modules with
    the layer's weights, stepped one time step at a time; each layer reads the one below's h."""
    import torch

    single_shape = Shape(shape.kind, 1, False, shape.nonlinearity)
    states = []
    below = x
    for k in range(shape.num_layers):
        hs, cs = [], []
        for suffix in ("", "_reverse") if shape.bidirectional else ("",):
            names = [n for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh") if f"{n}_l{k}{suffix}" in weights]
            single_weights = {f"{n}_l0": weights[f"{n}_l{k}{suffix}"] for n in names}
            single = recurrent_module(single_shape, single_weights, below.shape[1], dtype)
            sequence = torch.flip(below, [0]) if suffix else below
            h, c = _step(single, sequence, shape.kind == "lstm")
            hs.append(torch.flip(h, [0]) if suffix else h)
            cs.append(None if c is None else (torch.flip(c, [0]) if suffix else c))
        below = torch.cat(hs, dim=1)
        states.append((below, None if cs[0] is None else torch.cat(cs, dim=1)))
    return states


def _step(module: Any, sequence: Any, lstm: bool) -> tuple[Any, Any]:
    import torch

    state = None
    hs, cs = [], []
    for t in range(sequence.shape[0]):
        _, state = module(sequence[t : t + 1].unsqueeze(1), state)
        h, c = state if lstm else (state, None)
        hs.append(h[0, 0])
        if c is not None:
            cs.append(c[0, 0])
    return torch.stack(hs), (torch.stack(cs) if cs else None)
