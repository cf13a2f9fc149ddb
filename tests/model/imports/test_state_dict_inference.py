"""Specifications for inferring a model from a state_dict's names and shapes (shared by .pt, safetensors and .npz):
what is placed where, and what is refused. The state_dicts are written as .npz with numpy.savez, the fixture models'
own tensors renamed or joined by others."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import gatescope
from tests.pytorch_fixtures import expected, fixture_arrays, largest_difference, refusal

TOLERANCE = 1e-5


def savez(path: Path, arrays: dict[str, np.ndarray]) -> Path:
    np.savez(path, **arrays)
    return path


def text_model() -> dict[str, np.ndarray]:
    """Embedding(20, 5) → LSTM(6) → Linear(6, 3), keyed embedding.*, lstm.*, fc.*"""
    return fixture_arrays("lstm_text")


@pytest.mark.parametrize("case", ["lstm_text", "gru_bi_text", "rnn_bi2_text", "lstm_series_head", "gru_emb_nohead"])
def test_whole_text_model_saved_as_npz_matches_torch(tmp_path: Path, case: str) -> None:
    path = savez(tmp_path / "model.npz", fixture_arrays(case))

    model = gatescope.load_model(path)

    assert model.provenance["format"] == "PyTorch state_dict (.npz)"
    assert largest_difference(model, expected(case)) <= TOLERANCE


@pytest.mark.parametrize(
    ("embedding", "head"), [("encoder.weight", "decoder."), ("word_vectors.weight", "classifier."), ("w.weight", "o.")]
)
def test_parts_are_found_by_shape_whatever_their_names(tmp_path: Path, embedding: str, head: str) -> None:
    arrays = text_model()
    renamed = {
        embedding: arrays["embedding.weight"],
        f"{head}weight": arrays["fc.weight"],
        f"{head}bias": arrays["fc.bias"],
        **{f"rnn.{name[5:]}": value for name, value in arrays.items() if name.startswith("lstm.")},
    }
    path = savez(tmp_path / "renamed.npz", renamed)

    model = gatescope.load_model(path)

    assert model.provenance["state_dict"] == {
        "recurrent": "rnn.",
        "embedding": embedding,
        "head": head,
        "stripped_prefix": "",
    }
    assert largest_difference(model, expected("lstm_text")) <= TOLERANCE


def test_several_wrapper_prefixes_are_removed_together(tmp_path: Path) -> None:
    arrays = {f"module._orig_mod.{name}": value for name, value in text_model().items()}

    model = gatescope.load_model(savez(tmp_path / "wrapped.npz", arrays))

    assert model.provenance["state_dict"]["stripped_prefix"] == "module._orig_mod."
    assert model.provenance["state_dict"]["recurrent"] == "lstm."


def test_a_prefix_only_some_keys_share_is_kept(tmp_path: Path) -> None:
    arrays = {(f"module.{name}" if name.startswith("lstm.") else name): value for name, value in text_model().items()}

    model = gatescope.load_model(savez(tmp_path / "partly.npz", arrays))

    assert model.provenance["state_dict"]["recurrent"] == "module.lstm."


def test_two_heads_reading_the_recurrent_output_are_refused_naming_both(tmp_path: Path) -> None:
    arrays = text_model()
    arrays |= {"aux.weight": np.ones((2, 6), np.float32), "aux.bias": np.ones(2, np.float32)}

    message = refusal(savez(tmp_path / "heads.npz", arrays))

    assert "several Linear layers read the recurrent output (fc., aux.)" in message


def test_a_second_linear_after_the_head_is_refused_naming_its_keys(tmp_path: Path) -> None:
    arrays = text_model()
    arrays |= {"fc2.weight": np.ones((2, 3), np.float32), "fc2.bias": np.ones(2, np.float32)}

    message = refusal(savez(tmp_path / "mlp.npz", arrays))

    assert "cannot place: fc2.weight (2, 3), fc2.bias (2,)" in message
    assert "embedding.weight as the embedding, lstm. as the LSTM, fc. as the Linear head" in message


def test_attention_weights_are_refused(tmp_path: Path) -> None:
    arrays = text_model() | {"attention.in_proj_weight": np.ones((18, 6), np.float32)}

    assert "unexpected arrays attention.in_proj_weight" in refusal(savez(tmp_path / "attention.npz", arrays))


def test_buffers_are_not_tolerated(tmp_path: Path) -> None:
    arrays = text_model() | {"norm.running_mean": np.zeros(6, np.float32), "norm.num_batches_tracked": np.array(3)}

    message = refusal(savez(tmp_path / "buffers.npz", arrays))

    assert "unexpected arrays norm.running_mean, norm.num_batches_tracked" in message


def test_embedding_of_the_wrong_width_is_refused_saying_the_widths(tmp_path: Path) -> None:
    arrays = text_model()
    arrays["embedding.weight"] = np.ones((20, 4), np.float32)

    message = refusal(savez(tmp_path / "width.npz", arrays))

    assert "embedding.weight gives 4 features but the LSTM reads 5" in message


def test_two_possible_embeddings_are_settled_by_name(tmp_path: Path) -> None:
    arrays = text_model() | {"positions.weight": np.ones((7, 5), np.float32)}
    ambiguous = text_model() | {"positions.weight": np.ones((7, 5), np.float32), "emb2.weight": np.ones((9, 5))}

    message = refusal(savez(tmp_path / "positions.npz", arrays))
    ambiguous_message = refusal(savez(tmp_path / "ambiguous.npz", ambiguous))

    assert "positions.weight (7, 5)" in message  # embedding.weight is the embedding; positions are not run
    assert "several arrays could be the embedding (embedding.weight, emb2.weight)" in ambiguous_message


def test_linear_head_without_bias_is_refused_with_a_hint(tmp_path: Path) -> None:
    arrays = {name: value for name, value in text_model().items() if name != "fc.bias"}

    message = refusal(savez(tmp_path / "nobias.npz", arrays))

    assert "fc.weight looks like a Linear without bias" in message


def test_projection_is_refused(tmp_path: Path) -> None:
    arrays = text_model() | {"lstm.weight_hr_l0": np.ones((3, 6), np.float32)}

    message = refusal(savez(tmp_path / "proj.npz", arrays))

    assert "proj_size (lstm.weight_hr_l*)" in message


def test_two_recurrent_modules_are_refused_naming_both(tmp_path: Path) -> None:
    arrays = text_model()
    arrays |= {f"gru.{name[5:]}": value for name, value in arrays.items() if name.startswith("lstm.")}

    message = refusal(savez(tmp_path / "two.npz", arrays))

    assert "several modules with recurrent weights (gru., lstm.)" in message
