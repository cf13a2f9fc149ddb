"""Reading Keras model files (recognised by :mod:`keras_file`) with zipfile, json and h5py only.

- Keras 3 ``.keras``: a zip of ``config.json`` (the model's layers), ``metadata.json`` (``keras_version``),
  ``model.weights.h5`` and ``assets/`` (an adapted TextVectorization's ``vocabulary.txt``).
- Legacy HDF5 ``.h5`` (``model.save("x.h5")`` in Keras 2 and 3): root attributes ``model_config`` (JSON),
  ``keras_version``, ``backend``; weights under ``model_weights/``.
- ``save_weights`` files hold no architecture: refused with the way to save one that does.

Layers gatescope can run: :mod:`keras_config`; weights: :mod:`keras_weights` over :mod:`keras_h5`; conversion:
:mod:`keras_model`; text: :mod:`keras_text`.
"""

from __future__ import annotations

import json
import re
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from gatescope.errors import GatescopeError
from gatescope.model.formats.budget import ReadBudget, size_text
from gatescope.model.formats.keras_config import KerasPlan, plan_from_config
from gatescope.model.formats.keras_h5 import H5_ERRORS, MAX_TEXT_BYTES, SafeH5, has_hdf5_signature
from gatescope.model.formats.keras_model import FileInfo, build_model
from gatescope.model.formats.keras_signs import CONFIG, METADATA, WEIGHTS, ZIP_MAGIC
from gatescope.model.formats.keras_text import TextParts, check_vectorizer, text_parts
from gatescope.model.formats.keras_weights import Keras3Weights, LegacyWeights, WeightSource
from gatescope.model.formats.npzfile import check_readable
from gatescope.model.model import Model

#: Bytes of ``metadata.json`` read at most.
MAX_METADATA_BYTES = 1_000_000
#: Bytes of a TextVectorization ``vocabulary.txt`` read at most (a million words take about 10 MB).
MAX_VOCABULARY_BYTES = 200_000_000
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError)
_SAVE_HINT = "in Keras, save the whole model: model.save('model.keras')"


def load(path: Path, dtype: npt.DTypeLike = np.float32) -> Model:
    """Read a .keras archive or a legacy .h5 model; every problem is a GatescopeError starting with the path."""
    check_readable(path)
    try:
        with path.open("rb") as stream:
            head = stream.read(8)
        if has_hdf5_signature(head):
            return _load_hdf5(path, np.dtype(dtype))
        if head.startswith(ZIP_MAGIC):
            return _load_archive(path, np.dtype(dtype))
        raise GatescopeError("not a Keras model file (neither a .keras zip archive nor an HDF5 .h5 file)")
    except GatescopeError as error:
        message = str(error)
        raise GatescopeError(message if message.startswith(str(path)) else f"{path}: {message}") from None
    except OSError as error:
        raise GatescopeError(f"{path}: cannot read ({error.strerror or error})") from None


# ---- .keras


def _load_archive(path: Path, dtype: np.dtype[Any]) -> Model:
    try:
        archive = zipfile.ZipFile(path)
    except _ZIP_ERRORS as error:
        raise GatescopeError(f"damaged or truncated .keras archive ({error}); download or save it again") from None
    with archive:
        members = {info.filename: info for info in archive.infolist() if not info.is_dir()}
        if CONFIG not in members:
            raise GatescopeError(f"a zip archive without {CONFIG}, so not a Keras model; {_SAVE_HINT}")
        if WEIGHTS not in members:
            stored = "model.weights.npz" if "model.weights.npz" in members else "no model.weights.h5"
            raise GatescopeError(
                f"the archive holds {stored} (sharded or NumPy weights are not read); save it with Keras' defaults: "
                f"model.save('model.keras')"
            )
        budget = ReadBudget(path)
        limits = {CONFIG: MAX_TEXT_BYTES, METADATA: MAX_METADATA_BYTES}
        texts = {name: _member_text(archive, members[name], limits[name], budget) for name in limits if name in members}
        version = _archive_version(texts.get(METADATA))
        plan = plan_from_config(_json(texts[CONFIG], CONFIG), _major(version, default=3))
        asset = _asset_tokens(archive, members, plan, budget)
        weights_bytes = _member_bytes(archive, members[WEIGHTS], budget)
    where = f"{path} ({WEIGHTS})"
    with SafeH5(weights_bytes, where, ReadBudget(where)) as safe:
        info = FileInfo("Keras 3 model (.keras)" if _major(version, 3) >= 3 else "Keras 2 model (.keras)", version)
        return _build(path, plan, Keras3Weights(safe, dtype), asset, info, dtype)


def _member_bytes(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: ReadBudget) -> bytes:
    """A member's bytes, its declared size charged to the budget before it is inflated."""
    budget.reserve({info.filename: info.file_size})
    try:
        with archive.open(info) as member:
            data = member.read(info.file_size + 1)
    except _ZIP_ERRORS as error:
        raise GatescopeError(f"damaged or truncated .keras archive: cannot read {info.filename} ({error})") from None
    if len(data) != info.file_size:
        raise GatescopeError(
            f"{info.filename} holds {len(data):,} bytes where the archive declares {info.file_size:,}; damaged"
        )
    return data


def _member_text(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int, budget: ReadBudget) -> str:
    if info.file_size > limit:
        raise GatescopeError(
            f"{info.filename} declares {size_text(info.file_size)}, more than the {size_text(limit)} gatescope "
            f"reads; refused as damaged"
        )
    try:
        return _member_bytes(archive, info, budget).decode("utf-8")
    except UnicodeDecodeError:
        raise GatescopeError(f"{info.filename} is not UTF-8 text; damaged") from None


def _archive_version(metadata: str | None) -> str | None:
    if metadata is None:
        return None
    value = _json(metadata, METADATA)
    version = value.get("keras_version") if isinstance(value, dict) else None
    return str(version) if isinstance(version, str) else None


def _asset_tokens(
    archive: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo], plan: KerasPlan, budget: ReadBudget
) -> str | None:
    """An adapted TextVectorization's ``assets/layers/<key>/vocabulary.txt`` (Keras writes it there and under
    ``_lookup_layer/``), or None."""
    spec = plan.vectorizer
    if spec is None or spec.vocabulary is not None:
        return None
    for folder in (f"assets/layers/{spec.h5_key}", f"assets/layers/{spec.h5_key}/_lookup_layer"):
        info = members.get(f"{folder}/vocabulary.txt")
        if info is not None:
            return _member_text(archive, info, MAX_VOCABULARY_BYTES, budget)
    return None


# ---- .h5


def _load_hdf5(path: Path, dtype: np.dtype[Any]) -> Model:
    with SafeH5(path, str(path), ReadBudget(path)) as safe:
        root = safe.root
        config_text = safe.text_attr(root, "model_config")
        version = safe.text_attr(root, "keras_version")
        if config_text is None:
            raise GatescopeError(_weights_only_reason(safe))
        if _major(version, 2) < 2:
            raise GatescopeError(
                f"written by Keras {version}, whose layouts gatescope does not read; load it in Keras 2 and save it "
                f"again"
            )
        plan = plan_from_config(_json(config_text, "model_config"), _major(version, default=2))
        weights_group = safe.group(root, "model_weights")
        if weights_group is None:
            raise GatescopeError(f"the file holds a model config but no model_weights group; {_SAVE_HINT}")
        info = FileInfo(f"Keras legacy HDF5 model (.h5, Keras {version or 'version unknown'})", version)
        return _build(path, plan, LegacyWeights(safe, weights_group, dtype), None, info, dtype)


def _weights_only_reason(safe: SafeH5) -> str:
    """Why an HDF5 file without a model config cannot be opened, and what to do."""
    try:
        keras_weights = safe.names_attr(safe.root, "layer_names") is not None or "layers" in safe.root
    except (GatescopeError, *H5_ERRORS):
        keras_weights = False
    if keras_weights:
        return (
            "holds weights only (model.save_weights()), without the model's layers and their settings; "
            f"{_SAVE_HINT} (or model.save('model.h5'))"
        )
    return f"an HDF5 file, but not a Keras model (no model_config attribute); {_SAVE_HINT}"


# ---- shared


def _build(
    path: Path, plan: KerasPlan, weights: WeightSource, asset: str | None, info: FileInfo, dtype: np.dtype[Any]
) -> Model:
    text: TextParts | None = None
    if plan.vectorizer is not None:
        check_vectorizer(plan.vectorizer)
        assert plan.embedding is not None
        text = text_parts(plan.vectorizer, asset, plan.embedding.input_dim)
    if _major(info.keras_version, 3) < 3 and any(spec.gate_activation != "sigmoid" for spec in plan.recurrent):
        info = FileInfo(
            info.format,
            info.keras_version,
            (*info.notes, "hard_sigmoid is Keras 2's clip(0.2·x + 0.5), as the file's Keras version says"),
        )
    return build_model(path, plan, weights, text, info, dtype)


def _json(text: str, name: str) -> Any:
    try:
        return json.loads(text)
    except (json.JSONDecodeError, RecursionError) as error:
        raise GatescopeError(f"{name} is not valid JSON ({error}); the file is damaged") from None


def _major(version: str | None, default: int) -> int:
    """The major number of a Keras version string ("2.15.0", "2.2.4-tf", "3.15.1"), ``default`` when unknown."""
    match = re.match(r"\s*(\d+)\.", version or "")
    return int(match.group(1)) if match else default
