"""PyTorch files as ``torch.save`` writes them since torch 1.6 (``.pt``, ``.pth``, ``.bin``): a zip holding
``<folder>/data.pkl`` (the pickled object), ``<folder>/data/<key>`` (raw tensor storages) and ``<folder>/byteorder``.

Read without torch and without running anything from the file (:mod:`torch_pickle`): a state_dict, or a training
checkpoint that keeps one under a key (:mod:`torch_checkpoint`). Only the tensors the model needs are read, each
after its declared size passed the file's read budget. TorchScript archives (``torch.jit.save``) and the format of
torch before 1.6 are recognised and refused with what to do instead.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from pathlib import Path

import numpy as np
import numpy.typing as npt

from gatescope.errors import GatescopeError
from gatescope.model.formats.budget import ReadBudget, size_text
from gatescope.model.formats.npzfile import check_readable
from gatescope.model.formats.state_dict_model import ModelSource, model_from_state_dict, naming_file
from gatescope.model.formats.torch_checkpoint import find_state_dict
from gatescope.model.formats.torch_pickle import MAX_PICKLE_BYTES, LazyTensor, unpickle
from gatescope.model.model import Model

#: What ``torch.save`` wrote first before torch 1.6: a protocol-2 pickle of the magic number 0x1950a86a20f9469cfc6c.
LEGACY_MAGIC = b"\x80\x02\x8a\nl\xfc\x9cF\xf9 j\xa8P\x19."
FORMAT_NAME = "PyTorch state_dict (.pt)"
_EXPORT = 'or export safetensors: safetensors.torch.save_file(model.state_dict(), "model.safetensors")'


def sniff(path: Path) -> bool:
    """True for a zip whose first member or directory holds ``data.pkl`` (also when the zip is truncated), and for
    a file in torch's format from before 1.6 (so that loading it can say what to do)."""
    try:
        with path.open("rb") as stream:
            head = stream.read(512)
        if head.startswith(LEGACY_MAGIC):
            return True
        if not head.startswith(b"PK\x03\x04"):
            return False
        if _first_member_name(head).endswith("data.pkl"):
            return True
        with zipfile.ZipFile(path) as archive:
            return any(name.endswith("data.pkl") for name in archive.namelist())
    except (OSError, zipfile.BadZipFile, EOFError, ValueError, struct.error):
        return False


def _first_member_name(head: bytes) -> str:
    """The name in the zip's first local header (torch writes data.pkl first)."""
    if len(head) < 30:
        return ""
    length = struct.unpack_from("<H", head, 26)[0]
    return head[30 : 30 + length].decode("utf-8", "replace")


def load(path: Path, dtype: npt.DTypeLike = np.float32) -> Model:
    """The model in a ``torch.save`` file: its state_dict's architecture inferred from names and shapes."""
    with naming_file(path):
        check_readable(path)
        with path.open("rb") as stream:
            if stream.read(len(LEGACY_MAGIC)) == LEGACY_MAGIC:
                raise GatescopeError(
                    "a PyTorch file in the format of torch before 1.6, which gatescope does not read. Load it with "
                    'torch and save it again: torch.save(torch.load("old.pt", weights_only=True), "model.pt") '
                    f"(a current torch writes the zip format), {_EXPORT}"
                )
        try:
            archive = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, EOFError, OSError, ValueError) as error:
            raise GatescopeError(
                f"damaged or truncated PyTorch file (its zip directory is unreadable: {error}); save or download "
                f"it again"
            ) from None
        with archive:
            return _TorchArchive(path, archive).model(dtype)


class _TorchArchive:
    """One open torch zip: its members listed from the directory, read only when needed, within the budget."""

    def __init__(self, path: Path, archive: zipfile.ZipFile) -> None:
        self.path = path
        self.archive = archive
        self.budget = ReadBudget(path)
        self.tensor_budget = ReadBudget(path)
        self.folder = self._folder()
        self.members = {info.filename: info for info in archive.infolist()}
        self._refuse_torchscript()
        self.byteorder = self._byteorder()

    def _folder(self) -> str:
        pickles = [name for name in self.archive.namelist() if name.endswith("data.pkl")]
        top = [name for name in pickles if name.count("/") <= 1]
        if len(top) != 1:
            raise GatescopeError(
                f"not a file torch.save writes: expected one <folder>/data.pkl, found {len(top)} "
                f"({', '.join(top) or 'none'})"
            )
        return top[0][: -len("data.pkl")]

    def _refuse_torchscript(self) -> None:
        if any(name.startswith(self.folder + "code/") for name in self.members) or (
            self.folder + "constants.pkl" in self.members
        ):
            raise GatescopeError(
                "a TorchScript archive (torch.jit.save), which holds code; gatescope reads state_dicts. Save the "
                f'weights with torch.save(torch.jit.load("model.pt").state_dict(), "weights.pt"), {_EXPORT}'
            )

    def _byteorder(self) -> str:
        info = self.members.get(self.folder + "byteorder")
        if info is None:
            return "little"  # files of torch before 1.10 have no byteorder record; they were little-endian
        order = self._read(info, limit=16).decode("ascii", "replace").strip()
        if order not in ("little", "big"):
            raise GatescopeError(f"its byteorder record says {order!r}; expected 'little' or 'big'")
        return order

    def _read(self, info: zipfile.ZipInfo, limit: int | None = None) -> bytes:
        """A member's bytes: refused before reading when it declares more than ``limit`` or the budget allows."""
        if limit is not None and info.file_size > limit:
            raise GatescopeError(
                f"member {info.filename} declares {size_text(info.file_size)}, more than the {size_text(limit)} "
                f"gatescope reads for it; refused as damaged or hostile before reading it"
            )
        self.budget.reserve({info.filename: info.file_size})
        try:
            with self.archive.open(info) as member:
                data = member.read(info.file_size + 1)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError) as error:
            raise GatescopeError(f"damaged or truncated PyTorch file ({info.filename}: {error})") from None
        if len(data) != info.file_size:
            raise GatescopeError(
                f"damaged PyTorch file: {info.filename} holds {len(data):,} bytes, not the {info.file_size:,} its "
                f"zip entry declares"
            )
        return data

    def _storage_size(self, key: str) -> int | None:
        info = self.members.get(f"{self.folder}data/{key}")
        return None if info is None else info.file_size

    def model(self, dtype: npt.DTypeLike) -> Model:
        data = self._read(self.members[self.folder + "data.pkl"], limit=MAX_PICKLE_BYTES)
        found = find_state_dict(unpickle(data, self._storage_size))
        tensors = found.tensors
        locator: dict[str, object] = {"checkpoint_key": found.checkpoint_key}
        source = ModelSource(self.path, FORMAT_NAME, "pytorch", locator, found.vocabulary, found.labels)
        shapes = {name: tensor.shape for name, tensor in tensors.items()}
        return model_from_state_dict(shapes, lambda names: self._arrays({n: tensors[n] for n in names}), source, dtype)

    def _arrays(self, tensors: dict[str, LazyTensor]) -> dict[str, np.ndarray]:
        """The tensors' values: their sizes charged to the budget first, each storage read once."""
        self.tensor_budget.reserve({name: tensor.nbytes for name, tensor in tensors.items()})
        for name, tensor in tensors.items():
            self.tensor_budget.check_array(name, tensor.nbytes)
        storages: dict[str, bytes] = {}
        arrays = {}
        for name, tensor in tensors.items():
            key = tensor.storage.key
            if key not in storages:
                storages[key] = self._read(self.members[f"{self.folder}data/{key}"])
            arrays[name] = tensor.read(storages[key], self.byteorder)
        return arrays
