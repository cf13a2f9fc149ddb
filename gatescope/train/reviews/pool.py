"""Weighted random choice over a fixed list, the way the review generator draws every word and form."""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Mapping, Sequence
from typing import Any


class Pool:
    """Items with weights, one pick per random number: O(log n) by bisection over the running totals."""

    __slots__ = ("cumulative", "items")

    def __init__(self, items: Sequence, weights: Sequence[float] | None = None) -> None:
        self.items = list(items)
        weights = [1.0] * len(self.items) if weights is None else list(weights)
        if len(weights) != len(self.items):
            raise ValueError(f"{len(self.items)} items but {len(weights)} weights")
        self.cumulative = list(itertools.accumulate(weights))

    @classmethod
    def of(cls, weighted: Mapping) -> Pool:
        """A pool from {item: weight}, so that each weight stands next to its item."""
        return cls(list(weighted), list(weighted.values()))

    def __bool__(self) -> bool:
        return bool(self.items)

    def pick(self, rng: random.Random) -> Any:
        point = rng.random() * self.cumulative[-1]
        return self.items[min(bisect.bisect_right(self.cumulative, point), len(self.items) - 1)]
