"""The reranker's score cache: pairs scored once, a changed product text scored again, bounded in size."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from models.cross_encoders import Pair
from models.score_cache import CachedScores

pytestmark = pytest.mark.fast


class CountingModel:
    name = "counting"
    usage = None

    def __init__(self) -> None:
        self.asked: list[Pair] = []

    def score(self, pairs: Sequence[Pair]) -> np.ndarray:
        self.asked += pairs
        return np.array([len(query) + len(text) / 100 for query, text in pairs], dtype=np.float32)


def test_pairs_are_scored_once_and_answers_keep_the_order_asked() -> None:
    model = CountingModel()
    cached = CachedScores(model)
    first = cached.score([("kettle", "red kettle"), ("kettle", "blue pan")])
    again = cached.score([("kettle", "blue pan"), ("kettle", "green kettle"), ("kettle", "red kettle")])
    assert model.asked == [("kettle", "red kettle"), ("kettle", "blue pan"), ("kettle", "green kettle")]
    np.testing.assert_array_equal(
        again, model.score([("kettle", "blue pan"), ("kettle", "green kettle"), ("kettle", "red kettle")])
    )
    np.testing.assert_array_equal(first, [again[2], again[0]])
    assert (cached.hits, cached.misses) == (2, 3)


def test_a_product_whose_text_changed_is_scored_again() -> None:
    model = CountingModel()
    cached = CachedScores(model)
    cached.score([("kettle", "Red kettle, 1 l")])
    changed = cached.score([("kettle", "Red kettle, 1.7 l, steel")])
    assert model.asked[-1] == ("kettle", "Red kettle, 1.7 l, steel")
    assert changed[0] == pytest.approx(6 + len("Red kettle, 1.7 l, steel") / 100)


def test_the_least_recently_used_pairs_go_beyond_its_size() -> None:
    model = CountingModel()
    cached = CachedScores(model, size=2)
    cached.score([("a", "1"), ("b", "2")])
    cached.score([("a", "1")])  # now the most recent
    cached.score([("c", "3")])  # ("b", "2") goes
    model.asked.clear()
    cached.score([("a", "1"), ("b", "2")])
    assert model.asked == [("b", "2")]


def test_it_speaks_for_the_model() -> None:
    model = CountingModel()
    cached = CachedScores(model)
    assert (cached.name, cached.usage) == ("counting", None)
    assert cached.score([]).shape == (0,)
