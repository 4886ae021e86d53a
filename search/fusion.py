"""Fusion of ranked lists: reciprocal rank, and weighted sums of normalised scores.

See docs/design.md#fusion.
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


def blend(fused: Sequence[tuple[K, float]], reranked: Mapping[K, float], weight: float) -> list[tuple[K, float]]:
    """The reranked keys best first: reranker scores alone (weight 1) or mixed with the fused ones, both min-max."""
    if weight >= 1.0:
        return ranked(reranked)
    scores = [normalise(dict(fused), "minmax"), normalise(reranked, "minmax")]
    mixed = weighted_sum(scores, [1.0 - weight, weight])
    return ranked({key: score for key, score in mixed.items() if key in reranked})


def below(head: Sequence[tuple[K, float]], tail: Sequence[tuple[K, float]]) -> list[tuple[K, float]]:
    """The tail in its order, its scores shifted to start one point below the head's last, so scores keep falling."""
    if not head or not tail:
        return list(tail)
    shift = head[-1][1] - 1.0 - tail[0][1]
    return [(key, score + shift) for key, score in tail]


def spread(ranked_scores: Sequence[tuple[K, float]]) -> float:
    """The score range of a ranked list, the unit boosts and business ranking move hits by; for a list whose scores
    are all equal, the top score's size (at least 1), so a move still means something."""
    top, bottom = ranked_scores[0][1], ranked_scores[-1][1]
    return (top - bottom) if top > bottom else max(abs(top), 1.0)
