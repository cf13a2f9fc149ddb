"""What turns text into engine input and engine output into predictions. Never imports Qt."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from gatescope._paths import path_status, user_path
from gatescope.errors import GatescopeError
from gatescope.model.formats import load_file
from gatescope.model.model import Head, Model
from gatescope.model.options import VocabSource, apply_options
from gatescope.model.zoo import list_models, model_card, model_path


def load_model(
    source: str | Path,
    dtype: npt.DTypeLike = np.float32,
    *,
    vocab: VocabSource | None = None,
    labels: Sequence[str] | str | None = None,
    head: str | None = None,
) -> Model:
    """A built-in model by name (see list_models) or a model file by path (``~`` expanded): gatescope's own .npz,
    a PyTorch state_dict or checkpoint, safetensors, Keras (.keras, .h5) or ONNX, recognised by content.

    What a file cannot say, give here: ``vocab`` (a vocabulary file, a token → id dict or a token list) lets a model
    with an embedding read text, ``labels`` names the head's outputs (a list, or "a,b"), ``head`` is its activation
    ("softmax", "sigmoid" or "none" for raw logits).
    """
    return apply_options(_load(source, dtype), vocab=vocab, labels=labels, head=head)


def _load(source: str | Path, dtype: npt.DTypeLike) -> Model:
    if not isinstance(source, (str, Path)):
        raise GatescopeError(f"load_model takes a built-in model name or a file path, not {type(source).__name__}")
    dtype = _checked_dtype(dtype)
    if isinstance(source, str) and not source.strip():
        raise GatescopeError("no model given: pass a built-in model name or a file path")
    builtin = model_path(source) if isinstance(source, str) and "/" not in source and "\\" not in source else None
    if builtin is not None:
        model = load_file(builtin, dtype)
        model.card = model_card(str(source))
        return model
    path = user_path(source)
    if path_status(path) is None:
        names = ", ".join(name for name, _ in list_models()) or "none installed"
        raise GatescopeError(f"{source}: no such built-in model or file (built-in models: {names})")
    return load_file(path, dtype)


def _checked_dtype(dtype: npt.DTypeLike) -> np.dtype[Any]:
    """np.float32 or np.float64 (or their names) as a dtype; GatescopeError for anything else, None included (NumPy
    would silently read None as float64)."""
    choice = "a model computes in float32 or float64: pass np.float32 (the default) or np.float64"
    if dtype is None:
        raise GatescopeError(f"dtype=None: {choice}")
    try:
        checked = np.dtype(dtype)
    except (TypeError, ValueError):
        raise GatescopeError(f"dtype={dtype!r} is not a NumPy data type; {choice}") from None
    if checked not in (np.float32, np.float64):
        raise GatescopeError(f"dtype={checked}: {choice}")
    return checked


__all__ = ["GatescopeError", "Head", "Model", "list_models", "load_model", "model_card"]
