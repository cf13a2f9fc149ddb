"""Keras model files: recognised here by content, read by :mod:`keras_reader` (zipfile, json and h5py only; no
TensorFlow, no Keras, nothing from the file run). h5py is imported only when a Keras file is opened.

- Keras 3 ``.keras``: a zip of ``config.json`` (the model's layers), ``metadata.json`` (``keras_version``),
  ``model.weights.h5`` and ``assets/`` (an adapted TextVectorization's ``vocabulary.txt``).
- Legacy HDF5 ``.h5`` (``model.save("x.h5")`` in Keras 2 and 3): root attributes ``model_config`` (JSON),
  ``keras_version``, ``backend``; weights under ``model_weights/``.
- ``save_weights`` files hold no architecture: refused with the way to save one that does.
"""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from gatescope.model.formats.keras_signs import CONFIG, HDF5_SIGNATURE, METADATA, WEIGHTS, ZIP_MAGIC

if TYPE_CHECKING:
    from gatescope.model.model import Model


def sniff(path: Path) -> bool:
    """True for an HDF5 file, and for a zip holding a Keras config (or any zip named .keras, so that a damaged one
    is reported as a Keras file)."""
    try:
        with path.open("rb") as stream:
            head = stream.read(8)
        if head.startswith(HDF5_SIGNATURE):
            return True
        if not head.startswith(ZIP_MAGIC):
            return False
        if path.suffix.lower() == ".keras":
            return True
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
        return CONFIG in names and (WEIGHTS in names or METADATA in names)
    except (OSError, zipfile.BadZipFile, zlib.error, EOFError, ValueError, NotImplementedError):
        return False


def load(path: Path, dtype: npt.DTypeLike = np.float32) -> Model:
    """Read a .keras archive or a legacy .h5 model; every problem is a GatescopeError starting with the path."""
    from gatescope.model.formats import keras_reader

    return keras_reader.load(path, dtype)
