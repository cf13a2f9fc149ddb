"""Fingerprint every training corpus the shipped configs make, to prove a refactoring changed no generated text.

Run: python scripts/corpus_hashes.py [--check scripts/corpus_hashes.json] [--write scripts/corpus_hashes.json]

For each distinct task in resources/configs/*.toml (the three sentiment configs share one) it hashes every split that
gatescope.train.tasks.make_task returns (text and target, in order: generated, real, written, dev and hand-written
reviews, or bracket strings), and for the sentiment task also the annotated splits (domain, phenomena, structure and
every clause) and a few phenomena that no split asks for directly. It takes about a minute; the fast guard that runs
with the tests is tests/train/test_corpus_hash.py.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gatescope.train.config import load_config  # noqa: E402
from gatescope.train.tasks import make_task  # noqa: E402


def _sha(lines) -> str:
    digest = hashlib.sha256()
    for line in lines:
        digest.update(repr(line).encode("utf-8") + b"\n")
    return digest.hexdigest()


def corpus_hashes() -> dict[str, str]:
    """Split name -> sha256, for every distinct task of the shipped configs."""
    from gatescope.train import reviews

    hashes: dict[str, str] = {}
    seen: set[str] = set()
    for path in sorted((ROOT / "resources" / "configs").glob("*.toml")):
        config = load_config(path)
        key = json.dumps({"task": config.task, "seed": config.seed, "data": config.to_dict()["data"]}, sort_keys=True)
        if key in seen:
            continue
        seen.add(key)
        task = make_task(config)
        for name, examples in task.splits.items():
            hashes[f"{config.task}/seed{config.seed}/{name}"] = _sha((e.text, e.target) for e in examples)
        if config.task != "sentiment":
            continue
        sizes = config.data
        annotated = reviews.make_annotated_splits(
            config.seed, sizes.train, sizes.validation, sizes.test, sizes.subset, sizes.real, bool(sizes.written)
        )
        for name, items in annotated.items():
            hashes[f"{config.task}/seed{config.seed}/annotated/{name}"] = _sha(
                (a.review, a.structure, a.tokens_after_decisive, a.clauses) for a in items
            )
    for phenomenon in ("plain", "intensifier", "filler", None):
        generated = reviews.generate_annotated_reviews(2000, 5, phenomenon)
        hashes[f"generate/seed5/{phenomenon}"] = _sha((a.review, a.clauses) for a in generated)
    for phenomenon in ("plain", "intensifier", "negation", "contrast", "long_range", None):
        generated = reviews.generate_annotated_reviews(500, 5, phenomenon, vocabulary="heldout")
        hashes[f"generate/seed5/heldout/{phenomenon}"] = _sha((a.review, a.clauses) for a in generated)
    hashes["dev_reviews"] = _sha(reviews.dev_reviews())
    hashes["lexicon/heldout_words"] = _sha(sorted(reviews.heldout_words()))
    hashes["lexicon/sentiment_words"] = _sha(sorted(reviews.sentiment_lexicon()))
    return hashes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", type=Path, help="compare with the hashes recorded in this JSON file")
    parser.add_argument("--write", type=Path, help="record the hashes in this JSON file")
    args = parser.parse_args()
    hashes = corpus_hashes()
    print(json.dumps(hashes, indent=1))
    if args.write:
        args.write.write_text(json.dumps(hashes, indent=1) + "\n", encoding="utf-8")
    if args.check:
        recorded = json.loads(args.check.read_text(encoding="utf-8"))
        changed = sorted(name for name in recorded.keys() | hashes.keys() if recorded.get(name) != hashes.get(name))
        print("identical" if not changed else "changed: " + ", ".join(changed), file=sys.stderr)
        return 1 if changed else 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
