"""The NumPy trainer: length-bucketed batches, BPTT, Adam with gradient-norm clipping, early stopping.

Parameters live in one dict named like gatescope's model file (``embedding``, ``weight_ih_l0``, ...,
``head_weight``, ``head_bias``), so the trained model is saved without renaming anything.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from gatescope.engine.bptt import parameter_gradients_by_name, stack_backward, stack_forward
from gatescope.engine.cells import gate_count, layer_from_state_dict
from gatescope.errors import GatescopeError
from gatescope.model.model import Head, Model
from gatescope.model.state_dict import weight_names
from gatescope.model.tokenize import Vocabulary
from gatescope.train.config import TrainConfig
from gatescope.train.progress import TrainingProgress
from gatescope.train.tasks import Example, Task

DTYPE = np.float32


@dataclass
class EncodedSplit:
    """A split as token ids grouped by length: length -> (N, length) ids and targets ((N,) or (N, length))."""

    ids: dict[int, np.ndarray]
    targets: dict[int, np.ndarray]

    @property
    def count(self) -> int:
        return sum(len(block) for block in self.ids.values())


def build_vocabulary(task: Task, min_count: int, extra: tuple[str, ...] = ()) -> Vocabulary:
    """Training tokens seen at least ``min_count`` times, most frequent first, then the ``extra`` words not among
    them (pretrained word vectors' words) in their order; the unknown token is id 0."""
    counts = Counter(token.key for example in task.splits["train"] for token in task.tokenizer.tokenize(example.text))
    kept = sorted(
        (key for key, count in counts.items() if count >= min_count and key != task.unknown_token),
        key=lambda key: (-counts[key], key),
    )
    seen = set(kept)
    kept += [word for word in extra if word not in seen and word != task.unknown_token]
    return Vocabulary([task.unknown_token, *kept], unknown=task.unknown_token)


def pretrained_rows(config: TrainConfig, vocabulary: Vocabulary, params: dict) -> np.ndarray:
    """Copy the word vectors into the embedding rows of their words; returns those rows' ids."""
    from gatescope.train.word_vectors import PATH, load_word_vectors

    words, vectors = load_word_vectors()
    if vectors.shape[1] != config.model.embedding:
        raise GatescopeError(
            f"{config.name}: [model] embedding is {config.model.embedding} but {PATH.name} holds "
            f"{vectors.shape[1]}-dimensional vectors; set embedding = {vectors.shape[1]}"
        )
    rows = np.array([vocabulary.id(word) for word in words], dtype=np.int64)
    params["embedding"][rows] = vectors
    return rows


def encode(task: Task, vocabulary: Vocabulary, examples: list[Example]) -> EncodedSplit:
    """Tokenize, look up and bucket by length (sequences in a batch share a length: no padding, no masks)."""
    ids_by_length: dict[int, list[np.ndarray]] = {}
    targets_by_length: dict[int, list] = {}
    for example in examples:
        tokens = task.tokenizer.tokenize(example.text)
        if not tokens:
            continue
        ids, _ = vocabulary.encode([token.key for token in tokens])
        if task.per_step and len(example.target) != len(ids):
            raise ValueError(f"per-step targets ({len(example.target)}) do not match tokens ({len(ids)})")
        ids_by_length.setdefault(len(ids), []).append(ids)
        targets_by_length.setdefault(len(ids), []).append(example.target)
    return EncodedSplit(
        {n: np.stack(block) for n, block in ids_by_length.items()},
        {n: np.array(block, dtype=np.int64) for n, block in targets_by_length.items()},
    )


def init_parameters(config: TrainConfig, vocabulary_size: int, outputs: int, rng: np.random.Generator) -> dict:
    """PyTorch-style uniform(±1/√units) weights, forget-gate bias, small random embedding."""
    model = config.model
    H, D = model.units, 2 if model.bidirectional else 1
    G = gate_count(model.cell)
    bound = 1.0 / np.sqrt(H)
    params = {"embedding": rng.normal(0.0, 0.1, (vocabulary_size, model.embedding))}
    for name in weight_names(model.layers, model.bidirectional, bias=True, peepholes=model.peepholes):
        layer = int(name.split("_l")[1].split("_")[0])
        inputs = model.embedding if layer == 0 else D * H
        shape = {
            "weight_ih": (G * H, inputs),
            "weight_hh": (G * H, H),
            "bias_ih": (G * H,),
            "bias_hh": (G * H,),
            "peephole": (3, H),
        }[name.split("_l")[0]]
        params[name] = rng.uniform(-bound, bound, shape)
        if model.cell == "lstm" and name.startswith("bias_ih"):
            params[name][H : 2 * H] += config.training.forget_bias
    head_bound = 1.0 / np.sqrt(D * H)
    params["head_weight"] = rng.uniform(-head_bound, head_bound, (outputs, D * H))
    params["head_bias"] = np.zeros(outputs)
    return {name: value.astype(DTYPE) for name, value in params.items()}


def recurrent_layers(config: TrainConfig, params: dict) -> list:
    model = config.model
    return [
        layer_from_state_dict(
            params, k, model.cell, bidirectional=model.bidirectional, dtype=DTYPE, gru_convention=model.gru_convention
        )
        for k in range(model.layers)
    ]


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    np.exp(shifted, out=shifted)
    shifted /= shifted.sum(axis=-1, keepdims=True)
    return shifted


def loss_and_gradients(
    config: TrainConfig, params: dict, ids: np.ndarray, targets: np.ndarray, per_step: bool
) -> tuple[float, int, dict]:
    """Cross-entropy of a batch, the number of correct predictions, and the gradient of every parameter."""
    layers = recurrent_layers(config, params)
    x = params["embedding"][ids]
    top, caches = stack_forward(layers, x)
    head_input = top if per_step else top[:, -1]
    logits = head_input @ params["head_weight"].T + params["head_bias"]
    probabilities = _softmax(logits)
    flat_targets = targets.reshape(-1)
    flat_probabilities = probabilities.reshape(-1, probabilities.shape[-1])
    count = len(flat_targets)
    # Label smoothing: aim at (1 - e) for the true class and e / K elsewhere, so no single word can push the
    # prediction to exactly 0 or 1.
    smoothing = config.training.label_smoothing
    wanted = np.full_like(flat_probabilities, smoothing / flat_probabilities.shape[1])
    wanted[np.arange(count), flat_targets] += 1.0 - smoothing
    loss = float(-np.sum(wanted * np.log(np.maximum(flat_probabilities, 1e-12))) / count)
    correct = int(np.sum(flat_probabilities.argmax(axis=1) == flat_targets))
    grad_logits = (flat_probabilities - wanted) / count
    flat_input = head_input.reshape(count, -1)
    grads = {"head_weight": grad_logits.T @ flat_input, "head_bias": grad_logits.sum(axis=0)}
    grad_head_input = (grad_logits @ params["head_weight"]).reshape(head_input.shape)
    if per_step:
        grad_top = grad_head_input
    else:
        grad_top = np.zeros_like(top)
        grad_top[:, -1] = grad_head_input
    grad_x, layer_grads = stack_backward(layers, caches, grad_top)
    grads.update(parameter_gradients_by_name(layer_grads))
    grads["embedding"] = scatter_rows(params["embedding"].shape, ids.reshape(-1), grad_x.reshape(-1, grad_x.shape[-1]))
    return loss, correct, {name: grads[name].astype(DTYPE, copy=False) for name in params}


def scatter_rows(shape: tuple[int, int], rows: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Sum ``values`` (N, E) into a zero (V, E) array at ``rows`` (N,): the embedding's gradient."""
    order = np.argsort(rows, kind="stable")
    sorted_rows = rows[order]
    starts = np.flatnonzero(np.r_[True, sorted_rows[1:] != sorted_rows[:-1]])
    out = np.zeros(shape, values.dtype)
    out[sorted_rows[starts]] = np.add.reduceat(values[order], starts, axis=0)
    return out


@dataclass
class Adam:
    """Adam (Kingma & Ba 2015) with global gradient-norm clipping."""

    learning_rate: float
    clip_norm: float
    beta1: float = 0.9
    beta2: float = 0.999
    epsilon: float = 1e-8
    steps: int = 0
    first: dict = field(default_factory=dict)
    second: dict = field(default_factory=dict)

    def step(self, params: dict, grads: dict) -> float:
        """Update ``params`` in place; returns the gradient norm before clipping."""
        norm = float(np.sqrt(sum(float(np.dot(g.ravel(), g.ravel())) for g in grads.values())))
        scale = self.clip_norm / norm if self.clip_norm and norm > self.clip_norm else 1.0
        self.steps += 1
        correction1 = 1 - self.beta1**self.steps
        correction2 = 1 - self.beta2**self.steps
        step_size = self.learning_rate / correction1
        for name, grad in grads.items():
            if scale != 1.0:
                grad = grad * np.float32(scale)
            m = self.first.setdefault(name, np.zeros_like(grad))
            v = self.second.setdefault(name, np.zeros_like(grad))
            m *= self.beta1
            m += (1 - self.beta1) * grad
            v *= self.beta2
            v += (1 - self.beta2) * np.square(grad)
            denominator = np.sqrt(v / correction2)
            denominator += self.epsilon
            params[name] -= step_size * m / denominator
        return norm


def batches(split: EncodedSplit, batch_size: int, rng: np.random.Generator | None) -> list[tuple[int, np.ndarray]]:
    """(length, row indices) per batch; shuffled within and across length buckets when rng is given."""
    plan = []
    for length in sorted(split.ids):
        rows = np.arange(len(split.ids[length]))
        if rng is not None:
            rows = rng.permutation(rows)
        plan += [(length, rows[start : start + batch_size]) for start in range(0, len(rows), batch_size)]
    if rng is not None:
        order = rng.permutation(len(plan))
        plan = [plan[k] for k in order]
    return plan


def accuracy(config: TrainConfig, params: dict, split: EncodedSplit, per_step: bool, batch_size: int = 256) -> float:
    """Fraction of correct predictions (per token for per-step tasks) with the training forward pass."""
    correct = total = 0
    for length, rows in batches(split, batch_size, None):
        targets = split.targets[length][rows]
        correct += _correct_predictions(config, params, split.ids[length][rows], targets, per_step)
        total += targets.size
    return correct / max(1, total)


def _correct_predictions(
    config: TrainConfig, params: dict, ids: np.ndarray, targets: np.ndarray, per_step: bool
) -> int:
    layers = recurrent_layers(config, params)
    top, _ = stack_forward(layers, params["embedding"][ids])
    head_input = top if per_step else top[:, -1]
    predictions = (head_input @ params["head_weight"].T + params["head_bias"]).argmax(axis=-1)
    return int(np.sum(predictions == targets))


@dataclass
class TrainingResult:
    """What a run produced: the best parameters, the vocabulary and the per-epoch history."""

    params: dict
    vocabulary: Vocabulary
    history: list[dict]
    best_epoch: int
    seconds: float


def train(config: TrainConfig, task: Task, progress: TrainingProgress | None = None) -> TrainingResult:
    """Fit a model to ``task``; deterministic for a given config (seed) and data."""
    from threadpoolctl import threadpool_limits

    # Small matrices, one step at a time: extra BLAS threads only spin (4x slower on 2 busy cores).
    with threadpool_limits(limits=1, user_api="blas"):
        return _train(config, task, progress)


def _train(config: TrainConfig, task: Task, progress: TrainingProgress | None) -> TrainingResult:
    started = time.perf_counter()
    rng = np.random.default_rng(config.training_seed)
    extra = ()
    if config.model.word_vectors:
        from gatescope.train.word_vectors import load_word_vectors

        extra = load_word_vectors()[0]
    vocabulary = build_vocabulary(task, config.model.min_count, extra)
    train_split = encode(task, vocabulary, task.splits["train"])
    validation_split = encode(task, vocabulary, task.splits["validation"])
    selection = task.selection_split
    selection_split = encode(task, vocabulary, task.splits[selection]) if selection else None
    params = init_parameters(config, len(vocabulary), len(task.labels), rng)
    frozen_rows = None
    if config.model.word_vectors:
        rows = pretrained_rows(config, vocabulary, params)
        frozen_rows = None if config.training.tune_word_vectors else rows
    optimizer = Adam(config.training.learning_rate, config.training.clip_norm)
    settings = config.training
    plan_size = len(batches(train_split, settings.batch_size, None))
    progress = progress or TrainingProgress(settings.epochs, plan_size)
    best = ((-1.0, -1.0), 0, {name: value.copy() for name, value in params.items()})
    history = []
    decay = np.float32(settings.average)
    averaged = {name: value.copy() for name, value in params.items()} if settings.average else None
    for epoch in range(1, settings.epochs + 1):
        losses, correct, seen = [], 0, 0
        for number, (length, rows) in enumerate(batches(train_split, settings.batch_size, rng), start=1):
            ids = train_split.ids[length][rows]
            if settings.word_dropout:
                ids = np.where(rng.random(ids.shape) < settings.word_dropout, vocabulary.unknown_id, ids)
            targets = train_split.targets[length][rows]
            loss, right, grads = loss_and_gradients(config, params, ids, targets, task.per_step)
            if frozen_rows is not None:
                grads["embedding"][frozen_rows] = 0.0  # Adam's moments stay zero: the pretrained rows never move
            optimizer.step(params, grads)
            if averaged is not None:
                for name, value in params.items():
                    averaged[name] *= decay
                    averaged[name] += (1 - decay) * value
            losses.append(loss)
            correct += right
            seen += targets.size
            progress.batch(epoch, number, float(np.mean(losses[-50:])))
        scored = averaged if averaged is not None else params
        validation_accuracy = accuracy(config, scored, validation_split, task.per_step)
        row = {
            "epoch": epoch,
            "loss": round(float(np.mean(losses)), 5),
            "train_accuracy": round(correct / seen, 5),
            "validation_accuracy": round(validation_accuracy, 5),
        }
        score = (validation_accuracy, 0.0)
        if selection_split is not None:  # the dev reviews pick the epoch; validation breaks ties
            selected = accuracy(config, scored, selection_split, task.per_step)
            row[f"{selection}_accuracy"] = round(selected, 5)
            score = (selected, validation_accuracy)
        improved = score > best[0]
        if improved:
            best = (score, epoch, {name: value.copy() for name, value in scored.items()})
        history.append(row)
        progress.epoch(epoch, float(np.mean(losses)), correct / seen, validation_accuracy, "best" if improved else "")
        if epoch - best[1] >= settings.patience:
            progress.message(
                f"early stop: {selection or 'validation'} accuracy has not improved for {settings.patience} epochs"
            )
            break
    return TrainingResult(best[2], vocabulary, history, best[1], time.perf_counter() - started)


def to_model(config: TrainConfig, task: Task, result: TrainingResult, provenance: dict) -> Model:
    """The trained network as a gatescope Model (what the app and the model file use)."""
    params = result.params
    return Model(
        layers=recurrent_layers(config, params),
        tokenizer=task.tokenizer,
        vocabulary=result.vocabulary,
        embedding=params["embedding"],
        head=Head(params["head_weight"], params["head_bias"], activation="softmax", labels=list(task.labels)),
        name=config.name,
        description=config.description,
        provenance=provenance,
    )
