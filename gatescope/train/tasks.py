"""Training tasks: labelled texts per split, the tokenizer that reads them, and whether every step is scored."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gatescope.model.tokenize import CharTokenizer, WordTokenizer
from gatescope.train.config import TrainConfig


@dataclass(frozen=True)
class Example:
    """One text and its target: a class index (scored after the last token) or one per token."""

    text: str
    target: int | tuple[int, ...]


@dataclass(frozen=True)
class Task:
    """Data for one training run. ``splits`` holds train, validation, then the evaluation sets in card order."""

    name: str
    per_step: bool
    tokenizer: WordTokenizer | CharTokenizer
    labels: list[str]
    splits: dict[str, list[Example]]
    data_hash: str
    unknown_token: str = "<unk>"

    @property
    def evaluation_splits(self) -> list[str]:
        return [name for name in self.splits if name not in ("train", "validation")]

    @property
    def selection_split(self) -> str | None:
        """An extra split that picks the epoch to keep (the dev reviews), or None for the validation split."""
        return "dev" if "dev" in self.splits else None


def make_task(config: TrainConfig) -> Task:
    """Generate the data a config asks for (deterministic in config.seed)."""
    if config.task == "brackets":
        return _brackets_task(config)
    return _sentiment_task(config)


def _sentiment_task(config: TrainConfig) -> Task:
    from gatescope.train import reviews

    sizes = config.data
    splits = reviews.make_splits(
        seed=config.seed,
        train=sizes.train,
        validation=sizes.validation,
        test=sizes.test,
        subset=sizes.subset,
        real=sizes.real,
        written=bool(sizes.written),
    )
    if sizes.real:
        real = reviews.real_reviews()
        splits["train"] = splits["train"] + list(real["real_train"])
        splits["real_test"] = list(real["real_test"])
    if sizes.written:
        written = reviews.written_reviews()
        splits["train"] = splits["train"] + list(written["written_train"]) * sizes.written
        splits["validation"] = splits["validation"] + list(written["written_validation"])
    if config.training.select_on == "dev":
        splits["dev"] = reviews.dev_reviews()
    splits["handwritten"] = reviews.handwritten_reviews()
    examples = {name: [Example(r.text, int(r.label)) for r in items] for name, items in splits.items()}
    return Task(
        name="sentiment",
        per_step=False,
        tokenizer=WordTokenizer(lowercase=True),
        labels=list(reviews.LABELS),
        splits=examples,
        data_hash=reviews.data_hash(splits["train"]),
    )


def _brackets_task(config: TrainConfig) -> Task:
    from gatescope.train import brackets

    sizes = config.data
    generated = {
        "train": brackets.generate_brackets(sizes.train, config.seed),
        "validation": brackets.generate_brackets(sizes.validation, config.seed + 1),
        "test": brackets.generate_brackets(sizes.test, config.seed + 2),
        "long": brackets.generate_brackets(sizes.subset, config.seed + 3, min_length=80, max_length=200),
    }
    examples = {name: [Example(s.text, s.depths) for s in items] for name, items in generated.items()}
    return Task(
        name="brackets",
        per_step=True,
        tokenizer=CharTokenizer(lowercase=True),
        labels=list(brackets.LABELS),
        splits=examples,
        data_hash=brackets.bracket_hash(generated["train"]),
    )


def targets_array(examples: list[Example]) -> np.ndarray:
    """Stack equal-length targets: (B,) for last-step tasks, (B, T) for per-step tasks."""
    return np.array([example.target for example in examples], dtype=np.int64)
