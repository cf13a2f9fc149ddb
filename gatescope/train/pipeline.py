"""One training run end to end: config -> data -> fit -> model file with provenance -> scores -> model card."""

from __future__ import annotations

import platform
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gatescope.model.model import Model
from gatescope.train.config import TrainConfig, load_config
from gatescope.train.evaluate import cell_state_correlations, split_accuracy
from gatescope.train.progress import TrainingProgress, format_duration
from gatescope.train.tasks import Task, make_task
from gatescope.train.trainer import TrainingResult, to_model, train

SPLIT_TITLES = {
    "test": "held-out test split",
    "negation": "negation subset",
    "contrast": "contrast subset (the later clause decides)",
    "long_range": "long-range subset (decisive words far from the end)",
    "unknown_words": "unknown-words subset (words never seen in training)",
    "dev": "dev reviews (hand-written; they picked the epoch to keep)",
    "real_test": "real review sentences (UCI, held out; products, films, restaurants)",
    "handwritten": "hand-written reviews",
    "long": "long strings (80–200 characters, longer than any in training)",
}


@dataclass
class RunReport:
    """What ``run`` made: the model, its scores (measured on the saved file) and where it was written."""

    model: Model
    scores: dict[str, float]
    path: Path
    card_path: Path | None
    interpretable_unit: tuple[int, float] | None


def run(
    config_path: str | Path | TrainConfig,
    out: str | Path,
    command: str = "",
    write_card: bool = True,
    progress: TrainingProgress | None = None,
) -> RunReport:
    """Train from a TOML config (a path, or one already read) and write the model (and its card NAME.md beside it)."""
    from gatescope import __version__
    from gatescope.model.formats import load_file

    config = config_path if isinstance(config_path, TrainConfig) else load_config(config_path)
    out = Path(out)
    log = progress.message if progress else (lambda text: print(text, file=sys.stderr))
    log(f"generating {config.task} data (seed {config.seed})")
    task = make_task(config)
    log(", ".join(f"{name} {len(items):,}" for name, items in task.splits.items()))
    result = train(config, task, progress)
    provenance = {
        "config": config.to_dict(),
        "seed": config.seed,
        "training_seed": config.training_seed,
        "data_hash": task.data_hash,
        "best_epoch": result.best_epoch,
        "history": result.history,
        "training_seconds": round(result.seconds, 1),
        "command": command,
        "gatescope": __version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
    }
    model = to_model(config, task, result, provenance)
    model.save(out)
    saved = load_file(out)
    log(f"scoring {out} with the inference engine")
    scores = {
        name: round(split_accuracy(saved, task.splits[name], task.per_step), 5) for name in task.evaluation_splits
    }
    unit = None
    if task.per_step and config.model.cell == "lstm":
        correlations = cell_state_correlations(saved, task.splits["test"][:300])
        best = int(np.argmax(np.abs(correlations)))
        unit = (best, round(float(correlations[best]), 4))
        provenance["depth_unit"] = {"unit": best, "correlation": unit[1]}
    provenance["scores"] = scores
    model.provenance = provenance
    model.save(out)
    card_path = None
    if write_card:
        card_path = out.with_suffix(".md")
        card_path.write_text(model_card(config, task, model, result, scores, unit, command), encoding="utf-8")
    return RunReport(model, scores, out, card_path, unit)


def model_card(
    config: TrainConfig,
    task: Task,
    model: Model,
    result: TrainingResult,
    scores: dict[str, float],
    unit: tuple[int, float] | None,
    command: str,
) -> str:
    """The Markdown card: what the model is, its data, sizes, training command and measured scores."""
    m = config.model
    lines = [
        f"# {config.name}",
        "",
        config.description,
        "",
        "## Scores",
        "",
        "Measured by `gatescope.train.evaluate` on the shipped file with gatescope's engine (a test re-checks them).",
        "",
        "| evaluation set | examples | accuracy |",
        "| --- | ---: | ---: |",
    ]
    unit_word = "strings (scored at every character)" if task.per_step else "reviews"
    for name, score in scores.items():
        lines.append(f"| {SPLIT_TITLES.get(name, name)} | {len(task.splits[name]):,} {unit_word} | {score:.2%} |")
    if unit is not None:
        lines += [
            "",
            f"**Interpretable unit:** the cell state of unit {unit[0]} tracks the nesting depth "
            f"(Pearson correlation {unit[1]:+.3f} over {300} test strings). Select unit {unit[0]} in the "
            f"app to watch it count.",
        ]
    lines += [
        "",
        "## Model",
        "",
        f"- {model.summary()}",
        f"- cell: {m.cell.upper()}, {m.units} units, {m.layers} layer{'s' if m.layers > 1 else ''}"
        f"{', bidirectional' if m.bidirectional else ''}{', peepholes' if m.peepholes else ''}; "
        f"embedding {m.embedding}; vocabulary {len(result.vocabulary):,} tokens (" + _vocabulary_note(config),
        f"- output: {', '.join(task.labels)} — "
        + ("after every character" if task.per_step else "P(label) after every token; trained on the last"),
        "",
        "## Data",
        "",
        f"- task: {task.name}; generated by `gatescope.train` with seed {config.seed}; "
        f"sha256 of the training texts: `{task.data_hash[:16]}…`",
        *(
            [
                f"- real reviews: {_real_train_count():,} sentences people wrote and "
                "labelled are mixed into training (`data/real_snippets.tsv`: VADER's film and product-review "
                "snippets; `data/real_sentences.tsv`: the UCI Sentiment Labelled Sentences, CC BY 4.0); one UCI "
                f"sentence in five, {len(task.splits['real_test']):,} in all, is held out as `real_test`"
            ]
            if config.data.real
            else []
        ),
        *(
            [
                f"- written reviews: {_written_count('written_train'):,} reviews written for gatescope in the style "
                "people type (`data/written_reviews.tsv`: films, restaurants, products, hotels, books; many with "
                "implied verdicts, contrast, negation and idioms) are mixed into training"
                + (f", {config.data.written} copies of each" if config.data.written > 1 else "")
                + f"; {_written_count('written_validation'):,} more join the validation split"
            ]
            if config.data.written
            else []
        ),
        *(
            [
                f"- word vectors: the embedding starts from `data/word_vectors.npz` ({_vector_shape()[0]:,} common "
                "English words, each embedded alone by the sentence model all-MiniLM-L6-v2 and projected onto "
                f"{_vector_shape()[1]} principal components; `scripts/make_word_vectors.py`) and is "
                + ("tuned in training" if config.training.tune_word_vectors else "kept fixed in training")
            ]
            if m.word_vectors
            else []
        ),
        "- sizes: " + ", ".join(f"{name} {len(items):,}" for name, items in task.splits.items()),
        "",
        "## Training",
        "",
        f"- command: `{command or 'gatescope train CONFIG --out MODEL.npz'}`",
        f"- Adam, learning rate {config.training.learning_rate}, batch {config.training.batch_size} "
        f"(length-bucketed), gradient-norm clip {config.training.clip_norm}, word dropout "
        f"{config.training.word_dropout}, label smoothing {config.training.label_smoothing}, early stopping "
        f"(patience {config.training.patience}); "
        + (
            f"the weights scored and kept are a moving average (decay {config.training.average}); "
            if config.training.average
            else ""
        )
        + "the epoch kept is the best on "
        f"{'the dev reviews' if config.training.select_on == 'dev' else 'the validation split'}; weights, "
        f"shuffling and dropout seeded with "
        f"{config.training_seed}",
        f"- best epoch {result.best_epoch} of {len(result.history)}; training took "
        f"{format_duration(result.seconds)} on {platform.machine()} ({_cpu_count()} cores)",
        "",
    ]
    if config.notes.strip():
        lines += ["## Notes", "", card_notes(config.notes, scores), ""]
    return "\n".join(lines)


def _real_train_count() -> int:
    from gatescope.train.reviews import real_reviews

    return len(real_reviews()["real_train"])


def _written_count(part: str) -> int:
    from gatescope.train.reviews import written_reviews

    return len(written_reviews()[part])


def _vector_shape() -> tuple[int, int]:
    """(words, dimensions) of the pretrained word vectors."""
    from gatescope.train.word_vectors import load_word_vectors

    return load_word_vectors()[1].shape


def _vocabulary_note(config: TrainConfig) -> str:
    """What the vocabulary holds, for the card's Model section (the text inside the parentheses)."""
    m = config.model
    if m.word_vectors:
        trained = (
            f"the words seen at least {m.min_count} times in training"
            if m.min_count > 1
            else "every token seen in training"
        )
        return (
            f"{trained} and the {_vector_shape()[0]:,} words of the pretrained vectors; any other word reads as "
            "`<unk>`)"
        )
    if m.min_count > 1:
        return f"words seen fewer than {m.min_count} times in training read as `<unk>`)"
    return "anything not seen in training reads as `<unk>`)"


def card_notes(notes: str, scores: dict[str, float]) -> str:
    """The config's notes with each {split} replaced by its measured score ("90.00%"); unknown names stay."""
    text = notes.strip()
    for name, score in scores.items():
        text = text.replace("{" + name + "}", f"{score:.2%}")
    return text


def _cpu_count() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
