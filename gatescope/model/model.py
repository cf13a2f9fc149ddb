"""Model = tokenizer + vocabulary + embedding + recurrent stack + optional head; ``run`` turns text into a Trace."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from gatescope._paths import user_path
from gatescope.engine import LayerTrace, RecurrentLayer, Trace, run_stack
from gatescope.errors import GatescopeError
from gatescope.model.tokenize import CharTokenizer, Vocabulary, WordTokenizer

HEAD_ACTIVATIONS = ("softmax", "sigmoid", "linear")
#: What users may call a head's activation (``head=`` of load_model, ``--head``): "none" is the raw logits.
HEAD_CHOICES = {"softmax": "softmax", "sigmoid": "sigmoid", "none": "linear", "linear": "linear"}


@dataclass(frozen=True, eq=False)
class Head:
    """A linear read-out applied to the top layer's hidden state after every step."""

    weight: np.ndarray  # (n_outputs, top output size)
    bias: np.ndarray  # (n_outputs,)
    activation: str = "softmax"
    labels: list[str] | None = None

    def __post_init__(self) -> None:
        if self.activation not in HEAD_ACTIVATIONS:
            raise GatescopeError(
                f"unknown head activation {self.activation!r}; expected one of {', '.join(HEAD_ACTIVATIONS)}"
            )
        if self.weight.ndim != 2:
            raise GatescopeError(f"head weight must be 2-D (outputs, features), not {self.weight.shape}")
        if self.bias.shape != (self.weight.shape[0],):
            raise GatescopeError(
                f"head bias has shape {self.bias.shape}; expected ({self.weight.shape[0]},) to match "
                f"head weight {self.weight.shape}"
            )
        if self.labels is not None and len(self.labels) != self.weight.shape[0]:
            raise GatescopeError(f"head has {self.weight.shape[0]} outputs but {len(self.labels)} labels")
        if not (np.all(np.isfinite(self.weight)) and np.all(np.isfinite(self.bias))):
            raise GatescopeError("head weights contain NaN or infinite values")

    @property
    def outputs(self) -> int:
        return int(self.weight.shape[0])

    def logits(self, hidden: np.ndarray) -> np.ndarray:
        """(T, m) hidden states -> (T, n_outputs) raw outputs, before the activation."""
        logits: np.ndarray = hidden @ self.weight.T.astype(hidden.dtype) + self.bias.astype(hidden.dtype)
        return logits

    def __call__(self, hidden: np.ndarray) -> np.ndarray:
        """(T, m) hidden states -> (T, n_outputs) outputs after the activation."""
        return self.activate(self.logits(hidden))

    def activate(self, logits: np.ndarray) -> np.ndarray:
        """The activation applied to raw outputs (T, n_outputs), as a new array."""
        logits = np.array(logits, copy=True)
        if self.activation == "softmax":
            logits -= logits.max(axis=1, keepdims=True)
            np.exp(logits, out=logits)
            logits /= logits.sum(axis=1, keepdims=True)
        elif self.activation == "sigmoid":
            logits = np.tanh(0.5 * logits)
            logits *= 0.5
            logits += 0.5
        return logits


@dataclass(eq=False)
class Model:
    """A recurrent model ready to run: text or arrays in, a Trace of every gate out."""

    layers: list[RecurrentLayer]
    tokenizer: WordTokenizer | CharTokenizer | None = None
    vocabulary: Vocabulary | None = None
    # (vocabulary size, input_size). Without a tokenizer and vocabulary the model reads token ids (an integer array).
    embedding: np.ndarray | None = None
    head: Head | None = None
    name: str = ""
    description: str = ""
    provenance: dict[str, Any] = field(default_factory=dict)
    source: Path | None = None
    card: str | None = None  # Markdown model card, when one ships beside the file
    # Initial states (layers * directions, units), PyTorch's layout, that the file fixes (ONNX initial_h / initial_c):
    # ``run`` starts from them unless given others. None: zeros. An LSTM given one of them gets zeros for the other.
    h0: np.ndarray | None = None
    c0: np.ndarray | None = None
    # An id the framework skips as padding (Keras Embedding mask_zero=True: id 0): gatescope runs every step it is
    # given, so it refuses this id rather than compute a step the framework would not.
    masked_id: int | None = None

    def __post_init__(self) -> None:
        self._validate()
        if self.embedding is not None:
            self.embedding = np.ascontiguousarray(self.embedding, dtype=self.dtype)
            self.embedding.flags.writeable = False
        self._set_initial_states()

    def _validate(self) -> None:
        self._validate_stack()
        self._validate_text_parts()
        if self.head is not None and self.head.weight.shape[1] != self.layers[-1].output_size:
            raise GatescopeError(
                f"head reads {self.head.weight.shape[1]} features but the top layer gives {self.layers[-1].output_size}"
            )

    def _validate_stack(self) -> None:
        """At least one layer; all of one kind, size and direction; each reads what the one below gives."""
        if not self.layers:
            raise GatescopeError("a model needs at least one recurrent layer")
        first = self.layers[0]
        for number, layer in enumerate(self.layers[1:], start=1):
            below = self.layers[number - 1]
            if layer.kind != first.kind or layer.hidden_size != first.hidden_size:
                raise GatescopeError(
                    f"layer {number} is a {layer.hidden_size}-unit {layer.kind.upper()}; every layer "
                    f"must be a {first.hidden_size}-unit {first.kind.upper()}"
                )
            if layer.bidirectional != first.bidirectional:
                raise GatescopeError(f"layer {number}: every layer must be bidirectional, or none")
            if layer.input_size != below.output_size:
                raise GatescopeError(
                    f"layer {number} reads {layer.input_size} features but layer {number - 1} gives {below.output_size}"
                )

    def _set_initial_states(self) -> None:
        """Validate h0 / c0 against the stack and keep them as read-only arrays of the model's dtype."""
        if self.h0 is None and self.c0 is None:
            return
        if self.c0 is not None and self.kind != "lstm":
            raise GatescopeError(f"c0 is a cell state, which only LSTM layers have; this is a {self.kind.upper()}")
        shape = (len(self.layers) * len(self.layers[0].directions), self.units)
        states = {"h0": self.h0, "c0": self.c0 if self.kind == "lstm" else None}
        for name, state in states.items():
            if state is None and (name == "h0" or self.kind == "lstm"):
                state = np.zeros(shape, self.dtype)
            if state is None:
                continue
            state = np.array(state, dtype=self.dtype)
            if state.shape != shape:
                raise GatescopeError(f"{name} has shape {state.shape}; expected {shape} (layers × directions, units)")
            if not np.all(np.isfinite(state)):
                raise GatescopeError(f"{name} contains NaN or infinite values")
            state.flags.writeable = False
            setattr(self, name, state)

    def _validate_text_parts(self) -> None:
        """A tokenizer and a vocabulary together (or neither), and then an embedding with one row per token; an
        embedding alone reads token ids."""
        first = self.layers[0]
        if (self.tokenizer is None) != (self.vocabulary is None) or (
            self.vocabulary is not None and self.embedding is None
        ):
            raise GatescopeError("a model that reads text needs a tokenizer, a vocabulary and an embedding together")
        if self.embedding is not None:
            if self.embedding.ndim != 2:
                raise GatescopeError(f"embedding must be 2-D (vocabulary, features), not {self.embedding.shape}")
            if self.vocabulary is not None and self.embedding.shape[0] != len(self.vocabulary):
                raise GatescopeError(
                    f"embedding has {self.embedding.shape[0]} rows but the vocabulary has {len(self.vocabulary)} tokens"
                )
            if self.embedding.shape[1] != first.input_size:
                raise GatescopeError(
                    f"embedding gives {self.embedding.shape[1]} features but layer 0 reads {first.input_size}"
                )
            if not np.all(np.isfinite(self.embedding)):
                raise GatescopeError("embedding contains NaN or infinite values")

    @property
    def kind(self) -> str:
        return self.layers[0].kind

    @property
    def units(self) -> int:
        return self.layers[0].hidden_size

    @property
    def input_size(self) -> int:
        return self.layers[0].input_size

    @property
    def bidirectional(self) -> bool:
        return self.layers[0].bidirectional

    @property
    def dtype(self) -> np.dtype:
        return self.layers[0].dtype

    @property
    def reads_text(self) -> bool:
        return self.tokenizer is not None

    @property
    def reads_ids(self) -> bool:
        """True for a model with an embedding but no vocabulary: it reads token ids (an integer array)."""
        return self.embedding is not None and self.tokenizer is None

    @property
    def id_count(self) -> int | None:
        """Rows of the embedding (valid ids are 0 .. id_count - 1), or None without one."""
        return None if self.embedding is None else int(self.embedding.shape[0])

    @property
    def output_labels(self) -> list[str] | None:
        return None if self.head is None else self.head.labels

    def parameter_count(self) -> int:
        total = sum(layer.parameter_count() for layer in self.layers)
        if self.embedding is not None:
            total += self.embedding.size
        if self.head is not None:
            total += self.head.weight.size + self.head.bias.size
        return int(total)

    def summary(self) -> str:
        """One line: kind, sizes, what it reads and predicts."""
        direction = "bidirectional " if self.bidirectional else ""
        if all(layer.reverse for layer in self.layers):
            direction = "reverse "
        if self.tokenizer is not None:
            reads = f"{self.tokenizer.kind}-level text"
        elif self.embedding is not None:
            reads = f"token ids 0-{self.embedding.shape[0] - 1}"
        else:
            reads = f"{self.input_size} features a step"
        outputs = f", predicts {', '.join(self.output_labels)}" if self.output_labels else ""
        return (
            f"{len(self.layers)}-layer {direction}{self.kind.upper()}, {self.units} units, reads {reads}"
            f"{outputs}; {self.parameter_count():,} parameters"
        )

    def run(self, source: str | npt.ArrayLike, h0: np.ndarray | None = None, c0: np.ndarray | None = None) -> Trace:
        """Run on text (tokenize, embed), on token ids (an integer array (T,), for a model with an embedding) or on a
        float array (T, input_size); record every gate at every step.

        h0, c0 : (layers * directions, units) initial states, PyTorch's layout; when None, the model's own
        (``Model.h0`` / ``Model.c0``, which a file may fix), else zeros.
        """
        h0 = self.h0 if h0 is None else h0
        c0 = self.c0 if c0 is None else c0
        if isinstance(source, str):
            return self._run_text(source, h0, c0)
        if isinstance(source, (bytes, bytearray)):
            raise GatescopeError("text must be str, not bytes: decode it first (e.g. data.decode('utf-8'))")
        if isinstance(source, np.ndarray) and source.dtype.kind in "iu":
            return self._run_ids(source, h0, c0)
        x = source if isinstance(source, np.ndarray) else _as_array(source)
        layers = run_stack(self.layers, x, h0, c0)
        # A copy: the trace freezes what it keeps, and the caller's array must stay theirs to change.
        return self._trace([str(t) for t in range(x.shape[0])], layers, inputs=np.array(x, copy=True))

    def _run_text(self, text: str, h0: np.ndarray | None, c0: np.ndarray | None) -> Trace:
        if self.tokenizer is None or self.vocabulary is None or self.embedding is None:
            raise GatescopeError(
                f"model {self.name or ''} has no tokenizer or embedding, so it cannot read text; "
                f"pass a float array of shape (T, {self.input_size}) instead".replace("  ", " ")
            )
        tokens = self.tokenizer.tokenize(text)
        if not tokens:
            raise GatescopeError("the text has no tokens to read: type a word or a character")
        ids, unknown = self.vocabulary.encode([token.key for token in tokens])
        inputs = self.embedding[ids]
        layers = run_stack(self.layers, inputs, h0, c0)
        return self._trace(
            [token.text for token in tokens],
            layers,
            unknown=[bool(u) for u in unknown],
            spans=[(token.start, token.end) for token in tokens],
            text=text,
            inputs=inputs,
        )

    def _run_ids(self, ids: np.ndarray, h0: np.ndarray | None, c0: np.ndarray | None) -> Trace:
        if self.embedding is None:
            raise GatescopeError(
                f"this model has no embedding, so it cannot read token ids; pass a float array of shape "
                f"(T, {self.input_size})"
            )
        if ids.ndim != 1:
            raise GatescopeError(f"token ids must be a 1-D integer array (T,), not shape {ids.shape}")
        if ids.size == 0:
            raise GatescopeError("no token ids to read: give at least one")
        rows = self.embedding.shape[0]
        bad = ids[(ids < 0) | (ids >= rows)]
        if bad.size:
            raise GatescopeError(
                f"token id {int(bad[0])} is out of range: this model's embedding has ids 0 to {rows - 1}"
            )
        if self.masked_id is not None and np.any(ids == self.masked_id):
            step = int(np.flatnonzero(ids == self.masked_id)[0])
            raise GatescopeError(
                f"token id {self.masked_id} (step {step + 1}) is padding: the model's framework skips it (Keras "
                f"mask_zero=True), so gatescope does not run it; leave the padding out"
            )
        inputs = self.embedding[ids.astype(np.intp)]
        layers = run_stack(self.layers, inputs, h0, c0)
        names = (
            [str(int(i)) for i in ids] if self.vocabulary is None else [self.vocabulary.tokens()[int(i)] for i in ids]
        )
        return self._trace(names, layers, inputs=inputs)

    def _trace(self, tokens: list[str], layers: list[LayerTrace], **extra: Any) -> Trace:
        outputs = logits = None
        if self.head is not None:
            logits = self.head.logits(layers[-1].h)
            outputs = logits if self.head.activation == "linear" else self.head.activate(logits)
        return Trace(
            tokens=tokens, layers=layers, outputs=outputs, logits=logits, output_labels=self.output_labels, **extra
        )

    def save(self, path: str | Path) -> None:
        """Write this model in gatescope's native .npz format (atomically; ``~`` expanded)."""
        from gatescope.model.formats.native_layout import save

        save(self, user_path(path))


def _as_array(source: object) -> np.ndarray:
    if isinstance(source, Sequence) and not isinstance(source, str):
        try:
            return np.asarray(source, dtype=float)
        except (TypeError, ValueError):
            pass
    raise GatescopeError(f"run() takes text (str) or a float array (T, input_size), not {type(source).__name__}")
