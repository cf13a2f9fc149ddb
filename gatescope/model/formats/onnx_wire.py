"""A cheap look at protobuf wire bytes: does a file have the shape of an ONNX ModelProto with a graph of nodes?

Walks the top-level fields (tags and lengths only, payloads skipped with a seek) and the graph's fields the same way;
nothing is decoded or allocated beyond a few bytes, so sniffing a large file costs milliseconds and never raises.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO

_VARINT, _LENGTH = 0, 2
#: ModelProto's fields (onnx.proto) and their wire types: ir_version and model_version are varints, the rest messages
#: or strings.
MODEL_FIELDS = {1: _VARINT, 2: _LENGTH, 3: _LENGTH, 4: _LENGTH, 5: _VARINT, 6: _LENGTH, 7: _LENGTH, 8: _LENGTH}
MODEL_FIELDS.update({14: _LENGTH, 20: _LENGTH, 25: _LENGTH, 26: _LENGTH})
#: GraphProto's fields: all messages or strings (node = 1).
GRAPH_FIELDS = {number: _LENGTH for number in (1, 2, 5, 10, 11, 12, 13, 14, 15, 16)}
#: Fields looked at, at most, per message (a graph of 100,000 nodes is read in well under a second).
MAX_FIELDS = 200_000


def looks_like_onnx(path: Path) -> bool:
    """True when the file's bytes are a ModelProto with an ir_version and a graph that has at least one node."""
    try:
        with path.open("rb") as stream:
            size = os.fstat(stream.fileno()).st_size
            graph, seen = _walk(stream, 0, size, MODEL_FIELDS, wanted=7)
            if graph is None or 1 not in seen:  # no graph, or no ir_version
                return False
            node, _ = _walk(stream, graph[0], graph[0] + graph[1], GRAPH_FIELDS, wanted=1)
            return node is not None
    except (OSError, ValueError):
        return False


def _walk(
    stream: IO[bytes], start: int, end: int, fields: dict[int, int], wanted: int
) -> tuple[tuple[int, int] | None, set[int]]:
    """Walk the fields between ``start`` and ``end``: (offset, length) of the first ``wanted`` field (None when a
    field is unknown, has the wrong wire type or overruns ``end``, or ``wanted`` never comes) and the field numbers
    seen."""
    stream.seek(start)
    position: int = start
    found: tuple[int, int] | None = None
    seen: set[int] = set()
    for _ in range(MAX_FIELDS):
        if position == end:
            return found, seen
        tag, position = _varint(stream, position, end)
        number, wire_type = tag >> 3, tag & 7
        if fields.get(number) != wire_type:
            return None, seen
        seen.add(number)
        value, position = _varint(stream, position, end)
        if wire_type == _LENGTH:
            if position + value > end:
                return None, seen
            if number == wanted and found is None:
                found = (position, value)
            position += value
            stream.seek(position)
    return None, seen


def _varint(stream: IO[bytes], position: int, end: int) -> tuple[int, int]:
    """A base-128 varint at ``position`` (at most 10 bytes, within ``end``) and the position after it."""
    value = 0
    for shift in range(0, 70, 7):
        if position >= end:
            raise ValueError("varint overruns its message")
        byte = stream.read(1)
        if not byte:
            raise ValueError("end of file inside a varint")
        position += 1
        value |= (byte[0] & 0x7F) << shift
        if byte[0] < 0x80:
            return value, position
    raise ValueError("varint longer than 10 bytes")
