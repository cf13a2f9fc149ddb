"""A built wheel carries every subpackage and the shipped resources, and finds them from any folder."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
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
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (built,) = folder.glob("gatescope-*.whl")
    return built


@pytest.mark.slow
def test_wheel_holds_every_module_and_resource(wheel: Path):
    names = set(zipfile.ZipFile(wheel).namelist())
    sources = {
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / "gatescope").rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    resources = {
        f"gatescope/resources/{path.relative_to(ROOT / 'resources').as_posix()}"
        for path in (ROOT / "resources").rglob("*")
        if path.is_file()
    }
    assert sources - names == set()
    assert resources - names == set()
    assert "gatescope/resources/models/bracket-counter.npz" in names


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
