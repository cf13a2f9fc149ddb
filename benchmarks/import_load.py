"""Issue 15: "an imported 2-layer bidirectional LSTM with 512 units per direction ...: the file loads in < 2 s".

The model, as a user brings it: ``Embedding(20000, 300) → 2-layer bidirectional LSTM(512) → Linear(1024, 2)`` with
random weights, written by the frameworks themselves in every format gatescope opens:

- ``pt``: ``torch.save(model.state_dict())``; ``checkpoint``: a training checkpoint after one Adam step
  (``{"epoch", "model_state_dict", "optimizer_state_dict", "loss"}``: the optimizer's two moments triple the file);
  ``safetensors``: ``safetensors.torch.save_file(model.state_dict())``;
- ``onnx_ts``: ``torch.onnx.export(..., dynamo=False)`` with a dynamic time axis; ``onnx_dynamo``: the default
  exporter (torch 2.13 writes its weights to ``model.onnx.data`` beside the graph; it needs ``onnxscript``);
- ``keras`` / ``h5``: Keras 3 on the torch backend, ``Embedding → Bidirectional(LSTM(512, return_sequences=True)) ×
  2 → Dense(2, softmax)``, compiled with Adam and fitted one batch (as a trained model is saved: optimizer variables
  included), ``model.save("x.keras")`` and ``model.save("x.h5")``;
- ``native``: gatescope's own .npz, as ``gatescope import model.pt --out model.npz`` writes it;
- ``pt_vocab``: the ``.pt`` again with ``vocab="vocab.json"`` (the 20,000 words), as the app opens it with ``--vocab``.

Each file is timed in a fresh Python process (``import gatescope``, then ``gatescope.load_model(path)``, which
imports onnx / h5py / safetensors itself when it needs them): import and load reported apart, medians and ranges of
``--repeats`` runs, alternating formats within each repeat; then once more per format under ``-X importtime`` to say
how much of the load was the format library's import. ``--evict`` also runs each with the file dropped from the page
cache first (``posix_fadvise(DONTNEED)``: a file not read since boot, on this machine a virtual disk).

Writing needs the frameworks (torch, keras, onnx, onnxscript, safetensors, h5py); timing needs only gatescope::

    python benchmarks/import_load.py --writer-python /work/.venv-bench/bin/python \\
        --writer-python /work/.venv-fixtures/bin/python      # the second for what the first cannot write
    python benchmarks/import_load.py --write DIR             # the writer alone (run with a framework Python)

Files are cached in ``--cache`` (default: the temp folder's ``gatescope-import-load``) and rewritten only when
missing. The writer runs with this checkout first on ``PYTHONPATH``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

VOCAB, EMBED, UNITS, LAYERS, CLASSES = 20000, 300, 512, 2, 2
TARGET_S = 2.0
SEED = 15

#: format -> (file name, writer that makes it: "torch", "onnx_dynamo", "keras" or "native").
FILES = {
    "pt": ("bilstm.pt", "torch"),
    "checkpoint": ("bilstm-checkpoint.pt", "torch"),
    "safetensors": ("bilstm.safetensors", "torch"),
    "onnx_ts": ("bilstm-ts.onnx", "torch"),
    "onnx_dynamo": ("bilstm-dynamo.onnx", "onnx_dynamo"),
    "keras": ("bilstm.keras", "keras"),
    "h5": ("bilstm.h5", "keras"),
    "native": ("bilstm.npz", "native"),
    "pt_vocab": ("bilstm.pt", "torch"),
}
VOCAB_FILE = "vocab.json"


# --- writing (a framework Python) -------------------------------------------------------------------------------


def words() -> list[str]:
    """The vocabulary: "<unk>", then 19,999 distinct lower-case made-up words (ids are positions)."""
    letters = "etaoinshrdlucmfwypvbgkqjxz"
    out = ["<unk>"]
    number = 0
    while len(out) < VOCAB:
        word, rest = "", number
        while True:
            word += letters[rest % 26]
            rest //= 26
            if not rest:
                break
        out.append(word)
        number += 1
    return out


def write_torch(folder: Path, dynamo: bool) -> list[str]:
    """The PyTorch-written files (or, with ``dynamo``, only the dynamo ONNX export); names of those written."""
    import warnings

    import torch

    class TextNet(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embedding = torch.nn.Embedding(VOCAB, EMBED)
            self.lstm = torch.nn.LSTM(EMBED, UNITS, num_layers=LAYERS, bidirectional=True, batch_first=True)
            self.head = torch.nn.Linear(2 * UNITS, CLASSES)

        def forward(self, ids):
            y, _ = self.lstm(self.embedding(ids))
            return torch.softmax(self.head(y), dim=-1)

    torch.manual_seed(SEED)
    net = TextNet()
    pt = folder / FILES["pt"][0]
    if pt.exists():  # the same weights in every torch-written file, whichever Python wrote which
        net.load_state_dict(torch.load(pt, weights_only=True))
    net.eval()
    example = torch.randint(0, VOCAB, (1, 16), generator=torch.Generator().manual_seed(SEED))
    written = []
    if dynamo:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(net, (example,), folder / FILES["onnx_dynamo"][0], input_names=["ids"], verbose=False)
        return ["onnx_dynamo"]
    if not pt.exists():
        torch.save(net.state_dict(), pt)
        written.append("pt")
    checkpoint = folder / FILES["checkpoint"][0]
    if not checkpoint.exists():
        trained = TextNet()
        trained.load_state_dict(net.state_dict())
        optimizer = torch.optim.Adam(trained.parameters(), lr=1e-3)
        loss = trained(example).log().mean()
        loss.backward()
        optimizer.step()  # the optimizer's state: step, exp_avg and exp_avg_sq for every parameter
        state = {
            "epoch": 1,
            "model_state_dict": net.state_dict(),  # the .pt's weights, so that the outputs can be compared
            "optimizer_state_dict": optimizer.state_dict(),
            "loss": loss.item(),
        }
        torch.save(state, checkpoint)
        written.append("checkpoint")
    safetensors = folder / FILES["safetensors"][0]
    if not safetensors.exists():
        from safetensors.torch import save_file

        save_file(net.state_dict(), safetensors)
        written.append("safetensors")
    onnx_ts = folder / FILES["onnx_ts"][0]
    if not onnx_ts.exists():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                net, (example,), onnx_ts, dynamo=False, input_names=["ids"], dynamic_axes={"ids": {1: "T"}}
            )
        written.append("onnx_ts")
    return written


def write_keras(folder: Path) -> list[str]:
    """The Keras 3 files (torch backend), after one training batch so that the optimizer's variables are saved."""
    os.environ["KERAS_BACKEND"] = "torch"
    import warnings

    import keras
    import numpy as np

    keras.utils.set_random_seed(SEED)
    model = keras.Sequential(
        [
            keras.Input((None,), dtype="int32"),
            keras.layers.Embedding(VOCAB, EMBED),
            keras.layers.Bidirectional(keras.layers.LSTM(UNITS, return_sequences=True)),
            keras.layers.Bidirectional(keras.layers.LSTM(UNITS, return_sequences=True)),
            keras.layers.Dense(CLASSES, activation="softmax"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    rng = np.random.default_rng(SEED)
    model.fit(rng.integers(0, VOCAB, (2, 16)), rng.integers(0, CLASSES, (2, 16)), epochs=1, verbose=0)
    written = []
    for key in ("keras", "h5"):
        path = folder / FILES[key][0]
        if not path.exists():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # Keras 3 calls .h5 legacy
                model.save(path)
            written.append(key)
    return written


def write(folder: Path) -> None:
    """Write every framework file this Python can and is missing; print one JSON object of what happened."""
    folder.mkdir(parents=True, exist_ok=True)
    report: dict[str, object] = {"python": sys.executable, "written": [], "failed": {}}
    vocab = folder / VOCAB_FILE
    if not vocab.exists():
        vocab.write_text(json.dumps({word: k for k, word in enumerate(words())}), encoding="utf-8")
    jobs = [
        ("torch", lambda: write_torch(folder, dynamo=False), ("pt", "checkpoint", "safetensors", "onnx_ts")),
        ("onnx_dynamo", lambda: write_torch(folder, dynamo=True), ("onnx_dynamo",)),
        ("keras", lambda: write_keras(folder), ("keras", "h5")),
    ]
    for name, job, keys in jobs:
        if all((folder / FILES[key][0]).exists() for key in keys):
            continue
        try:
            report["written"] += job()  # type: ignore[operator]
        except Exception as error:  # a missing framework or exporter: another Python may have it
            report["failed"][name] = f"{type(error).__name__}: {error}"  # type: ignore[index]
    print(json.dumps(report))


# --- timing (gatescope's own Python) ----------------------------------------------------------------------------

#: Runs in a fresh process: argv = path, vocabulary or "", marker for -X importtime.
CHILD = r"""
import sys, time
started = time.perf_counter()
import gatescope
imported = time.perf_counter()
sys.stderr.write("@@load\n"); sys.stderr.flush()
options = {"vocab": sys.argv[2]} if sys.argv[2] else {}
model = gatescope.load_model(sys.argv[1], **options)
loaded = time.perf_counter()
import json, resource, numpy as np
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
outputs = model.run(np.array([1, 2, 3, 17, 19999])).outputs
print(json.dumps({
    "import_s": imported - started,
    "load_s": loaded - imported,
    "peak_mb": peak_mb,
    "layers": len(model.layers),
    "units": model.units,
    "directions": len(model.layers[0].directions),
    "embedding": list(model.embedding.shape) if model.embedding is not None else None,
    "vocabulary": None if model.vocabulary is None else len(model.vocabulary),
    "last_output": [float(v) for v in outputs[-1]],
    "libraries": sorted({m.split(".")[0] for m in sys.modules} & {"onnx", "h5py", "safetensors", "google"}),
}))
"""


def file_bytes(path: Path) -> int:
    """The file and what it needs beside it (ONNX external data)."""
    extra = path.with_name(path.name + ".data")
    return path.stat().st_size + (extra.stat().st_size if extra.exists() else 0)


def evict(path: Path) -> None:
    """Drop the file (and its external data) from the page cache: the next read comes from the disk."""
    for target in (path, path.with_name(path.name + ".data")):
        if target.exists():
            descriptor = os.open(target, os.O_RDONLY)
            try:
                os.fsync(descriptor)
                os.posix_fadvise(descriptor, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(descriptor)


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    return env


def time_once(path: Path, vocab: Path | None, cold: bool) -> dict[str, object]:
    if cold:
        evict(path)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), str(vocab or "")],
        capture_output=True,
        text=True,
        env=child_env(),
        check=False,
    )
    wall = time.perf_counter() - started
    if done.returncode:
        raise RuntimeError(f"{path}: the child failed:\n{done.stderr}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["process_s"] = wall
    return result


def library_import_s(path: Path, vocab: Path | None) -> tuple[float, list[str]]:
    """Seconds of the load spent importing modules (``-X importtime``: the top-level imports after the marker) and
    the names of those that took 5 ms or more."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", CHILD, str(path), str(vocab or "")],
        capture_output=True,
        text=True,
        env=child_env(),
        check=True,
    )
    lines = done.stderr.split("@@load\n", 1)[1].splitlines()
    total, names = 0, []
    for line in lines:
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = (part.strip() for part in line.removeprefix("import time:").split("|"))
        if not cumulative.isdigit():
            continue
        if not line.split("|")[2].startswith("  "):  # top level: one space before the name, nested ones more
            total += int(cumulative)
            if int(cumulative) >= 5000:
                names.append(name)
    return total / 1e6, names


def interpreter_s(repeats: int) -> float:
    """A bare ``python -c pass``: what every fresh process costs before gatescope."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def ensure_files(folder: Path, writers: list[str]) -> None:
    """Write what is missing: the framework files with each writer Python in turn, the native file with gatescope."""
    for python in writers:
        missing = [key for key, (name, _) in FILES.items() if not (folder / name).exists() and key != "native"]
        if not missing:
            break
        env = child_env()
        env["KERAS_BACKEND"] = "torch"
        done = subprocess.run(
            [python, str(Path(__file__).resolve()), "--write", str(folder)],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        print(f"writer {python}: {done.stdout.strip() or done.stderr.strip()[-2000:]}", file=sys.stderr)
    native = folder / FILES["native"][0]
    if not native.exists() and (folder / FILES["pt"][0]).exists():
        import gatescope

        model = gatescope.load_model(folder / FILES["pt"][0], labels=["negative", "positive"])
        model.save(native)


def summary(values: list[float]) -> str:
    return f"{statistics.median(values):.3f} ({min(values):.3f}–{max(values):.3f})"


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", type=Path, help="only write the framework files into this folder (writer mode)")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "gatescope-import-load")
    parser.add_argument("--writer-python", action="append", default=[], help="a Python with the frameworks")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--formats", default=",".join(FILES), help="comma-separated, of: " + ", ".join(FILES))
    parser.add_argument("--evict", action="store_true", help="also time each with the file out of the page cache")
    parser.add_argument("--json", type=Path, help="also write every measurement to this file")
    args = parser.parse_args()
    if args.write:
        write(args.write)
        return

    folder = args.cache
    folder.mkdir(parents=True, exist_ok=True)
    ensure_files(folder, args.writer_python)
    formats = [key for key in args.formats.split(",") if (folder / FILES[key][0]).exists()]
    skipped = [key for key in args.formats.split(",") if key not in formats]
    vocab = folder / VOCAB_FILE
    modes = [False, True] if args.evict else [False]

    import numpy as np

    print(
        f"# {platform.node()} {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, NumPy {np.__version__}; load average {load_average()} at the start"
    )
    bare = interpreter_s(5)
    print(f"# bare interpreter start (python -c pass): {bare:.3f} s; model files in {folder}")
    results: dict[tuple[str, bool], list[dict[str, object]]] = {(key, cold): [] for key in formats for cold in modes}
    loads = []
    for _ in range(args.repeats):
        for key in formats:
            for cold in modes:
                loads.append(os.getloadavg()[0])
                path = folder / FILES[key][0]
                results[key, cold].append(time_once(path, vocab if key == "pt_vocab" else None, cold))
    loads.append(os.getloadavg()[0])

    columns = ["format", "file MiB", "import gatescope s", "load s", "of which imports s", "import + load s"]
    header = "| " + " | ".join([*columns, "peak MB", "< 2 s"]) + " |"
    print(header)
    print("|" + "---|" * (header.count("|") - 1))
    records = []
    for key in formats:
        path = folder / FILES[key][0]
        lib_s, lib_names = library_import_s(path, vocab if key == "pt_vocab" else None)
        for cold in modes:
            runs = results[key, cold]
            imports = [float(r["import_s"]) for r in runs]  # type: ignore[arg-type]
            load = [float(r["load_s"]) for r in runs]  # type: ignore[arg-type]
            total = [i + lo for i, lo in zip(imports, load)]
            peak = statistics.median(float(r["peak_mb"]) for r in runs)  # type: ignore[arg-type]
            label = key + (" (evicted)" if cold else "")
            ok = "yes" if max(total) < TARGET_S else "NO"
            print(
                f"| {label} | {file_bytes(path) / 2**20:.1f} | {summary(imports)} | {summary(load)} | "
                f"{lib_s:.3f} ({', '.join(lib_names) or '-'}) | {summary(total)} | {peak:.0f} | {ok} |"
            )
            records.append({"format": label, "bytes": file_bytes(path), "runs": runs, "library_import_s": lib_s})
    first = results[formats[0], False][0]
    print(
        f"# model: {first['layers']} layers x {first['directions']} directions x {first['units']} units, embedding "
        f"{first['embedding']}; load average {min(loads):.2f}–{max(loads):.2f} over the runs, {load_average()} now"
    )
    same = {}
    for key in formats:
        same.setdefault(FILES[key][1] == "keras", set()).add(tuple(results[key, False][0]["last_output"]))  # type: ignore[arg-type]
    print(f"# the same model read from every file: {all(len(outputs) == 1 for outputs in same.values())} ({same})")
    if skipped:
        print(f"# not timed (not written): {', '.join(skipped)}")
    if args.json:
        args.json.write_text(json.dumps({"records": records, "load_average": loads, "bare_s": bare}, indent=1))


if __name__ == "__main__":
    main()
