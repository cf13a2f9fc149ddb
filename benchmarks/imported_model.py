"""The scale case of issue 15: a 2-layer bidirectional LSTM of 512 units per direction with a 64-wide embedding,
built in NumPy with random weights (speed does not depend on training) and written the ways a user brings one:
gatescope's native .npz (vocabulary, embedding and head included) and the recurrent module's PyTorch-style
state_dict as a plain .npz (``numpy.savez(path, **{k: v.numpy() for k, v in lstm.state_dict().items()})``).

Used by gui.py; run on its own it writes both files and prints their sizes and load times:
    python benchmarks/imported_model.py [folder]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from gui import WORDS

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

UNITS = 512
EMBEDDING = 64
LAYERS = 2


def state_dict(seed: int = 0) -> dict[str, np.ndarray]:
    """nn.LSTM(64, 512, num_layers=2, bidirectional=True)'s state_dict, float32, random (PyTorch's names and shapes)."""
    rng = np.random.default_rng(seed)
    arrays = {}
    for layer in range(LAYERS):
        inputs = EMBEDDING if layer == 0 else 2 * UNITS
        for suffix in ("", "_reverse"):
            arrays[f"weight_ih_l{layer}{suffix}"] = rng.normal(0, 0.1, (4 * UNITS, inputs)).astype(np.float32)
            arrays[f"weight_hh_l{layer}{suffix}"] = rng.normal(0, 0.05, (4 * UNITS, UNITS)).astype(np.float32)
            arrays[f"bias_ih_l{layer}{suffix}"] = rng.normal(0, 0.1, 4 * UNITS).astype(np.float32)
            arrays[f"bias_hh_l{layer}{suffix}"] = np.zeros(4 * UNITS, np.float32)
    return arrays


def text_model(seed: int = 0):
    """The stack with a word vocabulary, an embedding and a two-class head: a model that reads typed text."""
    from gatescope.engine import layer_from_state_dict
    from gatescope.model.model import Head, Model
    from gatescope.model.tokenize import Vocabulary, WordTokenizer

    arrays = state_dict(seed)
    layers = [layer_from_state_dict(arrays, k, "lstm", bidirectional=True) for k in range(LAYERS)]
    rng = np.random.default_rng(seed + 1)
    vocabulary = Vocabulary(["<unk>", *dict.fromkeys(WORDS)])
    head = Head(
        rng.normal(0, 0.1, (2, 2 * UNITS)).astype(np.float32),
        np.zeros(2, np.float32),
        labels=["negative", "positive"],
    )
    embedding = rng.normal(0, 1, (len(vocabulary), EMBEDDING)).astype(np.float32)
    name = f"imported-bilstm-{UNITS}"
    return Model(layers, WordTokenizer(), vocabulary, embedding, head, name=name)


def write_files(folder: Path) -> dict[str, Path]:
    """Both files in ``folder``: {"native": …/bilstm.npz, "state_dict": …/bilstm-state-dict.npz}."""
    native = folder / "bilstm.npz"
    text_model().save(native)
    torch_style = folder / "bilstm-state-dict.npz"
    np.savez(torch_style, **state_dict())
    return {"native": native, "state_dict": torch_style}


def load_seconds(path: Path, repeats: int = 3) -> float:
    """Fastest of ``repeats`` loads with gatescope.load_model (the file in the page cache after the first)."""
    import gatescope

    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        gatescope.load_model(path)
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="gatescope-scale-"))
    folder.mkdir(parents=True, exist_ok=True)
    for kind, path in write_files(folder).items():
        size = path.stat().st_size / 2**20
        print(f"{kind:>10}: {path} {size:.1f} MiB, loads in {load_seconds(path):.3f} s")


if __name__ == "__main__":
    main()
