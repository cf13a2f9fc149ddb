"""Finding the model in what a PyTorch file holds: a state_dict, or a training checkpoint that keeps one under a key
(``state_dict``, ``model_state_dict``, ``model``, ``net``, ...) beside its epoch, optimizer state and perhaps a
vocabulary and label names."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from gatescope.errors import GatescopeError
from gatescope.model.formats.state_dict_model import RECURRENT_NAME
from gatescope.model.formats.torch_pickle import SAVE_STATE_DICT, LazyTensor

#: Keys under which checkpoints keep a vocabulary, tried in order: token -> id, or tokens in id order.
VOCABULARY_KEYS = (
    "vocab",
    "vocabulary",
    "stoi",
    "word2idx",
    "word_to_idx",
    "word2index",
    "word_to_index",
    "token2idx",
    "token_to_idx",
    "token2id",
    "token_to_id",
    "char2idx",
    "char_to_idx",
    "w2i",
    "itos",
    "idx2word",
    "index2word",
    "id_to_token",
    "tokens",
)
#: Keys under which checkpoints keep the output labels (a list of names in output order).
LABEL_KEYS = ("labels", "label_names", "classes", "class_names", "target_names")


@dataclass(frozen=True)
class Found:
    """The state_dict's tensors (by key) and where they were: the checkpoint key (None at the top)."""

    tensors: dict[str, LazyTensor]
    checkpoint_key: str | None
    vocabulary: tuple[str, Mapping[str, int] | Sequence[str]] | None
    labels: list[str] | None


def find_state_dict(root: object) -> Found:
    """The one dict of tensors with recurrent weights: ``root`` itself or one of its values (one level down)."""
    if not isinstance(root, dict):
        raise GatescopeError(
            f"the file holds a {_kind(root)}, not a state_dict (a dict of tensors); save one with {SAVE_STATE_DICT}"
        )
    candidates: list[tuple[str | None, dict[object, object]]] = []
    if _holds_recurrent_weights(root):
        candidates.append((None, root))
    else:
        candidates += [(k, v) for k, v in root.items() if isinstance(k, str) and _holds_recurrent_weights(v)]
    if not candidates:
        raise GatescopeError(_nothing_found(root))
    if len(candidates) > 1:
        raise GatescopeError(
            f"the checkpoint holds several state_dicts with recurrent weights (under "
            f"{', '.join(repr(key) for key, _ in candidates)}); save the one to open with {SAVE_STATE_DICT}"
        )
    key, state_dict = candidates[0]
    tensors = {name: value for name, value in state_dict.items() if isinstance(value, LazyTensor)}
    non_string = [name for name in tensors if not isinstance(name, str)]
    if non_string:
        raise GatescopeError(f"the state_dict has a key that is not a name ({_kind(non_string[0])})")
    return Found(tensors, key, stored_vocabulary(root), stored_labels(root))  # type: ignore[arg-type]  # keys checked above


def _holds_recurrent_weights(value: object) -> bool:
    return isinstance(value, dict) and any(
        isinstance(key, str) and isinstance(tensor, LazyTensor) and RECURRENT_NAME.match(key)
        for key, tensor in value.items()
    )


def _nothing_found(root: dict[object, object]) -> str:
    keys = [key for key in root if isinstance(key, str)]
    shown = ", ".join(repr(key) for key in keys[:12]) + (", ..." if len(keys) > 12 else "")
    return (
        f"no recurrent weights (weight_ih_l0, weight_hh_l0, ... of an nn.LSTM, nn.GRU or nn.RNN) in it, nor in a "
        f"dict one level down (its keys: {shown or 'none'}); gatescope opens models built on one of these modules"
    )


def stored_vocabulary(root: Mapping[object, object]) -> tuple[str, Mapping[str, int] | Sequence[str]] | None:
    """A vocabulary stored in a checkpoint (or safetensors metadata): token -> id, tokens in id order, or id -> token;
    also inside a dict stored under a vocabulary key (``{"vocab": {"stoi": ..., "itos": ...}}``)."""
    for key in VOCABULARY_KEYS:
        value = root.get(key)
        tokens = _tokens(value)
        if tokens is not None:
            return key, tokens
        if isinstance(value, dict):
            for inner in VOCABULARY_KEYS:
                tokens = _tokens(value.get(inner))
                if tokens is not None:
                    return f"{key}/{inner}", tokens
    return None


def _tokens(value: object) -> Mapping[str, int] | Sequence[str] | None:
    if isinstance(value, (list, tuple)) and value and all(isinstance(token, str) for token in value):
        return list(value)
    if not isinstance(value, dict) or not value:
        return None
    if all(isinstance(k, str) and _is_id(v) for k, v in value.items()):
        return dict(value)
    if all(_is_id(k) and isinstance(v, str) for k, v in value.items()):  # id -> token
        return {token: number for number, token in value.items()}
    return None


def _is_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def stored_labels(root: Mapping[object, object]) -> list[str] | None:
    """Output label names stored in a checkpoint (or safetensors metadata), in output order."""
    for key in LABEL_KEYS:
        value = root.get(key)
        if isinstance(value, (list, tuple)) and value and all(isinstance(label, str) for label in value):
            return list(value)
    return None


def _kind(value: object) -> str:
    return "tensor" if isinstance(value, LazyTensor) else type(value).__name__
