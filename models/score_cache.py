"""A cross-encoder's scores remembered per (query, product text): a shop's repeated queries are reranked once.

See docs/design.md#score-cache.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from models.cross_encoders import CrossEncoder, Pair

SIZE = 100_000


class CachedScores:
    """A CrossEncoder that asks `model` only for the pairs it has not scored yet."""

    def __init__(self, model: CrossEncoder, size: int = SIZE) -> None:
        self.model = model
        self.name = model.name
        self.usage = model.usage
        self.size = size
        self.hits = self.misses = 0
        self._scores: OrderedDict[bytes, float] = OrderedDict()
        self._lock = threading.Lock()

    def score(self, pairs: Sequence[Pair]) -> np.ndarray:
        keys = [_key(pair) for pair in pairs]
        scores = np.zeros(len(pairs), dtype=np.float32)
        missing = []
        with self._lock:
            for index, key in enumerate(keys):
                if key in self._scores:
                    self._scores.move_to_end(key)
                    scores[index] = self._scores[key]
                else:
                    missing.append(index)
            self.hits += len(pairs) - len(missing)
            self.misses += len(missing)
        if missing:
            fresh = self.model.score([pairs[index] for index in missing])
            scores[missing] = fresh
            with self._lock:
                for index, score in zip(missing, fresh, strict=True):
                    self._scores[keys[index]] = float(score)
                while len(self._scores) > self.size:
                    self._scores.popitem(last=False)
        return scores


def _key(pair: Pair) -> bytes:
    query, text = pair
    keyed = f"{len(query)}:{query}{text}"  # the query's length first: no two pairs read alike
    return hashlib.blake2b(keyed.encode(errors="surrogatepass"), digest_size=16).digest()
