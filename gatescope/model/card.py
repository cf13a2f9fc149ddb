"""The model card (Markdown) of an imported model: where it came from, what the file said and what was given or
assumed, and how closely gatescope reproduces the framework. ``gatescope import`` writes it into the native file's
metadata, so it travels with the model the way a built-in model's NAME.md does."""

from __future__ import annotations

import hashlib
from pathlib import Path

from gatescope.model.model import Model

_CHUNK = 1 << 20


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes, read in chunks (hex)."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def imported_card(model: Model, source: Path, sha256: str, parity: str, version: str) -> str:
    """The card of ``model`` imported from ``source`` (its bytes hashing to ``sha256``) by gatescope ``version``;
    ``parity`` is one sentence on the comparison with the framework (or why there was none)."""
    provenance = model.provenance
    lines = [f"# {model.name}", "", model.description or model.summary(), "", "## Source", ""]
    lines += [
        f"- file: `{source.name}` (sha256 `{sha256}`)",
        f"- format: {provenance.get('format', 'gatescope model (.npz)')}",
        f"- architecture: {provenance.get('architecture') or model.summary()}",
        f"- imported with gatescope {version}",
        "",
        "## Vocabulary, labels and head",
        "",
        f"- vocabulary: {_vocabulary_line(model)}",
        f"- labels: {_labels_line(model)}",
        f"- head activation: {_head_line(model)}",
        *_nonlinearity_lines(model),
        "",
        "## Parity with the framework",
        "",
        parity,
        "",
        "## Model",
        "",
        f"- {model.summary()}",
    ]
    return "\n".join(lines) + "\n"


def _vocabulary_line(model: Model) -> str:
    given = model.provenance.get("vocabulary")
    if model.vocabulary is None:
        if model.embedding is None:
            return f"none: the model reads {model.input_size} numbers a step"
        return f"none: the model reads token ids 0–{model.embedding.shape[0] - 1}"
    size = f"{len(model.vocabulary):,} tokens"
    if model.provenance.get("vocabulary_given"):
        reading = model.provenance.get("vocabulary_reading", "")
        return f"`{Path(str(given)).name}`, given by the user ({size}; {reading})"
    return f"from the model file ({size}{'; ' + str(given) if given else ''})"


def _labels_line(model: Model) -> str:
    labels = model.output_labels
    if model.head is None:
        return "no output layer"
    if labels is None:
        return f"none given: outputs are numbered 0–{model.head.outputs - 1}"
    source = "given by the user" if model.provenance.get("labels_given") else "from the model file"
    return f"{', '.join(labels)} ({source})"


def _head_line(model: Model) -> str:
    if model.head is None:
        return "no output layer"
    activation = "none (raw logits)" if model.head.activation == "linear" else model.head.activation
    if model.provenance.get("head_activation"):
        return f"{activation} (given by the user)"
    if model.provenance.get("head_assumed"):
        return f"{activation} (assumed: the file does not say; give --head to choose)"
    return f"{activation} (from the model file)"


def _nonlinearity_lines(model: Model) -> list[str]:
    """For a vanilla RNN, its nonlinearity and whether the file said it (a PyTorch state_dict cannot)."""
    if model.kind != "rnn":
        return []
    source = "assumed: the file does not say" if model.provenance.get("nonlinearity_assumed") else "from the model file"
    return [f"- nonlinearity: {model.layers[0].nonlinearity} ({source})"]
