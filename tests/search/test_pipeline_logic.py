"""The pipeline's own logic over a fake backend with fixed legs: fusion, floor, cutoff, pages, rerank, explain."""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import replace

import pytest

from indexer import Product
from models.cross_encoders import RerankUsage
from search import Filters, SearchPipeline, SearchRequest, SearchSettings
from search.execution import Execution, State
from search.facets import Facets
from search.pipeline import RERANK_DEFAULTS
from search.retrievers import Hit
from search.serialize import response_json
from search.stages import STAGES, facets
from tests.fakes import ByLength, FakeBackend

pytestmark = pytest.mark.fast

PRODUCTS = [
    Product(
        "a", "Red electric kettle", "1.7 l, stainless steel, boils in three minutes", ("Home", "Kitchen"), "Acme", 40.0
    ),
    Product("b", "Kettle descaler", "Citric acid tablets", ("Home", "Cleaning"), "Brite", 6.5),
    Product("c", "Kettle", "", ("Home", "Kitchen"), "Acme", 25.0),
    Product("d", "Garden hose", "25 m", ("Garden",), "Verde", 30.0),
    Product("e", "Travel kettle", "Folding silicone", ("Outdoor",), "Brite", 55.0),
]
KEYWORD = [Hit("a", 10.0), Hit("b", 6.0), Hit("c", 2.0)]
DENSE = [Hit("c", 0.9), Hit("a", 0.8), Hit("e", 0.7), Hit("d", 0.5)]  # d is below 0.6 x 0.9


def pipeline(settings: SearchSettings = SearchSettings(), reranker=None) -> SearchPipeline:
    return SearchPipeline(FakeBackend(PRODUCTS, KEYWORD, DENSE), reranker, settings)


def ranking(response) -> list[tuple[str, float]]:
    return [(hit.product.id, round(hit.score, 6)) for hit in response.hits]


def test_hybrid_sums_min_max_normalised_legs_half_and_half() -> None:
    response = pipeline(SearchSettings(adaptive=False)).search(SearchRequest("kettle"))
    # keyword a 1, b (6-2)/8, c 0; dense after the floor c 1, a (0.8-0.7)/0.2, e 0; absent counts 0
    assert ranking(response) == [("a", 0.75), ("c", 0.5), ("b", 0.25), ("e", 0.0)]
    assert response.total == 4 and response.corrected_query is None


def test_the_dense_floor_drops_hits_far_below_the_best() -> None:
    assert "d" not in [hit.product.id for hit in pipeline().search(SearchRequest("kettle", "dense")).hits]
    unfloored = pipeline(SearchSettings(dense_floor=None)).search(SearchRequest("kettle", "dense"))
    assert [hit.product.id for hit in unfloored.hits] == ["c", "a", "e", "d"]


def test_one_leg_keeps_its_own_scores() -> None:
    assert ranking(pipeline().search(SearchRequest("kettle", "bm25"))) == [("a", 10.0), ("b", 6.0), ("c", 2.0)]


def test_reciprocal_rank_fusion() -> None:
    response = pipeline(SearchSettings(fusion="rrf", rrf_k=60)).search(SearchRequest("kettle"))
    expected = {"a": 1 / 61 + 1 / 62, "c": 1 / 63 + 1 / 61, "b": 1 / 62, "e": 1 / 63}
    assert [hit.product.id for hit in response.hits] == ["a", "c", "b", "e"]
    assert all(hit.score == pytest.approx(expected[hit.product.id]) for hit in response.hits)


def test_pages_split_one_candidate_list() -> None:
    first = pipeline().search(SearchRequest("kettle", size=2))
    second = pipeline().search(SearchRequest("kettle", size=2, page=2))
    assert [h.product.id for h in first.hits] == ["a", "c"] and [h.product.id for h in second.hits] == ["b", "e"]
    assert first.total == second.total == 4


def test_min_score_cuts_the_final_scores() -> None:
    response = pipeline().search(SearchRequest("kettle", min_score=0.5))
    assert [hit.product.id for hit in response.hits] == ["a", "c"] and response.total == 2


def test_min_score_cuts_the_reranked_scores_when_reranking() -> None:
    # the cross-encoder scores -len(text): "Kettle" (c) -6, a's long text far below; the tail follows below a
    reranked = pipeline(SearchSettings(rerank_depth=2), ByLength()).search(
        SearchRequest("kettle", "rerank", min_score=-10)
    )
    assert [hit.product.id for hit in reranked.hits] == ["c"] and reranked.total == 1


def test_filters_reach_both_legs() -> None:
    response = pipeline().search(SearchRequest("kettle", filters=Filters(brands=("acme",))))
    assert {hit.product.id for hit in response.hits} == {"a", "c"}
    response = pipeline().search(SearchRequest("kettle", filters=Filters(price_max=30)))
    assert {hit.product.id for hit in response.hits} == {"b", "c"}


def test_facets_count_the_candidates_only() -> None:
    facets = pipeline().search(SearchRequest("kettle")).facets
    assert {(v.value, v.count) for v in facets.brand} == {("Acme", 2), ("Brite", 2)}
    assert {(v.value, v.count) for v in facets.category} == {("Home", 3), ("Outdoor", 1)}


def test_rerank_reorders_the_head_and_keeps_the_tail_below_it() -> None:
    response = pipeline(SearchSettings(rerank_depth=2), ByLength()).search(SearchRequest("kettle", "rerank"))
    assert [hit.product.id for hit in response.hits] == ["c", "a", "b", "e"]  # c's text is the shorter
    assert response.rerank and all(x.score > y.score for x, y in itertools.pairwise(response.hits))


def test_a_rerank_weight_below_one_mixes_in_the_fused_score() -> None:
    # head a (fused 1 after min-max, rerank 0), c (fused 0, rerank 1): at 0.4 the fused order wins
    response = pipeline(SearchSettings(rerank_depth=2, rerank_weight=0.4), ByLength()).search(
        SearchRequest("kettle", "rerank")
    )
    assert [hit.product.id for hit in response.hits][:2] == ["a", "c"]
    assert [round(hit.score, 6) for hit in response.hits][:2] == [0.6, 0.4]


def test_rerank_runs_as_the_models_training_chose_unless_tuned_settings_say_otherwise() -> None:
    chosen = pipeline(reranker=ByLength(RerankUsage(depth=2, weight=0.4, beats_hybrid=True)))
    assert chosen.rerank_plan() == (2, 0.4)
    by_hand = pipeline(SearchSettings(rerank_depth=2, rerank_weight=0.4), ByLength())
    assert ranking(chosen.search(SearchRequest("kettle", "rerank"))) == ranking(
        by_hand.search(SearchRequest("kettle", "rerank"))
    )
    tuned = pipeline(SearchSettings(rerank_weight=1.0), ByLength(RerankUsage(2, 0.4, True)))
    assert tuned.rerank_plan() == (2, 1.0)
    assert pipeline(reranker=ByLength()).rerank_plan() == RERANK_DEFAULTS  # a model with no usage record


def test_a_model_that_did_not_beat_hybrid_leaves_hybrids_order_and_says_so() -> None:
    losing = pipeline(reranker=ByLength(RerankUsage(2, 0.4, beats_hybrid=False)))
    response = losing.search(SearchRequest("kettle", "rerank"))
    assert not response.rerank and "did not beat hybrid on its validation queries (by-length)" in response.rerank_off
    assert ranking(response) == ranking(pipeline().search(SearchRequest("kettle")))
    assert response_json(response, "v1")["rerank"].startswith("off: the reranker did not beat hybrid")
    assert losing.search(SearchRequest("kettle")).rerank_off == ""  # only the rerank mode falls back
    asked = pipeline(SearchSettings(rerank_depth=2), ByLength(RerankUsage(2, 0.4, False)))
    assert asked.rerank_plan() == (2, 0.4)  # tuned settings for this index ask for it


def test_rerank_without_a_model_says_how_to_give_one() -> None:
    response = pipeline().search(SearchRequest("kettle", "rerank"))
    assert not response.rerank and "--reranker MODEL_DIR" in response.rerank_off


def test_explain_gives_each_legs_rank_and_score() -> None:
    hit = pipeline(SearchSettings(adaptive=False)).search(SearchRequest("kettle", explain=True)).hits[1]
    assert hit.product.id == "c"
    explain = hit.explain
    assert (explain.keyword_rank, explain.keyword_score) == (3, 2.0)
    assert (explain.dense_rank, explain.dense_score) == (1, 0.9)
    assert explain.fused_score == pytest.approx(0.5) and explain.rerank_score is None


def test_legs_search_the_spelled_query() -> None:
    search = pipeline()
    response = search.search(SearchRequest("electrik kettle"))
    assert response.corrected_query == "electric kettle"
    assert search.keyword.queries[-1] == search.dense.queries[-1] == "electric kettle"
    search.search(SearchRequest("electrik kettle", spelling=False))
    assert search.keyword.queries[-1] == "electrik kettle"


def test_an_understood_price_filters_inside_retrieval_and_leaves_the_searched_words() -> None:
    response = pipeline().search(SearchRequest("kettle under 30"))
    assert {hit.product.id for hit in response.hits} == {"b", "c"} and not response.relaxed  # 6.50 and 25.00
    assert response.searched == "kettle" and [span.text for span in response.understood] == ["under 30"]
    fixed = pipeline()
    fixed.search(SearchRequest("kettle under 30"))
    assert fixed.backend.keyword.queries == ["kettle"]


def test_understand_off_searches_the_words_only() -> None:
    response = pipeline().search(SearchRequest("kettle under 30", understand=False))
    assert response.total == 4 and response.understood == ()


def test_filters_that_leave_nothing_fall_back_to_boosts() -> None:
    response = pipeline().search(SearchRequest("kettle under 5"))
    assert response.relaxed and response.total == 4
    assert [span.effect for span in response.understood] == ["boost"]


def test_an_understood_boost_adds_a_share_of_the_score_range() -> None:
    plain = {hit.product.id: hit.score for hit in pipeline().search(SearchRequest("kettle")).hits}
    boosted = {hit.product.id: hit.score for hit in pipeline().search(SearchRequest("outdoor kettle")).hits}
    assert boosted["e"] == pytest.approx(plain["e"] + 0.2 * (plain["a"] - plain["e"]))  # e is the only Outdoor one
    assert all(boosted[pid] == pytest.approx(plain[pid]) for pid in plain if pid != "e")


def test_gibberish_that_no_product_has_a_word_of_gets_no_hits() -> None:
    fixed = pipeline()
    fixed.keyword.hits = []  # the fake keyword leg finds nothing, as a real one would for "qnkykmxc"
    response = fixed.search(SearchRequest("qnkykmxc"))
    assert response.no_match and response.total == 0 and response.hits == []
    assert fixed.search(SearchRequest("qnkykmxc", understand=False)).total == 3  # the dense leg's, over the floor
    assert not fixed.search(SearchRequest("byefold")).no_match  # word-like: a name the dense leg may know


def test_timings_name_the_stages_that_ran() -> None:
    hybrid = pipeline().search(SearchRequest("kettle")).timings_ms
    assert hybrid.keys() == {"spelling", "understanding", "keyword", "dense", "fusion", "facets", "products", "total"}
    reranked = pipeline(reranker=ByLength()).search(SearchRequest("kettle", "rerank", spelling=False)).timings_ms
    assert "rerank" in reranked and "spelling" not in reranked
    assert "products" not in reranked  # the reranker fetched every product the page shows
    bm25 = pipeline().search(SearchRequest("kettle", "bm25", understand=False)).timings_ms
    assert "dense" not in bm25 and "understanding" not in bm25


def test_each_product_is_fetched_once_per_search() -> None:
    search = pipeline(SearchSettings(rerank_depth=2), ByLength())
    fetched: Counter[str] = Counter()
    products = search.backend.products
    search.backend.products = lambda ids: fetched.update(ids) or products(ids)
    search.backend.facets = lambda ids, prefix: Facets([], [], [])  # the fake counts facets over its products
    response = search.search(SearchRequest("outdoor kettle", "rerank", explain=True))  # boosts, reranks, pages
    assert response.understood and response.rerank and len(response.hits) == 4
    assert set(fetched) == {"a", "b", "c", "e"} and max(fetched.values()) == 1


def test_a_stage_slots_in_without_changing_the_others() -> None:
    def out_of_stock(state: State, execution: Execution) -> State:
        return replace(state, scored=[(pid, score) for pid, score in state.scored if pid != "c"])

    at = STAGES.index(facets)
    search = SearchPipeline(FakeBackend(PRODUCTS, KEYWORD, DENSE), stages=STAGES[:at] + (out_of_stock,) + STAGES[at:])
    response = search.search(SearchRequest("kettle"))
    assert [hit.product.id for hit in response.hits] == ["a", "b", "e"] and response.total == 3
    assert {(v.value, v.count) for v in response.facets.brand} == {("Acme", 1), ("Brite", 2)}
