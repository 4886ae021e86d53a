"""The pipeline on the sample index: filters inside retrieval, facets, pagination, cutoff, explain."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import numpy as np
import pytest

from indexer import open_index
from search import EmbeddedBackend, Filters, SearchPipeline, SearchRequest, SearchSettings
from search.errors import RequestError
from search.filters import FilterIndex
from tests.fakes import ByLength
from tests.helpers import RELEVANCE_ONLY


@pytest.fixture(scope="module")
def pipeline(sample_index: Path) -> SearchPipeline:
    return SearchPipeline(EmbeddedBackend(open_index(sample_index)))


@pytest.fixture(scope="module")
def unfloored(sample_index: Path, pipeline: SearchPipeline) -> SearchPipeline:
    """Every dense candidate kept: retrieval as it is, before the relevance floor."""
    return SearchPipeline(
        EmbeddedBackend(pipeline.backend.version, pipeline.encoder), settings=SearchSettings(dense_floor=None)
    )


def test_every_mode_answers(pipeline: SearchPipeline) -> None:
    for mode in ("bm25", "dense", "hybrid"):
        response = pipeline.search(SearchRequest("red kettle", mode))
        assert response.hits and all("Kettle" in hit.product.title for hit in response.hits[:3]), mode
        scores = [hit.score for hit in response.hits]
        assert scores == sorted(scores, reverse=True)
        assert response.timings_ms["total"] > 0


def test_rerank_without_a_reranker_says_so(pipeline: SearchPipeline) -> None:
    response = pipeline.search(SearchRequest("red kettle", "rerank"))
    assert response.rerank is False
    assert [h.product.id for h in response.hits] == [
        h.product.id for h in pipeline.search(SearchRequest("red kettle")).hits
    ]


def test_rerank_reorders_the_head_and_keeps_the_rest_in_fused_order(pipeline: SearchPipeline) -> None:
    settings = SearchSettings(rerank_depth=5)
    reranking = SearchPipeline(pipeline.backend, ByLength(), settings, merchandising=RELEVANCE_ONLY)
    fused = SearchPipeline(pipeline.backend, merchandising=RELEVANCE_ONLY).search(SearchRequest("kettle", size=20))
    response = reranking.search(SearchRequest("kettle", "rerank", size=20))
    ids = [hit.product.id for hit in response.hits]
    head = sorted(fused.hits[:5], key=lambda hit: len(hit.product.embedding_text()))
    assert ids[:5] == [hit.product.id for hit in head] != [hit.product.id for hit in fused.hits[:5]]
    assert ids[5:] == [hit.product.id for hit in fused.hits[5:]]
    assert response.total == fused.total and response.rerank
    scores = [hit.score for hit in response.hits]
    assert all(earlier > later for earlier, later in itertools.pairwise(scores))


@pytest.mark.parametrize("mode", ["bm25", "dense", "hybrid"])
def test_a_narrow_filter_still_fills_the_page(unfloored: SearchPipeline, mode: str) -> None:
    # Few products match (one brand, one colour); the best unfiltered hits are all other products.
    filters = Filters(brands=("Nordhaus",), attributes=(("colour", ("black",)),))
    matching = int(FilterIndex(unfloored.backend.version.products).mask(filters).sum())
    assert 3 <= matching < 10
    response = unfloored.search(SearchRequest("kettle", mode, size=matching, filters=filters))
    if mode == "bm25":  # BM25 returns only products that share a word with the query
        assert all(hit.product.brand == "Nordhaus" for hit in response.hits)
    else:
        assert len(response.hits) == matching
    for hit in response.hits:
        assert hit.product.brand == "Nordhaus" and hit.product.attributes["colour"] == ("black",)


def test_keyword_and_dense_filters_agree(pipeline: SearchPipeline) -> None:
    """The tantivy clauses and the row masks select the same products, for random filters."""
    products = pipeline.backend.version.products
    rng = random.Random(3)
    keyword = pipeline.backend.version.keyword
    for _ in range(25):
        product = rng.choice(products)
        filters = Filters(
            category=product.category[: rng.randint(0, len(product.category))],
            brands=(product.brand.upper(),) if rng.random() < 0.5 else (),
            price_min=float(rng.choice([0, 20, 50])),
            price_max=rng.choice([None, 100.0, 300.0]),
            attributes=(("colour", (product.attributes["colour"][0], "purple")),) if rng.random() < 0.5 else (),
        )
        mask = FilterIndex(products).mask(filters)
        # a query of every title word reaches every product, so only the filter decides
        words = " ".join(sorted({word.lower() for p in products for word in p.title.split()}))
        rows = {row for row, _ in keyword.search(words, 1000, filters.tantivy_clauses(keyword.schema))}
        assert rows == set(np.flatnonzero(mask)), filters


def test_facets_count_the_filtered_candidates(pipeline: SearchPipeline) -> None:
    response = pipeline.search(SearchRequest("kettle", "bm25", filters=Filters(category=("Home",))))
    rows = [pipeline.backend.version.row_of[hit.product.id] for hit in response.hits]
    assert response.total >= len(rows)
    everything = pipeline.search(SearchRequest("kettle", "bm25", size=100, filters=Filters(category=("Home",))))
    assert everything.total == len(everything.hits)
    categories = {value.value: value.count for value in everything.facets.category}
    expected: dict[str, int] = {}
    for hit in everything.hits:
        key = " > ".join(hit.product.category[:2])
        expected[key] = expected.get(key, 0) + 1
    assert categories == expected and all(key.startswith("Home > ") for key in categories)
    assert sum(bucket.count for bucket in everything.facets.price) == everything.total
    assert sum(value.count for value in everything.facets.brand) == everything.total


def test_pages_never_repeat_a_product(pipeline: SearchPipeline) -> None:
    seen: list[str] = []
    first = pipeline.search(SearchRequest("waterproof jacket", "hybrid", size=7))
    for page in range(1, first.total // 7 + 2):
        seen += [
            hit.product.id
            for hit in pipeline.search(SearchRequest("waterproof jacket", "hybrid", page=page, size=7)).hits
        ]
    assert len(seen) == len(set(seen)) == first.total


def test_dense_floor_keeps_the_related_products_only(pipeline: SearchPipeline, unfloored: SearchPipeline) -> None:
    # the words only: understood, "running shoes" would keep running shoes whatever the floor
    kept = pipeline.search(SearchRequest("running shoes", "dense", size=100, understand=False))
    everything = unfloored.search(SearchRequest("running shoes", "dense", size=100, understand=False))
    assert everything.total == 100 and 10 <= kept.total < 30
    assert kept.hits[-1].score >= 0.6 * kept.hits[0].score
    assert [value.value for value in kept.facets.category][:1] == ["Clothing"]
    types = [hit.product.attributes["type"][0] for hit in kept.hits]
    assert types.count("running shoes") == 12 and set(types) <= {"running shoes", "hiking boots"}


def test_min_score_lets_nonsense_return_nothing(sample_index: Path) -> None:
    strict = SearchPipeline(EmbeddedBackend(open_index(sample_index)), settings=SearchSettings(min_score=0.35))
    assert strict.search(SearchRequest("qwzx vlorp", "dense")).hits == []
    assert strict.search(SearchRequest("yoga mat", "dense")).hits
    loose = SearchPipeline(EmbeddedBackend(open_index(sample_index)))
    assert loose.search(SearchRequest("qwzx vlorp", "dense", min_score=0.35)).total == 0


def test_explain_carries_every_stage(pipeline: SearchPipeline) -> None:
    response = pipeline.search(SearchRequest("cork yoga mat", "hybrid", explain=True))
    top = response.hits[0].explain
    assert top.keyword_rank == 1 or top.dense_rank == 1
    assert top.fused_score == response.hits[0].score and top.rerank_score is None
    assert all(hit.explain.keyword_score is not None or hit.explain.dense_score is not None for hit in response.hits)


def test_rrf_setting_changes_the_fusion(sample_index: Path) -> None:
    rrf = SearchPipeline(EmbeddedBackend(open_index(sample_index)), settings=SearchSettings(fusion="rrf", rrf_k=60))
    response = rrf.search(SearchRequest("cork yoga mat", "hybrid", explain=True))
    top = response.hits[0].explain
    expected = sum(1 / (60 + rank) for rank in (top.keyword_rank, top.dense_rank) if rank is not None)
    assert response.hits[0].score == pytest.approx(expected)


@pytest.mark.parametrize(
    "arguments, parameter",
    [
        ({"query": " "}, "q"),
        ({"query": "x", "mode": "fuzzy"}, "mode"),
        ({"query": "x", "size": 0}, "k"),
        ({"query": "x", "page": 1001}, "page"),
    ],
)
def test_bad_requests_name_their_parameter(arguments: dict, parameter: str) -> None:
    with pytest.raises(RequestError) as caught:
        SearchRequest(**arguments)
    assert caught.value.parameter == parameter


def test_bad_filters_name_their_parameter() -> None:
    with pytest.raises(RequestError) as caught:
        Filters(price_min=50, price_max=10)
    assert caught.value.parameter == "price_min"
    with pytest.raises(RequestError, match="price_max must be a number >= 0"):
        Filters(price_max=-1)
