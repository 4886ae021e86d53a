"""The shop owner's controls in the pipeline over a fake backend with a fixed keyword leg: sort, stock, business
ranking, rules and synonyms; the scores are worked out by hand from KEYWORD."""

from __future__ import annotations

import pytest

from indexer import Product
from search import Filters, SearchPipeline, SearchRequest
from search.merchandising import FixedMerchandising, Merchandising, PopularityTable, Ranking
from search.request import Sort
from search.retrievers import Hit
from search.rules import Rule
from search.synonyms import Synonym
from tests.fakes import FakeBackend

pytestmark = pytest.mark.fast

PRODUCTS = [
    Product("a", "Red electric kettle", price=40.0, brand="Acme", numbers={"rating": 4.0}),
    Product("b", "Steel kettle", price=25.0, brand="Brite", in_stock=False, numbers={"rating": 3.0}),
    Product("c", "Kettle", brand="Acme", numbers={"rating": 5.0}),
    Product("d", "Mug for tea from the kettle", price=5.0, brand="Brite", numbers={"rating": 4.5}),
    Product("e", "Travel kettle", price=55.0, brand="Verde"),
    Product("f", "Kettle lid", price=40.0, brand="Verde"),
    Product("g", "Garden hose", price=30.0, brand="Verde"),
]
KEYWORD = [Hit("a", 10.0), Hit("f", 9.5), Hit("b", 9.0), Hit("c", 8.0), Hit("e", 7.0), Hit("d", 2.0)]
IGNORE_STOCK = Ranking(stock="ignore")


def search(query: str = "kettle", merchandising: Merchandising = Merchandising(), **asked) -> object:
    backend = FakeBackend(PRODUCTS, KEYWORD, [])
    pipeline = SearchPipeline(backend, merchandising=FixedMerchandising(merchandising))
    return pipeline.search(SearchRequest(query, "bm25", spelling=False, understand=False, **asked))


def ids(response) -> list[str]:
    return [hit.product.id for hit in response.hits]


def test_sorting_keeps_the_relevant_hits_only_ties_by_relevance_and_missing_values_last() -> None:
    shop = Merchandising(ranking=IGNORE_STOCK)
    ascending = search(merchandising=shop, sort=Sort("price"))
    # d scores 2 of the best 10, under the default share of 0.5: a mug does not start "kettle" by price
    assert ids(ascending) == ["b", "a", "f", "e", "c"]  # a and f cost 40: a is more relevant; c has no price
    assert ascending.total == 5 and sum(value.count for value in ascending.facets.brand) == 5
    assert ids(search(merchandising=shop, sort=Sort("price", descending=True))) == ["e", "a", "f", "b", "c"]
    assert ids(search(merchandising=shop, sort=Sort("rating", descending=True)))[:3] == ["c", "a", "b"]
    everything = Merchandising(ranking=Ranking(stock="ignore", sort_relevance=0.0))
    assert ids(search(merchandising=everything, sort=Sort("price")))[0] == "d"


def test_out_of_stock_products_rank_below_in_stock_ones_of_similar_relevance() -> None:
    # b: 9 - 0.3 x (10 - 2) = 6.6, below c (8) and e (7), above d (2)
    assert ids(search()) == ["a", "f", "c", "e", "b", "d"]
    assert ids(search(merchandising=Merchandising(ranking=IGNORE_STOCK))) == ["a", "f", "b", "c", "e", "d"]
    assert "b" not in ids(search(merchandising=Merchandising(ranking=Ranking(stock="hide"))))
    assert ids(search(filters=Filters(in_stock=False))) == ["b"]
    explained = search(explain=True).hits[4]
    assert explained.product.id == "b" and explained.explain.moves == {"out_of_stock": pytest.approx(-2.4)}


def test_weighted_fields_move_hits_by_at_most_the_business_share_of_the_range() -> None:
    shop = Merchandising(ranking=Ranking(weights={"rating": 1.0}, business_share=0.1, stock="ignore"))
    response = search(merchandising=shop, explain=True)
    # ratings 3..5 scaled to 0..1 over the candidates that have one; 0.1 x (10 - 2) x scaled
    scores = {hit.product.id: hit.score for hit in response.hits}
    assert scores == pytest.approx({"a": 10.4, "f": 9.5, "b": 9.0, "c": 8.8, "e": 7.0, "d": 2.6})
    assert response.hits[0].explain.moves == {"rating": pytest.approx(0.4)}
    lower_is_better = Merchandising(ranking=Ranking(weights={"rating": -1.0}, stock="ignore"))
    assert ids(search(merchandising=lower_is_better))[:3] == ["a", "f", "b"]  # c, best rated, loses 0.8


def test_popularity_from_events_is_one_more_weighted_signal() -> None:
    shop = FixedMerchandising(Merchandising(ranking=Ranking(weights={"popularity": 1.0}, stock="ignore")))
    table = PopularityTable({"e": 0.9, "f": 0.1}, default=0.3)
    asked: list[int] = []
    pipeline = SearchPipeline(
        FakeBackend(PRODUCTS, KEYWORD, []), merchandising=shop, popularity=lambda: asked.append(1) or table
    )
    response = pipeline.search(SearchRequest("kettle", "bm25", spelling=False, understand=False, explain=True))
    scores = {hit.product.id: hit.score for hit in response.hits}
    # popularity 0.1..0.9 scaled to 0..1 (the others at the default, 0.3: a quarter), times 0.1 x (10 - 2)
    assert scores == pytest.approx({"a": 10.2, "f": 9.5, "b": 9.2, "c": 8.2, "e": 7.8, "d": 2.2})
    shop.merchandising = Merchandising(ranking=IGNORE_STOCK)
    pipeline.search(SearchRequest("kettle", "bm25"))
    assert len(asked) == 1  # not read where no weight asks for it


def test_distinct_keeps_each_groups_best_variant_and_says_how_the_variants_differ() -> None:
    red = Product("v1", "Kettle", attributes={"colour": ("red",), "size": ("1 l",)}, group_id="k", price=30.0)
    blue = Product("v2", "Kettle", attributes={"colour": ("blue",), "size": ("1 l",)}, group_id="k", in_stock=False)
    lone = Product("v3", "Kettle stand", group_id="stand")
    backend = FakeBackend([red, blue, lone], [Hit("v2", 9.0), Hit("v1", 8.0), Hit("v3", 7.0)], [])
    shop = FixedMerchandising(Merchandising(ranking=IGNORE_STOCK))
    pipeline = SearchPipeline(backend, merchandising=shop)
    grouped = pipeline.search(SearchRequest("kettle", "bm25", understand=False, distinct=True))
    assert ids(grouped) == ["v2", "v3"] and grouped.total == 2
    assert sum(value.count for value in grouped.facets.in_stock) == 2  # facets count groups
    variants = grouped.hits[0].variants
    assert variants.count == 2 and variants.differ == ("colour",)
    assert [(v.id, v.values, v.in_stock) for v in variants.items] == [
        ("v1", {"colour": "red"}, True),
        ("v2", {"colour": "blue"}, False),
    ]
    assert grouped.hits[1].variants.count == 1
    every = pipeline.search(SearchRequest("kettle", "bm25", understand=False))
    assert every.total == 3 and every.hits[0].variants is None
    pin = Rule.from_json("pin", {"condition": {"query": "kettle"}, "pin": [{"id": "v1", "position": 1}]})
    shop.merchandising = Merchandising(ranking=IGNORE_STOCK, rules={"pin": pin})
    pinned = pipeline.search(SearchRequest("kettle", "bm25", understand=False, distinct=True))
    assert ids(pinned) == ["v1", "v3"]  # the pinned variant stands for its group: v2 goes
    shop.merchandising = Merchandising(ranking=Ranking(stock="ignore", distinct=True))  # the shop's default
    assert pipeline.search(SearchRequest("kettle", "bm25", understand=False)).total == 2
    assert pipeline.search(SearchRequest("kettle", "bm25", understand=False, distinct=False)).total == 3


def rule(rule_id: str, **body) -> Rule:
    return Rule.from_json(rule_id, body)


def test_rules_pin_hide_boost_filter_and_redirect() -> None:
    shop = Merchandising(
        ranking=IGNORE_STOCK,
        rules={
            "promo": rule(
                "promo",
                condition={"query": "kettle"},
                pin=[{"id": "g", "position": 2}],  # not retrieved at all: pinned all the same
                hide=["f"],
                boost=[{"filter": {"brand": "Verde"}, "strength": 1.0}],
            ),
            "elsewhere": rule("elsewhere", condition={"query": "hose"}, hide=["a"]),
            "go": rule("go", condition={"query": "kettle", "match": "contains"}, redirect="https://example.com/k"),
        },
    )
    response = search(merchandising=shop)
    # e: 7 + 0.5 x 8 = 11 passes a; g at position 2; f hidden; "elsewhere" does not apply
    assert ids(response) == ["e", "g", "a", "b", "c", "d"]
    assert response.rules == ("promo", "go") and response.redirect == "https://example.com/k"
    assert ids(search("travel kettle", merchandising=shop))[0] != "g"  # "promo" is exact: this query is not it
    assert search("travel kettle", merchandising=shop).rules == ("go",)  # a contained phrase
    assert ids(search(merchandising=shop, rules=False)) == ["a", "f", "b", "c", "e", "d"]
    filtered = Merchandising(rules={"acme": rule("acme", condition={"query": "kettle"}, filter={"brand": "Acme"})})
    assert ids(search(merchandising=filtered)) == ["a", "c"]


def test_a_previewed_rule_applies_as_if_stored() -> None:
    trial = rule("trial", condition={"query": "kettle"}, hide=["a"])
    assert "a" not in ids(search(preview=(trial,)))
    assert search(preview=(trial,)).rules == ("trial",)


def test_the_keyword_leg_also_searches_the_synonyms_of_the_query() -> None:
    shop = Merchandising(synonyms={"s": Synonym("s", ("kettle", "boiler"))})
    backend = FakeBackend(PRODUCTS, KEYWORD, [])
    pipeline = SearchPipeline(backend, merchandising=FixedMerchandising(shop))
    response = pipeline.search(SearchRequest("Kettle", "bm25", spelling=False, understand=False))
    assert backend.keyword.queries[-1] == "Kettle boiler" and response.synonyms == ("boiler",)
