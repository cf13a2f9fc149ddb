"""Helpers the tests share: small random text models, reading images and videos back, where things are on screen.

Imported by test modules as ``from tests.helpers import ...``; fixtures stay in conftest files.
"""

from __future__ import annotations

import gc
import os
import warnings
from pathlib import Path

import numpy as np

from gatescope.engine import layer_from_state_dict
from gatescope.engine.cells import gate_count
from gatescope.model.model import Head, Model
from gatescope.model.tokenize import Vocabulary, WordTokenizer

WORDS = ["<unk>", "the", "plot", "was", "dull", "but", "ending", "wonderful", "not", "good", "great", "bad", ".", ","]
SENTENCE = "the plot was dull but the ending was wonderful"


def make_text_model(
    kind: str = "lstm", units: int = 16, layers: int = 1, bidirectional: bool = False, seed: int = 0, embedding: int = 8
) -> Model:
    """A word-level model with random weights (for view tests: shapes and plumbing, not meaning)."""
    rng = np.random.default_rng(seed)
    G, D = gate_count(kind), 2 if bidirectional else 1
    arrays = {}
    for k in range(layers):
        inputs = embedding if k == 0 else D * units
        for suffix in ("", "_reverse")[:D]:
            arrays[f"weight_ih_l{k}{suffix}"] = rng.normal(0, 0.6, (G * units, inputs))
            arrays[f"weight_hh_l{k}{suffix}"] = rng.normal(0, 0.4, (G * units, units))
            arrays[f"bias_ih_l{k}{suffix}"] = rng.normal(0, 0.3, G * units)
            arrays[f"bias_hh_l{k}{suffix}"] = rng.normal(0, 0.3, G * units)
    stack = [layer_from_state_dict(arrays, k, kind, bidirectional=bidirectional) for k in range(layers)]
    head = Head(
        rng.normal(0, 0.5, (2, D * units)).astype(np.float32), np.zeros(2, np.float32), labels=["negative", "positive"]
    )
    return Model(
        layers=stack,
        tokenizer=WordTokenizer(),
        vocabulary=Vocabulary(WORDS),
        embedding=rng.normal(0, 1, (len(WORDS), embedding)).astype(np.float32),
        head=head,
        name=f"random-{kind}",
        description=f"random {kind} for tests",
    )


def image_array(path: Path) -> np.ndarray:
    """(height, width, 3) uint8 RGB of an image file, read by Qt."""
    from PySide6.QtGui import QImage

    image = QImage(str(path)).convertToFormat(QImage.Format.Format_RGB888)
    data = np.frombuffer(image.constBits(), np.uint8, image.sizeInBytes())
    rows = data.reshape(image.height(), image.bytesPerLine())[:, : image.width() * 3]
    return rows.reshape(image.height(), image.width(), 3).copy()  # copy: the QImage's memory goes with it


def listing(folder: Path) -> list[str]:
    """Every name in a folder, hidden ones too, sorted."""
    return sorted(os.listdir(folder))


def read_mp4(path: Path) -> tuple[dict, list[np.ndarray]]:
    """Metadata and RGB frames of a video, read by imageio-ffmpeg."""
    import imageio_ffmpeg

    with warnings.catch_warnings():
        # read_frames leaves ffmpeg's pipes for the garbage collector once ffmpeg has exited by itself.
        warnings.simplefilter("ignore", ResourceWarning)
        reader = imageio_ffmpeg.read_frames(str(path))
        meta = next(reader)
        width, height = meta["size"]
        frames = [np.frombuffer(data, np.uint8).reshape(height, width, 3) for data in reader]
        reader.close()
        del reader
        gc.collect()
    return meta, frames


def viewport_point(panel, quantity: str, token: float, row: float):
    """Where a heatmap cell's centre is on the heatmap panel's canvas viewport, via the ViewBox's own mapping."""
    from PySide6.QtCore import QPointF

    scene_point = panel.heatmap(quantity).plot.vb.mapViewToScene(QPointF(token, row))
    return panel.canvas().mapFromScene(scene_point)


def emitted(signal) -> list[tuple]:
    """Every emission of a Qt signal from now on, each as a tuple of its arguments. A direct connection: it needs no
    event loop and no QApplication."""
    seen: list[tuple] = []
    signal.connect(lambda *args: seen.append(args))
    return seen


def show_view(qtbot, view, width: int, height: int):
    """A view registered with qtbot (closed after the test), resized and shown on the offscreen screen."""
    qtbot.addWidget(view)
    view.resize(width, height)
    with qtbot.waitExposed(view):
        view.show()
    return view


def pixel_at(picture, widget, point, within=None):
    """The QColor a grab of ``within`` (``widget`` or one of its ancestors) shows at ``point`` of ``widget``."""
    from PySide6.QtCore import QPoint, QPointF

    point = QPointF(point).toPoint() if not isinstance(point, QPoint) else point
    if within is not None and within is not widget:
        point = widget.mapTo(within, point)
    return picture.pixelColor(point)


def scene_pixel(picture, canvas, scene_point):
    """The QColor a grab of a QGraphicsView's viewport shows at a scene point."""
    return picture.pixelColor(canvas.mapFromScene(scene_point))


def near(colour, rgb, tolerance: int = 6) -> bool:
    """Whether a QColor is within ``tolerance`` of an (r, g, b) triple on every channel."""
    return all(abs(a - int(b)) <= tolerance for a, b in zip((colour.red(), colour.green(), colour.blue()), rgb))


def column_outline_share(picture, window, panel, quantity: str, token_edge: float, rows) -> float:
    """In a grab of ``window``, the share of heatmap ``rows`` at which a vertical edge ``token_edge`` of ``quantity``'s
    heatmap shows the column outline: a near-white and a near-black pixel within 3 px of each other."""
    found = []
    for row in rows:
        point = panel.canvas().mapTo(window, viewport_point(panel, quantity, token_edge, row))
        pixels = [picture.pixelColor(point.x() + dx, point.y()) for dx in range(-3, 4)]
        found.append(
            any(min(p.red(), p.green(), p.blue()) > 225 for p in pixels)
            and any(max(p.red(), p.green(), p.blue()) < 40 for p in pixels)
        )
    return float(np.mean(found))
