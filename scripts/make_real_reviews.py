"""Derive the committed real review sentences in gatescope/train/data/ from two packages on the registries.

    python3 scripts/make_real_reviews.py [--cache DIR]

Nothing is installed and nothing in the archives is run: the script downloads two pinned archives (checked
against their sha256), reads the data files inside them as text, and writes

    real_sentences.tsv   3,000 single review sentences of products, films and restaurants, labelled by people
                         (Kotzias et al., "From Group to Individual Labels using Deep Features", KDD 2015; the
                         UCI "Sentiment Labelled Sentences" data set, CC BY 4.0), as the npm package
                         sentiment 5.0.2 carries them in test/fixtures/{amazon,imdb,yelp}.json
    real_snippets.tsv    film-review snippets (Pang and Lee's sentence polarity data) and Amazon product-review
                         snippets (Hu and Liu), each rated -4..+4 by about twenty people for VADER (Hutto and
                         Gilbert, ICWSM 2014), as the vaderSentiment 3.3.2 source archive on PyPI carries them in
                         additional_resources/hutto_ICWSM_2014.tar.gz. Snippets whose mean rating is within
                         0.5 of neutral are left out; the sign of the rest is the label.

Both use the format of handwritten.tsv ("positive|negative<TAB>text", "# domain: NAME" lines). Duplicates,
texts with no word, and any text that is also a hand-written or dev review are dropped. The output is
byte-identical from run to run.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import re
import sys
import tarfile
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "gatescope" / "train" / "data"

ARCHIVES = {
    "sentiment-5.0.2.tgz": (
        "https://registry.npmjs.org/sentiment/-/sentiment-5.0.2.tgz",
        "89302eb03d2005d03b214fe65814bb48adb7d3c42c8ca80bdee6a3ecb7e4480f",
    ),
    "vaderSentiment-3.3.2.tar.gz": (
        "https://files.pythonhosted.org/packages/77/8c/4a48c10a50f750ae565e341e697d74a38075a3e43ff0df6f1ab72e186902/"
        "vaderSentiment-3.3.2.tar.gz",
        "5d7c06e027fc8b99238edb0d53d970cf97066ef97654009890b83703849632f9",
    ),
}
UCI_FILES = {"amazon": "products", "imdb": "movies", "yelp": "restaurants"}
VADER_FILES = {"movieReviewSnippets_GroundTruth.txt": "movies", "amazonReviewSnippets_GroundTruth.txt": "products"}
NEUTRAL_BAND = 0.5
_WORD = re.compile(r"[A-Za-z]")


def archive(name: str, cache: Path) -> bytes:
    """The pinned archive's bytes, downloaded once into ``cache`` and checked against its sha256."""
    url, sha256 = ARCHIVES[name]
    path = cache / name
    if not path.exists():
        cache.mkdir(parents=True, exist_ok=True)
        print(f"downloading {url}", file=sys.stderr)
        with urllib.request.urlopen(url, timeout=60) as response:
            data = response.read()
        path.with_suffix(".part").write_bytes(data)
        path.with_suffix(".part").replace(path)
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != sha256:
        raise SystemExit(f"{path}: sha256 does not match the pinned {sha256}; delete it and run again")
    return data


def member(tar_bytes: bytes, suffix: str) -> bytes:
    """The bytes of the one regular file in a .tar.gz whose path ends with ``suffix`` (read, never extracted)."""
    with tarfile.open(fileobj=io.BytesIO(tar_bytes), mode="r:gz") as tar:
        found = [m for m in tar.getmembers() if m.isfile() and m.name.endswith(suffix)]
        if len(found) != 1:
            raise SystemExit(f"expected one {suffix} in the archive, found {len(found)}")
        return tar.extractfile(found[0]).read()


def clean(text: str) -> str:
    text = text.replace("''", '"').replace("\t", " ")
    return re.sub(r"\s+", " ", text).strip()


def uci_sentences(cache: Path) -> list[tuple[str, int, str]]:
    npm = archive("sentiment-5.0.2.tgz", cache)
    rows = []
    for source, domain in UCI_FILES.items():
        for item in json.loads(member(npm, f"test/fixtures/{source}.json")):
            if item.get("class") in (0, 1) and isinstance(item.get("text"), str):
                rows.append((domain, item["class"], clean(item["text"])))
    return rows


def vader_snippets(cache: Path) -> list[tuple[str, int, str]]:
    inner = member(archive("vaderSentiment-3.3.2.tar.gz", cache), "additional_resources/hutto_ICWSM_2014.tar.gz")
    rows = []
    for name, domain in VADER_FILES.items():
        for line in member(inner, name).decode("utf-8").splitlines():
            parts = line.split("\t")
            if len(parts) < 3:
                continue
            rating = float(parts[1])
            if abs(rating) >= NEUTRAL_BAND:
                rows.append((domain, int(rating > 0), clean("\t".join(parts[2:]))))
    return rows


def reserved_texts() -> set[str]:
    """Hand-written and dev reviews, normalised: none of them may appear in the derived files."""
    texts = set()
    for name in ("handwritten.tsv", "dev_reviews.tsv"):
        for line in (OUT / name).read_text(encoding="utf-8").splitlines():
            if line and not line.startswith("#") and "\t" in line:
                texts.add(normalised(line.partition("\t")[2]))
    return texts


def normalised(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9']+", text.lower()))


def write(path: Path, header: str, rows: list[tuple[str, int, str]], taken: set[str]) -> int:
    lines = [f"# {line}".rstrip() for line in header.strip().splitlines()]
    count = 0
    for domain in dict.fromkeys(domain for domain, _, _ in rows):
        lines.append(f"# domain: {domain}")
        for row_domain, label, text in rows:
            key = normalised(text)
            if row_domain != domain or not _WORD.search(text) or key in taken:
                continue
            taken.add(key)
            lines.append(f"{'positive' if label else 'negative'}\t{text}")
            count += 1
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--cache",
        type=Path,
        default=ROOT / ".cache" / "corpora",
        help="where the downloaded archives are kept (default: .cache/corpora)",
    )
    args = parser.parse_args()
    taken = reserved_texts()
    sentences = write(
        OUT / "real_sentences.tsv",
        """
Real review sentences labelled by people: Kotzias, Denil, de Freitas and Smyth, "From Group to Individual
Labels using Deep Features", KDD 2015 (UCI "Sentiment Labelled Sentences", CC BY 4.0), from the npm package
sentiment 5.0.2 (test/fixtures). Written by scripts/make_real_reviews.py; do not edit by hand.
Format as handwritten.tsv.""",
        uci_sentences(args.cache),
        taken,
    )
    snippets = write(
        OUT / "real_snippets.tsv",
        """
Real review snippets rated -4..+4 by people for VADER (Hutto and Gilbert, ICWSM 2014; vaderSentiment 3.3.2,
additional_resources, MIT licence): film snippets from Pang and Lee's sentence polarity data and Amazon
product snippets from Hu and Liu. Mean ratings within 0.5 of neutral are left out; the sign is the label.
Written by scripts/make_real_reviews.py; do not edit by hand. Format as handwritten.tsv.""",
        vader_snippets(args.cache),
        taken,
    )
    print(f"real_sentences.tsv: {sentences:,} sentences; real_snippets.tsv: {snippets:,} snippets")


if __name__ == "__main__":
    main()
