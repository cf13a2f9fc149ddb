"""Render a fixed set of screenshots, exported frames, trace files and command outputs, and compare two such sets.

A refactoring that must not change what users see is checked like this (from the repository root):

    python scripts/snapshot_outputs.py render /tmp/before            # on the old commit
    python scripts/snapshot_outputs.py render /tmp/after             # on the new one
    python scripts/snapshot_outputs.py compare /tmp/before /tmp/after

``render`` drives the command line only (``python -m gatescope ...``) with the interpreter it runs under, so it works
on any commit. ``compare`` decodes images (PNG, GIF frames) and compares pixels, SVG and text byte for byte, and
lists what differs, how many pixels and by how much.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

SENTIMENT = "the plot was dull but the ending was wonderful"
BRACKETS = "(a(b)c) d"

#: Name -> arguments after ``gatescope``; {out} is the output path, {bigru} a 2-layer bidirectional GRU file.
SCREENSHOTS = {
    "main-heatmaps": ["gui", "--model", "lstm-sentiment", "--step", "4"],
    "main-cell-phase": ["gui", "--model", "lstm-sentiment", "--view", "cell", "--step", "4", "--phase", "cell"],
    "compare": [
        "gui",
        "--model",
        "lstm-sentiment",
        "--compare",
        "gru-sentiment",
        "--step",
        "4",
        "--phase",
        "forget",
        "--size",
        "1500x900",
    ],
    "gru-cell": ["gui", "--model", "gru-sentiment", "--view", "cell", "--step", "3", "--phase", "candidate"],
    "rnn-small": ["gui", "--model", "rnn-sentiment", "--size", "1280x720", "--step", "8"],
    "brackets-cell": ["gui", "--model", "lstm-brackets", "--text", BRACKETS, "--view", "cell", "--step", "3"],
    "counter": ["gui", "--model", "bracket-counter", "--text", BRACKETS, "--step", "2"],
    "bigru-heatmaps": ["gui", "--model", "{bigru}", "--step", "2"],
    "bigru-cell": ["gui", "--model", "{bigru}", "--view", "cell", "--step", "2", "--phase", "reset"],
}
EXPORTS = {
    "window-token": ["--view", "window", "--format", "png", "--from", "2", "--to", "4", "--tween", "1"],
    "window-phase": ["--view", "window", "--by", "phase", "--format", "png", "--from", "3", "--to", "3"],
    "cell-phase-dark": [
        "--view",
        "cell",
        "--by",
        "phase",
        "--tween",
        "2",
        "--format",
        "png",
        "--from",
        "4",
        "--to",
        "4",
        "--theme",
        "dark",
        "--unit",
        "5",
    ],
    "heatmaps": ["--view", "heatmaps", "--format", "png", "--from", "0", "--to", "2", "--size", "900x600"],
    "step-scaled": [
        "--view",
        "step",
        "--format",
        "png",
        "--from",
        "4",
        "--to",
        "5",
        "--scale",
        "1.5",
        "--size",
        "640x360",
    ],
    "cell-svg": ["--view", "cell", "--format", "svg", "--from", "4", "--to", "4", "--size", "960x540"],
    "window-gif": ["--view", "window", "--format", "gif", "--from", "0", "--to", "2", "--size", "640x400"],
    "cell-mp4": ["--view", "cell", "--format", "mp4", "--from", "1", "--to", "2", "--size", "640x360"],
    "trace-csv": ["--format", "csv"],
    "trace-json": ["--format", "json"],
    "trace-npz": ["--format", "npz"],
}
EXPORT_MODELS = {"cell-phase-dark": "gru-sentiment", "step-scaled": "{bigru}", "heatmaps": "rnn-sentiment"}
SUFFIX = {"gif": ".gif", "mp4": ".mp4", "csv": ".csv", "json": ".json", "npz": ".npz"}
COMMANDS = {
    "models": ["models"],
    "trace-table": ["trace", "lstm-sentiment", SENTIMENT],
    "trace-table-units": ["trace", "{bigru}", "the plot was dull", "--units", "0-5"],
    "trace-table-chars": ["trace", "lstm-brackets", "(a\tb) c\n"],
    "trace-json-stdout": ["trace", "bracket-counter", BRACKETS, "--format", "json"],
    "trace-csv-stdout": ["trace", "gru-sentiment", "not bad", "--format", "csv"],
    "error-step": ["gui", "--screenshot", "{out}/never.png", "--model", "lstm-sentiment", "--step", "99"],
    "error-phase": ["gui", "--screenshot", "{out}/never.png", "--model", "gru-sentiment", "--phase", "forget"],
    "error-layer": [
        "export",
        "--model",
        "lstm-sentiment",
        "--text",
        "a",
        "--format",
        "png",
        "--out",
        "{out}/x",
        "--layer",
        "3",
    ],
}


def _bigru(folder: Path, python: str) -> Path:
    """A 2-layer bidirectional GRU over the test vocabulary, with fixed random weights, saved as a model file."""
    path = folder / "bigru.npz"
    code = f"""
import numpy as np
from gatescope.engine import layer_from_state_dict
from gatescope.model.model import Head, Model
from gatescope.model.tokenize import Vocabulary, WordTokenizer
rng = np.random.default_rng(3)
words = ["<unk>", "the", "plot", "was", "dull", "but", "ending", "wonderful", "not", "good"]
units, emb, arrays = 6, 5, {{}}
for k in range(2):
    inputs = emb if k == 0 else 2 * units
    for suffix in ("", "_reverse"):
        arrays[f"weight_ih_l{{k}}{{suffix}}"] = rng.normal(0, 0.6, (3 * units, inputs))
        arrays[f"weight_hh_l{{k}}{{suffix}}"] = rng.normal(0, 0.4, (3 * units, units))
        arrays[f"bias_ih_l{{k}}{{suffix}}"] = rng.normal(0, 0.3, 3 * units)
        arrays[f"bias_hh_l{{k}}{{suffix}}"] = rng.normal(0, 0.3, 3 * units)
stack = [layer_from_state_dict(arrays, k, "gru", bidirectional=True) for k in range(2)]
head = Head(rng.normal(0, 0.5, (2, 2 * units)).astype(np.float32), np.zeros(2, np.float32),
            labels=["negative", "positive"])
Model(layers=stack, tokenizer=WordTokenizer(), vocabulary=Vocabulary(words),
      embedding=rng.normal(0, 1, (len(words), emb)).astype(np.float32), head=head, name="bigru",
      description="a 2-layer bidirectional GRU with random weights").save({str(path)!r})
"""
    subprocess.run([python, "-c", code], check=True)
    return path


def render(out: Path, python: str) -> None:
    """Run every command of the set into ``out`` (which must not exist)."""
    out.mkdir(parents=True)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    with tempfile.TemporaryDirectory() as scratch:
        env["HOME"] = env["XDG_CONFIG_HOME"] = env["XDG_DATA_HOME"] = env["XDG_CACHE_HOME"] = scratch  # no settings
        bigru = str(_bigru(Path(scratch), python))

        def run(name: str, arguments: list[str]) -> None:
            arguments = [a.replace("{bigru}", bigru).replace("{out}", str(out)) for a in arguments]
            result = subprocess.run([python, "-m", "gatescope", *arguments], capture_output=True, env=env)
            stdout = result.stdout.decode("utf-8", "replace").replace(str(out), "OUT").replace(scratch, "SCRATCH")
            stderr = result.stderr.decode("utf-8", "replace").replace(str(out), "OUT").replace(scratch, "SCRATCH")
            (out / f"{name}.log").write_text(
                f"exit {result.returncode}\n--- stdout\n{stdout}--- stderr\n{stderr}", encoding="utf-8"
            )
            print(f"{name}: exit {result.returncode}", file=sys.stderr)

        for name, arguments in SCREENSHOTS.items():
            run(name, [*arguments[:1], "--screenshot", str(out / f"{name}.png"), *arguments[1:]])
        for name, arguments in EXPORTS.items():
            model = EXPORT_MODELS.get(name, "lstm-sentiment")
            suffix = SUFFIX.get(arguments[arguments.index("--format") + 1], "")
            run(
                name, ["export", "--model", model, "--text", SENTIMENT, *arguments, "--out", str(out / (name + suffix))]
            )
        for name, arguments in COMMANDS.items():
            run(name, arguments)


def _pixels(path: Path) -> list[np.ndarray]:
    from PIL import Image, ImageSequence

    with Image.open(path) as image:
        return [np.asarray(frame.convert("RGB")) for frame in ImageSequence.Iterator(image)]


def _files(root: Path) -> dict[str, Path]:
    return {str(path.relative_to(root)): path for path in sorted(root.rglob("*")) if path.is_file()}


def _difference(before: Path, after: Path) -> str | None:
    """None when the two files show the same thing; else a short description of how they differ."""
    suffix = before.suffix.lower()
    if suffix in (".png", ".gif"):
        old, new = _pixels(before), _pixels(after)
        if len(old) != len(new):
            return f"{len(old)} frames → {len(new)}"
        for number, (a, b) in enumerate(zip(old, new, strict=True)):
            if a.shape != b.shape:
                return f"frame {number}: size {a.shape[1]}x{a.shape[0]} → {b.shape[1]}x{b.shape[0]}"
            changed = np.any(a != b, axis=-1)
            if changed.any():
                largest = int(np.abs(a.astype(int) - b.astype(int)).max())
                rows, columns = np.nonzero(changed)
                return (
                    f"frame {number}: {int(changed.sum())} pixels differ (largest channel step {largest}) in "
                    f"x {columns.min()}..{columns.max()}, y {rows.min()}..{rows.max()}"
                )
        return None
    if suffix == ".npz":
        with np.load(before) as a, np.load(after) as b:
            if sorted(a.files) != sorted(b.files):
                return f"arrays {sorted(set(a.files) ^ set(b.files))} differ"
            bad = [name for name in a.files if not np.array_equal(a[name], b[name])]
            return f"arrays differ: {', '.join(bad)}" if bad else None
    if before.read_bytes() == after.read_bytes():
        return None
    if suffix == ".mp4":
        return "bytes differ"
    old, new = before.read_text("utf-8").splitlines(), after.read_text("utf-8").splitlines()
    for number, (a, b) in enumerate(zip(old, new, strict=False), start=1):
        if a != b:
            return f"line {number}: {a[:100]!r} → {b[:100]!r}"
    return f"{len(old)} lines → {len(new)}"


def compare(before: Path, after: Path) -> int:
    """Print what differs between two rendered sets; exit code 1 if anything does."""
    old, new = _files(before), _files(after)
    report = {"missing": sorted(set(old) - set(new)), "added": sorted(set(new) - set(old)), "differ": {}}
    same = 0
    for name in sorted(set(old) & set(new)):
        difference = _difference(old[name], new[name])
        if difference is None:
            same += 1
        else:
            report["differ"][name] = difference
    print(json.dumps(report, indent=1, ensure_ascii=False))
    print(f"{same} of {len(old)} files identical", file=sys.stderr)
    return 1 if report["missing"] or report["added"] or report["differ"] else 0


def digest(root: Path) -> str:
    return hashlib.sha256(b"".join(path.read_bytes() for path in _files(root).values())).hexdigest()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    rendering = commands.add_parser("render", help="render the set into a new folder")
    rendering.add_argument("out", type=Path)
    rendering.add_argument("--python", default=sys.executable, help="interpreter with gatescope installed")
    comparing = commands.add_parser("compare", help="compare two rendered sets")
    comparing.add_argument("before", type=Path)
    comparing.add_argument("after", type=Path)
    args = parser.parse_args()
    if args.command == "render":
        render(args.out, args.python)
        return 0
    return compare(args.before, args.after)


if __name__ == "__main__":
    sys.exit(main())
