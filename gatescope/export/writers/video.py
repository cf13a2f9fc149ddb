"""Moving pictures: an animated GIF (Pillow) and an H.264 MP4 (the ffmpeg that imageio-ffmpeg ships)."""

from __future__ import annotations

import os
import struct
import subprocess
import tempfile
from fractions import Fraction
from pathlib import Path
from typing import IO

import numpy as np
from PIL import GifImagePlugin, Image

from gatescope.errors import GatescopeError
from gatescope.export.writers.base import BackgroundEncoder, FileWriter, encoding_error

#: x264 settings: fast enough for more than 25 frames/s at 1280x720 on two cores, visually lossless on diagrams.
MP4_PRESET = "veryfast"
MP4_CRF = 20


class GifWriter(FileWriter):
    """An animated GIF that loops forever, written frame by frame (a local palette per frame)."""

    def __init__(self, out: Path, *, fps: float, size: tuple[int, int], force: bool = False) -> None:
        super().__init__(out, fps=fps, size=size, force=force)
        self._encoded = 0
        try:
            self._file: IO[bytes] = open(self._temporary, "wb")  # closed by _finish or _discard
            self._file.write(_gif_header(self.width, self.height))
        except OSError as error:
            self._remove_temporary()
            raise self._temporary_name_error(error) from None
        self._encoder = BackgroundEncoder(self._encode, name="gatescope-gif-writer")
        self._state = "open"

    def _write(self, frame: np.ndarray) -> None:
        self._encoder.submit(frame.copy())

    def _encode(self, frame: np.ndarray) -> None:
        index = self._encoded
        # Delays in hundredths of a second, rounded on the running total so that they do not drift from fps.
        delay = max(2, round((index + 1) * 100 / self.fps) - round(index * 100 / self.fps))
        try:
            self._file.writelines(
                GifImagePlugin.getdata(_quantized(frame), duration=delay * 10, include_color_table=True)
            )
        except Exception as error:
            raise encoding_error(self.out, index + 1, error) from error
        self._encoded += 1

    def _finish(self) -> None:
        self._encoder.finish()
        self._file.write(b";")  # GIF trailer
        self._file.close()

    def _discard(self) -> None:
        self._encoder.cancel()
        try:
            self._file.close()
        except OSError:  # its buffered bytes cannot be flushed (a full disk): the file is closed and removed anyway
            pass
        self._remove_temporary()


def _quantized(frame: np.ndarray) -> Image.Image:
    """``frame`` as a palette image of at most 256 colours, undithered: exact when it has that few colours."""
    image = Image.fromarray(frame)
    colours = image.getcolors(256)
    if colours is not None:
        palette = Image.new("P", (1, 1))
        palette.putpalette(b"".join(bytes(colour) for _, colour in colours))
        return image.quantize(palette=palette, dither=Image.Dither.NONE)
    return image.quantize(256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)


def _gif_header(width: int, height: int) -> bytes:
    """GIF89a header without a global colour table, then the NETSCAPE2.0 extension: loop forever."""
    screen = struct.pack("<HHBBB", width, height, 0x70, 0, 0)  # 8-bit colour resolution, no global table
    loop = b"!\xff\x0bNETSCAPE2.0\x03\x01" + struct.pack("<H", 0) + b"\x00"
    return b"GIF89a" + screen + loop


class Mp4Writer(FileWriter):
    """An H.264 MP4 (yuv420p, BT.709, fast start) encoded by ffmpeg from frames piped in as raw RGB."""

    def __init__(self, out: Path, *, fps: float, size: tuple[int, int], force: bool = False) -> None:
        super().__init__(out, fps=fps, size=size, force=force)
        #: The encoded size: the requested one rounded up to even numbers (yuv420p needs even sides).
        self.encoded_size = (self.width + self.width % 2, self.height + self.height % 2)
        self._log = tempfile.TemporaryFile()
        # ffmpeg runs in a process group of its own: the terminal's Ctrl-C or hang-up reaches gatescope alone, which
        # stops at a safe point and kills ffmpeg itself (_discard). Should gatescope die outright, ffmpeg reads the
        # end of its input, ends, and its temporary file is a leftover the next export removes.
        own_group = {"process_group": 0} if os.name == "posix" else {}
        try:
            self._process = subprocess.Popen(
                self._command(), stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=self._log, **own_group
            )
        except (OSError, RuntimeError) as error:
            self._log.close()
            self._remove_temporary()
            raise GatescopeError(f"{self.out}: cannot start ffmpeg ({error})") from None
        self._state = "open"

    def _command(self) -> list[str]:
        import imageio_ffmpeg

        width, height = self.encoded_size
        rate = Fraction(self.fps).limit_denominator(100_000)
        bt709 = ["-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709", "-color_range", "tv"]
        return [
            imageio_ffmpeg.get_ffmpeg_exe(),
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgb24",
            "-s",
            f"{width}x{height}",
            "-r",
            str(rate),
            "-i",
            "pipe:0",
            "-an",
            "-vf",
            "scale=out_color_matrix=bt709:out_range=tv",
            "-c:v",
            "libx264",
            "-preset",
            MP4_PRESET,
            "-crf",
            str(MP4_CRF),
            "-pix_fmt",
            "yuv420p",
            *bt709,
            "-movflags",
            "+faststart",
            "-f",
            "mp4",
            str(self._temporary),
        ]

    def _write(self, frame: np.ndarray) -> None:
        if self.encoded_size != (self.width, self.height):
            frame = np.pad(frame, ((0, self.height % 2), (0, self.width % 2), (0, 0)), mode="edge")
        assert self._process.stdin is not None
        try:
            self._process.stdin.write(np.ascontiguousarray(frame).data)
        except OSError:
            raise self._ffmpeg_error(f"stopped while receiving frame {self._frames + 1}") from None

    def _finish(self) -> None:
        assert self._process.stdin is not None
        try:
            self._process.stdin.close()
        except OSError:
            pass
        if self._process.wait() != 0:
            raise self._ffmpeg_error(f"failed with exit code {self._process.returncode}")
        self._log.close()

    def _ffmpeg_error(self, what: str) -> GatescopeError:
        try:
            self._log.seek(0)
            log = self._log.read(4000).decode("utf-8", "replace").strip()
        except (OSError, ValueError):
            log = ""
        detail = f": {log.splitlines()[-1]}" if log else ""
        return GatescopeError(f"{self.out}: ffmpeg {what}{detail}")

    def _discard(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait()
        for stream in (self._process.stdin, self._log):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass
        self._remove_temporary()
