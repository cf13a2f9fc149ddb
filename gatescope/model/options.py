"""What a model file cannot say, given by the user: the vocabulary, the output labels and the head's activation.

``load_model(path, vocab=..., labels=..., head=...)``, the command line's ``--vocab``, ``--labels`` and ``--head``,
and the GUI's import dialog all end here, applied to the model a format reader built from the file alone.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gatescope.errors import GatescopeError
from gatescope.model.model import HEAD_CHOICES, Head, Model
from gatescope.model.vocab_files import VocabSource, read_vocabulary_source

__all__ = ["VocabSource", "apply_options", "parse_labels"]


def apply_options(
    model: Model,
    vocab: VocabSource | None = None,
    labels: Sequence[str] | str | None = None,
    head: str | None = None,
) -> Model:
    """A copy of ``model`` with the user's vocabulary, labels and head activation (each only when given), its
    provenance saying what was given: ``vocabulary`` (the file, or how many tokens), ``vocabulary_reading`` (its kind
    and how it is read), ``vocabulary_given``, ``labels_given``, ``head_activation`` (and no more ``head_assumed``)."""
    changes: dict[str, Any] = {}
    provenance = dict(model.provenance)
    if vocab is not None:
        if model.embedding is None:
            raise GatescopeError(
                "this model has no embedding, so a vocabulary cannot apply: it reads float arrays (T, features)"
            )
        layer = model.provenance.get("text_vectorization")  # a Keras layer that came without its vocabulary
        read = read_vocabulary_source(vocab, rows=int(model.embedding.shape[0]), text_vectorization=layer)
        changes.update(tokenizer=read.tokenizer, vocabulary=read.vocabulary)
        provenance["vocabulary"] = str(vocab) if isinstance(vocab, (str, Path)) else f"{len(vocab)} tokens given"
        provenance["vocabulary_reading"] = f"{read.kind}; {read.reading}"
        provenance["vocabulary_given"] = True
    if labels is not None or head is not None:
        if model.head is None:
            given = "labels" if labels is not None else "a head activation"
            raise GatescopeError(f"this model has no output layer (head), so {given} cannot apply")
        changes["head"] = _head_with(model.head, labels, head)
        if labels is not None:
            provenance["labels_given"] = True
        if head is not None:
            provenance.pop("head_assumed", None)
            provenance["head_activation"] = head
    if not changes:
        return model
    changes["provenance"] = provenance
    return dataclasses.replace(model, **changes)


def _head_with(current: Head, labels: Sequence[str] | str | None, head: str | None) -> Head:
    activation = current.activation
    if head is not None:
        if not isinstance(head, str) or head.lower() not in HEAD_CHOICES:
            raise GatescopeError(f"head={head!r}: expected one of softmax, sigmoid, none")
        activation = HEAD_CHOICES[head.lower()]
    names = current.labels
    if labels is not None:
        names = parse_labels(labels)
        if len(names) != current.outputs:
            raise GatescopeError(
                f"{len(names)} labels given ({', '.join(names)}) but the model's head has {current.outputs} outputs"
            )
    return Head(current.weight, current.bias, activation, names)


def parse_labels(labels: Sequence[str] | str) -> list[str]:
    """Labels from a list or a comma-separated string ("negative,positive"), stripped; none empty or repeated."""
    names = [part.strip() for part in labels.split(",")] if isinstance(labels, str) else list(labels)
    if not names or any(not isinstance(name, str) or not name for name in names):
        raise GatescopeError(f"labels must be non-empty names, e.g. negative,positive (got {labels!r})")
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise GatescopeError(f"label {repeated[0]!r} is given twice; every output needs its own name")
    return names
