"""The walls: engine, model and train never import Qt — neither in their source nor at run time."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "gatescope"
QT_MODULES = ("PySide6", "pyqtgraph", "shiboken6", "PyQt5", "PyQt6", "PySide2")
WALLED = ("engine", "model", "train")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def walled_sources() -> list[Path]:
    return [path for part in WALLED if (PACKAGE / part).is_dir() for path in sorted((PACKAGE / part).rglob("*.py"))]


def test_walled_packages_exist_and_are_scanned():
    assert len(walled_sources()) >= 8


@pytest.mark.parametrize("path", walled_sources(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_walled_source_never_imports_qt(path: Path):
    qt = sorted(name for name in imported_modules(path) if name.split(".")[0] in QT_MODULES)
    assert qt == [], f"{path.relative_to(PACKAGE)} imports {qt}"


def test_running_a_model_from_the_api_and_cli_loads_no_qt(tmp_path):
    probe = (
        "import sys, gatescope, gatescope.cli\n"
        "gatescope.load_model('bracket-counter').run('(a)')\n"
        "gatescope.cli.main(['models'])\n"
        f"loaded = sorted(m for m in sys.modules if m.split('.')[0] in {QT_MODULES!r})\n"
        "print('QT:', loaded)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "QT: []" in result.stdout
