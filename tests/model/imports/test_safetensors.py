"""Specifications for opening safetensors files: every layer and the head as torch computes, and damaged files refused.

Fixtures (scripts/make_pytorch_fixtures.py): ``<case>.safetensors`` written by ``safetensors.torch.save_file`` from
the same models as the PyTorch fixtures, ``<case>.expected.npz`` as there.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save_file

import gatescope
from tests.pytorch_fixtures import STRUCTURE, dtype_of, expected, largest_difference, refusal, structure_of

FIXTURES = Path(__file__).parent / "safetensors"
TOLERANCE = 1e-5
CASES = sorted(path.name.removesuffix(".expected.npz") for path in FIXTURES.glob("*.expected.npz"))


def rnn_arrays() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    shapes = {"rnn.weight_ih_l0": (2, 3), "rnn.weight_hh_l0": (2, 2), "rnn.bias_ih_l0": (2,), "rnn.bias_hh_l0": (2,)}
    return {name: rng.normal(size=shape).astype(np.float32) for name, shape in shapes.items()}


def write_raw(path: Path, header: dict, data: bytes) -> Path:
    text = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(text)) + text + data)
    return path


def test_fixture_cases_are_known() -> None:
    assert len(CASES) == 8 and set(CASES) <= set(STRUCTURE)


@pytest.mark.parametrize("case", CASES)
def test_every_layer_and_the_head_match_torch(case: str) -> None:
    model = gatescope.load_model(FIXTURES / f"{case}.safetensors", dtype=dtype_of(case))

    assert largest_difference(model, expected(case, FIXTURES)) <= TOLERANCE


@pytest.mark.parametrize("case", CASES)
def test_architecture_is_inferred_as_from_the_pytorch_file(case: str) -> None:
    model = gatescope.load_model(FIXTURES / f"{case}.safetensors")

    assert structure_of(model) == STRUCTURE[case]
    assert model.provenance["format"] == "safetensors" and model.provenance["format_key"] == "safetensors"


def test_vocabulary_and_labels_in_the_metadata_make_a_model_that_reads_text() -> None:
    model = gatescope.load_model(FIXTURES / "gru_bi_text.safetensors")

    trace = model.run("w3 w0 nothing")

    assert model.reads_text and model.output_labels == ["a", "b", "c", "d"]
    assert trace.tokens == ["w3", "w0", "nothing"] and trace.unknown == [False, False, True]
    assert model.provenance["vocabulary"] == "stored in the file under 'vocab'"


def test_bf16_tensors_are_widened_to_float32() -> None:
    model = gatescope.load_model(FIXTURES / "gru_bf16.safetensors")

    assert model.dtype == np.float32
    assert largest_difference(model, expected("gru_bf16", FIXTURES)) <= TOLERANCE


def test_dataparallel_prefix_is_removed() -> None:
    model = gatescope.load_model(FIXTURES / "gru2_dataparallel.safetensors")

    assert model.provenance["state_dict"]["stripped_prefix"] == "module."


def test_a_vocabulary_in_the_metadata_that_does_not_fit_is_noted_and_the_model_reads_ids(tmp_path: Path) -> None:
    arrays = {**rnn_arrays(), "embedding.weight": np.ones((4, 3), np.float32)}
    path = tmp_path / "model.safetensors"
    save_file(arrays, path, metadata={"vocab": json.dumps({"<unk>": 0, "far": 9})})

    model = gatescope.load_model(path)

    assert model.reads_ids
    assert "has id 9 but the model's embedding has only 4 rows" in model.provenance["vocabulary_refused"]


def test_extra_modules_are_refused_naming_them(tmp_path: Path) -> None:
    arrays = {**rnn_arrays(), "fc.weight": np.ones((3, 2), np.float32), "fc.bias": np.ones(3, np.float32)}
    arrays |= {"fc2.weight": np.ones((1, 3), np.float32), "fc2.bias": np.ones(1, np.float32)}
    path = tmp_path / "mlp.safetensors"
    save_file(arrays, path)

    message = refusal(path)

    assert "fc2.weight (1, 3)" in message and "fc2.bias (1,)" in message and "fc. as the Linear head" in message


# --- damaged files ------------------------------------------------------------------------------


def test_truncated_file_is_refused(tmp_path: Path) -> None:
    data = (FIXTURES / "lstm_text.safetensors").read_bytes()
    path = tmp_path / "cut.safetensors"
    path.write_bytes(data[: len(data) - 100])

    assert "damaged or truncated safetensors file" in refusal(path)


def test_header_declaring_more_than_the_file_holds_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "huge.safetensors"
    path.write_bytes(struct.pack("<Q", 50_000_000) + b'{"a": 1}')

    assert "its header declares 50 MB but the file holds 16 bytes" in refusal(path)


def test_offsets_outside_the_data_are_refused(tmp_path: Path) -> None:
    header = {"rnn.weight_ih_l0": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}}
    path = write_raw(tmp_path / "short.safetensors", header, bytes(8))

    assert "tensor 'rnn.weight_ih_l0' (F32 (2, 3), 24 bytes) has data_offsets [0, 24]" in refusal(path)


def test_shape_claiming_more_than_the_budget_is_refused(tmp_path: Path) -> None:
    header = {"rnn.weight_ih_l0": {"dtype": "F32", "shape": [100_000, 100_000], "data_offsets": [0, 40_000_000_000]}}
    path = write_raw(tmp_path / "claim.safetensors", header, bytes(8))

    assert "refused as too large" in refusal(path)


def test_invalid_json_header_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.safetensors"
    path.write_bytes(struct.pack("<Q", 6) + b"{nope}")

    assert "header is not valid JSON" in refusal(path)


def test_unsupported_dtype_is_refused_saying_how_to_convert(tmp_path: Path) -> None:
    header = {"rnn.weight_ih_l0": {"dtype": "F8_E4M3", "shape": [2], "data_offsets": [0, 2]}}
    path = write_raw(tmp_path / "f8.safetensors", header, bytes(2))

    message = refusal(path)

    assert "is F8_E4M3, which gatescope does not read" in message and "v.float()" in message


def test_overlapping_tensors_are_refused_by_the_safetensors_package(tmp_path: Path) -> None:
    header = {
        "rnn.weight_ih_l0": {"dtype": "F32", "shape": [2, 1], "data_offsets": [0, 8]},
        "rnn.weight_hh_l0": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]},
    }
    path = write_raw(tmp_path / "overlap.safetensors", header, bytes(16))

    assert "damaged safetensors file" in refusal(path)
