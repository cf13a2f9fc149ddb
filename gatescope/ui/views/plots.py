"""pyqtgraph plots set up once for the views that draw over the tokens (prediction, unit inspector, heatmaps): plots
that only show (no panning, zooming, menus or buttons), static parts cached as pixmaps, a step line sized in pixels,
curves that stay cheap on long texts, the theme's colours on axes and legends, and which token a pointer is over."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import pyqtgraph as pg
from PySide6.QtCore import QObject, QPointF, Signal
from PySide6.QtWidgets import QGraphicsItem, QGraphicsLineItem, QGraphicsScene

from gatescope.ui.views.canvas import step_line
from gatescope.ui.views.colors import Ink, cosmetic_pen


# --- set-up ---------------------------------------------------------------------------------------------------------
def still_plot(plot: pg.PlotItem, grid: bool = True) -> pg.PlotItem:
    """A plot that only shows: the mouse neither pans nor zooms, no context menu, no auto-range button; with
    ``grid``, faint horizontal lines to read values off."""
    plot.setMouseEnabled(x=False, y=False)
    plot.setMenuEnabled(False)
    plot.hideButtons()
    if grid:
        plot.showGrid(y=True, alpha=0.2)
    return plot


def cache_static(*items: QGraphicsItem) -> None:
    """Items that change only with the text, layer or theme (axes, legends, curves): repainted from a cached pixmap,
    so moving the step line over them never re-runs pyqtgraph's Python paint code."""
    for item in items:
        item.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)


def add_legend(plot: pg.PlotItem, offset: tuple[float, float], columns: int = 1) -> pg.LegendItem:
    """A legend in the plot's corner (``offset`` as pyqtgraph places it), cached."""
    legend = plot.addLegend(offset=offset, colCount=columns)
    cache_static(legend)
    return legend


def add_step_line(plot: pg.PlotItem, on_transform_changed: Callable[..., None]) -> QGraphicsLineItem:
    """A step line on ``plot`` (a plain Qt item: moving it runs no Python paint code); ``on_transform_changed`` is
    told when the plot's view moves or resizes, to refit the line (:func:`~gatescope.ui.views.canvas.fit_step_line`)."""
    line = step_line()
    plot.addItem(line, ignoreBounds=True)
    plot.vb.sigTransformChanged.connect(on_transform_changed)
    return line


def add_curve(plot: pg.PlotItem, colour) -> pg.PlotDataItem:
    """An empty curve 2 px wide, drawn from its peaks on long texts, clipped to the view, cached."""
    curve = plot.plot(
        [], [], pen=pg.mkPen(colour, width=2), autoDownsample=True, downsampleMethod="peak", clipToView=True
    )
    cache_static(curve.curve)
    return curve


# --- theme ----------------------------------------------------------------------------------------------------------
def ink_axes(plot: pg.PlotItem, ink: Ink) -> None:
    """Left and bottom axes, their lines and labels, in the theme's text colour."""
    for side in ("left", "bottom"):
        axis = plot.getAxis(side)
        axis.setPen(ink.text)
        axis.setTextPen(ink.text)


def ink_legend(legend: pg.LegendItem, ink: Ink, alpha: int) -> None:
    """Legend text in the text colour on the base colour at ``alpha``, so curves under the legend stay visible."""
    legend.setLabelTextColor(ink.text)
    legend.setBrush(pg.mkBrush(ink.see_through(alpha)))


def ink_step_line(line: QGraphicsLineItem, ink: Ink) -> None:
    """The step line 2 px wide in the text colour: dark on a light theme, light on a dark one."""
    line.setPen(cosmetic_pen(ink.text, 2))


# --- pointing -------------------------------------------------------------------------------------------------------
def view_point(views: Iterable[pg.ViewBox], scene_position: QPointF) -> tuple[pg.ViewBox, QPointF] | None:
    """The first of ``views`` under a scene point, with the point in that view's data coordinates; None outside."""
    for view in views:
        if view.sceneBoundingRect().contains(scene_position):
            return view, view.mapSceneToView(scene_position)
    return None


def nearest(coordinate: float) -> int:
    """The whole number a data coordinate is nearest (halves round up): the token on x, the row on a heatmap's y."""
    return math.floor(coordinate + 0.5)


def token_at(views: Iterable[pg.ViewBox], scene_position: QPointF, steps: int) -> int | None:
    """The token nearest a scene point over any of ``views`` (x is the token index), kept inside the text."""
    hit = view_point(views, scene_position)
    if hit is None or steps <= 0:
        return None
    return min(max(nearest(hit[1].x()), 0), steps - 1)


class TokenPointer(QObject):
    """Clicks and pointer moves over plots whose x axis is the token index, turned into tokens: ``clicked`` and
    ``hovered`` carry the token nearest the pointer. The owning view keeps ``views`` (the plots' view boxes that
    count) and ``steps`` (the text's length; 0 while there is nothing to point at) up to date."""

    clicked = Signal(int)
    hovered = Signal(int)

    def __init__(self, scene: QGraphicsScene, parent: QObject) -> None:
        super().__init__(parent)
        self.views: tuple[pg.ViewBox, ...] = ()
        self.steps = 0
        scene.sigMouseClicked.connect(self._on_clicked)
        scene.sigMouseMoved.connect(self._on_moved)

    def token_at(self, scene_position: QPointF) -> int | None:
        return token_at(self.views, scene_position, self.steps)

    def _on_clicked(self, event) -> None:
        token = self.token_at(event.scenePos())
        if token is not None:
            self.clicked.emit(token)

    def _on_moved(self, scene_position: QPointF) -> None:
        token = self.token_at(scene_position)
        if token is not None:
            self.hovered.emit(token)
