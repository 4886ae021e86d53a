"""One write suite over both backends: live writes through the embedded index's log and an Elasticsearch alias."""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from indexer import Product, build_from_file
from indexer.elastic import ElasticWriter, Superseded, physical_indices
from search import EmbeddedBackend, Filters, SearchPipeline, SearchRequest
from search.elastic import ElasticBackend
from search.live import FixedSearch, LiveSearch
from tests.elastic_server import unique_alias

NEW = Product(
    id="W-1",
    title="Ombrevane linen deck chair",
    description="A folding deck chair for the balcony.",
    category=("Garden", "Furniture"),
    brand="Ombrevane",
    price=77.7,
)
Served = LiveSearch | FixedSearch


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory, sample_index: Path) -> Iterator[Served]:
    root = Path(shutil.copytree(sample_index, tmp_path_factory.mktemp("writes") / "index"))
    live = LiveSearch(root, lambda version, encoder: SearchPipeline(EmbeddedBackend(version, encoder)), 0.1)
    live.start()
    yield live
    live.stop()


@pytest.fixture(scope="module")
def elasticsearch(elastic, sample_catalogue: Path) -> Iterator[Served]:
    alias = unique_alias("writes")
    writer = ElasticWriter(elastic, alias)
    build_from_file(writer, sample_catalogue)
    yield FixedSearch(ElasticBackend(elastic, alias), SearchPipeline, writer)
    client = elastic.client()
    for index in physical_indices(client, alias):
        client.indices.delete(index=index, ignore_unavailable=True)


@pytest.fixture(params=["embedded", "elasticsearch"])
def served(request: pytest.FixtureRequest) -> Served:
    return request.getfixturevalue(request.param)


def _write(served: Served, upserts: list[Product] = (), deletes: list[str] = ()) -> None:
    change = served.write(lambda latest: (upserts, deletes))
    assert served.wait(change.sequence, 5), "not searchable within 5 s"


def _ids(served: Served, query: str, mode: str, filters: Filters = Filters()) -> list[str]:
    request = SearchRequest(query=query, mode=mode, filters=filters, size=20, understand=False)
    return [hit.product.id for hit in served.pipeline.search(request).hits]


def test_a_written_product_is_searched_filtered_and_fetched(served: Served) -> None:
    _write(served, [NEW])
    for mode in ("bm25", "dense", "hybrid"):
        assert _ids(served, "ombrevane deck chair", mode)[0] == "W-1", mode
    for mode in ("bm25", "dense"):
        assert _ids(served, "deck chair", mode, Filters(brands=("Ombrevane",))) == ["W-1"], mode
    assert served.latest("W-1") == NEW


def test_a_price_change_moves_between_filters_without_the_encoder(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(served, [NEW])
    monkeypatch.setattr("indexer.writes.encode_passages", lambda *a, **k: pytest.fail("a field-only change embedded"))
    _write(served, [dataclasses.replace(NEW, price=5.25)])
    monkeypatch.undo()
    for mode in ("bm25", "dense"):
        assert _ids(served, "deck chair", mode, Filters(price_min=5.2, price_max=5.3)) == ["W-1"], mode
        assert "W-1" not in _ids(served, "deck chair", mode, Filters(price_min=70)), mode


def test_a_deleted_product_is_gone_from_every_leg(served: Served) -> None:
    _write(served, [NEW])
    _write(served, [], ["W-1"])
    for mode in ("bm25", "dense", "hybrid"):
        assert "W-1" not in _ids(served, "ombrevane deck chair", mode), mode
    assert served.latest("W-1") is None


def test_a_late_write_never_replaces_a_later_one_in_the_cluster(elasticsearch: FixedSearch, elastic) -> None:
    from indexer import Source

    writer = elasticsearch._writer
    _write(elasticsearch, [dataclasses.replace(NEW, price=10.0)])
    late = elasticsearch.tasks.applied - 1_000_000  # sent a second before the one already stored
    with pytest.raises(Superseded, match="a later write of W-1 is stored already"):
        writer.update([dataclasses.replace(NEW, price=99.0)], (), Source("live", sequence=late))
    assert elasticsearch.latest("W-1").price == 10.0
    assert elasticsearch.tasks.status(elasticsearch.tasks.applied, 0) == "applied"
    assert elasticsearch.tasks.status(late, 0) is None  # a number no write of this service had
