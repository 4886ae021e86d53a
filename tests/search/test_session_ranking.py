"""The session stage over the sample index: off by default; with session_boost, products of the brands and
categories the session acted on move up by at most that share of the score range, and explain says so."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from indexer import open_index
from search import EmbeddedBackend, SearchPipeline, SearchRequest
from search.fusion import spread
from search.merchandising import FixedMerchandising, Merchandising, Ranking
from search.sessions import Interests

QUERY = "electric kettle"
BRAND = "Morphy & Sons"  # its kettles rank 8th and below for the query without a session
LIKES_BRAND = Interests(brands={BRAND: 1.0})


@pytest.fixture(scope="module")
def backend(sample_index: Path) -> EmbeddedBackend:
    return EmbeddedBackend(open_index(sample_index))


def pipeline(backend: EmbeddedBackend, ranking: Ranking = Ranking()) -> SearchPipeline:
    return SearchPipeline(backend, merchandising=FixedMerchandising(Merchandising(ranking=ranking)))


def scored(pipeline: SearchPipeline, interests: Interests | None = None, **asked) -> list[tuple[str, float]]:
    response = pipeline.search(SearchRequest(QUERY, size=100, interests=interests, **asked))
    return [(hit.product.id, hit.score) for hit in response.hits]


def test_off_by_default_and_without_interests(backend: EmbeddedBackend) -> None:
    shop = pipeline(backend)
    plain = scored(shop)
    assert scored(shop, LIKES_BRAND) == plain  # session_boost defaults to 0
    assert scored(pipeline(backend, Ranking(session_boost=0.3))) == plain  # no interests
    assert scored(pipeline(backend, Ranking(session_boost=0.3)), Interests()) == plain
    timings = shop.search(SearchRequest(QUERY, interests=LIKES_BRAND)).timings_ms
    assert "session" not in timings


def test_the_sessions_brand_moves_up_by_at_most_the_share_of_the_score_range(backend: EmbeddedBackend) -> None:
    before = scored(pipeline(backend))
    shop = pipeline(backend, Ranking(session_boost=0.2))
    response = shop.search(SearchRequest(QUERY, size=100, interests=LIKES_BRAND, explain=True))
    after = [(hit.product.id, hit.score) for hit in response.hits]
    brand = {hit.product.id for hit in response.hits if hit.product.brand == BRAND}
    assert len(brand) >= 2
    step = 0.2 * spread(before)
    rank_before = {product_id: rank for rank, (product_id, _) in enumerate(before)}
    rank_after = {product_id: rank for rank, (product_id, _) in enumerate(after)}
    assert all(rank_after[product_id] < rank_before[product_id] for product_id in brand)
    scores_before, scores_after = dict(before), dict(after)
    for product_id in scores_before:
        moved = scores_after[product_id] - scores_before[product_id]
        assert moved == pytest.approx(step if product_id in brand else 0.0)
    # a product ahead by more than the share keeps its lead over every product of the brand
    best = before[0][0]
    assert best not in brand and all(scores_before[best] - scores_before[p] > step for p in brand)
    assert after[0][0] == best
    for hit in response.hits:  # beside the default stock demotion's
        assert hit.explain.moves.get("session") == (pytest.approx(step) if hit.product.id in brand else None)
    assert "session" in response.timings_ms


def test_a_category_the_session_acted_on_lifts_by_the_levels_shared(backend: EmbeddedBackend) -> None:
    # "gift for a runner" finds shoes, boots and more; a session that bought hiking boots sees them lifted most
    query = "gift for a runner"
    boots = ("Clothing", "Footwear", "Hiking Boots")
    shop = pipeline(backend, Ranking(session_boost=0.3))
    before = every_hit(shop, SearchRequest(query, size=100))
    after = every_hit(shop, SearchRequest(query, size=100, interests=Interests({boots: 1.0}), explain=True))
    assert len(after) > 100  # two pages: the score range is every candidate's
    step = 0.3 * spread([(hit.product.id, hit.score) for hit in before])
    for hit in after:
        shared = next((depth for depth in (3, 2, 1) if hit.product.category[:depth] == boots[:depth]), 0)
        expected = step * shared * (shared + 1) / 12  # 1 for boots, 1/2 for other footwear, 1/6 for other clothing
        assert hit.explain.moves.get("session", 0.0) == pytest.approx(expected)
    assert first(after, boots) < first(before, boots)


def every_hit(pipeline: SearchPipeline, request: SearchRequest) -> list:
    first_page = pipeline.search(request)
    return first_page.hits + pipeline.search(replace(request, page=2)).hits


def first(hits: list, category: tuple[str, ...]) -> int:
    return next(rank for rank, hit in enumerate(hits) if hit.product.category == category)
