"""Reading gatescope's own model file (its layout, and writing it: :mod:`native_layout`): one .npz of arrays (PyTorch
names and gate order) plus a JSON metadata entry.

Arrays: ``embedding`` (V, E) for text models and for models that read token ids (metadata ``"embedding": true``, no
tokenizer); per layer ``weight_ih_l{k}``, ``weight_hh_l{k}``, ``bias_ih_l{k}``,
``bias_hh_l{k}`` (no biases when ``bias`` is false), ``peephole_l{k}`` (3, H: input, forget, output) for peephole
LSTMs, each with a ``_reverse`` twin for bidirectional layers; ``head_weight`` (n, D*H) and ``head_bias`` (n,);
``initial_h`` and, for an LSTM, ``initial_c`` (layers * D, H) when the model fixes its initial states.
Metadata: ``__gatescope__``, UTF-8 JSON stored as uint8 (see ``METADATA_KEYS``; ``card`` is an optional Markdown
model card, ``vocabulary.unknown`` is null for a vocabulary without an unknown token). Read with allow_pickle=False.
From format version 2, ``cell.layer_options`` may list one object per layer holding the options of imported layers
that it sets away from their defaults (``RecurrentLayer``'s ``clip``, ``input_forget``, ``reverse``,
``gate_activation``, ``activation``); files without it have PyTorch's layers.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from gatescope.engine.cells import OPTION_DEFAULTS, RecurrentLayer, gate_count, layer_from_state_dict
from gatescope.errors import GatescopeError
from gatescope.model.formats.budget import size_text
from gatescope.model.formats.native_layout import FORMAT_NAME, FORMAT_VERSION, METADATA
from gatescope.model.formats.npzfile import JsonObject, NpzArchive, array_names, is_npz, read_json_array
from gatescope.model.model import Head, Model
from gatescope.model.state_dict import weight_names
from gatescope.model.tokenize import CharTokenizer, Vocabulary, WordTokenizer, tokenizer_from_dict

T = TypeVar("T")

#: Bytes of JSON metadata read at most (a vocabulary of a million words takes about 15 MB).
MAX_METADATA_BYTES = 50_000_000


def sniff(path: Path) -> bool:
    """True for an .npz that carries gatescope metadata."""
    return is_npz(path) and METADATA in array_names(path)


def read_metadata(path: Path) -> JsonObject:
    """Only the metadata (fast: no other member is opened); used to list built-in models."""
    with NpzArchive(path) as archive:
        return _read_metadata(path, archive)


def load(path: Path, dtype: npt.DTypeLike = np.float32) -> Model:
    """Read and validate a native model file; every problem is a GatescopeError naming the file. The metadata says
    which arrays there must be: any other is refused by name, and no weight is inflated before that."""
    with NpzArchive(path) as archive:
        meta = _read_metadata(path, archive)
        try:
            cell = _described_cell(meta)
            expected = _expected_arrays(meta, cell)
            _check_names(expected, set(archive.names) - {METADATA})
            arrays = archive.read([name for name in archive.names if name in expected])
            return _build(path, meta, cell, arrays, np.dtype(dtype))
        except GatescopeError as error:
            message = str(error)
            raise GatescopeError(message if message.startswith(str(path)) else f"{path}: {message}") from None


def _read_metadata(path: Path, archive: NpzArchive) -> JsonObject:
    if METADATA not in archive.names:
        raise GatescopeError(f"{path}: no {METADATA!r} entry; not a gatescope model file")
    declared = archive.declared_size(METADATA)
    if declared > MAX_METADATA_BYTES:
        raise GatescopeError(
            f"{path}: its {METADATA!r} entry declares {size_text(declared)}, more than the "
            f"{size_text(MAX_METADATA_BYTES)} of metadata gatescope reads; refused as too large"
        )
    return read_json_array(path, archive.read([METADATA])[METADATA], METADATA)


@dataclass(frozen=True)
class _Cell:
    """The metadata's description of the recurrent stack."""

    kind: str
    layers: int
    bidirectional: bool
    bias: bool
    peepholes: bool
    units: int
    input_size: int
    gru_convention: str
    nonlinearity: str
    layer_options: tuple[dict[str, Any], ...]
    initial_state: bool  # arrays initial_h (and initial_c for an LSTM): the states every run starts from


def _described_cell(meta: JsonObject) -> _Cell:
    """The recurrent stack the metadata describes, once its format, provenance and layer count are valid."""
    _check_format(meta)
    cell = _cell(meta)
    if not isinstance(meta.get("provenance") or {}, dict):
        raise GatescopeError("metadata 'provenance' must be an object")
    if cell.layers < 1:
        raise GatescopeError(f"cell 'layers' must be at least 1, not {cell.layers}")
    if cell.layer_options and len(cell.layer_options) != cell.layers:
        raise GatescopeError(f"cell 'layer_options' lists {len(cell.layer_options)} layers; the cell has {cell.layers}")
    return cell


def _expected_arrays(meta: JsonObject, cell: _Cell) -> set[str]:
    """Exactly the arrays the metadata describes: the stack's weights, the embedding and the head when present."""
    expected = set(weight_names(cell.layers, cell.bidirectional, cell.bias, cell.peepholes))
    if meta.get("tokenizer") is not None or meta.get("embedding") is True:  # text, or token ids (no vocabulary)
        expected.add("embedding")
    if meta.get("head") is not None:
        expected |= {"head_weight", "head_bias"}
    if cell.initial_state:
        expected |= {"initial_h", "initial_c"} if cell.kind == "lstm" else {"initial_h"}
    return expected


def _build(path: Path, meta: JsonObject, cell: _Cell, arrays: dict[str, np.ndarray], dtype: np.dtype) -> Model:
    _check_arrays(cell, arrays)
    tokenizer, vocabulary = _text_reader(meta)
    return Model(
        layers=_layers(cell, arrays, dtype),
        tokenizer=tokenizer,
        vocabulary=vocabulary,
        embedding=arrays.get("embedding"),
        head=_head(meta.get("head"), arrays, dtype),
        name=str(meta.get("name") or path.stem),
        description=str(meta.get("description", "")),
        provenance=meta.get("provenance") or {},
        source=path,
        card=_card(meta),
        masked_id=_masked_id(meta),
        h0=arrays.get("initial_h"),
        c0=arrays.get("initial_c"),
    )


def _card(meta: JsonObject) -> str | None:
    """The model card (Markdown) kept in the metadata, e.g. by ``gatescope import``; None when there is none."""
    card = meta.get("card")
    if card is not None and not isinstance(card, str):
        raise GatescopeError(f"metadata 'card' must be Markdown text (a string), not {type(card).__name__}")
    return card


def _masked_id(meta: JsonObject) -> int | None:
    """The padding id the model refuses to run (Keras mask_zero), None when there is none."""
    value = meta.get("masked_id")
    if value is not None and (type(value) is not int or value < 0):
        raise GatescopeError(f"metadata 'masked_id' must be a token id (a whole number from 0), not {value!r}")
    return value


def _check_format(meta: JsonObject) -> None:
    if meta.get("format") != FORMAT_NAME:
        raise GatescopeError(f"metadata 'format' is {meta.get('format')!r}, expected {FORMAT_NAME!r}")
    version = meta.get("format_version")
    if type(version) is not int or version < 1:
        raise GatescopeError(f"metadata 'format_version' must be a whole number from 1, not {version!r}")
    if version > FORMAT_VERSION:
        raise GatescopeError(
            f"format version {version} is newer than this gatescope reads ({FORMAT_VERSION}); update gatescope"
        )


def _cell(meta: JsonObject) -> _Cell:
    cell = _require(meta, "cell", dict)
    kind = _require(cell, "kind", str)
    if kind not in ("lstm", "gru", "rnn"):
        raise GatescopeError(f"unknown cell kind {kind!r}; expected lstm, gru or rnn")
    return _Cell(
        kind=kind,
        layers=_require(cell, "layers", int),
        bidirectional=_require(cell, "bidirectional", bool),
        bias=_optional(cell, "bias", bool, True),
        peepholes=_optional(cell, "peepholes", bool, False),
        units=_require(cell, "units", int),
        input_size=_require(cell, "input_size", int),
        gru_convention=_optional(cell, "gru_convention", str, "pytorch"),
        nonlinearity=_optional(cell, "nonlinearity", str, "tanh"),
        layer_options=tuple(_layer_options(entry) for entry in _optional(cell, "layer_options", list, [])),
        initial_state=_optional(cell, "initial_state", bool, False),
    )


#: The JSON types of each layer option (its values are checked by RecurrentLayer).
_OPTION_TYPES: dict[str, tuple[type, ...]] = {
    "clip": (int, float, type(None)),
    "input_forget": (bool,),
    "reverse": (bool,),
    "gate_activation": (str,),
    "activation": (str,),
}


def _layer_options(entry: object) -> dict[str, Any]:
    """One layer's entry of ``cell.layer_options``: an object of known option names and JSON types."""
    if not isinstance(entry, dict):
        raise GatescopeError(f"each of cell 'layer_options' must be an object, not {type(entry).__name__}")
    for name, value in entry.items():
        if name not in OPTION_DEFAULTS:
            raise GatescopeError(
                f"unknown layer option {name!r} in cell 'layer_options'; expected {', '.join(OPTION_DEFAULTS)}"
            )
        if type(value) not in _OPTION_TYPES[name]:
            expected = " or ".join("null" if kind is type(None) else kind.__name__ for kind in _OPTION_TYPES[name])
            raise GatescopeError(f"layer option {name!r} must be {expected}, not {type(value).__name__}")
    return dict(entry)


def _check_arrays(cell: _Cell, arrays: dict[str, np.ndarray]) -> None:
    """Every array is floating point and the recurrent weights have the metadata's number of units."""
    for name, array in arrays.items():
        if array.dtype.kind != "f":
            raise GatescopeError(f"array {name!r} is {array.dtype}; model weights must be floating point")
    recurrent = arrays["weight_hh_l0"]
    if recurrent.ndim == 2 and recurrent.shape[1] != cell.units:
        raise GatescopeError(
            f"weight_hh_l0 has shape {recurrent.shape}, i.e. {recurrent.shape[1]} units; "
            f"metadata says {cell.units}, so expected ({gate_count(cell.kind) * cell.units}, {cell.units})"
        )


def _layers(cell: _Cell, arrays: dict[str, np.ndarray], dtype: np.dtype) -> list[RecurrentLayer]:
    directions = 2 if cell.bidirectional else 1
    return [
        layer_from_state_dict(
            arrays,
            k,
            cell.kind,
            bidirectional=cell.bidirectional,
            dtype=dtype,
            gru_convention=cell.gru_convention,
            nonlinearity=cell.nonlinearity,
            units=cell.units,
            input_size=cell.input_size if k == 0 else directions * cell.units,
            **(cell.layer_options[k] if cell.layer_options else {}),
        )
        for k in range(cell.layers)
    ]


def _text_reader(meta: JsonObject) -> tuple[WordTokenizer | CharTokenizer | None, Vocabulary | None]:
    """The tokenizer and vocabulary of a text model; (None, None) for a model that reads arrays."""
    tokenizer_config, vocabulary_config = meta.get("tokenizer"), meta.get("vocabulary")
    if tokenizer_config is None:
        return None, None
    if not isinstance(tokenizer_config, dict) or not isinstance(vocabulary_config, dict):
        raise GatescopeError("a text model needs 'tokenizer' and 'vocabulary' objects in its metadata")
    tokenizer = tokenizer_from_dict(tokenizer_config)
    tokens = _require(vocabulary_config, "tokens", list)
    # "unknown" is null for a vocabulary without an unknown token; files from before it could be null say "<unk>".
    unknown = vocabulary_config.get("unknown", "<unk>")
    return tokenizer, Vocabulary(tokens, unknown=unknown, padding=vocabulary_config.get("padding"))


def _head(config: object, arrays: dict[str, np.ndarray], dtype: np.dtype) -> Head | None:
    if config is None:
        return None
    if not isinstance(config, dict):
        raise GatescopeError("metadata 'head' must be an object")
    labels = config.get("labels")
    if labels is not None and not (isinstance(labels, list) and all(isinstance(x, str) for x in labels)):
        raise GatescopeError("head 'labels' must be a list of strings")
    return Head(
        arrays["head_weight"].astype(dtype),
        arrays["head_bias"].astype(dtype),
        activation=config.get("activation", "softmax"),
        labels=labels,
    )


def _check_names(expected: set[str], found: set[str]) -> None:
    missing, extra = sorted(expected - found), sorted(found - expected)
    if missing:
        raise GatescopeError(f"missing array{'s' if len(missing) > 1 else ''} {', '.join(missing)}")
    if extra:
        raise GatescopeError(
            f"unexpected array{'s' if len(extra) > 1 else ''} {', '.join(extra)} (the metadata does not describe them)"
        )


def _optional(mapping: JsonObject, key: str, kind: type[T], default: T) -> T:
    return _require(mapping, key, kind) if key in mapping else default


def _require(mapping: JsonObject, key: str, kind: type[T]) -> T:
    if key not in mapping:
        raise GatescopeError(f"metadata is missing {key!r}")
    value = mapping[key]
    if type(value) is not kind and not (kind in (list, dict) and isinstance(value, kind)):
        raise GatescopeError(f"metadata {key!r} must be {kind.__name__}, not {type(value).__name__}")
    return value
