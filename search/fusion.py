"""Fusion of ranked lists: reciprocal rank, and weighted sums of normalised scores.

Pure functions over {key: score} mappings. Normalising and combining are separate steps, and
every zero denominator is guarded: a list whose scores are all equal normalises to 1 (min-max)
or 0 (z-score).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from typing import TypeVar

from search.errors import SearchError

K = TypeVar("K", bound=Hashable)
METHODS = ("rrf", "weighted")
NORMALISATIONS = ("minmax", "zscore")


def reciprocal_rank(rankings: Sequence[Sequence[K]], k: float = 60.0) -> dict[K, float]:
    """sum over lists of 1 / (k + rank), ranks counted from 1; absent from a list adds nothing."""
    fused: dict[K, float] = {}
    for ranking in rankings:
        for rank, key in enumerate(ranking, start=1):
            fused[key] = fused.get(key, 0.0) + 1.0 / (k + rank)
    return fused


def normalise(scores: Mapping[K, float], method: str = "minmax") -> dict[K, float]:
    if not scores:
        return {}
    values = list(scores.values())
    if method == "minmax":
        low, high = min(values), max(values)
        span = high - low
        return {key: (score - low) / span if span > 0 else 1.0 for key, score in scores.items()}
    if method == "zscore":
        mean = sum(values) / len(values)
        deviation = math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))
        return {key: (score - mean) / deviation if deviation > 0 else 0.0 for key, score in scores.items()}
    raise SearchError(f"unknown normalisation {method!r}; use one of {', '.join(NORMALISATIONS)}")


def weighted_sum(lists: Sequence[Mapping[K, float]], weights: Sequence[float]) -> dict[K, float]:
    """sum of weight * score; a key absent from a list counts that list's lowest score."""
    keys = {key for scores in lists for key in scores}
    fused = dict.fromkeys(keys, 0.0)
    for scores, weight in zip(lists, weights, strict=True):
        floor = min(scores.values(), default=0.0)
        for key in keys:
            fused[key] += weight * scores.get(key, floor)
    return fused


def ranked(scores: Mapping[K, float]) -> list[tuple[K, float]]:
    """(key, score) best first; equal scores in key order, so the order never depends on chance."""
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))
