"""Reading a Keras HDF5 weights file without trusting it: hard links only, no external or virtual datasets, every
dataset's size checked against the read budget before a byte of it is read, attributes bounded.

A link that leaves the file (external link), points elsewhere inside it (soft link) or a dataset whose data lives in
other files (external storage, virtual datasets) would make h5py read what the user never chose to open; Keras itself
refuses them too (``keras.src.saving.saving_lib.safe_get_h5_dataset``). Paths are walked one component at a time so
that no intermediate link is followed unchecked.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from gatescope.errors import GatescopeError
from gatescope.model.formats.budget import ReadBudget, array_bytes, size_text

#: The eight bytes every HDF5 file starts with (at offset 0 when it has no user block, as Keras writes it).
from gatescope.model.formats.keras_signs import HDF5_SIGNATURE

#: Bytes of one text attribute (a model's JSON config) read at most.
MAX_TEXT_BYTES = 50_000_000
#: Entries of a list attribute (``layer_names``, ``weight_names``) or members of a group listed at most.
MAX_NAMES = 100_000
#: Dataset element types gatescope converts to float: IEEE floats, and bfloat16 as Keras stores it (uint16 bits).
_FLOAT_KINDS = "f"

#: What h5py, libhdf5 and the file-like layer raise on a damaged or truncated file.
H5_ERRORS = (OSError, KeyError, ValueError, RuntimeError, TypeError, IndexError)


def has_hdf5_signature(head: bytes) -> bool:
    """True when ``head`` (a file's first bytes) starts with the HDF5 signature."""
    return head.startswith(HDF5_SIGNATURE)


class SafeH5:
    """One HDF5 file opened read-only; messages start with ``where`` (the model file, and the member for a zip)."""

    def __init__(self, source: Path | bytes, where: str, budget: ReadBudget) -> None:
        self.where = where
        self.budget = budget
        self._stream = io.BytesIO(source) if isinstance(source, bytes) else None
        try:
            self.file = h5py.File(self._stream if self._stream is not None else source, "r")
        except H5_ERRORS as error:
            raise GatescopeError(
                f"{where}: not a readable HDF5 file ({_reason(error)}); it is damaged or truncated: save it again"
            ) from None

    def close(self) -> None:
        try:
            self.file.close()
        finally:
            if self._stream is not None:
                self._stream.close()

    def __enter__(self) -> SafeH5:
        return self

    def __exit__(self, *exception: object) -> None:
        self.close()

    @property
    def root(self) -> h5py.Group:
        return self.file

    # ---- links, groups and datasets

    def child(self, parent: h5py.Group, name: str) -> h5py.Group | h5py.Dataset | None:
        """The object at relative path ``name`` below ``parent`` (None when absent), every link on the way checked."""
        node: h5py.Group | h5py.Dataset = parent
        for part in (part for part in name.split("/") if part):
            if not isinstance(node, h5py.Group):
                return None
            node = self._hard_child(node, part)
            if node is None:
                return None
        return node

    def group(self, parent: h5py.Group, name: str) -> h5py.Group | None:
        """The group at ``name`` below ``parent``, None when absent; an error when it is something else."""
        node = self.child(parent, name)
        if node is not None and not isinstance(node, h5py.Group):
            raise GatescopeError(f"{self.where}: {_path(parent, name)} is a dataset where a group was expected")
        return node

    def _hard_child(self, group: h5py.Group, name: str) -> h5py.Group | h5py.Dataset | None:
        try:
            link = group.get(name, getlink=True)
            if link is None:
                return None
            if not isinstance(link, h5py.HardLink):
                kind = type(link).__name__
                target = _link_target(link)
                raise GatescopeError(
                    f"{self.where}: {_path(group, name)} is an HDF5 {kind}{target}; gatescope follows no links in a "
                    f"model file (it must hold its own data): save the model again with Keras"
                )
            node = group[name]
        except GatescopeError:
            raise
        except H5_ERRORS as error:
            raise GatescopeError(
                f"{self.where}: cannot read {_path(group, name)} ({_reason(error)}); damaged"
            ) from None
        if not isinstance(node, (h5py.Group, h5py.Dataset)):
            raise GatescopeError(f"{self.where}: {_path(group, name)} is a {type(node).__name__}, not data")
        return node

    def members(self, group: h5py.Group) -> list[str]:
        """Names of a group's members (at most MAX_NAMES), in the file's order."""
        try:
            count = len(group)
            if count > MAX_NAMES:
                raise GatescopeError(f"{self.where}: {group.name} has {count:,} members; refused as damaged")
            return list(group.keys())
        except H5_ERRORS as error:
            raise GatescopeError(f"{self.where}: cannot list {group.name} ({_reason(error)}); damaged") from None

    def array(self, parent: h5py.Group, name: str, dtype: np.dtype[Any]) -> np.ndarray:
        """The float dataset at ``name`` below ``parent`` as ``dtype``; storage and size checked before reading."""
        node = self.child(parent, name)
        where = _path(parent, name)
        if node is None:
            raise GatescopeError(f"{self.where}: weight {where} is missing")
        if not isinstance(node, h5py.Dataset):
            raise GatescopeError(f"{self.where}: {where} is a group where a weight array was expected")
        try:
            raw = self._read_dataset(node, where)
        except GatescopeError:
            raise
        except H5_ERRORS as error:
            raise GatescopeError(f"{self.where}: cannot read weight {where} ({_reason(error)}); damaged") from None
        return raw.astype(dtype, copy=False) if raw.dtype == dtype else raw.astype(dtype)

    def _read_dataset(self, dataset: h5py.Dataset, where: str) -> np.ndarray:
        if dataset.external:
            raise GatescopeError(
                f"{self.where}: weight {where} keeps its data in external file(s) "
                f"{', '.join(str(entry[0]) for entry in dataset.external)}; refused: a model file must hold its own "
                f"data"
            )
        if dataset.is_virtual:
            raise GatescopeError(
                f"{self.where}: weight {where} is a virtual dataset (its data comes from other datasets or files); "
                f"refused: a model file must hold its own data"
            )
        stored = dataset.dtype
        bfloat16 = stored == np.uint16 and _text_attr_value(dataset.attrs.get("dtype")) == "bfloat16"
        if stored.kind not in _FLOAT_KINDS and not bfloat16:
            raise GatescopeError(f"{self.where}: weight {where} holds {stored}; weights must be floating point")
        shape = tuple(int(side) for side in dataset.shape or ())
        nbytes = array_bytes(shape, stored)
        self.budget.check_array(where, nbytes)
        self.budget.reserve({where: nbytes})
        data = np.empty(shape, dtype=stored)
        if data.size:
            dataset.read_direct(data)
        if bfloat16:
            return (data.astype(np.uint32) << 16).view(np.float32)
        return data

    # ---- attributes

    def text_attr(self, node: h5py.Group, name: str) -> str | None:
        """A text attribute (JSON config, version), None when absent; bounded in size."""
        value = self._attr(node, name, elements=1)
        if value is None:
            return None
        text = _text_attr_value(value)
        if text is None:
            raise GatescopeError(f"{self.where}: attribute {name!r} of {node.name} is not text")
        if len(text) > MAX_TEXT_BYTES:
            raise GatescopeError(
                f"{self.where}: attribute {name!r} holds {size_text(len(text))} of text, more than the "
                f"{size_text(MAX_TEXT_BYTES)} gatescope reads; refused as damaged"
            )
        return text

    def names_attr(self, node: h5py.Group, name: str) -> list[str] | None:
        """A list-of-names attribute (``layer_names``, ``weight_names``), joined from the chunks ``name0``,
        ``name1``, ... that Keras writes when the list is long; None when absent."""
        value = self._attr(node, name, MAX_NAMES)
        if value is None:
            chunks = []
            for index in range(MAX_NAMES):
                chunk = self._attr(node, f"{name}{index}", MAX_NAMES)
                if chunk is None:
                    break
                chunks.append(chunk)
            if not chunks:
                return None
            value = np.concatenate([np.atleast_1d(np.asarray(chunk)) for chunk in chunks])
        names = []
        for entry in np.atleast_1d(np.asarray(value)).ravel().tolist():
            text = _text_attr_value(entry)
            if text is None:
                raise GatescopeError(f"{self.where}: attribute {name!r} of {node.name} must list names, not {entry!r}")
            names.append(text)
        if len(names) > MAX_NAMES:
            raise GatescopeError(f"{self.where}: attribute {name!r} lists {len(names):,} names; refused as damaged")
        return names

    def _attr(self, node: h5py.Group | h5py.Dataset, name: str, elements: int) -> Any:
        try:
            if name not in node.attrs:
                return None
            shape = node.attrs.get_id(name).shape or ()
            count = int(np.prod(shape, dtype=object)) if shape else 1
            if count > elements:
                raise GatescopeError(
                    f"{self.where}: attribute {name!r} of {node.name} has {count:,} entries; refused as damaged"
                )
            return node.attrs[name]
        except GatescopeError:
            raise
        except H5_ERRORS as error:
            raise GatescopeError(
                f"{self.where}: cannot read attribute {name!r} of {node.name} ({_reason(error)}); damaged"
            ) from None


def walk_groups(safe: SafeH5, group: h5py.Group) -> Iterator[tuple[str, h5py.Group]]:
    """(name, group) for each member of ``group`` that is a group, links checked."""
    for name in safe.members(group):
        node = safe.child(group, name)
        if isinstance(node, h5py.Group):
            yield name, node


def _text_attr_value(value: object) -> str | None:
    """An attribute value as text (h5py gives str, bytes or a 0-d array of either), None when it is not text."""
    if isinstance(value, np.ndarray) and value.shape == ():
        value = value.item()
    if isinstance(value, np.bytes_ | bytes):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            return None
    if isinstance(value, str):
        return str(value)
    return None


def _link_target(link: object) -> str:
    """`` to <file>:<path>`` of an external link, `` to <path>`` of a soft link."""
    if isinstance(link, h5py.ExternalLink):
        return f" to {link.filename}:{link.path}"
    if isinstance(link, h5py.SoftLink):
        return f" to {link.path}"
    return ""


def _path(parent: h5py.Group, name: str) -> str:
    base = parent.name if parent.name not in (None, "/") else ""
    return f"{base}/{name.strip('/')}"


def _reason(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
