"""The one way gatescope turns a widget into pixels or vector shapes: every exported frame and every screenshot is
painted here, so the app, ``gatescope export`` and ``gatescope gui --screenshot`` produce the same images."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPoint, QRect, QSize
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import QWidget

from gatescope.export.writers import PngImageWriter


def render_image(widget: QWidget, size: tuple[int, int] | None = None, scale: float = 1.0) -> QImage:
    """The widget as it looks now, on its palette's window colour: ``size`` (default: the widget's) times ``scale``
    pixels. A widget larger than ``size`` is cut at the right and bottom."""
    size = size or (widget.width(), widget.height())
    width, height = round(size[0] * scale), round(size[1] * scale)
    image = QImage(width, height, QImage.Format.Format_RGB888)
    image.setDevicePixelRatio(scale)
    image.fill(widget.palette().window().color())
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    widget.render(painter, QPoint(0, 0))
    painter.end()
    return image


def rgb(image: QImage) -> np.ndarray:
    """(height, width, 3) uint8 RGB copy of an RGB888 image."""
    data = np.frombuffer(image.constBits(), np.uint8, image.sizeInBytes())
    width, height = image.width(), image.height()
    return data.reshape(height, image.bytesPerLine())[:, : width * 3].reshape(height, width, 3).copy()


def render_svg(widget: QWidget, size: tuple[int, int] | None = None) -> bytes:
    """The widget as an SVG document of ``size`` (default: the widget's): vector shapes and text; pixel images stay
    embedded images."""
    width, height = size or (widget.width(), widget.height())
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    generator = QSvgGenerator()
    generator.setOutputDevice(buffer)
    generator.setSize(QSize(width, height))
    generator.setViewBox(QRect(0, 0, width, height))
    generator.setTitle("gatescope")
    painter = QPainter(generator)
    painter.fillRect(QRect(0, 0, width, height), QColor(widget.palette().window().color()))
    widget.render(painter, QPoint(0, 0))
    painter.end()
    buffer.close()
    return bytes(data.data())


def save_png(widget: QWidget, path: Path, force: bool = False, proceed: Callable[[], bool] | None = None) -> Path:
    """One frame of ``widget`` as a PNG file, written atomically (a failure leaves any earlier file untouched).
    ``proceed`` is asked when the file is on the disk, before it takes its place: False cancels (ExportCancelled)."""
    frame = rgb(render_image(widget))
    with PngImageWriter(Path(path), size=(frame.shape[1], frame.shape[0]), force=force) as writer:
        writer.write(frame)
        return writer.close(proceed=proceed)[0]
