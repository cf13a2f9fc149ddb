"""A PyTorch state_dict → Model, from its names and shapes alone (shared by the .pt, safetensors and .npz readers).

What is understood: one ``nn.LSTM`` / ``nn.GRU`` / ``nn.RNN`` (any number of layers, bidirectional or not, with or
without biases), optionally an ``nn.Embedding`` before it and an ``nn.Linear`` head reading its per-step output.

- The recurrent module: the keys ``{prefix}weight_ih_l0``, ``weight_hh_l*``, ``bias_*_l*`` (``_reverse``); one
  prefix only. ``weight_hr_l*`` (``proj_size``) is refused.
- The embedding: the one module holding nothing but a 2-D ``weight`` whose columns equal ``weight_ih_l0``'s (when
  several fit, the one whose name says "emb").
- The head: the one module holding a 2-D ``weight`` (n, directions × units) and a ``bias`` (n,).
- Every other key is refused, naming it: a second Linear, a LayerNorm, attention, a buffer — gatescope would
  silently compute something other than the model. (Buffers are not tolerated: each belongs to a module that does
  something gatescope does not run.) Keys that are no module's ``weight`` or ``bias`` are refused by name, before
  any array is read.
- ``module.`` (DataParallel) and ``_orig_mod.`` (torch.compile) prefixes that every key shares are removed.
- What a state_dict does not say is assumed and recorded in the provenance: nn.RNN's nonlinearity is tanh
  (``"nonlinearity_assumed": True``); the head's activation is softmax for two or more outputs and sigmoid for one
  (``"head_assumed": True``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from gatescope.engine.cells import layer_from_state_dict
from gatescope.errors import GatescopeError
from gatescope.model.model import Head, Model
from gatescope.model.state_dict import weight_names
from gatescope.model.tokenize import CharTokenizer, Vocabulary, WordTokenizer

RECURRENT_NAME = re.compile(
    r"^(?P<prefix>(?:.*\.)?)(?P<what>weight_ih|weight_hh|bias_ih|bias_hh|weight_hr)_l(?P<layer>\d+)"
    r"(?P<reverse>_reverse)?$"
)
#: Prefixes wrappers add to every key: nn.DataParallel / DistributedDataParallel, torch.compile.
WRAPPER_PREFIXES = ("module.", "_orig_mod.")
_KIND_BY_GATES = {4: "lstm", 3: "gru", 1: "rnn"}
_SAVE_HINT = "Save a model of that shape, or only the recurrent module's state_dict (e.g. net.lstm.state_dict())"
Shape = tuple[int, ...]


@contextmanager
def naming_file(path: Path) -> Iterator[None]:
    """Re-raise every GatescopeError inside with ``path`` at the start of its message (once)."""
    try:
        yield
    except GatescopeError as error:
        message = str(error)
        raise GatescopeError(message if message.startswith(str(path)) else f"{path}: {message}") from None


def model_from_state_dict(
    shapes: Mapping[str, Shape],
    read: Callable[[list[str]], Mapping[str, np.ndarray]],
    source: ModelSource,
    dtype: npt.DTypeLike,
) -> Model:
    """The model a state_dict describes: ``shapes`` (key -> shape, the file's own keys) decide the architecture
    before ``read(keys)`` is asked for the arrays it needs (by the file's keys). Wrapper prefixes are removed and
    recorded in the provenance (``state_dict.stripped_prefix``)."""
    stripped = check_names(list(shapes))
    architecture = infer_architecture({name[len(stripped) :]: shape for name, shape in shapes.items()})
    arrays = read([stripped + name for name in architecture.keys()])
    source.locator["stripped_prefix"] = stripped
    return build_model(architecture, {name: arrays[stripped + name] for name in architecture.keys()}, source, dtype)


def check_names(names: Sequence[str]) -> str:
    """The wrapper prefixes every name shares (see :func:`strip_wrapper_prefixes`), once the names without them
    hold one complete recurrent module; a GatescopeError otherwise. Needs no array."""
    stripped = strip_wrapper_prefixes(names)
    recurrent_names([name[len(stripped) :] for name in names])
    unplaceable = [
        name[len(stripped) :]
        for name in names
        if not RECURRENT_NAME.match(name[len(stripped) :]) and name.rpartition(".")[2] not in ("weight", "bias")
    ]
    if unplaceable:
        raise GatescopeError(
            f"unexpected arrays {', '.join(unplaceable)}: gatescope runs an nn.Embedding, one nn.LSTM / nn.GRU / "
            f"nn.RNN and one nn.Linear reading its output (their weights and biases), nothing else. {_SAVE_HINT}"
        )
    return stripped


def strip_wrapper_prefixes(names: Sequence[str]) -> str:
    """The ``module.`` / ``_orig_mod.`` prefixes that every name starts with, joined ("" when none)."""
    stripped = ""
    while names:
        shared = next((p for p in WRAPPER_PREFIXES if all(name.startswith(stripped + p) for name in names)), None)
        if shared is None:
            return stripped
        stripped += shared
    return stripped


@dataclass(frozen=True)
class Architecture:
    """What a state_dict's names and shapes say: where each part's weights are and the sizes they imply."""

    recurrent: str  # prefix of the recurrent module's keys, e.g. "lstm." ("" for a bare module)
    kind: str
    num_layers: int
    bidirectional: bool
    bias: bool
    units: int
    input_size: int
    embedding: str | None = None  # the embedding's key, e.g. "embedding.weight"
    embedding_rows: int = 0
    head: str | None = None  # the head module's prefix, e.g. "fc."
    head_outputs: int = 0

    @property
    def directions(self) -> int:
        return 2 if self.bidirectional else 1

    def keys(self) -> list[str]:
        """Every key the model is built from."""
        names = [self.recurrent + name for name in weight_names(self.num_layers, self.bidirectional, self.bias, False)]
        if self.embedding is not None:
            names.append(self.embedding)
        if self.head is not None:
            names += [f"{self.head}weight", f"{self.head}bias"]
        return names

    def describe(self) -> str:
        """E.g. ``Embedding(5000, 64) → 2 × bidirectional LSTM(128) → Linear(256, 2)``."""
        parts = [
            f"Embedding({self.embedding_rows}, {self.input_size})"
            if self.embedding is not None
            else f"{self.input_size} features"
        ]
        stack = f"{self.num_layers} × " if self.num_layers > 1 else ""
        stack += "bidirectional " if self.bidirectional else ""
        parts.append(f"{stack}{self.kind.upper()}({self.units}{'' if self.bias else ', bias=False'})")
        if self.head is not None:
            parts.append(f"Linear({self.directions * self.units}, {self.head_outputs})")
        return " → ".join(parts)


@dataclass(frozen=True)
class _Recurrent:
    prefix: str
    num_layers: int
    bidirectional: bool
    bias: bool


def recurrent_names(names: Sequence[str]) -> _Recurrent:
    """The one recurrent module the names hold (prefix, layers, directions, biases), its names complete; a
    GatescopeError otherwise. Needs no array."""
    matches = [match for match in map(RECURRENT_NAME.match, names) if match]
    if not matches:
        raise GatescopeError(
            "no recurrent weights (weight_ih_l0, weight_hh_l0, ... of an nn.LSTM, nn.GRU or nn.RNN) are in it"
        )
    prefixes = sorted({match.group("prefix") for match in matches})
    if len(prefixes) != 1:
        raise GatescopeError(
            f"arrays come from several modules with recurrent weights ({', '.join(p or '(none)' for p in prefixes)}); "
            f"gatescope runs one nn.LSTM / nn.GRU / nn.RNN (which can have several layers)"
        )
    prefix = prefixes[0]
    if any(match.group("what") == "weight_hr" for match in matches):
        raise GatescopeError(
            f"an LSTM with proj_size ({prefix}weight_hr_l*) is not supported; gatescope needs proj_size=0"
        )
    num_layers = 1 + max(int(match.group("layer")) for match in matches)
    bidirectional = any(match.group("reverse") for match in matches)
    bias = any(match.group("what").startswith("bias") for match in matches)
    expected = [prefix + name for name in weight_names(num_layers, bidirectional, bias, peepholes=False)]
    found = {match.string for match in matches}
    missing, extra = [name for name in expected if name not in found], sorted(found - set(expected))
    if missing:
        raise GatescopeError(f"missing arrays {', '.join(missing)} of the recurrent module")
    if extra:
        raise GatescopeError(f"unexpected arrays {', '.join(extra)}")
    return _Recurrent(prefix, num_layers, bidirectional, bias)


def infer_architecture(shapes: Mapping[str, Shape]) -> Architecture:
    """The architecture that names and shapes (key -> shape) describe, or a GatescopeError naming what does not fit
    (no array data is needed)."""
    recurrent = recurrent_names(list(shapes))
    prefix = recurrent.prefix
    weight_ih, weight_hh = shapes[f"{prefix}weight_ih_l0"], shapes[f"{prefix}weight_hh_l0"]
    if len(weight_ih) != 2 or len(weight_hh) != 2 or weight_hh[1] == 0:
        raise GatescopeError(
            f"{prefix}weight_ih_l0 {weight_ih} and {prefix}weight_hh_l0 {weight_hh} must be 2-D with at least one unit"
        )
    units = weight_hh[1]
    gates, remainder = divmod(weight_hh[0], units)
    if remainder or gates not in _KIND_BY_GATES:
        raise GatescopeError(
            f"{prefix}weight_hh_l0 has shape {weight_hh}: rows must be 4×, 3× or 1× its {units} columns "
            f"(LSTM, GRU, RNN)"
        )
    architecture = Architecture(
        prefix,
        _KIND_BY_GATES[gates],
        recurrent.num_layers,
        recurrent.bidirectional,
        recurrent.bias,
        units,
        weight_ih[1],
    )
    recurrent_keys = set(architecture.keys())
    modules = _modules({name: shape for name, shape in shapes.items() if name not in recurrent_keys})
    return _place_modules(architecture, modules)


def _modules(shapes: Mapping[str, Shape]) -> dict[str, dict[str, Shape]]:
    """Keys grouped by module: "fc.weight" -> {"fc.": {"weight": shape}}."""
    modules: dict[str, dict[str, Shape]] = {}
    for name, shape in shapes.items():
        module, dot, parameter = name.rpartition(".")
        modules.setdefault(module + dot, {})[parameter] = shape
    return modules


def _place_modules(architecture: Architecture, modules: dict[str, dict[str, Shape]]) -> Architecture:
    """The architecture with the embedding and head found among the other modules; refuses what is left."""
    features = architecture.directions * architecture.units
    embeddings = [
        module
        for module, parameters in modules.items()
        if set(parameters) == {"weight"} and len(parameters["weight"]) == 2
        if parameters["weight"][1] == architecture.input_size
    ]
    if len(embeddings) > 1:
        embeddings = [module for module in embeddings if "emb" in module.lower()] or embeddings
    if len(embeddings) > 1:
        raise GatescopeError(
            f"several arrays could be the embedding ({', '.join(m + 'weight' for m in embeddings)}); gatescope "
            f"runs one nn.Embedding before the recurrent module"
        )
    heads = [
        module
        for module, parameters in modules.items()
        if set(parameters) == {"weight", "bias"} and len(parameters["weight"]) == 2
        if parameters["weight"][1] == features and parameters["bias"] == parameters["weight"][:1]
    ]
    if len(heads) > 1:
        raise GatescopeError(
            f"several Linear layers read the recurrent output ({', '.join(heads)}); gatescope runs one Linear head "
            f"on it. Save a model with one head, or only the recurrent module's state_dict"
        )
    changes: dict[str, Any] = {}
    if embeddings:
        changes.update(embedding=embeddings[0] + "weight", embedding_rows=modules.pop(embeddings[0])["weight"][0])
    if heads:
        changes.update(head=heads[0], head_outputs=modules.pop(heads[0])["weight"][0])
    placed = Architecture(**{**architecture.__dict__, **changes})
    if modules:
        raise GatescopeError(_leftover_message(placed, modules))
    return placed


def _leftover_message(architecture: Architecture, modules: dict[str, dict[str, Shape]]) -> str:
    keys = ", ".join(
        f"{module}{name} {tuple(shape)}" for module, parameters in modules.items() for name, shape in parameters.items()
    )
    kind = architecture.kind.upper()
    found = [f"{architecture.recurrent or '(no prefix)'} as the {kind}"]
    if architecture.embedding is not None:
        found.insert(0, f"{architecture.embedding} as the embedding")
    if architecture.head is not None:
        found.append(f"{architecture.head} as the Linear head")
    hints = []
    features = architecture.directions * architecture.units
    for module, parameters in modules.items():
        weight = parameters.get("weight", ())
        if set(parameters) == {"weight"} and len(weight) == 2 and "emb" in module.lower():
            hints.append(f"{module}weight gives {weight[1]} features but the {kind} reads {architecture.input_size}")
        elif set(parameters) == {"weight"} and len(weight) == 2 and weight[1] == features:
            hints.append(f"{module}weight looks like a Linear without bias, which gatescope's head does not take")
    return (
        f"the state_dict holds weights gatescope cannot place: {keys}. gatescope runs an nn.Embedding, one "
        f"nn.LSTM / nn.GRU / nn.RNN and one nn.Linear reading its output, nothing else (it found "
        f"{', '.join(found)}){'; ' + '; '.join(hints) if hints else ''}. {_SAVE_HINT}"
    )


@dataclass
class ModelSource:
    """Where a state_dict came from, for the Model's name, description and provenance."""

    path: Path
    format_name: str  # e.g. "PyTorch state_dict (.pt)"
    format_key: str  # "pytorch" or "safetensors"
    locator: dict[str, Any] = field(default_factory=dict)  # where in the file: checkpoint key, stripped prefix
    vocabulary: tuple[str, Mapping[str, int] | Sequence[str]] | None = None  # (where in the file, tokens)
    labels: list[str] | None = None


def build_model(
    architecture: Architecture, arrays: Mapping[str, np.ndarray], source: ModelSource, dtype: npt.DTypeLike
) -> Model:
    """The Model ``architecture`` describes, from ``arrays`` (at least ``architecture.keys()``), copied to ``dtype``."""
    dtype = np.dtype(dtype)
    for name in architecture.keys():
        if arrays[name].dtype.kind != "f":
            raise GatescopeError(f"array {name!r} is {arrays[name].dtype}; weights must be floating point")
    nonlinearity_assumed = architecture.kind == "rnn"
    layers = [
        layer_from_state_dict(
            arrays,
            k,
            architecture.kind,
            bidirectional=architecture.bidirectional,
            dtype=dtype,
            prefix=architecture.recurrent,
        )
        for k in range(architecture.num_layers)
    ]
    provenance: dict[str, Any] = {
        "format": source.format_name,
        "format_key": source.format_key,
        "file": source.path.name,
        "architecture": architecture.describe(),
        "state_dict": {
            "recurrent": architecture.recurrent,
            "embedding": architecture.embedding,
            "head": architecture.head,
            **source.locator,
        },
    }
    if nonlinearity_assumed:
        provenance["nonlinearity_assumed"] = True
    head = None
    if architecture.head is not None:
        outputs = architecture.head_outputs
        labels = source.labels if source.labels is not None and len(source.labels) == outputs else None
        weight, bias = arrays[f"{architecture.head}weight"], arrays[f"{architecture.head}bias"]
        head = Head(weight.astype(dtype), bias.astype(dtype), "softmax" if outputs >= 2 else "sigmoid", labels)
        provenance["head_assumed"] = True
    embedding = None if architecture.embedding is None else arrays[architecture.embedding].astype(dtype)
    tokenizer, vocabulary = _stored_vocabulary(source, embedding, provenance)
    return Model(
        layers=layers,
        tokenizer=tokenizer,
        vocabulary=vocabulary,
        embedding=embedding,
        head=head,
        name=source.path.stem,
        description=f"PyTorch nn.{architecture.kind.upper()} model, {source.format_name}: {architecture.describe()}",
        provenance=provenance,
        source=source.path,
    )


def _stored_vocabulary(
    source: ModelSource, embedding: np.ndarray | None, provenance: dict[str, Any]
) -> tuple[WordTokenizer | CharTokenizer | None, Vocabulary | None]:
    """The tokenizer and vocabulary the file itself holds, when it holds one that fits the embedding. One that does
    not fit is noted in the provenance, and the model reads token ids (the user can give a vocabulary)."""
    if source.vocabulary is None or embedding is None:
        return None, None
    from gatescope.model.vocab_files import read_vocabulary

    where, tokens = source.vocabulary
    try:
        tokenizer, vocabulary = read_vocabulary(tokens, rows=int(embedding.shape[0]))
    except GatescopeError as error:
        provenance["vocabulary_refused"] = f"the vocabulary stored under {where!r}: {error}"
        return None, None
    provenance["vocabulary"] = f"stored in the file under {where!r}"
    return tokenizer, vocabulary
