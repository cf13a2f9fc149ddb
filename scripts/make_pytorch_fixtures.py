"""Generate the PyTorch and safetensors import fixtures: model files written by torch 2.13 (``torch.save``) and by
``safetensors.torch.save_file``, each with the per-layer states and logits torch computes for one input.

Run it from the repository root with the fixtures environment (torch is needed only here, never by the tests)::

    /work/.venv-fixtures/bin/python scripts/make_pytorch_fixtures.py          # (re)write
    /work/.venv-fixtures/bin/python scripts/make_pytorch_fixtures.py --check  # regenerate in memory and compare

It writes ``tests/model/imports/pytorch/`` and ``tests/model/imports/safetensors/``: ``<case>.pt`` or
``<case>.safetensors`` and ``<case>.expected.npz`` with ``input`` (token ids (T,) int64, or floats (T, features)),
``layer {k} h`` and ``layer {k} c`` (T, directions × units; reverse row t = its state at input position t),
``logits`` and ``outputs`` (softmax for two or more outputs, sigmoid for one: what gatescope assumes). Float32 but
for the float64 case. The cases are listed in ``tests/model/imports/pytorch/README.md``; ``pytorch/refused/`` holds
real files gatescope must refuse (a whole pickled model, a pickled nn.LSTM, torch's pre-1.6 format, TorchScript,
a model with a LayerNorm gatescope does not run).

Per-layer states come from single-layer, single-direction modules holding each layer's weights, stepped one time
step at a time (``gatescope.frameworks.pytorch.stepped_layers``); the script asserts that the top layer's match the
whole model's own output to 1e-6. Everything is seeded per case. A model file whose content (as torch or safetensors
loads it) is unchanged is not rewritten.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # gatescope.frameworks.pytorch: the per-layer stepping shared with `gatescope check`

import numpy as np  # noqa: E402
import safetensors  # noqa: E402
import torch  # noqa: E402
from fixture_io import case_seed, emit, parse_check, summarize  # noqa: E402  # scripts/ is on sys.path
from safetensors import safe_open  # noqa: E402
from safetensors.torch import load_file, save_file  # noqa: E402

from gatescope.frameworks.pytorch import Shape, stepped_layers  # noqa: E402

PYTORCH_DIR = ROOT / "tests" / "model" / "imports" / "pytorch"
SAFETENSORS_DIR = ROOT / "tests" / "model" / "imports" / "safetensors"
STEPS = 7
MODULES = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}
WORDS = ["<pad>", "<unk>", "the", "film", "was", "not", "bad", "at", "all", "good", "a", "plot"]


@dataclass(frozen=True)
class Case:
    """One model: the recurrent module, what surrounds it and how it is saved."""

    kind: str
    layers: int
    bidirectional: bool
    units: int
    inputs: int  # embedding width, or features a step without an embedding
    vocabulary: int = 0  # embedding rows; 0 = no embedding
    outputs: int = 0  # head outputs; 0 = no head
    bias: bool = True
    names: tuple[str, str, str] = ("embedding", "rnn", "fc")  # attribute names: embedding, recurrent module, head
    dtype: torch.dtype = torch.float32
    saved_as: str = "state_dict"  # state_dict | checkpoint | dataparallel | compiled | vocab | bare
    safetensors: bool = False


CASES = {
    "lstm_text": Case("lstm", 1, False, 6, 5, 20, 3, names=("embedding", "lstm", "fc"), safetensors=True),
    "lstm_bi2_checkpoint": Case(
        "lstm", 2, True, 5, 4, 24, 2, names=("embed", "encoder", "classifier"), saved_as="checkpoint"
    ),
    "lstm_f64": Case("lstm", 2, False, 5, 4, 15, 2, dtype=torch.float64, safetensors=True),
    "lstm_compiled": Case("lstm", 1, True, 4, 3, 10, 2, names=("emb", "lstm", "out"), saved_as="compiled"),
    "lstm_series_head": Case("lstm", 1, False, 6, 3, 0, 1, names=("", "lstm", "head")),
    "lstm_bare": Case("lstm", 2, True, 5, 4, saved_as="bare", safetensors=True),
    "gru_bi_text": Case("gru", 1, True, 6, 5, 18, 4, names=("word_embeddings", "gru", "out"), safetensors=True),
    "gru2_dataparallel": Case("gru", 2, False, 5, 6, 22, 2, saved_as="dataparallel", safetensors=True),
    "gru_bf16": Case("gru", 1, False, 6, 5, 14, 3, dtype=torch.bfloat16, safetensors=True),
    "gru_emb_nohead": Case("gru", 2, True, 4, 3, 12, 0, names=("embedding", "gru", "")),
    "gru_bare_nobias": Case("gru", 1, True, 6, 3, bias=False, saved_as="bare", safetensors=True),
    "rnn_bi2_text": Case("rnn", 2, True, 4, 3, 16, 1, safetensors=True),
    "rnn_vocab_checkpoint": Case("rnn", 1, False, 7, 4, len(WORDS), 3, saved_as="vocab"),
    "rnn_bare": Case("rnn", 2, False, 5, 4, saved_as="bare"),
}
LABELS = ["negative", "neutral", "positive"]


class TextClassifier(torch.nn.Module):
    """Embedding (optional) → LSTM / GRU / RNN → Linear (optional) on every step's output."""

    def __init__(self, case: Case) -> None:
        super().__init__()
        embedding, recurrent, head = case.names
        directions = 2 if case.bidirectional else 1
        self.parts = case.names
        if case.vocabulary:
            setattr(self, embedding, torch.nn.Embedding(case.vocabulary, case.inputs))
        setattr(self, recurrent, bare_module(case))
        if case.outputs:
            setattr(self, head, torch.nn.Linear(directions * case.units, case.outputs))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        embedding, recurrent, head = self.parts
        if embedding:
            x = getattr(self, embedding)(x)
        output = getattr(self, recurrent)(x.unsqueeze(1))[0][:, 0]
        return output, (getattr(self, head)(output) if head else None)


def build(case: Case, seed: int) -> torch.nn.Module:
    """The case's model with seeded weights, recurrent ones scaled up so that gates saturate some of the time."""
    torch.manual_seed(seed)
    model = TextClassifier(case) if case.saved_as != "bare" else bare_module(case)
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if "_l" in name.rsplit(".", 1)[-1]:
                parameter.mul_(2.5)
    return model.to(torch.float32 if case.dtype == torch.bfloat16 else case.dtype).eval()


def bare_module(case: Case) -> torch.nn.Module:
    return MODULES[case.kind](case.inputs, case.units, case.layers, bias=case.bias, bidirectional=case.bidirectional)


def saved_object(case: Case, model: torch.nn.Module, seed: int) -> object:
    """What torch.save writes for the case."""
    state = model.state_dict()
    if case.dtype == torch.bfloat16:
        state = {name: tensor.to(torch.bfloat16) for name, tensor in state.items()}
    if case.saved_as == "checkpoint":
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        torch.manual_seed(seed)
        ids = torch.randint(0, case.vocabulary, (STEPS,))
        model.train()
        model(ids)[1].sum().backward()
        optimizer.step()
        model.eval()
        return {"epoch": 3, "model_state_dict": state, "optimizer_state_dict": optimizer.state_dict(), "loss": 0.25}
    if case.saved_as == "dataparallel":
        return {f"module.{name}": tensor for name, tensor in state.items()}
    if case.saved_as == "compiled":
        return torch.compile(model).state_dict()  # keys start with _orig_mod.; compiling is lazy: nothing runs
    if case.saved_as == "vocab":
        return {"state_dict": state, "vocab": {word: i for i, word in enumerate(WORDS)}, "labels": LABELS}
    return state


def expected(case: Case, model: torch.nn.Module, seed: int) -> dict[str, np.ndarray]:
    """The input and what torch computes for it: per-layer h and c, logits, outputs."""
    if case.dtype == torch.bfloat16:  # the weights gatescope reads: rounded to bfloat16, widened to float32
        with torch.no_grad():
            for parameter in model.parameters():
                parameter.copy_(parameter.to(torch.bfloat16).to(torch.float32))
    generator = torch.Generator().manual_seed(seed + 1)
    compute = torch.float64 if case.dtype == torch.float64 else torch.float32
    if case.vocabulary:
        first = 2 if case.saved_as == "vocab" else 0  # real words, so that a test can type the sentence
        inputs = torch.randint(first, case.vocabulary, (STEPS,), generator=generator)
        x = getattr(model, case.names[0])(inputs)
    else:
        inputs = torch.randn(STEPS, case.inputs, generator=generator, dtype=compute)
        x = inputs
    recurrent = model if case.saved_as == "bare" else getattr(model, case.names[1])
    with torch.no_grad():
        output = recurrent(x.unsqueeze(1))[0][:, 0]
        logits = model(inputs)[1] if case.outputs else None
        weights = dict(recurrent.state_dict())
        states = stepped_layers(Shape(case.kind, case.layers, case.bidirectional), weights, x.detach(), compute)
    top = states[-1][0]
    assert torch.allclose(top, output, rtol=0, atol=1e-6), f"stepped top layer differs by {(top - output).abs().max()}"
    arrays = {"input": inputs.numpy()}
    for k, (h, c) in enumerate(states):
        arrays[f"layer {k} h"] = (output if k == case.layers - 1 else h).numpy()
        if c is not None:
            arrays[f"layer {k} c"] = c.numpy()
    if logits is not None:
        arrays["logits"] = logits.numpy()
        activated = torch.softmax(logits, dim=1) if case.outputs >= 2 else torch.sigmoid(logits)
        arrays["outputs"] = activated.numpy()
    return arrays


def write_pt(path: Path, value: object, check: bool, report: list) -> None:
    """torch.save ``value`` unless the file already holds the same content (compared as torch loads it)."""
    same = path.exists() and same_content(torch.load(path, weights_only=True), value)
    if check or same:
        report.append((path, ("ok" if same else "DIFFERS") if check else "unchanged"))
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(value, path)
    report.append((path, "written"))


def write_safetensors(path: Path, tensors: dict, metadata: dict[str, str], check: bool, report: list) -> None:
    tensors = {name: tensor.contiguous() for name, tensor in tensors.items()}
    same = False
    if path.exists():
        with safe_open(str(path), framework="pt") as opened:
            old = load_file(str(path))  # in the file's order (sorted), not the order saved
            same = (opened.metadata() or {}) == metadata and same_content({k: old.get(k) for k in tensors}, tensors)
    if check or same:
        report.append((path, ("ok" if same else "DIFFERS") if check else "unchanged"))
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(path), metadata=metadata)
    report.append((path, "written"))


def same_content(old: object, new: object) -> bool:
    if isinstance(new, torch.Tensor):
        return isinstance(old, torch.Tensor) and old.dtype == new.dtype and torch.equal(old, new)
    if isinstance(new, dict):
        return isinstance(old, dict) and list(old) == list(new) and all(same_content(old[k], new[k]) for k in new)
    if isinstance(new, (list, tuple)):
        return isinstance(old, (list, tuple)) and len(old) == len(new) and all(map(same_content, old, new))
    return old == new


def metadata_for(case: Case) -> dict[str, str]:
    """safetensors metadata: one case carries a vocabulary and labels as JSON, as a user may store them."""
    if case.kind == "gru" and case.names[0] == "word_embeddings":
        import json

        tokens = ["<pad>", "<unk>"] + [f"w{i}" for i in range(case.vocabulary - 2)]
        return {"vocab": json.dumps(tokens), "labels": json.dumps(["a", "b", "c", "d"])}
    return {}


def refused_files(check: bool, report: list) -> None:
    """Real files gatescope must refuse, written once (their bytes carry nothing to compare)."""
    folder = PYTORCH_DIR / "refused"
    case = Case("lstm", 1, False, 3, 2, 6, 2)
    torch.manual_seed(0)

    class WithLayerNorm(TextClassifier):
        def __init__(self) -> None:
            super().__init__(case)
            self.norm = torch.nn.LayerNorm(3)

    writers = {
        "whole_model.pt": lambda path: torch.save(TextClassifier(case), path),
        "lstm_module.pt": lambda path: torch.save(torch.nn.LSTM(2, 3), path),
        "legacy_format.pt": lambda path: torch.save(
            torch.nn.LSTM(2, 3).state_dict(), path, _use_new_zipfile_serialization=False
        ),
        "torchscript.pt": lambda path: torch.jit.save(torch.jit.script(torch.nn.Linear(2, 2)), str(path)),
        "layernorm_model.pt": lambda path: torch.save(WithLayerNorm().state_dict(), path),
    }
    for name, write in writers.items():
        path = folder / name
        if path.exists() or check:
            report.append((path, "ok" if path.exists() else "DIFFERS"))
            continue
        folder.mkdir(parents=True, exist_ok=True)
        write(path)
        report.append((path, "written"))


def main(argv: list[str] | None = None) -> int:
    check = parse_check(__doc__, argv)
    torch.set_num_threads(1)
    report: list = []
    for name, case in CASES.items():
        seed = case_seed(name)
        model = build(case, seed)
        saved = saved_object(case, model, seed)
        arrays = expected(case, model, seed)
        write_pt(PYTORCH_DIR / f"{name}.pt", saved, check, report)
        emit(PYTORCH_DIR / f"{name}.expected.npz", arrays, check, report)
        if case.safetensors:
            state = saved if case.saved_as != "checkpoint" else saved["model_state_dict"]
            write_safetensors(SAFETENSORS_DIR / f"{name}.safetensors", state, metadata_for(case), check, report)
            emit(SAFETENSORS_DIR / f"{name}.expected.npz", arrays, check, report)
    refused_files(check, report)
    versions = f"torch {torch.__version__}, safetensors {safetensors.__version__}, numpy {np.__version__}"
    return summarize(report, ROOT, versions)


if __name__ == "__main__":
    sys.exit(main())
