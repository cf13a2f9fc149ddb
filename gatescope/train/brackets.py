"""Strings of nested brackets and letters, labelled with the nesting depth after every character."""

from __future__ import annotations

import hashlib
import string
from dataclasses import dataclass

import numpy as np

MAX_DEPTH = 6
LABELS = [f"depth {d}" for d in range(MAX_DEPTH + 1)]
LETTERS = string.ascii_lowercase
ALPHABET = ["(", ")", " ", *LETTERS]


@dataclass(frozen=True)
class BracketString:
    """A string and the nesting depth after each of its characters."""

    text: str
    depths: tuple[int, ...]


def depths_of(text: str) -> tuple[int, ...]:
    """Depth after each character: +1 at "(", -1 at ")" (never below 0)."""
    depth, out = 0, []
    for character in text:
        if character == "(":
            depth += 1
        elif character == ")":
            depth = max(0, depth - 1)
        out.append(depth)
    return tuple(out)


def generate_brackets(n: int, seed: int, min_length: int = 8, max_length: int = 60) -> list[BracketString]:
    """Random well-nested strings (depth 0..MAX_DEPTH) with runs of letters and spaces between brackets."""
    rng = np.random.default_rng(seed)
    strings = []
    for _ in range(n):
        length = int(rng.integers(min_length, max_length + 1))
        depth, characters = 0, []
        target_depth = int(rng.integers(1, MAX_DEPTH + 1))
        for _ in range(length):
            roll = rng.random()
            if roll < 0.25 and depth < min(target_depth, MAX_DEPTH):
                characters.append("(")
                depth += 1
            elif roll < 0.5 and depth > 0:
                characters.append(")")
                depth -= 1
            elif roll < 0.6:
                characters.append(" ")
            else:
                characters.append(LETTERS[int(rng.integers(len(LETTERS)))])
        text = "".join(characters)
        strings.append(BracketString(text, depths_of(text)))
    return strings


def bracket_hash(strings: list[BracketString]) -> str:
    """sha256 of the texts, for provenance."""
    digest = hashlib.sha256()
    for item in strings:
        digest.update(item.text.encode("utf-8") + b"\n")
    return digest.hexdigest()
