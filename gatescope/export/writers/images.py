"""Still images: a folder of PNG or SVG frames, and one PNG image (a screenshot)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image

from gatescope.atomic import (
    remove_quietly,
    set_aside_name,
    sync_folder_quietly,
    sync_path,
    synced,
    temporary_folder,
)
from gatescope.errors import GatescopeError
from gatescope.export.writers.base import BackgroundEncoder, FileWriter, FrameWriter, encoding_error

#: zlib level for PNG frames: about 1.5 times as fast as Pillow's default 6 on diagrams; files about twice as big.
PNG_COMPRESS_LEVEL = 1
SEQUENCE_WORKERS = 2  # threads encoding the frames of a PNG or SVG sequence


class PngImageWriter(FileWriter):
    """One PNG image (a screenshot): its single frame goes to a temporary file that is renamed into place."""

    def __init__(self, out: Path, *, size: tuple[int, int], force: bool = False) -> None:
        super().__init__(out, fps=1.0, size=size, force=force)
        self._state = "open"

    def _write(self, frame: np.ndarray) -> None:
        if self._frames:
            raise GatescopeError(f"{self.out}: a PNG image holds one frame")
        with synced(self._temporary) as handle:
            Image.fromarray(frame).save(handle, format="PNG")

    def _finish(self) -> None:
        pass

    def _discard(self) -> None:
        self._remove_temporary()


class PngSequenceWriter(FrameWriter):
    """A folder of ``frame_00001.png``, ``frame_00002.png``, ... built beside ``out`` and renamed into place."""

    makes_folder = True
    suffix = ".png"

    def __init__(self, out: Path, *, fps: float, size: tuple[int, int], force: bool = False) -> None:
        super().__init__(out, fps=fps, size=size, force=force)
        if self.force and self.out.is_dir() and not self.out.is_symlink():
            strangers = [entry.name for entry in os.scandir(self.out) if not _is_frame_name(entry.name, self.suffix)]
            if strangers:
                raise GatescopeError(
                    f"{self.out}: holds other files than frame_*{self.suffix} (e.g. "
                    f"{strangers[0]!r}); not replaced: choose a new or empty folder"
                )
        try:
            self._temporary = temporary_folder(self.folder, self.out)
        except OSError as error:
            raise self._temporary_name_error(error) from None
        self._names: list[str] = []
        # Frames are independent files: two workers encode alternate frames (zlib runs without the GIL), so a
        # detailed 1280x720 frame (about 30 ms to compress) does not hold up the frames being rendered.
        self._encoders = [
            BackgroundEncoder(self._encode, name=f"gatescope-{self.suffix[1:]}-writer-{k}")
            for k in range(SEQUENCE_WORKERS)
        ]
        self._state = "open"

    def _write(self, frame: np.ndarray) -> None:
        number = len(self._names) + 1
        self._encoders[number % len(self._encoders)].submit((number, self._payload(frame)))
        self._names.append(frame_name(number, self.suffix))

    def _payload(self, frame: np.ndarray):
        return frame.copy()

    def _encode(self, item: tuple[int, np.ndarray]) -> None:
        number, frame = item
        try:
            with synced(self._temporary / frame_name(number, self.suffix)) as handle:
                Image.fromarray(frame).save(handle, "PNG", compress_level=PNG_COMPRESS_LEVEL)
        except Exception as error:
            raise encoding_error(self.out, number, error) from error

    def _finish(self) -> None:
        for encoder in self._encoders:
            encoder.finish()  # each frame was synced to the disk by its encoder
        sync_path(self._temporary)
        os.chmod(self._temporary, self._final_mode(0o777))

    def _place(self) -> list[Path]:
        out = self.out
        if os.path.lexists(out):
            old = set_aside_name(self.folder, out)
            os.rename(out, old)
            try:
                os.rename(self._temporary, out)
            except OSError:
                os.rename(old, out)
                raise
            remove_quietly(old)
        else:
            os.rename(self._temporary, out)
        sync_folder_quietly(self.folder)
        return [out / name for name in self._names]

    def _discard(self) -> None:
        for encoder in self._encoders:
            encoder.cancel()
        remove_quietly(self._temporary)


class SvgSequenceWriter(PngSequenceWriter):
    """A folder of ``frame_00001.svg``, ...: each frame is a finished SVG document (bytes), e.g. from Qt's
    QSvgGenerator; written in order by the same worker, placed atomically like the PNG sequence."""

    suffix = ".svg"

    def _checked_frame(self, frame) -> bytes:
        if not isinstance(frame, (bytes, bytearray)) or not frame.lstrip().startswith((b"<?xml", b"<svg")):
            raise GatescopeError(
                f"{self.out}: frame {self._frames + 1} must be an SVG document (bytes starting "
                f"with <?xml or <svg), not {type(frame).__name__}"
            )
        return bytes(frame)

    def _payload(self, frame: bytes) -> bytes:
        return frame

    def _encode(self, item: tuple[int, bytes]) -> None:
        number, frame = item
        try:
            with synced(self._temporary / frame_name(number, self.suffix)) as handle:
                handle.write(frame)
        except OSError as error:
            raise encoding_error(self.out, number, error) from error


def frame_name(number: int, suffix: str = ".png") -> str:
    """File name of frame ``number`` (1-based) in a sequence: frame_00001.png, ... (or .svg)."""
    return f"frame_{number:05d}{suffix}"


def _is_frame_name(name: str, suffix: str = ".png") -> bool:
    return name.startswith("frame_") and name.endswith(suffix) and name[6 : -len(suffix)].isdigit()
