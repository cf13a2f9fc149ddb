"""Helpers the tests share: small random text models, reading images and videos back, where things are on screen.

Imported by test modules as ``from tests.helpers import ...``; fixtures stay in conftest files.
"""

from __future__ import annotations

import dataclasses
import errno
import gc
import io
import json
import os
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest

import gatescope
from gatescope import GatescopeError, LayerTrace, Trace
from gatescope.engine import DirectionWeights, RecurrentLayer, layer_from_state_dict
from gatescope.engine.cells import gate_count
from gatescope.model.model import Head, Model
from gatescope.model.tokenize import CharTokenizer, Vocabulary, WordTokenizer

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


def read_right_to_left(model: Model) -> Model:
    """The same model with every layer reading the sequence right to left (an ONNX direction="reverse" stack)."""
    return dataclasses.replace(model, layers=[dataclasses.replace(layer, reverse=True) for layer in model.layers])


def image_array(path: Path) -> np.ndarray:
    """(height, width, 3) uint8 RGB of an image file, read by Qt."""
    from PySide6.QtGui import QImage

    image = QImage(str(path)).convertToFormat(QImage.Format.Format_RGB888)
    data = np.frombuffer(image.constBits(), np.uint8, image.sizeInBytes())
    rows = data.reshape(image.height(), image.bytesPerLine())[:, : image.width() * 3]
    return rows.reshape(image.height(), image.width(), 3).copy()  # copy: the QImage's memory goes with it


def glyph_ink(text: str, font, pixels: int = 40) -> np.ndarray:
    """Where ink falls when ``text`` is drawn in black on white with ``font`` at ``pixels`` px: a (2p, 2p) bool mask."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QFont, QImage, QPainter

    font = QFont(font)
    font.setPixelSize(pixels)
    image = QImage(2 * pixels, 2 * pixels, QImage.Format.Format_Grayscale8)
    image.fill(Qt.GlobalColor.white)
    painter = QPainter(image)
    painter.setFont(font)
    painter.setPen(Qt.GlobalColor.black)
    painter.drawText(image.rect(), Qt.AlignmentFlag.AlignCenter, text)
    painter.end()
    grey = np.frombuffer(image.constBits(), np.uint8, image.sizeInBytes()).reshape(image.height(), -1)
    return grey[:, : image.width()] < 128


def listing(folder: Path) -> list[str]:
    """Every name in a folder, hidden ones too, sorted."""
    return sorted(os.listdir(folder))


def output_files(out: Path) -> dict[str, bytes]:
    """Every file of an output (one file, or a folder of frames) by name, with its bytes."""
    paths = sorted(out.iterdir()) if out.is_dir() else [out]
    return {path.name: path.read_bytes() for path in paths}


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


def show_main_window(qtbot, session, settings=None, size: tuple[int, int] = (1280, 720)):
    """A main window on ``session`` (registered with qtbot), shown and active so that keys reach its shortcuts, with
    tweens off."""
    from gatescope.ui.window.main_window import MainWindow

    window = MainWindow(session, settings=settings)
    qtbot.addWidget(window)
    window.resize(*size)
    window.stage.tweener.set_duration_ms(0)
    with qtbot.waitActive(window):
        window.show()
    return window


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


# --- model files (gatescope's native format) -----------------------------------------------


GATE_COUNT = {"lstm": 4, "gru": 3, "rnn": 1}
CHARACTERS = ["<unk>", "a", "b", "c", " ", "(", ")", ",", "."]
TEXT = "(ab) c, é. a(b(c))"  # "é" is not in the vocabulary
EMBEDDING_WIDTH = 4
UNITS = 3


# --- building models ----------------------------------------------------------------------------


def make_layer(
    rng: np.random.Generator,
    kind: str,
    input_size: int,
    units: int,
    *,
    bidirectional: bool = False,
    peepholes: bool = False,
    bias: bool = True,
    gru_convention: str = "pytorch",
    nonlinearity: str = "tanh",
    dtype: type = np.float32,
) -> RecurrentLayer:
    rows = GATE_COUNT[kind] * units

    def array(*shape: int) -> np.ndarray:
        return rng.normal(0.0, 0.6, size=shape).astype(dtype)

    directions = []
    for _ in range(2 if bidirectional else 1):
        bias_ih = array(rows) if bias else np.zeros(rows, dtype)
        bias_hh = array(rows) if bias else np.zeros(rows, dtype)
        directions.append(
            DirectionWeights(
                array(rows, input_size), array(rows, units), bias_ih, bias_hh, array(3, units) if peepholes else None
            )
        )
    return RecurrentLayer(
        kind, input_size, units, tuple(directions), gru_convention=gru_convention, nonlinearity=nonlinearity
    )


def make_model(
    kind: str = "lstm",
    *,
    layers: int = 1,
    bidirectional: bool = False,
    peepholes: bool = False,
    bias: bool = True,
    gru_convention: str = "pytorch",
    nonlinearity: str = "tanh",
    text: bool = True,
    head: bool = True,
    labels: bool = True,
    word_tokens: bool = False,
    dtype: type = np.float32,
    seed: int = 7,
) -> Model:
    """A small random model; text models read characters (or words) with EMBEDDING_WIDTH features."""
    rng = np.random.default_rng(seed)
    stack = []
    input_size = EMBEDDING_WIDTH
    for _ in range(layers):
        stack.append(
            make_layer(
                rng,
                kind,
                input_size,
                UNITS,
                bidirectional=bidirectional,
                peepholes=peepholes,
                bias=bias,
                gru_convention=gru_convention,
                nonlinearity=nonlinearity,
                dtype=dtype,
            )
        )
        input_size = stack[-1].output_size
    tokenizer = vocabulary = embedding = None
    if text:
        if word_tokens:
            tokenizer = WordTokenizer(lowercase=False)
            vocabulary = Vocabulary(["?", "Hello", "world", "🙂", ",", "don't"], unknown="?")
        else:
            tokenizer = CharTokenizer(lowercase=True)
            vocabulary = Vocabulary(CHARACTERS)
        embedding = rng.normal(size=(len(vocabulary), EMBEDDING_WIDTH)).astype(dtype)
    read_out = None
    if head:
        read_out = Head(
            rng.normal(size=(2, input_size)).astype(dtype),
            rng.normal(size=2).astype(dtype),
            activation="softmax",
            labels=["negative", "positive"] if labels else None,
        )
    return Model(
        layers=stack,
        tokenizer=tokenizer,
        vocabulary=vocabulary,
        embedding=embedding,
        head=read_out,
        name=f"test-{kind}",
        description=f"A random {kind} for tests.\nSecond line: ünïcode ✓.",
        provenance={
            "made_by": "tests/model/test_native_format.py",
            "seed": seed,
            "trained": False,
            "notes": ["random", "weights"],
            "nested": {"accuracy": None},
        },
    )


def model_input(model: Model):
    """Text for text models, a fixed float array for array-only ones."""
    if model.reads_text:
        return "Hello, world 🙂 don't ¿" if isinstance(model.tokenizer, WordTokenizer) else TEXT
    return np.random.default_rng(3).normal(size=(6, model.input_size)).astype(np.float32)


# --- files --------------------------------------------------------------------------------------


def read_arrays(path: Path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as data:
        return {name: data[name] for name in data.files}


def write_arrays(path: Path, arrays: dict[str, np.ndarray]) -> Path:
    np.savez(path, **arrays)
    return path


def metadata_of(arrays: dict[str, np.ndarray]) -> dict:
    return json.loads(arrays["__gatescope__"].tobytes().decode("utf-8"))


def with_metadata(arrays: dict[str, np.ndarray], meta: dict) -> dict[str, np.ndarray]:
    return {**arrays, "__gatescope__": np.frombuffer(json.dumps(meta).encode("utf-8"), np.uint8)}


def npy_bytes(array: np.ndarray, allow_pickle: bool = False) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=allow_pickle)
    return buffer.getvalue()


def write_members(path: Path, members: list[tuple[str, bytes]]) -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about duplicate names, which one test writes on purpose
        with zipfile.ZipFile(path, "w") as archive:
            for name, data in members:
                archive.writestr(name, data)
    return path


def members_of(arrays: dict[str, np.ndarray]) -> list[tuple[str, bytes]]:
    return [(f"{name}.npy", npy_bytes(array)) for name, array in arrays.items()]


def refusal(path: Path) -> str:
    """The GatescopeError message of loading path, with the path itself cut out; fails on any other outcome."""
    with pytest.raises(GatescopeError) as caught:
        gatescope.load_model(path)
    message = str(caught.value)
    assert str(path) in message, f"message does not name the file: {message}"
    return message.replace(str(path), "<file>")  # tmp_path holds the test's name, which may contain any word


def leftovers(folder: Path) -> list[str]:
    return sorted(name for name in os.listdir(folder) if name.endswith(".tmp") or name.startswith("."))


class SmallDisk:
    """A real file system of a few hundred KiB (a tmpfs) mounted on an empty folder, for tests of a full disk and
    of a read-only folder: the errors come from the kernel, not from a patched function. Made by the ``small_disk``
    fixture, which unmounts it after the test."""

    FILLER = "filler"

    def __init__(self, path: Path, size: int) -> None:
        self.path = path
        self.size = size

    @classmethod
    def mount(cls, path: Path, size: int = 256 * 1024) -> SmallDisk:
        """Mount a tmpfs of ``size`` bytes on ``path``, or ``pytest.skip`` saying why this machine cannot."""
        if not sys.platform.startswith("linux") or os.geteuid() != 0:
            pytest.skip("a real small file system needs Linux and root, to mount a tmpfs")
        path.mkdir(parents=True, exist_ok=True)
        result = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(path)],
            capture_output=True,
            text=True,
            timeout=30,
        )
        if result.returncode != 0:  # e.g. a container without CAP_SYS_ADMIN
            pytest.skip(f"cannot mount a tmpfs here: {result.stderr.strip() or result.returncode}")
        return cls(path, size)

    def unmount(self) -> None:
        result = subprocess.run(["umount", str(self.path)], capture_output=True, timeout=30)
        if result.returncode != 0:  # still busy (a process the test started has the folder open): detach it
            subprocess.run(["umount", "--lazy", str(self.path)], capture_output=True, timeout=30)

    def free(self) -> int:
        """Bytes an unprivileged write may still use."""
        stats = os.statvfs(self.path)
        return stats.f_bavail * stats.f_frsize

    def fill(self, leave: int = 0) -> None:
        """Take up the free space with a file named FILLER, leaving ``leave`` bytes (a multiple of 4 KiB) free."""
        with open(self.path / self.FILLER, "ab") as filler:
            try:
                filler.write(bytes(max(0, self.free() - leave)))
                filler.flush()
            except OSError as error:
                if error.errno != errno.ENOSPC:
                    raise
        assert self.free() <= leave, (self.free(), leave)

    def make_read_only(self) -> None:
        """Remount read-only: no one, root included, may create, change or delete anything on it."""
        subprocess.run(["mount", "-o", "remount,ro", str(self.path)], check=True, capture_output=True, timeout=30)


# --- comparing ----------------------------------------------------------------------------------


def assert_same_arrays(actual: np.ndarray | None, expected: np.ndarray | None, what: str) -> None:
    if expected is None:
        assert actual is None, what
        return
    assert actual is not None, what
    assert actual.dtype == expected.dtype, what
    assert actual.shape == expected.shape, what
    np.testing.assert_array_equal(actual, expected, err_msg=what)


def assert_layer_traces_identical(actual: LayerTrace, expected: LayerTrace) -> None:
    where = f"layer {expected.index}"
    assert (actual.kind, actual.units, actual.directions, actual.gru_convention) == (
        expected.kind,
        expected.units,
        expected.directions,
        expected.gru_convention,
    )
    assert list(actual.gates) == list(expected.gates)
    assert list(actual.preactivations) == list(expected.preactivations)
    for name in expected.gates:
        assert_same_arrays(actual.gates[name], expected.gates[name], f"{where} gate {name}")
        assert_same_arrays(actual.preactivations[name], expected.preactivations[name], f"{where} pre {name}")
    for name in ("h", "c", "hidden_preactivation", "h0", "c0"):
        assert_same_arrays(getattr(actual, name), getattr(expected, name), f"{where} {name}")


def assert_traces_identical(actual: Trace, expected: Trace) -> None:
    assert actual.tokens == expected.tokens
    assert actual.unknown == expected.unknown
    assert actual.spans == expected.spans
    assert actual.output_labels == expected.output_labels
    assert_same_arrays(actual.outputs, expected.outputs, "outputs")
    assert len(actual.layers) == len(expected.layers)
    for actual_layer, expected_layer in zip(actual.layers, expected.layers):
        assert_layer_traces_identical(actual_layer, expected_layer)


def assert_models_identical(actual: Model, expected: Model) -> None:
    assert len(actual.layers) == len(expected.layers)
    for k, (got, want) in enumerate(zip(actual.layers, expected.layers)):
        assert (got.kind, got.input_size, got.hidden_size, got.bidirectional, got.peepholes) == (
            want.kind,
            want.input_size,
            want.hidden_size,
            want.bidirectional,
            want.peepholes,
        )
        if want.kind == "gru":
            assert got.gru_convention == want.gru_convention
        if want.kind == "rnn":
            assert got.nonlinearity == want.nonlinearity
        assert got.options() == want.options()
        assert len(got.directions) == len(want.directions)
        for d, (got_dir, want_dir) in enumerate(zip(got.directions, want.directions)):
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "peephole"):
                assert_same_arrays(getattr(got_dir, name), getattr(want_dir, name), f"layer {k} dir {d} {name}")
    assert_same_arrays(actual.embedding, expected.embedding, "embedding")
    if expected.head is None:
        assert actual.head is None
    else:
        assert actual.head is not None
        assert_same_arrays(actual.head.weight, expected.head.weight, "head weight")
        assert_same_arrays(actual.head.bias, expected.head.bias, "head bias")
        assert actual.head.activation == expected.head.activation
        assert actual.head.labels == expected.head.labels
    if expected.vocabulary is None:
        assert actual.vocabulary is None
    else:
        assert actual.vocabulary is not None
        assert actual.vocabulary.tokens() == expected.vocabulary.tokens()
        assert actual.vocabulary.unknown == expected.vocabulary.unknown
    if expected.tokenizer is None:
        assert actual.tokenizer is None
    else:
        assert actual.tokenizer is not None
        assert type(actual.tokenizer) is type(expected.tokenizer)
        assert actual.tokenizer.to_dict() == expected.tokenizer.to_dict()
    assert actual.name == expected.name
    assert actual.description == expected.description
    assert actual.provenance == expected.provenance
    assert actual.parameter_count() == expected.parameter_count()
