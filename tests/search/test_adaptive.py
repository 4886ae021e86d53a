"""The adaptive dense share against numbers worked out by hand, alone and inside the pipeline's weighted fusion."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from search import SearchPipeline, SearchRequest, SearchSettings
from search.adaptive import CENTRE, SLOPE, dense_share
from search.retrievers import Hit
from search.tuned import FILE, FileSettings
from tests.fakes import FakeBackend
from tests.search.test_pipeline_logic import DENSE, KEYWORD, PRODUCTS, ranking

pytestmark = pytest.mark.fast


def test_the_shipped_constants() -> None:
    assert (CENTRE, SLOPE) == (0.87, 5.0)  # the numbers below are worked out for these


def test_the_configured_weight_holds_at_the_centre() -> None:
    assert dense_share(0.5, 0.87) == pytest.approx(0.5)
    assert dense_share(0.2, 0.87) == pytest.approx(0.2)


def test_a_closer_best_product_gives_the_dense_leg_more() -> None:
    assert dense_share(0.5, 0.97) == pytest.approx(1 / (1 + math.exp(-0.5)))  # logit 0 + 5 x 0.1: 0.6225
    assert dense_share(0.5, 0.67) == pytest.approx(1 / (1 + math.e))  # logit 5 x -0.2 = -1: 0.2689
    # from 0.2: odds 0.25, times e^0.5
    assert dense_share(0.2, 0.97) == pytest.approx(0.25 * math.exp(0.5) / (1 + 0.25 * math.exp(0.5)))


def test_a_share_of_zero_or_one_and_a_missing_cosine_stay_as_they_are() -> None:
    assert dense_share(0.0, 0.95) == 0.0 and dense_share(1.0, 0.1) == 1.0
    assert dense_share(0.4, None) == 0.4 and dense_share(0.4, math.nan) == 0.4


def test_extreme_cosines_do_not_overflow() -> None:
    assert dense_share(0.5, 1e6) == pytest.approx(1.0) and dense_share(0.5, -1e6) == pytest.approx(0.0)


def pipeline(dense: list[Hit], settings: SearchSettings = SearchSettings()) -> SearchPipeline:
    return SearchPipeline(FakeBackend(PRODUCTS, KEYWORD, dense), settings=settings)


def shifted(by: float) -> list[Hit]:
    """The fake dense leg moved up or down: min-max normalised as before, its top cosine `by` away."""
    return [Hit(hit.product_id, round(hit.score + by, 6)) for hit in DENSE]


def test_a_confident_dense_leg_counts_more_by_default() -> None:
    # top cosine 0.9 + 0.07 = 0.97: w = 1 / (1 + e^-0.5) = 0.6225; keyword a 1, b 0.5, c 0; dense after the
    # floor (0.6 x 0.97 drops d at 0.57) c 1, a 0.5, e 0; absent counts 0
    w = 1 / (1 + math.exp(-0.5))
    response = pipeline(shifted(0.07)).search(SearchRequest("kettle"))
    expected = [("a", 1 - w / 2), ("c", w), ("b", (1 - w) / 2), ("e", 0.0)]
    assert ranking(response) == [(pid, round(score, 6)) for pid, score in expected]


def test_a_weak_dense_leg_gives_way_to_the_keyword_leg() -> None:
    # top cosine 0.9 - 0.23 = 0.67: w = 1 / (1 + e) = 0.2689, and b (keyword only) now passes c (dense first)
    w = 1 / (1 + math.e)
    response = pipeline(shifted(-0.23)).search(SearchRequest("kettle"))
    expected = [("a", 1 - w / 2), ("b", (1 - w) / 2), ("c", w), ("e", 0.0)]
    assert ranking(response) == [(pid, round(score, 6)) for pid, score in expected]
    fixed = pipeline(shifted(-0.23), SearchSettings(adaptive=False)).search(SearchRequest("kettle"))
    assert [hit.product.id for hit in fixed.hits] == ["a", "c", "b", "e"]  # half and half: c first of the two


def test_a_tuned_weight_is_the_share_at_the_centre(tmp_path: Path) -> None:
    # settings saved before `adaptive` existed load with it on: their weight becomes the centre of the rule,
    # and a weight of 1 still ranks as the dense leg alone
    (tmp_path / FILE).write_text(json.dumps({"settings": {"fusion": "weighted", "dense_weight": 1.0}}))
    tuned = FileSettings(tmp_path).load()
    assert tuned.adaptive and tuned.dense_weight == 1.0
    response = pipeline(DENSE, tuned).search(SearchRequest("kettle"))
    assert ranking(response) == [("c", 1.0), ("a", 0.5), ("b", 0.0), ("e", 0.0)]  # b, keyword only, ties with e
