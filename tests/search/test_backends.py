"""The backend contract, reads and writes, run against the embedded index and an Elasticsearch-API server alike.

Each test takes `backend` or `location` twice over; the Elasticsearch run uses noida-db, or the cluster at ES_URL.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from indexer import Product, open_index
from indexer.elastic import physical_indices
from indexer.errors import IndexerError, IndexNotFoundError
from search import EmbeddedBackend, Filters, SearchPipeline, SearchRequest
from search.backend import Backend
from search.elastic import ElasticBackend
from search.indexes import IndexLocation
from tests.elastic_server import unique_alias

QUERIES = [
    "blue running shoes",
    "stainless steel kettle",
    "noise cancelling headphones",
    "cork yoga mat",
    "bike lights",
]


@pytest.fixture(scope="module")
def embedded(sample_index: Path) -> EmbeddedBackend:
    return EmbeddedBackend(open_index(sample_index))


@pytest.fixture(scope="module")
def elasticsearch(elastic, elastic_sample: str, embedded: EmbeddedBackend) -> ElasticBackend:
    return ElasticBackend(elastic, elastic_sample, embedded.encoder)


@pytest.fixture(params=["embedded", "elasticsearch"])
def backend(request: pytest.FixtureRequest) -> Backend:
    return request.getfixturevalue(request.param)


@pytest.fixture(scope="module")
def catalogue(sample_catalogue: Path) -> dict[str, Product]:
    from indexer import read_catalogue

    return {product.id: product for product in read_catalogue(sample_catalogue).products}


def passes(product: Product, filters: Filters) -> bool:
    brands = {brand.lower() for brand in filters.brands}
    return (
        product.category[: len(filters.category)] == filters.category
        and (not brands or (product.brand or "").lower() in brands)
        and (filters.price_min is None or (product.price is not None and product.price >= filters.price_min))
        and (filters.price_max is None or (product.price is not None and product.price <= filters.price_max))
    )


@pytest.mark.parametrize("leg", ["keyword", "dense"])
def test_legs_rank_catalogue_products_best_first_up_to_k(backend: Backend, leg: str, catalogue) -> None:
    for query in QUERIES:
        hits = getattr(backend, leg).search(query, 7)
        assert 0 < len(hits) <= 7
        assert all(hit.product_id in catalogue for hit in hits)
        scores = [hit.score for hit in hits]
        assert scores == sorted(scores, reverse=True)
        assert len({hit.product_id for hit in hits}) == len(hits)


@pytest.mark.parametrize("leg", ["keyword", "dense"])
def test_filters_apply_inside_each_leg(backend: Backend, leg: str, catalogue) -> None:
    filters = Filters(category=("Home",), price_max=80.0)
    allowed = sum(passes(product, filters) for product in catalogue.values())
    assert 10 < allowed < len(catalogue) / 2
    hits = getattr(backend, leg).search("electric kettle", 10, filters)
    assert hits and all(passes(catalogue[hit.product_id], filters) for hit in hits)
    if leg == "dense":  # every passing product has a similarity: k of them come back, not fewer
        assert len(hits) == 10


def test_brand_filter_ignores_case(backend: Backend, catalogue) -> None:
    brand = next(product.brand for product in catalogue.values() if product.brand)
    hits = backend.dense.search("anything at all", 5, Filters(brands=(brand.upper(),)))
    assert hits and {catalogue[hit.product_id].brand for hit in hits} == {brand}


def test_products_come_back_as_indexed(backend: Backend, catalogue) -> None:
    ids = list(catalogue)[:25] + ["NO-SUCH-ID"]
    found = backend.products(ids)
    assert set(found) == set(ids[:25])
    assert all(found[product_id] == catalogue[product_id] for product_id in found)


def test_every_product_is_listed_once(backend: Backend, catalogue) -> None:
    listed = list(backend.all_products())
    assert len(listed) == len(catalogue) and {product.id: product for product in listed} == catalogue


def test_products_listed_with_some_fields_keep_those(backend: Backend, catalogue) -> None:
    listed = {product.id: product for product in backend.all_products(only=("brand", "category"))}
    assert listed.keys() == catalogue.keys()
    for product_id, product in listed.items():
        whole = catalogue[product_id]
        assert (product.title, product.brand, product.category) == (whole.title, whole.brand, whole.category)


def test_facets_count_the_given_products(backend: Backend, catalogue) -> None:
    ids = [product_id for product_id, product in catalogue.items() if product.category[:1] == ("Home",)]
    facets = backend.facets(ids, ("Home",))
    assert sum(value.count for value in facets.category) == len(ids)
    assert all(value.value.startswith("Home > ") for value in facets.category)
    counts = [value.count for value in facets.brand]
    assert counts == sorted(counts, reverse=True)
    assert sum(bucket.count for bucket in facets.price) == sum(catalogue[i].price is not None for i in ids)


def test_the_pipeline_runs_unchanged_over_the_backend(backend: Backend) -> None:
    pipeline = SearchPipeline(backend)
    filters = Filters(category=("Home",))
    for mode in ("bm25", "dense", "hybrid"):
        first = pipeline.search(SearchRequest("electric kettle", mode, size=5, filters=filters, explain=True))
        second = pipeline.search(SearchRequest("electric kettle", mode, page=2, size=5, filters=filters))
        assert len(first.hits) == 5 and first.total >= 10
        assert not {hit.product.id for hit in first.hits} & {hit.product.id for hit in second.hits}
        assert all(hit.product.category[0] == "Home" for hit in first.hits + second.hits)
        # the fused score, moved by business ranking (the sample's out-of-stock products go down)
        assert all(
            hit.explain.fused_score + sum(hit.explain.moves.values()) == pytest.approx(hit.score) for hit in first.hits
        )
        assert first.facets.category and first.facets.brand


def test_both_backends_retrieve_the_same_dense_neighbours(embedded, elasticsearch) -> None:
    """Same vectors, cosine on both sides: the same neighbours with the same scores."""
    for query in QUERIES:
        here, there = embedded.dense.search(query, 10), elasticsearch.dense.search(query, 10)
        assert [hit.product_id for hit in here] == [hit.product_id for hit in there]
        assert [hit.score for hit in here] == pytest.approx([hit.score for hit in there], abs=1e-4)


def test_both_backends_count_the_same_facets(embedded, elasticsearch, catalogue) -> None:
    ids = [hit.product_id for hit in embedded.dense.search("kitchen", 60)]
    for prefix in ((), ("Home",)):
        assert json.dumps(embedded.facets(ids, prefix), default=vars) == json.dumps(
            elasticsearch.facets(ids, prefix), default=vars
        )


def test_both_backends_find_mostly_the_same_keyword_hits(embedded, elasticsearch) -> None:
    """BM25 differs in detail (analyzers, the emulator's scoring), not in what matches best."""
    overlaps = []
    for query in QUERIES:
        here = {hit.product_id for hit in embedded.keyword.search(query, 10)}
        there = {hit.product_id for hit in elasticsearch.keyword.search(query, 10)}
        overlaps.append(len(here & there) / max(len(here), 1))
    assert sum(overlaps) / len(overlaps) >= 0.8


@pytest.fixture(params=["embedded", "elasticsearch"])
def location(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[IndexLocation]:
    """An empty index of each backend, to write to."""
    if request.param == "embedded":
        yield IndexLocation(str(tmp_path / "index"))
        return
    elastic = request.getfixturevalue("elastic")
    monkeypatch.setattr("search.elastic.LABEL_SECONDS", 0.0)  # each search looks behind the alias: a switch shows
    alias = unique_alias("writes")
    yield IndexLocation(alias, elastic)
    client = elastic.client()
    for index in physical_indices(client, alias):
        client.indices.delete(index=index, ignore_unavailable=True)


def served(location: IndexLocation, embedded: EmbeddedBackend) -> dict[str, Product]:
    """Every product the index serves now, as a fresh reader sees it."""
    return {product.id: product for product in location.open(embedded.encoder).all_products()}


def test_writes_build_update_delete_and_switch_alike(location: IndexLocation, embedded, catalogue) -> None:
    first, second = list(catalogue.values())[:12], list(catalogue.values())[12:20]
    writer = location.writer()
    built = writer.build(first)
    assert built.published and built.products == 12 and built.changes == {"added": 12}
    assert served(location, embedded) == {product.id: product for product in first}

    renamed = replace(first[0], title="Zephyrine Kettle")
    added = Product(id="NEW-1", title="Alpenware Trek Camping Stove", price=39.0)
    updated = writer.update([renamed, added, first[2]], [first[1].id, "NOT-THERE"])
    assert updated.changes == {"added": 1, "changed": 1, "unchanged": 1, "deleted": 1, "embedded": 2}
    assert updated.unknown_deletes == ["NOT-THERE"] and updated.products == 12 and updated.published
    expected = {product.id: product for product in [renamed, added, *first[2:]]}
    backend = location.open(embedded.encoder)
    assert served(location, embedded) == expected
    assert backend.keyword.search("zephyrine", 3)[0].product_id == renamed.id
    assert added.id in [hit.product_id for hit in backend.dense.search("camping stove", 3)]
    assert not writer.update([renamed]).published  # the same product again: nothing to write

    serving = writer.info().version
    with pytest.raises(IndexerError, match="both upserted and deleted"):
        writer.update([added], [added.id])
    with pytest.raises(IndexerError, match="no products"):
        writer.build([])
    assert served(location, embedded) == expected and writer.info().version == serving

    rebuilt = writer.build(second)
    assert served(location, embedded) == {product.id: product for product in second}
    assert {serving, rebuilt.version} <= set(writer.info().versions)
    back = writer.switch(serving)  # a rollback: the version served before the build
    assert back.published and back.version == serving and back.products == 12
    assert served(location, embedded) == expected
    assert location.open(embedded.encoder).keyword.search("zephyrine", 3)[0].product_id == renamed.id
    with pytest.raises(IndexNotFoundError, match="no-such-version"):
        writer.switch("no-such-version")
    assert writer.info().version == serving
    assert writer.switch(rebuilt.version).products == 8 and served(location, embedded).keys() == {
        product.id for product in second
    }


def test_the_stock_filter_applies_inside_each_leg(backend: Backend, catalogue) -> None:
    out = {product_id for product_id, product in catalogue.items() if not product.in_stock}
    assert 5 < len(out) < len(catalogue) / 4
    for leg in (backend.keyword, backend.dense):
        assert {hit.product_id for hit in leg.search("kettle mug lamp", 100, Filters(in_stock=False))} <= out
        assert not {hit.product_id for hit in leg.search("kettle mug lamp", 100, Filters(in_stock=True))} & out
    assert backend.out_of_stock


def test_variants_are_every_product_of_each_group(backend: Backend, catalogue) -> None:
    groups: dict[str, set[str]] = {}
    for product in catalogue.values():
        groups.setdefault(product.group_id, set()).add(product.id)
    asked = [group for group, ids in groups.items() if len(ids) > 1][:5] + ["no-such-group"]
    found = backend.variants(asked)
    assert {group: {product.id for product in products} for group, products in found.items()} == {
        group: groups[group] for group in asked[:5]
    }


def test_the_shops_controls_do_the_same_over_both_backends(embedded, elasticsearch) -> None:
    """Synonyms, rules, stock, sort and variants are stages over what a backend answers: the same settings give
    the same hits in the bm25 mode's order wherever BM25 agrees, and the same sets and orders by a field."""
    from search.merchandising import FixedMerchandising, Merchandising
    from search.request import Sort
    from search.rules import Rule
    from search.synonyms import Synonym

    shop = Merchandising(
        synonyms={"s": Synonym("s", ("zorblat", "kettle"))},
        rules={
            "r": Rule.from_json(
                "r",
                {"condition": {"query": "zorblat"}, "pin": [{"id": "SKU-1290", "position": 1}], "hide": ["SKU-1001"]},
            )
        },
    )
    answers = []
    for backend in (embedded, elasticsearch):
        pipeline = SearchPipeline(backend, merchandising=FixedMerchandising(shop))
        found = pipeline.search(SearchRequest("zorblat", "bm25", size=50, understand=False))
        by_price = pipeline.search(SearchRequest("kettle", "hybrid", size=50, sort=Sort("price")))
        grouped = pipeline.search(SearchRequest("electric kettle", "hybrid", size=50, distinct=True))
        out = pipeline.search(SearchRequest("kettle", "hybrid", size=50, filters=Filters(in_stock=False)))
        answers.append(
            (
                found.rules,
                found.synonyms,
                found.hits[0].product.id,
                {hit.product.id for hit in found.hits},
                [hit.product.price for hit in by_price.hits],
                {hit.product.group_id: hit.variants.count for hit in grouped.hits if hit.variants},
                {hit.product.id for hit in out.hits},
            )
        )
    here, there = answers
    assert here[:3] == there[:3] == (("r",), ("kettle",), "SKU-1290")
    assert "SKU-1001" not in here[3] | there[3] and len(here[3] & there[3]) >= 0.8 * len(here[3])
    assert here[4] == sorted(here[4]) and there[4] == sorted(there[4])
    assert here[5] == there[5] and any(count > 1 for count in here[5].values())
    assert here[6] == there[6] and here[6]


def test_the_shops_settings_are_kept_in_the_cluster(elastic, elastic_sample: str) -> None:
    from search.experiments import Arm, Experiment
    from search.merchandising import RECHECK, ElasticMerchandising
    from search.synonyms import Synonym

    writer, reader = ElasticMerchandising(elastic, elastic_sample), ElasticMerchandising(elastic, elastic_sample)
    before = reader.current().version
    changed = writer.change(lambda current: current.with_synonyms([Synonym("c", ("couch", "sofa"))]))
    assert changed.version == before + 1
    trial = Experiment(name="trial", method="ab", b=Arm(label="bm25", mode="bm25"), started_at="2026-12-07T00:00:00")
    writer.change(lambda current: current.with_entries("experiments", [trial]))
    __import__("time").sleep(RECHECK)
    assert reader.current().synonyms["c"].synonyms == ("couch", "sofa") and reader.current().version == before + 2
    assert reader.current().experiment == trial  # the running one, for every replica
    writer.change(lambda current: replace(current.without("synonym", "c"), experiments={}))


def test_a_products_nearest_neighbours_start_with_itself(backend: Backend, catalogue) -> None:
    product_id = "SKU-1002"
    hits = backend.dense.near(product_id, 5)
    assert hits[0].product_id == product_id and hits[0].score == pytest.approx(1.0, abs=1e-3)
    filtered = backend.dense.near(product_id, 5, Filters(brands=("Brevilla",)))
    assert filtered and {catalogue[hit.product_id].brand for hit in filtered} == {"Brevilla"}
    assert backend.dense.near("NO-SUCH-ID", 5) == []


def test_both_backends_find_the_same_similar_products(embedded, elasticsearch) -> None:
    from search.similar import similar

    here = similar(SearchPipeline(embedded), "SKU-1002", 8)
    there = similar(SearchPipeline(elasticsearch), "SKU-1002", 8)
    assert [hit.product.id for hit in here.hits] == [hit.product.id for hit in there.hits]


def test_both_backends_give_the_same_also_viewed_products(embedded, elasticsearch) -> None:
    """Co-occurring products as both backends read them: the variant and an unknown id left out, filters and the
    shop's stock setting applied to them, similar products filling the rest."""
    from search.also_viewed import also_viewed
    from search.merchandising import FixedMerchandising, Merchandising, Ranking

    pan, variant, mug, mat = "SKU-1036", "SKU-1011", "SKU-1279", "SKU-1245"  # the pan is out of stock
    related = [(pan, 0.9), (variant, 0.8), (mug, 0.7), ("NO-SUCH", 0.6), (mat, 0.5)]
    answers = []
    for backend in (embedded, elasticsearch):
        answer = {}
        for stock in ("ignore", "hide", "demote"):
            shop = FixedMerchandising(Merchandising(ranking=Ranking(stock=stock)))
            pipeline = SearchPipeline(backend, merchandising=shop)
            found = also_viewed(pipeline, "SKU-1002", 6, Filters(), related)
            answer[stock] = [(hit.hit.product.id, hit.source, hit.hit.product.in_stock) for hit in found.hits]
            if stock == "ignore":
                narrowed = also_viewed(pipeline, "SKU-1002", 4, Filters(category=("Home",), price_min=10.0), related)
                answer["narrowed"] = [(hit.hit.product.id, hit.source) for hit in narrowed.hits]
        answers.append(answer)
    here, there = answers
    assert here == there
    viewed = [(pan, "also_viewed", False), (mug, "also_viewed", True), (mat, "also_viewed", True)]
    assert here["ignore"][:3] == viewed and {source for _, source, _ in here["ignore"][3:]} == {"similar"}
    assert here["hide"][:2] == viewed[1:] and all(in_stock for _, _, in_stock in here["hide"])
    assert here["demote"][:2] == viewed[1:] and (pan, "also_viewed", False) not in here["demote"][:2]
    in_stock = [in_stock for _, _, in_stock in here["demote"]]
    assert in_stock == sorted(in_stock, reverse=True)
    assert here["narrowed"][0] == (pan, "also_viewed") and mug not in {product for product, _ in here["narrowed"]}
    assert len(here["narrowed"]) == 4 and {source for _, source in here["narrowed"][1:]} == {"similar"}
