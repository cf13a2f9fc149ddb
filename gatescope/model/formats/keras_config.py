"""A Keras model's JSON config → the chain of layers gatescope can run, or a GatescopeError naming the layer it cannot.

Parsed as plain JSON, never deserialized: a Lambda layer's bytecode or a custom class is named and refused, not run.
Accepted: Sequential models and Functional models that are a single chain, made of ``InputLayer``, an optional
``TextVectorization``, an optional ``Embedding``, one or more ``LSTM`` / ``GRU`` / ``SimpleRNN`` layers (each alone or
in a ``Bidirectional`` with ``merge_mode="concat"``), an optional ``Dense`` head (softmax, sigmoid or linear, possibly
followed by an ``Activation`` or ``Softmax`` layer), and dropout-like layers anywhere (no-ops at inference).
Keras 2 (``tf.keras``, legacy ``.h5``) and Keras 3 configs differ in details handled here (``inbound_nodes``, a
Bidirectional's ``backward_layer``, ``hard_sigmoid``'s formula).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from gatescope.errors import GatescopeError

#: Keras recurrent layer classes → gatescope cell kinds.
RECURRENT_KINDS = {"LSTM": "lstm", "GRU": "gru", "SimpleRNN": "rnn"}
#: Layers that do nothing at inference: accepted and passed over.
INFERENCE_NO_OPS = (
    "Dropout",
    "SpatialDropout1D",
    "GaussianDropout",
    "GaussianNoise",
    "AlphaDropout",
    "ActivityRegularization",
)
#: Dense activations a gatescope head has (Keras name → gatescope name).
HEAD_ACTIVATIONS = {"softmax": "softmax", "sigmoid": "sigmoid", "linear": "linear"}
_MODEL_CLASSES = ("Sequential", "Functional", "Model")
_WHY_NOT: dict[str, str] = {
    "Lambda": "it holds Python code, and gatescope never runs code from a model file",
    "Masking": "gatescope runs every step it is given and cannot skip masked steps",
    "TimeDistributed": "only a Dense head applied to every step is supported, as a plain Dense layer",
    "RNN": "only the LSTM, GRU and SimpleRNN layer classes are read (not keras.layers.RNN(cell))",
    "CuDNNLSTM": "its cuDNN weight layout is not read; rebuild the model with LSTM and copy the weights",
    "CuDNNGRU": "its cuDNN weight layout is not read; rebuild the model with GRU and copy the weights",
}


@dataclass(frozen=True)
class LayerSpec:
    """One layer of the chain that carries weights or text: its Keras name and class, and where Keras 3 keeps its
    weights (``layers/<snake_case class>[_n]``, numbered per class in the model's layer order)."""

    name: str
    class_name: str
    h5_key: str


@dataclass(frozen=True)
class VectorizerSpec(LayerSpec):
    """A TextVectorization layer's settings, as its config states them."""

    standardize: Any = None
    split: Any = None
    vocabulary: Any = None
    output_mode: Any = "int"
    ngrams: Any = None
    output_sequence_length: Any = None


@dataclass(frozen=True)
class EmbeddingSpec(LayerSpec):
    input_dim: int = 0
    output_dim: int = 0
    mask_zero: bool = False


@dataclass(frozen=True)
class RecurrentSpec(LayerSpec):
    """An LSTM / GRU / SimpleRNN layer, or a Bidirectional pair of them (``directions`` 2; ``name`` and ``class_name``
    are then the Bidirectional's, ``cell_class`` the wrapped layer's)."""

    cell_class: str = "LSTM"
    kind: str = "lstm"
    units: int = 0
    directions: int = 1
    activation: str = "tanh"
    gate_activation: str = "sigmoid"
    use_bias: bool = True
    reset_after: bool = True
    go_backwards: bool = False
    return_sequences: bool = True
    stateful: bool = False


@dataclass(frozen=True)
class DenseSpec(LayerSpec):
    units: int = 0
    activation: str = "linear"
    use_bias: bool = True


@dataclass(frozen=True)
class KerasPlan:
    """The chain gatescope will run, in order: text vectorizer, embedding, recurrent layers, Dense head."""

    model_class: str
    vectorizer: VectorizerSpec | None
    embedding: EmbeddingSpec | None
    recurrent: tuple[RecurrentSpec, ...]
    dense: DenseSpec | None
    passed_over: tuple[str, ...] = field(default=())

    @property
    def weighted(self) -> list[LayerSpec]:
        """The layers whose weights the file must hold, in order."""
        layers: list[LayerSpec] = [self.embedding] if self.embedding else []
        layers += self.recurrent
        return layers + ([self.dense] if self.dense else [])


def plan_from_config(config: object, keras_major: int) -> KerasPlan:
    """The runnable chain a model config (``config.json`` / the ``model_config`` attribute) describes."""
    if not isinstance(config, Mapping):
        raise GatescopeError("the model config is not a JSON object")
    model_class = config.get("class_name")
    if model_class not in _MODEL_CLASSES:
        raise GatescopeError(
            f"the file holds a {model_class!r}, not a Sequential or Functional model; gatescope reads models saved "
            f"with model.save(), not a single layer or a subclassed model"
        )
    if model_class != "Sequential" and _custom_class(config):
        raise GatescopeError(
            f"the model is a subclass of {model_class} ({config.get('module')}.{config.get('registered_name')}); "
            f"gatescope reads only Sequential and Functional models built from Keras' own layers"
        )
    body = config.get("config")
    entries = _sequential_layers(body) if model_class == "Sequential" else _functional_chain(body)
    return _assemble(str(model_class), [_layer(entry, keras_major) for entry in entries])


# ---- the chain of layer entries


def _sequential_layers(body: object) -> list[Mapping[str, Any]]:
    layers = body if isinstance(body, list) else body.get("layers") if isinstance(body, Mapping) else None
    if not isinstance(layers, list) or not all(isinstance(entry, Mapping) for entry in layers):
        raise GatescopeError("the Sequential model's config has no list of layers")
    return layers


def _functional_chain(body: object) -> list[Mapping[str, Any]]:
    """The layers of a Functional model from its input to its output, when they form one chain."""
    if not isinstance(body, Mapping) or not isinstance(body.get("layers"), list):
        raise GatescopeError("the Functional model's config has no list of layers")
    entries = [entry for entry in body["layers"] if isinstance(entry, Mapping)]
    by_name = {str(entry.get("name") or _config_of(entry).get("name")): entry for entry in entries}
    inputs, outputs = _endpoints(body.get("input_layers")), _endpoints(body.get("output_layers"))
    if len(inputs) != 1 or len(outputs) != 1:
        raise GatescopeError(
            f"the model has {len(inputs)} inputs and {len(outputs)} outputs; gatescope runs models with one input "
            f"(text, token ids or a sequence) and one output"
        )
    chain: list[Mapping[str, Any]] = []
    parent_of: dict[str, str] = {}
    masks: set[str] = set()
    name = outputs[0]
    while True:
        entry = by_name.get(name)
        if entry is None:
            raise GatescopeError(f"the model's config names layer {name!r} but does not describe it")
        if any(entry is seen for seen in chain):
            raise GatescopeError(f"layer {name!r} is used more than once; gatescope runs a plain chain of layers")
        chain.append(entry)
        parents, mask_sources = _parents(entry)
        masks.update(mask_sources)
        if not parents:
            break
        if len(parents) > 1:
            raise GatescopeError(
                f"layer {name!r} ({entry.get('class_name')}) reads {len(parents)} tensors "
                f"({', '.join(parents)}); gatescope runs a plain chain, each layer reading the one before"
            )
        parent_of[name] = parents[0]
        name = parents[0]
    chain.reverse()
    if name != inputs[0]:
        raise GatescopeError(f"the chain from the output starts at {name!r}, not at the model's input {inputs[0]!r}")
    for mask in sorted(masks):
        _check_padding_mask(by_name.get(mask), mask, chain, parent_of)
    unused = sorted(set(by_name) - masks - {str(entry.get("name") or _config_of(entry).get("name")) for entry in chain})
    if unused:
        raise GatescopeError(
            f"layers {', '.join(unused)} are not on the path from the input to the output; gatescope runs a plain "
            f"chain of layers"
        )
    return chain


def _endpoints(value: object) -> list[str]:
    """Layer names of ``input_layers`` / ``output_layers``: ``[[name, 0, 0], ...]`` or Keras 3's single ``[name, 0,
    0]``."""
    if isinstance(value, list) and value and isinstance(value[0], str):
        return [value[0]]
    if isinstance(value, list):
        return [str(item[0]) for item in value if isinstance(item, list) and item]
    if isinstance(value, Mapping):  # a dict of named inputs or outputs
        return [name for item in value.values() for name in _endpoints(item)]
    return []


def _parents(entry: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """Names of the layers whose outputs this layer reads (Keras 2 ``[[[name, 0, 0, {}]]]`` or Keras 3 nodes whose
    args hold ``__keras_tensor__`` entries with a ``keras_history``), and apart from them the layers giving its
    ``mask`` argument (Keras 3 writes an Embedding's ``mask_zero`` mask as a ``NotEqual(ids, 0)`` node)."""
    nodes = entry.get("inbound_nodes") or []
    if not isinstance(nodes, list):
        raise GatescopeError(f"layer {entry.get('name')!r}: 'inbound_nodes' is not a list")
    if len(nodes) > 1:
        raise GatescopeError(
            f"layer {entry.get('name')!r} is called {len(nodes)} times; gatescope runs a plain chain of layers"
        )
    data: list[str] = []
    masks: list[str] = []
    for node in nodes:
        if not isinstance(node, Mapping):
            data += _history_names(node)
            continue
        data += _history_names(node.get("args"))
        kwargs = node.get("kwargs")
        for key, value in kwargs.items() if isinstance(kwargs, Mapping) else ():
            (masks if key == "mask" else data).extend(_history_names(value))
    return data, masks


def _check_padding_mask(
    entry: Mapping[str, Any] | None, name: str, chain: list[Mapping[str, Any]], parent_of: dict[str, str]
) -> None:
    """A mask must be Keras' own padding mask: ``NotEqual`` of the Embedding's token ids and 0, with
    ``mask_zero=True`` on that Embedding."""
    embedding = next((item for item in chain if item.get("class_name") == "Embedding"), None)
    embedding_name = None if embedding is None else str(embedding.get("name"))
    ids = parent_of.get(embedding_name or "")
    if entry is not None and entry.get("class_name") == "NotEqual" and not _custom_class(entry) and embedding:
        nodes = entry.get("inbound_nodes")
        node = nodes[0] if isinstance(nodes, list) and len(nodes) == 1 else None
        args = node.get("args") if isinstance(node, Mapping) else None
        if (
            isinstance(args, list)
            and len(args) == 2
            and _history_names(args[0]) == [ids]
            and args[1] == 0
            and _config_of(embedding).get("mask_zero") is True
        ):
            return
    raise GatescopeError(
        f"layers read a mask from {name!r} ({None if entry is None else entry.get('class_name')}), which is not "
        f"the Embedding's own padding mask (mask_zero=True); gatescope runs every step and cannot honour other masks"
    )


def _history_names(node: object) -> list[str]:
    if isinstance(node, Mapping):
        history = node.get("keras_history")
        if isinstance(history, list) and history and isinstance(history[0], str):
            return [history[0]]
        return [name for value in node.values() for name in _history_names(value)]
    if isinstance(node, list):
        if len(node) >= 3 and isinstance(node[0], str) and isinstance(node[1], int):  # Keras 2: [name, node, index, {}]
            return [node[0]] + [name for value in node[3:] for name in _history_names(value)]
        return [name for value in node for name in _history_names(value)]
    return []


# ---- one layer


def _config_of(entry: Mapping[str, Any]) -> Mapping[str, Any]:
    config = entry.get("config")
    return config if isinstance(config, Mapping) else {}


def _custom_class(entry: Mapping[str, Any]) -> bool:
    """True for a class that is not Keras' own: a module outside keras / tf_keras, or a registered custom name."""
    module = entry.get("module")
    registered = entry.get("registered_name")
    if isinstance(module, str) and not re.match(r"(tf_)?keras(\.|$)", module):
        return True
    return registered not in (None, entry.get("class_name"))


def _layer(entry: Mapping[str, Any], keras_major: int) -> object:
    """A spec for a layer gatescope runs, a marker for one it passes over (a string) or that sets the head's
    activation (a tuple), or a GatescopeError."""
    class_name = str(entry.get("class_name"))
    config = _config_of(entry)
    name = str(config.get("name") or entry.get("name") or "?")
    if _custom_class(entry):
        raise GatescopeError(
            f"layer {name!r} is a custom class {entry.get('registered_name') or class_name} (module "
            f"{entry.get('module')}); gatescope runs only Keras' own layers and never imports code from a model"
        )
    if class_name == "InputLayer":
        return "input"
    if class_name in INFERENCE_NO_OPS:
        return f"{class_name} {name!r}"
    if class_name in RECURRENT_KINDS:
        return _recurrent(name, class_name, config, keras_major)
    if class_name == "Bidirectional":
        return _bidirectional(name, config, keras_major)
    build = _SIMPLE_LAYERS.get(class_name)
    if build is not None:
        return build(name, class_name, config)
    if class_name in _MODEL_CLASSES:
        raise GatescopeError(
            f"layer {name!r} is a whole {class_name} model nested inside this one; gatescope reads flat models: "
            f"rebuild it as one Sequential or Functional model of plain layers"
        )
    why = _WHY_NOT.get(
        class_name,
        "gatescope runs only text vectorization, an embedding, LSTM/GRU/SimpleRNN layers "
        "(optionally Bidirectional) and a Dense head",
    )
    raise GatescopeError(f"layer {name!r} is a {class_name}, which gatescope cannot run: {why}")


def _embedding(name: str, class_name: str, config: Mapping[str, Any]) -> EmbeddingSpec:
    _refuse_adapters(name, class_name, config)
    return EmbeddingSpec(
        name,
        class_name,
        "",
        input_dim=_positive(name, config, "input_dim"),
        output_dim=_positive(name, config, "output_dim"),
        mask_zero=_flag(name, config, "mask_zero", False),
    )


def _dense(name: str, class_name: str, config: Mapping[str, Any]) -> DenseSpec:
    _refuse_adapters(name, class_name, config)
    return DenseSpec(
        name,
        class_name,
        "",
        units=_positive(name, config, "units"),
        activation=_head_activation(name, config.get("activation")),
        use_bias=_flag(name, config, "use_bias", True),
    )


def _activation(name: str, class_name: str, config: Mapping[str, Any]) -> tuple[str, str, str]:
    if class_name == "Softmax":
        if config.get("axis", -1) not in (-1, [-1]):
            raise GatescopeError(f"layer {name!r} (Softmax) works on axis {config.get('axis')}; only -1 is supported")
        return ("activation", name, "softmax")
    return ("activation", name, _head_activation(name, config.get("activation")))


def _vectorizer(name: str, class_name: str, config: Mapping[str, Any]) -> VectorizerSpec:
    return VectorizerSpec(
        name,
        class_name,
        "",
        standardize=config.get("standardize", "lower_and_strip_punctuation"),
        split=config.get("split", "whitespace"),
        vocabulary=config.get("vocabulary"),
        output_mode=config.get("output_mode", "int"),
        ngrams=config.get("ngrams"),
        output_sequence_length=config.get("output_sequence_length"),
    )


_SIMPLE_LAYERS: dict[str, Callable[[str, str, Mapping[str, Any]], object]] = {
    "Embedding": _embedding,
    "Dense": _dense,
    "Activation": _activation,
    "Softmax": _activation,
    "TextVectorization": _vectorizer,
}


def _recurrent(name: str, class_name: str, config: Mapping[str, Any], keras_major: int) -> RecurrentSpec:
    for option, meaning in (("return_state", "returns its states as extra outputs"), ("time_major", "is time-major")):
        if config.get(option):
            raise GatescopeError(f"layer {name!r} ({class_name}) {meaning}; gatescope runs plain sequence layers")
    kind = RECURRENT_KINDS[class_name]
    activation = _name_of(config.get("activation", "tanh"))
    allowed = ("tanh", "relu") if kind == "rnn" else ("tanh",)
    if activation not in allowed:
        raise GatescopeError(
            f"layer {name!r} ({class_name}) uses activation={activation!r}; gatescope runs {' or '.join(allowed)} here"
        )
    gate_activation = "sigmoid"
    if kind != "rnn":
        recurrent = _name_of(config.get("recurrent_activation", "sigmoid"))
        if recurrent not in ("sigmoid", "hard_sigmoid"):
            raise GatescopeError(
                f"layer {name!r} ({class_name}) uses recurrent_activation={recurrent!r}; gatescope runs sigmoid or "
                f"hard_sigmoid gates"
            )
        if recurrent == "hard_sigmoid":
            gate_activation = "hard_sigmoid" if keras_major >= 3 else "hard_sigmoid_keras2"
    return RecurrentSpec(
        name,
        class_name,
        "",
        cell_class=class_name,
        kind=kind,
        units=_positive(name, config, "units"),
        activation=activation,
        gate_activation=gate_activation,
        use_bias=_flag(name, config, "use_bias", True),
        # Configs without the option predate it (Keras 2.0), whose GRU applied the reset gate before the product.
        reset_after=_flag(name, config, "reset_after", False) if kind == "gru" else True,
        go_backwards=_flag(name, config, "go_backwards", False),
        return_sequences=_flag(name, config, "return_sequences", False),
        stateful=_flag(name, config, "stateful", False),
    )


def _bidirectional(name: str, config: Mapping[str, Any], keras_major: int) -> RecurrentSpec:
    merge_mode = config.get("merge_mode", "concat")
    if merge_mode != "concat":
        raise GatescopeError(
            f"layer {name!r} (Bidirectional) merges its directions with merge_mode={merge_mode!r}; gatescope shows "
            f"both directions side by side, which is merge_mode='concat' only"
        )
    inner = config.get("layer")
    if not isinstance(inner, Mapping) or str(inner.get("class_name")) not in RECURRENT_KINDS or _custom_class(inner):
        wrapped = inner.get("class_name") if isinstance(inner, Mapping) else inner
        raise GatescopeError(
            f"layer {name!r} (Bidirectional) wraps {wrapped!r}; gatescope runs Bidirectional LSTM, GRU or SimpleRNN"
        )
    forward = _recurrent(name, str(inner["class_name"]), _config_of(inner), keras_major)
    backward_entry = config.get("backward_layer")
    if backward_entry is None:
        backward = replace(forward, go_backwards=not forward.go_backwards)
    else:
        if not isinstance(backward_entry, Mapping) or backward_entry.get("class_name") != inner.get("class_name"):
            raise GatescopeError(f"layer {name!r} (Bidirectional): its backward layer is not a {inner['class_name']}")
        backward = _recurrent(name, str(inner["class_name"]), _config_of(backward_entry), keras_major)
    if forward.go_backwards or not backward.go_backwards:
        raise GatescopeError(
            f"layer {name!r} (Bidirectional): its forward layer reads backwards (go_backwards); gatescope runs a "
            f"forward and a backward direction"
        )
    different = [
        option
        for option in ("units", "activation", "gate_activation", "use_bias", "reset_after", "return_sequences")
        if getattr(forward, option) != getattr(backward, option)
    ]
    if different:
        raise GatescopeError(
            f"layer {name!r} (Bidirectional): its two directions differ in {', '.join(different)}; gatescope runs "
            f"two directions of one kind"
        )
    return replace(forward, class_name="Bidirectional", directions=2, go_backwards=False)


# ---- the chain in order


def _assemble(model_class: str, layers: list[object]) -> KerasPlan:
    """Check the order (vectorizer, embedding, recurrent layers, head) and number the layers as Keras 3 stores them."""
    vectorizer: VectorizerSpec | None = None
    embedding: EmbeddingSpec | None = None
    recurrent: list[RecurrentSpec] = []
    dense: DenseSpec | None = None
    passed: list[str] = []
    activation_layer: tuple[str, str] | None = None
    counts: dict[str, int] = {}
    for layer in layers:
        if layer == "input":
            continue
        if isinstance(layer, str):
            passed.append(layer)
            continue
        if isinstance(layer, tuple):
            activation_layer = _after_dense(layer, dense, activation_layer)
            continue
        assert isinstance(layer, LayerSpec)
        key = snake_case(layer.class_name)
        number = counts.get(key, -1) + 1
        counts[key] = number
        layer = replace(layer, h5_key=key if number == 0 else f"{key}_{number}")
        _check_position(layer, vectorizer, embedding, recurrent, dense)
        if isinstance(layer, VectorizerSpec):
            vectorizer = layer
        elif isinstance(layer, EmbeddingSpec):
            embedding = layer
        elif isinstance(layer, RecurrentSpec):
            recurrent.append(layer)
        elif isinstance(layer, DenseSpec):
            dense = layer
    if not recurrent:
        raise GatescopeError("the model has no LSTM, GRU or SimpleRNN layer; gatescope shows recurrent models")
    if vectorizer is not None and embedding is None:
        raise GatescopeError(f"layer {vectorizer.name!r} (TextVectorization) is not followed by an Embedding")
    if dense is not None and activation_layer is not None:
        dense = replace(dense, activation=activation_layer[1])
    return KerasPlan(model_class, vectorizer, embedding, tuple(recurrent), dense, tuple(passed))


def _check_position(
    layer: LayerSpec,
    vectorizer: VectorizerSpec | None,
    embedding: EmbeddingSpec | None,
    recurrent: list[RecurrentSpec],
    dense: DenseSpec | None,
) -> None:
    what = f"layer {layer.name!r} ({layer.class_name})"
    if dense is not None:
        raise GatescopeError(f"{what} comes after the Dense layer {dense.name!r}; gatescope's head is one Dense layer")
    if isinstance(layer, VectorizerSpec) and (vectorizer or embedding or recurrent):
        raise GatescopeError(f"{what} must come first, right after the input")
    if isinstance(layer, EmbeddingSpec) and (embedding or recurrent):
        raise GatescopeError(f"{what} comes after the recurrent layers or another Embedding; gatescope embeds first")
    if isinstance(layer, RecurrentSpec) and vectorizer is not None and embedding is None:
        raise GatescopeError(f"{what} reads token ids from TextVectorization without an Embedding between them")
    if isinstance(layer, RecurrentSpec | DenseSpec) and recurrent and not recurrent[-1].return_sequences:
        below = recurrent[-1]
        if isinstance(layer, RecurrentSpec):
            raise GatescopeError(
                f"{what} follows {below.name!r}, which returns only its last step (return_sequences=False); "
                f"gatescope runs layers that pass on every step"
            )
    if isinstance(layer, DenseSpec) and not recurrent:
        raise GatescopeError(f"{what} comes before the recurrent layers; gatescope's only Dense layer is the head")


def _after_dense(layer: tuple[str, ...], dense: DenseSpec | None, seen: tuple[str, str] | None) -> tuple[str, str]:
    _, name, activation = layer
    if dense is None or seen is not None or dense.activation != "linear":
        raise GatescopeError(
            f"layer {name!r} applies {activation} somewhere other than right after a linear Dense head; gatescope "
            f"applies one activation to the head's output"
        )
    return (name, activation)


# ---- values


def snake_case(class_name: str) -> str:
    """Keras' ``naming.to_snake_case``: ``SimpleRNN`` → ``simple_rnn``, ``TextVectorization`` →
    ``text_vectorization``."""
    name = re.sub(r"\W+", "", class_name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def _name_of(value: object) -> str:
    """An activation's name: Keras writes built-in ones as plain strings (``None`` is linear)."""
    if value is None:
        return "linear"
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping) and isinstance(value.get("config"), str) and not _custom_class(value):
        return str(value["config"])
    return f"custom {value!r}"[:80]


def _head_activation(name: str, value: object) -> str:
    activation = _name_of(value)
    if activation not in HEAD_ACTIVATIONS:
        raise GatescopeError(
            f"layer {name!r} applies activation={activation!r}; gatescope's head is linear, softmax or sigmoid"
        )
    return HEAD_ACTIVATIONS[activation]


def _refuse_adapters(name: str, class_name: str, config: Mapping[str, Any]) -> None:
    if config.get("lora_rank"):
        raise GatescopeError(
            f"layer {name!r} ({class_name}) has LoRA weights (lora_rank={config['lora_rank']}); gatescope reads plain "
            f"weights: merge them into the layer's own weights and save the model again"
        )
    if config.get("quantization_config"):
        raise GatescopeError(f"layer {name!r} ({class_name}) is quantized; gatescope reads float weights")


def _positive(name: str, config: Mapping[str, Any], option: str) -> int:
    value = config.get(option)
    if type(value) is not int or value < 1:
        raise GatescopeError(f"layer {name!r}: {option}={value!r} is not a positive whole number")
    return value


def _flag(name: str, config: Mapping[str, Any], option: str, default: bool) -> bool:
    value = config.get(option, default)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise GatescopeError(f"layer {name!r}: {option}={value!r} must be true or false")
    return value
