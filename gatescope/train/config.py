"""Training configuration: a TOML file read into typed, validated dataclasses (defaults for everything optional)."""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from gatescope.errors import GatescopeError

TASKS = ("sentiment", "brackets")


@dataclass(frozen=True)
class DataConfig:
    """How much data to generate (reviews, or bracket strings)."""

    train: int = 40000
    validation: int = 4000
    test: int = 4000
    subset: int = 1000
    real: bool = False  # sentiment: also train on review sentences people wrote (data/real_*.tsv) and score the
    # held-out "real_test" split
    written: int = 0  # sentiment: copies of the reviews written for training (data/written_reviews.tsv) mixed into
    # training (0 = none); a tenth of them join the validation split


@dataclass(frozen=True)
class ModelConfig:
    """The network to build."""

    cell: str = "lstm"
    units: int = 64
    layers: int = 1
    bidirectional: bool = False
    embedding: int = 48
    peepholes: bool = False
    gru_convention: str = "pytorch"
    min_count: int = 2  # words seen fewer times in training become the unknown token
    word_vectors: bool = False  # sentiment: start the embedding from data/word_vectors.npz (pretrained, training
    # only) and add its 20,000 words to the vocabulary, so words never seen in training still mean something


@dataclass(frozen=True)
class OptimizerConfig:
    """Adam, clipping, batching, early stopping."""

    epochs: int = 20
    batch_size: int = 64
    learning_rate: float = 3e-3
    clip_norm: float = 5.0
    patience: int = 3
    word_dropout: float = 0.1
    label_smoothing: float = 0.0
    forget_bias: float = 1.0
    average: float = 0.0  # decay of an exponential moving average of the weights, scored and kept instead of the
    # raw weights (0 = off; 0.999 averages about the last thousand batches)
    tune_word_vectors: bool = False  # with [model] word_vectors: also train the pretrained rows (default: keep them)
    seed: int = -1  # initial weights, shuffling and dropout; -1 means the config's top-level (data) seed
    select_on: str = "validation"  # which epoch to keep: best on the generated "validation" split, or on the "dev"
    # reviews (hand-written, sentiment only; generated validation accuracy saturates near 99.6%)


@dataclass(frozen=True)
class TrainConfig:
    """Everything one training run needs; the same config and seed give the same model and scores."""

    name: str
    task: str = "sentiment"
    description: str = ""
    notes: str = ""  # Markdown for the card's Notes section; {split} names are replaced by that split's score
    seed: int = 0
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    training: OptimizerConfig = field(default_factory=OptimizerConfig)

    @property
    def training_seed(self) -> int:
        """Seed for initial weights, shuffling and dropout (the data seed unless [training] seed is set)."""
        return self.seed if self.training.seed < 0 else self.training.seed

    def to_dict(self) -> dict:
        return asdict(self)


def _section(kind: type, values: object, where: str):
    if not isinstance(values, dict):
        raise GatescopeError(f"{where}: must be a table of settings")
    known = {f.name: f for f in fields(kind)}
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise GatescopeError(
            f"{where}: unknown setting{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} "
            f"(known: {', '.join(known)})"
        )
    defaults = kind()
    for key, value in values.items():
        expected = type(getattr(defaults, key))
        if expected is float and type(value) is int:
            values[key] = float(value)
        elif type(value) is not expected:
            raise GatescopeError(f"{where}.{key}: expected {expected.__name__}, got {value!r}")
    return kind(**values)


def parse_config(values: dict, where: str = "config") -> TrainConfig:
    """Validate a config mapping (as read from TOML)."""
    values = dict(values)
    if "name" not in values or not isinstance(values["name"], str) or not values["name"]:
        raise GatescopeError(f'{where}: needs a name, e.g. name = "lstm-sentiment"')
    sections = {"data": DataConfig, "model": ModelConfig, "training": OptimizerConfig}
    parsed = {key: _section(kind, dict(values.pop(key, {})), f"{where} [{key}]") for key, kind in sections.items()}
    top = {f.name for f in fields(TrainConfig)} - set(sections)
    unknown = sorted(set(values) - top)
    if unknown:
        raise GatescopeError(f"{where}: unknown setting{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}")
    config = TrainConfig(**values, **parsed)
    if config.task not in TASKS:
        raise GatescopeError(f"{where}: task must be one of {', '.join(TASKS)}, not {config.task!r}")
    _check_model(config.model, where)
    _check_sizes(config, where)
    _check_selection(config, where)
    _check_task_needs(config, where)
    _check_fractions(config.training, where)
    return config


def _check_model(model: ModelConfig, where: str) -> None:
    if model.cell not in ("lstm", "gru", "rnn"):
        raise GatescopeError(f"{where} [model] cell must be lstm, gru or rnn, not {model.cell!r}")
    if model.peepholes and model.cell != "lstm":
        raise GatescopeError(f"{where} [model] peepholes exist only for LSTM cells")


def _check_sizes(config: TrainConfig, where: str) -> None:
    model = config.model
    for name, value in (
        ("units", model.units),
        ("layers", model.layers),
        ("embedding", model.embedding),
        ("epochs", config.training.epochs),
        ("batch_size", config.training.batch_size),
        ("train", config.data.train),
        ("validation", config.data.validation),
    ):
        if value < 1:
            raise GatescopeError(f"{where}: {name} must be at least 1, not {value}")


def _check_selection(config: TrainConfig, where: str) -> None:
    if not 0 <= config.training.word_dropout < 1:
        raise GatescopeError(f"{where}: word_dropout must be in [0, 1)")
    if config.training.select_on not in ("validation", "dev"):
        raise GatescopeError(
            f'{where} [training] select_on must be "validation" or "dev", not {config.training.select_on!r}'
        )


def _check_task_needs(config: TrainConfig, where: str) -> None:
    """Settings that only the sentiment task can honour."""
    if config.training.select_on == "dev" and config.task != "sentiment":
        raise GatescopeError(f'{where} [training] select_on = "dev" needs the sentiment task (the dev reviews)')
    if config.data.written < 0:
        raise GatescopeError(
            f"{where} [data] written must be 0 (not used) or a number of copies, not {config.data.written}"
        )
    if config.data.written and config.task != "sentiment":
        raise GatescopeError(f"{where} [data] written needs the sentiment task (the written reviews)")
    if config.model.word_vectors and config.task != "sentiment":
        raise GatescopeError(f"{where} [model] word_vectors = true needs the sentiment task (word tokens)")


def _check_fractions(training: OptimizerConfig, where: str) -> None:
    if training.seed < -1:
        raise GatescopeError(f"{where} [training] seed must be -1 (use the data seed) or a non-negative integer")
    if not 0 <= training.average < 1:
        raise GatescopeError(f"{where}: average must be in [0, 1) (0 = off)")
    if not 0 <= training.label_smoothing < 1:
        raise GatescopeError(f"{where}: label_smoothing must be in [0, 1)")


def load_config(path: str | Path) -> TrainConfig:
    """Read a TOML training config; GatescopeError names the file and the problem."""
    path = Path(path)
    try:
        values = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise GatescopeError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise GatescopeError(f"{path}: cannot read ({error})") from None
    except tomllib.TOMLDecodeError as error:
        raise GatescopeError(f"{path}: not valid TOML ({error})") from None
    return parse_config(values, str(path))
