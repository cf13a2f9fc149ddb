"""A built wheel carries every subpackage and the shipped resources, and finds them from any folder."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TRAINING_DATA = ROOT / "gatescope" / "train" / "data"
TINY_BRACKETS = """
name = "tiny-brackets"
task = "brackets"
[data]
train = 64
validation = 16
test = 16
subset = 8
[model]
units = 4
embedding = 4
[training]
epochs = 1
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """A wheel built from a copy of the source, so that an old build/ folder in the checkout cannot leak into it."""
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    for name in ("gatescope", "resources"):
        shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    folder = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--wheel-dir",
            str(folder),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (built,) = folder.glob("gatescope-*.whl")
    return built


@pytest.mark.slow
def test_wheel_holds_every_module_and_resource_but_no_training_data(wheel: Path):
    names = set(zipfile.ZipFile(wheel).namelist())
    sources = {
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / "gatescope").rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and TRAINING_DATA not in path.parents
    }
    resources = {
        f"gatescope/resources/{path.relative_to(ROOT / 'resources').as_posix()}"
        for path in (ROOT / "resources").rglob("*")
        if path.is_file()
    }
    assert sources - names == set()
    assert resources - names == set()
    assert "gatescope/resources/models/bracket-counter.npz" in names
    assert "gatescope/train/reviews/generator.py" in names
    assert [name for name in names if name.startswith("gatescope/train/data/")] == []


@pytest.mark.slow
def test_installed_wheel_loads_built_in_models_from_another_folder(wheel: Path, tmp_path: Path):
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    probe = (
        "import gatescope; print(gatescope.__file__); "
        "print(gatescope.list_models()[0][0]); print(gatescope.load_model('bracket-counter').run('((').steps)"
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=elsewhere, env=env, timeout=120
    )
    assert result.returncode == 0, result.stderr
    module_file, first_model, steps = result.stdout.split()
    assert module_file.startswith(str(target))
    assert (first_model, steps) == ("bracket-counter", "2")


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory) -> Path:
    """The wheel installed into a folder of its own (dependencies come from the test environment)."""
    target = tmp_path_factory.mktemp("site")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return target


def run_installed(installed: Path, folder: Path, *argv: str) -> subprocess.CompletedProcess:
    """``gatescope ARGV`` run from the installed wheel in ``folder``."""
    probe = f"import sys, gatescope.cli; sys.exit(gatescope.cli.main({list(argv)!r}))"
    env = {**os.environ, "PYTHONPATH": str(installed), "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=folder, env=env, timeout=300
    )


@pytest.mark.slow
def test_installed_wheel_runs_the_trained_sentiment_models(installed: Path, tmp_path: Path):
    result = run_installed(installed, tmp_path, "trace", "lstm-sentiment", "not bad at all", "--format", "json")
    assert result.returncode == 0, result.stderr
    assert "positive" in result.stdout


@pytest.mark.slow
def test_installed_wheel_says_how_to_get_the_training_data(installed: Path, tmp_path: Path):
    config = installed / "gatescope" / "resources" / "configs" / "lstm-sentiment.toml"
    result = run_installed(installed, tmp_path, "train", str(config), "--out", "lstm.npz")
    assert result.returncode == 2
    error = result.stderr.strip().splitlines()[-1]
    assert error.startswith("gatescope: error: training data not installed: gatescope/train/data/")
    assert "clone gatescope's source, run 'bash scripts/setup.sh' there" in error
    assert not (tmp_path / "lstm.npz").exists()


@pytest.mark.slow
def test_installed_wheel_trains_the_bracket_task_without_data_files(installed: Path, tmp_path: Path):
    (tmp_path / "tiny.toml").write_text(TINY_BRACKETS, encoding="utf-8")
    result = run_installed(installed, tmp_path, "train", "tiny.toml", "--out", "tiny.npz")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "tiny.npz").is_file() and (tmp_path / "tiny.md").is_file()
