"""Training configs are validated with actionable errors; bracket data is labelled with the true nesting depth."""

from __future__ import annotations

from pathlib import Path

import pytest

from gatescope.errors import GatescopeError
from gatescope.train.brackets import MAX_DEPTH, depths_of, generate_brackets
from gatescope.train.config import load_config, parse_config

CONFIGS = sorted((Path(__file__).resolve().parents[2] / "resources" / "configs").glob("*.toml"))


@pytest.mark.parametrize("path", CONFIGS, ids=[p.stem for p in CONFIGS])
def test_shipped_configs_parse(path: Path):
    config = load_config(path)
    assert config.name == path.stem


def test_defaults_fill_everything_but_the_name():
    config = parse_config({"name": "tiny"})
    assert (config.task, config.model.cell, config.training.batch_size) == ("sentiment", "lstm", 64)


def test_integer_learning_rate_is_read_as_float():
    config = parse_config({"name": "x", "training": {"learning_rate": 1}})
    assert config.training.learning_rate == 1.0 and isinstance(config.training.learning_rate, float)


def test_training_seed_defaults_to_the_data_seed():
    assert parse_config({"name": "x", "seed": 7}).training_seed == 7
    assert parse_config({"name": "x", "seed": 7, "training": {"seed": 13}}).training_seed == 13


@pytest.mark.parametrize(
    "values, fragment",
    [
        ({}, "needs a name"),
        ({"name": "x", "task": "poetry"}, "task must be one of"),
        ({"name": "x", "model": {"cell": "transformer"}}, "cell must be lstm, gru or rnn"),
        ({"name": "x", "model": {"units": "many"}}, "[model].units: expected int"),
        ({"name": "x", "model": {"units": 0}}, "units must be at least 1"),
        ({"name": "x", "model": {"unitz": 3}}, "unknown setting unitz"),
        ({"name": "x", "model": {"cell": "gru", "peepholes": True}}, "peepholes exist only for LSTM"),
        ({"name": "x", "training": {"word_dropout": 1.5}}, "word_dropout must be in [0, 1)"),
        ({"name": "x", "training": {"epochs": True}}, "expected int"),
        ({"name": "x", "colour": "red"}, "unknown setting colour"),
        ({"name": "x", "training": {"seed": -5}}, "seed must be -1"),
        ({"name": "x", "training": {"average": 1.0}}, "average must be in [0, 1)"),
        ({"name": "x", "training": {"select_on": "test"}}, "select_on must be"),
        ({"name": "x", "task": "brackets", "training": {"select_on": "dev"}}, "needs the sentiment task"),
        ({"name": "x", "task": "brackets", "model": {"word_vectors": True}}, "word_vectors = true needs the sentiment"),
        ({"name": "x", "data": {"written": -1}}, "written must be 0 (not used) or a number of copies"),
        ({"name": "x", "data": {"written": True}}, "[data].written: expected int"),
        ({"name": "x", "task": "brackets", "data": {"written": 2}}, "written needs the sentiment task"),
    ],
)
def test_bad_settings_raise_gatescope_error_naming_the_setting(values, fragment):
    with pytest.raises(GatescopeError) as caught:
        parse_config(values, "cfg.toml")
    assert fragment in str(caught.value)


def test_bad_toml_names_the_file(tmp_path: Path):
    path = tmp_path / "broken.toml"
    path.write_text("name = [unclosed\n")
    with pytest.raises(GatescopeError, match="broken.toml: not valid TOML"):
        load_config(path)
    with pytest.raises(GatescopeError, match="no such file"):
        load_config(tmp_path / "missing.toml")


def test_depth_counts_open_brackets_after_each_character():
    assert depths_of("(a(b)c) d") == (1, 1, 2, 2, 1, 1, 0, 0, 0)


def test_generated_strings_are_well_nested_and_reproducible():
    first = generate_brackets(200, seed=5)
    again = generate_brackets(200, seed=5)
    assert first == again
    assert first != generate_brackets(200, seed=6)
    for item in first:
        assert item.depths == depths_of(item.text)
        assert 0 <= min(item.depths) and max(item.depths) <= MAX_DEPTH
        assert 8 <= len(item.text) <= 60
    assert max(max(item.depths) for item in first) == MAX_DEPTH
