"""Pick a training seed for a sentiment config by the dev reviews, never by the hand-written ones.

Run: python scripts/select_seed.py resources/configs/gru-sentiment.toml --seeds 7 11 13 17 [--jobs 2]

Each seed trains the config with `[training] seed = N` (same data; different initial weights, shuffling and dropout)
into a temporary folder, then scores the saved model on `gatescope.train.reviews.dev_reviews()` (516 reviews kept
for model selection). It prints one line per seed and the winner: highest dev accuracy, ties broken by the mean
log-probability of the right label. The hand-written set is not read here; write the winning seed into the config
and train the shipped model with `gatescope train`.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gatescope.train.config import load_config  # noqa: E402


def dev_scores(config_path: str, seed: int, keep: str | None) -> tuple[int, float, float, float, int]:
    from gatescope.train import pipeline, reviews

    config = load_config(config_path)
    config = dataclasses.replace(config, training=dataclasses.replace(config.training, seed=seed))
    with tempfile.TemporaryDirectory() as folder:
        out = Path(keep) / f"{config.name}-seed{seed}.npz" if keep else Path(folder) / "model.npz"
        report = pipeline.run(config, out, write_card=False)
    model = report.model
    correct, log_probability = 0, 0.0
    dev = reviews.dev_reviews()
    for review in dev:
        probabilities = model.run(review.text).outputs[-1]
        correct += int(probabilities.argmax() == review.label)
        log_probability += float(np.log(max(probabilities[review.label], 1e-12)))
    provenance = report.model.provenance
    best_epoch = int(provenance["best_epoch"])
    validation = max(float(row.get("validation_accuracy", 0.0)) for row in provenance["history"])
    return seed, correct / len(dev), log_probability / len(dev), validation, best_epoch


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config")
    parser.add_argument("--seeds", type=int, nargs="+", required=True)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--keep", metavar="DIR", help="keep each trained model in DIR (NAME-seedN.npz)")
    args = parser.parse_args()
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        results = list(pool.map(dev_scores, [args.config] * len(args.seeds), args.seeds, [args.keep] * len(args.seeds)))
    print("seed  dev acc  dev mean log p  validation  best epoch")
    for seed, accuracy, log_p, validation, epoch in results:
        print(f"{seed:>4}  {accuracy:7.2%}  {log_p:14.4f}  {validation:10.2%}  {epoch:>10}")
    winner = max(results, key=lambda row: (row[1], row[2]))
    print(f"winner: seed {winner[0]} (dev {winner[1]:.2%}); set `seed = {winner[0]}` under [training] in {args.config}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
