"""The walls: one-way layers and no Qt below the views (import-linter contracts in pyproject.toml), no import cycle,
and no Qt loaded at run time by the API or the command line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "gatescope"
QT_MODULES = ("PySide6", "pyqtgraph", "shiboken6", "PyQt5", "PyQt6", "PySide2")


def qt_loaded_by(code: str, folder: Path) -> str:
    """Run ``code`` in a fresh interpreter in ``folder``: what it printed, then "QT: [...]", the Qt modules loaded."""
    probe = f"{code}\nimport sys\nprint('QT:', sorted(m for m in sys.modules if m.split('.')[0] in {QT_MODULES!r}))\n"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=folder, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_running_a_model_from_the_api_and_cli_loads_no_qt(tmp_path):
    code = (
        "import gatescope, gatescope.cli\n"
        "gatescope.load_model('bracket-counter').run('(a)')\n"
        "gatescope.cli.main(['models'])\n"
        "gatescope.cli.main(['trace', 'bracket-counter', '(a)', '--format', 'json'])\n"
    )
    assert "QT: []" in qt_loaded_by(code, tmp_path)


def test_the_cell_diagrams_geometry_loads_no_qt(tmp_path):
    """The layouts are data: a new diagram's geometry can be written and tested without a display."""
    code = "from gatescope.ui.views.cell.layouts import LAYOUTS\nprint(sorted(LAYOUTS))\n"
    assert qt_loaded_by(code, tmp_path) == "['gru', 'lstm', 'rnn']\nQT: []\n"


def test_import_contracts_hold(capsys):
    """pyproject.toml's import-linter contracts: one-way layers, independent views above their toolkit, the cell
    diagram's own layers, no window below the windows, no Qt in the Qt-free packages. Imports inside functions
    count."""
    from importlinter.cli import lint_imports

    code = lint_imports(config_filename=str(PACKAGE.parent / "pyproject.toml"), no_cache=True, no_logo=True)
    report = capsys.readouterr().out
    assert code == 0, report
    assert "0 broken" in report


def test_no_import_cycle_among_the_package_modules_counting_lazy_imports():
    import grimp

    graph = grimp.build_graph("gatescope", exclude_type_checking_imports=True)
    cycles = []
    for module in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            back = graph.find_shortest_chain(importer=imported, imported=module)
            if back is not None:
                cycles.append(" -> ".join((module, *back)))
    assert cycles == [], "\n".join(cycles)
