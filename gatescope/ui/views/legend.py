"""A compact strip of colour bars for the fixed scales the heatmaps use: gates 0..1, tanh −1..1, cell state ±m."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter
from PySide6.QtWidgets import QSizePolicy, QWidget

from gatescope.presentation import scales
from gatescope.presentation.text import number
from gatescope.ui.session import SessionModel
from gatescope.ui.views import colors
from gatescope.ui.views.binding import SessionView
from gatescope.ui.views.colors import Ink

LEGEND_HEIGHT = 40
BAR_HEIGHT = 10
MAX_SCALE_WIDTH = 240
GAP = 16
#: Session signal -> handler; kept as names so the legend holds no reference cycle to itself.
SESSION_SLOTS = (
    ("trace_changed", "_on_trace_changed"),
    ("layer_changed", "_on_layer_changed"),
    ("colour_scheme_changed", "_on_colour_scheme_changed"),
)


def _gradient(scheme: str, sequential: bool) -> QImage:
    table = np.ascontiguousarray(colors.lookup_table(scheme, sequential)[np.newaxis, :, :])
    return QImage(table.data, 256, 1, 256 * 4, QImage.Format.Format_RGBA8888).copy()


class ColourLegend(SessionView):
    """Colour bars with tick labels for the scales in use on the selected layer, about 40 px tall."""

    def __init__(self, session: SessionModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._session = session
        self._scales: list[scales.Scale] = []
        self._gradients: dict[tuple[str, bool], QImage] = {}
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setFixedHeight(LEGEND_HEIGHT)
        font = QFont(self.font())
        font.setPointSizeF(max(6.0, font.pointSizeF() * 0.85))
        self.setFont(font)
        self.bind(session, SESSION_SLOTS)
        self._update_scales()

    @property
    def scales(self) -> list[scales.Scale]:
        return list(self._scales)

    def captions(self) -> list[str]:
        return [scale.caption for scale in self._scales]

    def sizeHint(self) -> QSize:
        return QSize(len(self._scales or [None]) * (MAX_SCALE_WIDTH + GAP), LEGEND_HEIGHT)

    def minimumSizeHint(self) -> QSize:
        return QSize(120, LEGEND_HEIGHT)

    # --- session signals -----------------------------------------------------------------------------------------
    def _on_trace_changed(self, trace) -> None:
        self._update_scales()

    def _on_layer_changed(self, layer: int) -> None:
        self._update_scales()

    def _on_colour_scheme_changed(self, scheme: str) -> None:
        self.update()

    def _update_scales(self) -> None:
        self._scales = scales.legend_scales(self._session.layer_trace)
        self.setToolTip("\n".join(self.captions()))
        self.updateGeometry()
        self.update()

    # --- painting ------------------------------------------------------------------------------------------------
    def bar_rect(self, index: int) -> QRect:
        """Where scale ``index``'s colour bar is drawn, in widget pixels."""
        count = max(1, len(self._scales))
        width = min(MAX_SCALE_WIDTH, (self.width() - GAP * (count + 1)) // count)
        caption_height = self.fontMetrics().height()
        return QRect(GAP + index * (width + GAP), caption_height + 1, max(width, 8), BAR_HEIGHT)

    def _gradient(self, sequential: bool) -> QImage:
        key = (self._session.colour_scheme, sequential)
        if key not in self._gradients:
            self._gradients[key] = _gradient(*key)
        return self._gradients[key]

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        metrics = self.fontMetrics()
        text = Ink.of(self.palette()).text
        frame = QColor(text)
        frame.setAlpha(140)
        for index, scale in enumerate(self._scales):
            bar = self.bar_rect(index)
            painter.setPen(text)
            painter.drawText(QRect(bar.left(), 0, bar.width(), bar.top()), Qt.AlignmentFlag.AlignLeft, scale.name)
            painter.drawImage(bar, self._gradient(scale.sequential))
            painter.setPen(frame)
            painter.drawRect(bar.adjusted(0, 0, -1, -1))
            painter.setPen(text)
            labels = QRect(bar.left(), bar.bottom() + 2, bar.width(), metrics.height())
            low, middle, high = (number(value) for value in scale.ticks)
            painter.drawText(labels, Qt.AlignmentFlag.AlignLeft, low)
            painter.drawText(labels, Qt.AlignmentFlag.AlignHCenter, middle)
            painter.drawText(labels, Qt.AlignmentFlag.AlignRight, high)
        painter.end()
