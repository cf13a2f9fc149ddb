"""The app's views, once: key, title, where the window shows each, and whether export offers it on its own.

Qt-free on purpose — the command line builds its choices from this table without starting Qt; a view's class is
imported only when a stage (or an export) makes one. A new view is one more entry here.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ViewEntry:
    """One view of the app."""

    key: str  # used by --view, QSettings and the stage's ``views``
    title: str  # tab or dock title
    place: str  # "central" (a tab in the middle) or "dock" (a panel on the right)
    view: str  # "module:Class"; the class takes (session, parent)
    export_title: str | None = None  # offered by export on its own, under this name

    def view_class(self) -> Any:
        """The view's class (imports its module, and Qt, on first use)."""
        module, _, name = self.view.partition(":")
        return getattr(importlib.import_module(module), name)


VIEWS: tuple[ViewEntry, ...] = (
    ViewEntry("heatmaps", "Heatmaps", "central", "gatescope.ui.views.heatmaps:HeatmapPanel", "Heatmaps"),
    ViewEntry("cell", "Cell diagram", "central", "gatescope.ui.views.cell.view:CellDiagram", "Cell diagram"),
    ViewEntry("step", "Current step", "dock", "gatescope.ui.views.step_panel:StepPanel", "Current-step panel"),
    ViewEntry("prediction", "Prediction", "dock", "gatescope.ui.views.prediction:PredictionPanel"),
    ViewEntry("unit", "Unit inspector", "dock", "gatescope.ui.views.unit_inspector:UnitInspector"),
)
#: The whole stage (every view, laid out as the window shows them) exports under this key.
WHOLE_STAGE = "window"
#: What export can draw, in the order its choices list them: the whole stage, then single views.
EXPORT_VIEWS: dict[str, str] = {
    WHOLE_STAGE: "Whole window",
    **{entry.key: entry.export_title for entry in VIEWS if entry.export_title},
}
CENTRAL_VIEWS: tuple[str, ...] = tuple(entry.key for entry in VIEWS if entry.place == "central")


def view_entry(key: str) -> ViewEntry:
    """The entry of a view by key; KeyError naming the keys there are."""
    for entry in VIEWS:
        if entry.key == key:
            return entry
    raise KeyError(f"no view {key!r}; views are {', '.join(entry.key for entry in VIEWS)}")
