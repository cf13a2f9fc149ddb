"""Generate the ONNX import fixtures in tests/model/imports/onnx/: model files written by torch.onnx.export (both
exporters) and by onnx.helper (the attributes torch never writes), each with <case>.expected.npz from onnxruntime.

Run from the repository root with the fixtures environment (torch 2.13, onnx, onnxruntime, onnxscript)::

    /work/.venv-fixtures/bin/python scripts/make_onnx_fixtures.py          # (re)write
    /work/.venv-fixtures/bin/python scripts/make_onnx_fixtures.py --check  # regenerate in memory and compare

Expected values come from onnxruntime through ``gatescope.frameworks.onnx.reference`` (the runner behind ``gatescope
check``): every recurrent node's Y, the LSTM cell state at every step (onnxruntime gives it only after the last step,
so it is rebuilt by onnxruntime one step at a time from the previous step's Y_h / Y_c, and those steps' h must equal
the full run's Y), the head's raw output, and the graph's own output. The cases and what each covers are listed in
tests/model/imports/onnx/README.md.
"""

from __future__ import annotations

import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
OUT = ROOT / "tests" / "model" / "imports" / "onnx"

import onnx  # noqa: E402
import onnxruntime  # noqa: E402
import torch  # noqa: E402
from fixture_io import case_seed, emit, meta_array, parse_check, summarize  # noqa: E402
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

import gatescope  # noqa: E402
from gatescope.frameworks.onnx import graph_output, reference  # noqa: E402
from gatescope.model.formats.onnx_graph import plan_file  # noqa: E402

STEPS, VOCAB, EMBED, UNITS, FEATURES, OPSET = 6, 24, 5, 4, 3, 17
TORCH_CLASSES = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}

# --- torch.onnx.export cases -------------------------------------------------------------------------------------
# name: (exporter, kind, layers, bidirectional, batch_first, embedding, head activation or None, read-out)
# head activation: "softmax" (3 outputs), "sigmoid" (1 output), "log_softmax" (3), "linear" (3, no activation node)
# read-out: "every" step, "last" (y[-1]), "h_n" (h_n[-1])
TORCH_CASES = {
    "ts_lstm_1_uni_ids_softmax": ("torchscript", "lstm", 1, False, False, True, "softmax", "every"),
    "ts_lstm_2_bi_bf_ids_sigmoid": ("torchscript", "lstm", 2, True, True, True, "sigmoid", "every"),
    "ts_gru_2_uni_bf_ids_logsoftmax": ("torchscript", "gru", 2, False, True, True, "log_softmax", "every"),
    "ts_gru_1_bi_ids_nohead": ("torchscript", "gru", 1, True, False, True, None, "every"),
    "ts_rnn_2_bi_ids_softmax": ("torchscript", "rnn", 2, True, False, True, "softmax", "every"),
    "ts_rnn_relu_1_uni_float_linear": ("torchscript", "rnn_relu", 1, False, False, False, "linear", "every"),
    "ts_lstm_1_uni_bf_ids_last_sigmoid": ("torchscript", "lstm", 1, False, True, True, "sigmoid", "last"),
    "ts_opset9_lstm_2_bi_ids_softmax": ("torchscript", "lstm", 2, True, False, True, "softmax", "every"),
    "ts_opset11_gru_2_uni_bf_ids_softmax": ("torchscript", "gru", 2, False, True, True, "softmax", "every"),
    "dynamo_lstm_2_bi_ids_softmax": ("dynamo", "lstm", 2, True, False, True, "softmax", "every"),
    "dynamo_gru_1_uni_bf_ids_sigmoid": ("dynamo", "gru", 1, False, True, True, "sigmoid", "every"),
    "dynamo_gru_2_bi_float_nohead": ("dynamo", "gru", 2, True, False, False, None, "every"),
    "dynamo_lstm_1_uni_float_linear": ("dynamo", "lstm", 1, False, True, False, "linear", "every"),
    "dynamo_gru_1_uni_ids_hn_softmax": ("dynamo", "gru", 1, False, True, True, "softmax", "h_n"),
}
#: Files gatescope must refuse clearly: the dynamo exporter unrolls nn.RNN into MatMul/Tanh steps (no RNN node).
REFUSED_CASES = {"refused_dynamo_rnn_unrolled": ("dynamo", "rnn", 1, False, False, True, "softmax", "every")}


class TextModel(torch.nn.Module):
    """Embedding (or float features) → recurrent stack → Linear → activation, read out at every step or the last."""

    def __init__(self, kind, layers, bidirectional, batch_first, embedding, activation, readout):
        super().__init__()
        self.embedding = torch.nn.Embedding(VOCAB, EMBED) if embedding else None
        width = EMBED if embedding else FEATURES
        extra = {"nonlinearity": "relu"} if kind == "rnn_relu" else {}
        cls = TORCH_CLASSES[kind.removesuffix("_relu")]
        self.rnn = cls(width, UNITS, num_layers=layers, bidirectional=bidirectional, batch_first=batch_first, **extra)
        outputs = 1 if activation == "sigmoid" else 3
        self.head = None if activation is None else torch.nn.Linear(UNITS * (2 if bidirectional else 1), outputs)
        self.activation, self.readout, self.batch_first = activation, readout, batch_first

    def forward(self, x):
        if self.embedding is not None:
            x = self.embedding(x)
        y, state = self.rnn(x)
        if self.readout == "last":
            y = y[:, -1] if self.batch_first else y[-1]
        elif self.readout == "h_n":
            y = (state[0] if isinstance(state, tuple) else state)[-1]
        if self.head is None:
            return y
        logits = self.head(y)
        if self.activation == "softmax":
            return torch.softmax(logits, dim=-1)
        if self.activation == "log_softmax":
            return torch.log_softmax(logits, dim=-1)
        if self.activation == "sigmoid":
            return torch.sigmoid(logits)
        return logits


def torch_model(name: str, folder: Path) -> Path:
    exporter, kind, layers, bidirectional, batch_first, embedding, activation, readout = (TORCH_CASES | REFUSED_CASES)[
        name
    ]
    torch.manual_seed(case_seed(name))
    net = TextModel(kind, layers, bidirectional, batch_first, embedding, activation, readout).eval()
    with torch.no_grad():  # larger weights than PyTorch's init: gates away from 0.5, so a wrong gate order shows
        for parameter in net.rnn.parameters():
            parameter.mul_(2.5)
    shape = (1, STEPS) if batch_first else (STEPS, 1)
    generator = torch.Generator().manual_seed(case_seed(name))
    if embedding:
        example = torch.randint(0, VOCAB, shape, generator=generator)
    else:
        example = torch.randn((*shape, FEATURES), generator=generator)
    path = folder / f"{name}.onnx"
    time_axis = 1 if batch_first else 0
    options = {"input_names": ["x"], "output_names": ["y"]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if exporter == "dynamo":
            torch.onnx.export(net, (example,), path, dynamo=True, verbose=False, **options)
        else:
            torch.onnx.export(
                net,
                (example,),
                path,
                dynamo=False,
                dynamic_axes={"x": {time_axis: "T"}},
                opset_version=int(name.split("_")[1].removeprefix("opset")) if "_opset" in name else OPSET,
                **options,
            )
    return path


# --- hand-built graphs -------------------------------------------------------------------------------------------
# name: dict of what the graph has; see hand_model
HAND_CASES = {
    "hand_lstm_reverse_ids_softmax": {"kind": "LSTM", "direction": "reverse"},
    "hand_gru_bi_layout1_ids_softmax": {"kind": "GRU", "direction": "bidirectional", "layout": 1, "lbr": 1},
    "hand_lstm_bi_clip_ids_softmax": {"kind": "LSTM", "direction": "bidirectional", "clip": 0.7},
    "hand_lstm_input_forget_ids_sigmoid": {"kind": "LSTM", "input_forget": 1, "head": "sigmoid"},
    "hand_gru_cho_2_bi_ids_softmax": {"kind": "GRU", "direction": "bidirectional", "layers": 2, "lbr": 0},
    "hand_lstm_peepholes_states_2_uni_ids_softmax": {"kind": "LSTM", "layers": 2, "peepholes": True, "states": True},
    "hand_gru_states_1_bi_ids_softmax": {"kind": "GRU", "direction": "bidirectional", "lbr": 1, "states": True},
    "hand_rnn_relu_float_gemm_sigmoid": {
        "kind": "RNN",
        "activations": ["Relu"],
        "embedding": False,
        "gemm": True,
        "head": "sigmoid",
    },
    "hand_gru_hard_sigmoid_ids_softmax": {"kind": "GRU", "lbr": 1, "activations": ["HardSigmoid", "Tanh"]},
    "hand_lstm_external_ids_softmax": {"kind": "LSTM", "layers": 2, "external": True},
}
GATES = {"LSTM": 4, "GRU": 3, "RNN": 1}


class HandGraph:
    """A graph built node by node with onnx.helper: ids → Gather (or floats) → recurrent nodes with the glue torch
    writes between them → MatMul + Add (or Squeeze + Gemm) → Softmax / Sigmoid."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.spec = {"direction": "forward", "layers": 1, "layout": 0, "embedding": True, "head": "softmax"}
        self.spec.update(HAND_CASES[name])
        self.rng = np.random.default_rng(case_seed(name))
        self.D = 2 if self.spec["direction"] == "bidirectional" else 1
        self.initializers: list = []
        self.nodes: list = []

    def constant(self, label: str, array: np.ndarray) -> str:
        self.initializers.append(numpy_helper.from_array(np.asarray(array), label))
        return label

    def source(self) -> tuple:
        """The graph input, the tensor the first layer reads and its width."""
        layout = self.spec["layout"]
        if not self.spec["embedding"]:
            shape = [1, "T", FEATURES] if layout else ["T", 1, FEATURES]
            return helper.make_tensor_value_info("x", TensorProto.FLOAT, shape), "x", FEATURES
        source = helper.make_tensor_value_info("ids", TensorProto.INT64, [1, "T"] if layout else ["T", 1])
        table = self.constant("embedding_table", self.rng.normal(0, 1, (VOCAB, EMBED)).astype(np.float32))
        self.nodes.append(helper.make_node("Gather", [table, "ids"], ["embedded"], name="embedding"))
        return source, "embedded", EMBED

    def layer(self, number: int, sequence: str, width: int) -> str:
        """One recurrent node reading ``sequence`` and the glue after it; returns the (T, 1, D*H) tensor it gives."""
        spec, kind, D, H = self.spec, self.spec["kind"], self.D, UNITS
        G, batch_first = GATES[kind], spec["layout"] == 1
        attrs = {"hidden_size": H, "direction": spec["direction"], **({"layout": 1} if batch_first else {})}
        attrs.update({key: spec[key] for key in ("clip", "input_forget") if key in spec})
        if "activations" in spec:
            attrs["activations"] = spec["activations"] * D
        if kind == "GRU":
            attrs["linear_before_reset"] = spec["lbr"]
        scale = 1.5 / np.sqrt(width)
        inputs = [
            sequence,
            self.constant(f"W{number}", self.rng.uniform(-scale, scale, (D, G * H, width)).astype(np.float32) * 2),
            self.constant(f"R{number}", self.rng.uniform(-1, 1, (D, G * H, H)).astype(np.float32)),
            self.constant(f"B{number}", self.rng.uniform(-0.5, 0.5, (D, 2 * G * H)).astype(np.float32)),
            "",
        ]
        state_shape = (1, D, H) if batch_first else (D, 1, H)
        if spec.get("states"):
            inputs.append(
                self.constant(f"initial_h{number}", self.rng.uniform(-0.8, 0.8, state_shape).astype(np.float32))
            )
            if kind == "LSTM":
                inputs.append(
                    self.constant(f"initial_c{number}", self.rng.uniform(-1, 1, state_shape).astype(np.float32))
                )
        if spec.get("peepholes"):
            inputs += [""] * (7 - len(inputs))
            inputs.append(self.constant(f"P{number}", self.rng.uniform(-0.7, 0.7, (D, 3 * H)).astype(np.float32)))
        while inputs[-1] == "":
            inputs.pop()
        self.nodes.append(helper.make_node(kind, inputs, [f"Y{number}"], name=f"{kind.lower()}{number}", **attrs))
        flat = self.constant(f"shape{number}", np.array([0, 0, -1]))
        if batch_first:  # (1, T, D, H) -> (1, T, D*H)
            self.nodes.append(helper.make_node("Reshape", [f"Y{number}", flat], [f"seq{number}"]))
        else:  # (T, D, 1, H) -> (T, 1, D, H) -> (T, 1, D*H)
            self.nodes.append(helper.make_node("Transpose", [f"Y{number}"], [f"moved{number}"], perm=[0, 2, 1, 3]))
            self.nodes.append(helper.make_node("Reshape", [f"moved{number}", flat], [f"seq{number}"]))
        return f"seq{number}"

    def head(self, sequence: str, width: int) -> list:
        """The read-out and its activation; returns the output's declared shape."""
        outputs = 1 if self.spec["head"] == "sigmoid" else 3
        weight = self.rng.uniform(-1, 1, (width, outputs)).astype(np.float32)
        bias = self.rng.uniform(-0.5, 0.5, outputs).astype(np.float32)
        if self.spec.get("gemm"):  # (T, 1, F) -> (T, F) -> Gemm with the weight stored (outputs, features)
            axis = self.constant("batch_axis", np.array([1]))
            self.nodes.append(helper.make_node("Squeeze", [sequence, axis], ["rows"]))
            stored = [self.constant("head_weight", weight.T.copy()), self.constant("head_bias", bias)]
            self.nodes.append(helper.make_node("Gemm", ["rows", *stored], ["logits"], transB=1, name="head"))
        else:
            matrix = self.constant("head_weight", weight)
            self.nodes.append(helper.make_node("MatMul", [sequence, matrix], ["product"], name="head"))
            self.nodes.append(helper.make_node("Add", ["product", self.constant("head_bias", bias)], ["logits"]))
        if self.spec["head"] == "sigmoid":
            self.nodes.append(helper.make_node("Sigmoid", ["logits"], ["y"]))
        else:
            self.nodes.append(helper.make_node("Softmax", ["logits"], ["y"], axis=-1))
        if self.spec.get("gemm"):
            return ["T", outputs]
        return [1, "T", outputs] if self.spec["layout"] else ["T", 1, outputs]

    def save(self, folder: Path) -> Path:
        source, sequence, width = self.source()
        for number in range(self.spec["layers"]):
            sequence, width = self.layer(number, sequence, width), self.D * UNITS
        output = helper.make_tensor_value_info("y", TensorProto.FLOAT, self.head(sequence, width))
        graph = helper.make_graph(self.nodes, self.name, [source], [output], self.initializers)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="onnx.helper")
        model.ir_version = 8
        onnx.checker.check_model(model)
        path = folder / f"{self.name}.onnx"
        if self.spec.get("external"):
            location = f"{self.name}.weights"
            onnx.save_model(model, path, save_as_external_data=True, location=location, size_threshold=0)
        else:
            onnx.save_model(model, path)
        return path


# --- expected values -----------------------------------------------------------------------------------------------


def case_input(name: str, path: Path) -> np.ndarray:
    """Token ids below the embedding's rows, or float features as wide as the first layer reads."""
    _, graph, found = plan_file(path)
    rng = np.random.default_rng(case_seed(name) + 1)
    if found.source.embedding_node is not None:
        table = found.evaluator.constant(graph.nodes[found.source.embedding_node].input[0], "the embedding")
        return rng.integers(0, table.shape[0], STEPS).astype(np.int64)
    W = found.evaluator.constant(graph.nodes[found.chain[0]].input[1], "W")
    return rng.standard_normal((STEPS, W.shape[2])).astype(np.float32)


def expected_arrays(name: str, path: Path) -> dict[str, np.ndarray]:
    """The input and onnxruntime's values for it: every layer's h (and c), the head's raw output, the graph's own
    output; ``meta`` says how the graph was exported."""
    inputs = case_input(name, path)
    arrays = {"input": inputs}
    for key, value in reference(path, None, inputs).items():
        arrays[key.replace(" ", "_")] = np.asarray(value, dtype=np.float32)
    output = graph_output(path, inputs)
    arrays["graph_output"] = output.reshape(-1, output.shape[-1] if output.ndim else 1).astype(np.float32)
    meta = {"case": name, "onnxruntime": onnxruntime.__version__, "torch": torch.__version__, "onnx": onnx.__version__}
    meta.update({"exporter": TORCH_CASES[name][0]} if name in TORCH_CASES else {"built_with": "onnx.helper"})
    arrays["meta"] = meta_array(meta)
    return arrays


def generate(folder: Path) -> dict[str, Path]:
    paths = {}
    for name in TORCH_CASES:
        paths[name] = torch_model(name, folder)
    for name in HAND_CASES:
        paths[name] = HandGraph(name).save(folder)
    return paths


def main(argv: list[str] | None = None) -> int:
    check = parse_check(__doc__, argv)
    report: list = []
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        for name in REFUSED_CASES:
            path = torch_model(name, folder)
            try:
                gatescope.load_model(path)
            except gatescope.GatescopeError as error:
                print(f"refused as expected: {error}")
            else:
                raise RuntimeError(f"{name}: gatescope was expected to refuse it")
            for produced in sorted(folder.glob(f"{name}.*")):
                _emit_bytes(OUT / produced.name, produced.read_bytes(), check, report)
        for name, path in generate(folder).items():
            arrays = expected_arrays(name, path)
            for produced in sorted(folder.glob(f"{name}.*")):
                _emit_bytes(OUT / produced.name, produced.read_bytes(), check, report)
            emit(OUT / f"{name}.expected.npz", arrays, check, report)
    return summarize(
        report, ROOT, f"torch {torch.__version__}, onnx {onnx.__version__}, onnxruntime {onnxruntime.__version__}"
    )


def _emit_bytes(path: Path, data: bytes, check: bool, report: list) -> None:
    unchanged = path.exists() and path.read_bytes() == data
    if check or unchanged:
        report.append((path, ("ok" if unchanged else "DIFFERS") if check else "unchanged"))
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    report.append((path, "written"))


if __name__ == "__main__":
    sys.exit(main())
