"""Live changes over a served version: searchable in every leg and filter at once, durable, folded into versions."""

from __future__ import annotations

import dataclasses
import shutil
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from indexer import BuildSettings, DirectoryWriter, Product, build_from_file
from indexer.dense import DenseSettings
from indexer.errors import JobError
from indexer.reader import open_version
from indexer.versions import IndexRoot
from search.backend import EmbeddedBackend
from search.compaction import Compactor, compact
from search.filters import Filters
from search.live import LiveSearch
from search.pipeline import SearchPipeline, SearchRequest
from tests.helpers import RELEVANCE_ONLY

NEW = Product(
    id="LIVE-1",
    title="Quixotrel ceramic pour-over kettle",
    description="A gooseneck kettle for slow coffee.",
    category=("Home", "Kitchen", "Kettles"),
    brand="Quixotrel",
    price=41.37,
    attributes={"colour": ("teal",)},
)


OPENED: list[LiveSearch] = []


def _live(root: Path, writes: bool = True) -> LiveSearch:
    def pipeline(version, encoder) -> SearchPipeline:
        return SearchPipeline(EmbeddedBackend(version, encoder), merchandising=RELEVANCE_ONLY)

    live = LiveSearch(root, pipeline, 0.1, writes)
    OPENED.append(live)
    return live


@pytest.fixture(autouse=True)
def _stopped() -> Iterator[None]:
    yield
    while OPENED:
        OPENED.pop().stop()


def _write(live: LiveSearch, upserts: list[Product] = (), deletes: list[str] = ()) -> int:
    sequence = live.write(lambda latest: (upserts, deletes)).sequence
    assert live.apply() == sequence
    return sequence


def _ids(live: LiveSearch, query: str, mode: str, filters: Filters | None = None) -> list[str]:
    request = SearchRequest(query=query, mode=mode, filters=filters or Filters(), size=50)
    return [hit.product.id for hit in live.pipeline.search(request).hits]


@pytest.fixture
def root(tmp_path: Path, sample_index: Path) -> Path:
    return Path(shutil.copytree(sample_index, tmp_path / "index"))


def test_a_new_product_is_found_by_every_leg_filter_facet_and_the_speller(root: Path) -> None:
    live = _live(root)
    _write(live, [NEW])
    for mode in ("bm25", "dense", "hybrid"):
        assert "LIVE-1" in _ids(live, "quixotrel pour-over kettle", mode)[:3], mode
    for filters in (
        Filters(brands=("quixotrel",)),
        Filters(price_min=41.3, price_max=41.4),
        Filters(attributes=(("colour", ("teal",)),)),
    ):
        for mode in ("bm25", "dense"):
            assert _ids(live, "kettle", mode, filters) == ["LIVE-1"], (mode, filters)
    response = live.pipeline.search(SearchRequest(query="quixotrel", mode="bm25"))
    assert {"value": "Quixotrel", "count": 1} in [dataclasses.asdict(v) for v in response.facets.brand]
    assert live.pipeline.backend.products(["LIVE-1"]) == {"LIVE-1": NEW}
    assert live.pipeline.search(SearchRequest(query="quixotrell kettle", mode="bm25")).reading.corrected_query
    assert "Quixotrel" in live.pipeline.backend.vocabulary.brands
    assert live.pipeline.backend.describe().products == 301


def test_a_price_change_keeps_the_vector_and_moves_the_product_between_filters(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    live = _live(root)
    old = live.latest("SKU-1001")
    embedded: list[int] = []
    encoder = live.index.encoder
    monkeypatch.setattr(encoder, "encode", lambda texts, *a, **k: embedded.append(len(texts)))
    _write(live, [dataclasses.replace(old, price=1234.0)])
    assert embedded == []  # a field-only change never reaches the encoder
    monkeypatch.undo()
    for mode in ("bm25", "dense"):
        assert _ids(live, old.title, mode, Filters(price_min=1000)) == ["SKU-1001"]
        assert "SKU-1001" not in _ids(live, old.title, mode, Filters(price_max=old.price + 1))


def test_changed_text_and_deletes_leave_no_trace_of_the_old_product(root: Path) -> None:
    live = _live(root)
    old = live.latest("SKU-1002")
    _write(live, [dataclasses.replace(old, title="Brontesque velvet armchair", description="")], ["SKU-1003"])
    for mode in ("bm25", "dense", "hybrid"):
        found = _ids(live, old.title, mode)
        assert len(found) == len(set(found)) and "SKU-1003" not in found, mode
    assert _ids(live, "brontesque", "bm25") == ["SKU-1002"]
    assert live.pipeline.backend.products(["SKU-1003"]) == {}
    assert all(product.id != "SKU-1003" for product in live.pipeline.backend.all_products())


def test_hnsw_skips_the_rows_of_deleted_products(tmp_path: Path, sample_catalogue: Path) -> None:
    root = tmp_path / "hnsw"
    build_from_file(DirectoryWriter(root), sample_catalogue, BuildSettings(dense=DenseSettings(kind="hnsw")))
    live = _live(root)
    before = _ids(live, "electric kettle", "dense")[:5]
    _write(live, [], before[:2])
    after = _ids(live, "electric kettle", "dense")
    assert not set(before[:2]) & set(after) and after[:3] == before[2:5]
    # a wide filter (most products are in stock) is applied while walking the graph, deleted rows still skipped
    in_stock = _ids(live, "electric kettle", "dense", Filters(in_stock=True))
    backend = live.pipeline.backend
    assert in_stock and all(product.in_stock for product in backend.products(in_stock).values())
    assert not set(before[:2]) & set(in_stock)
    assert set(_ids(live, "electric kettle", "dense")) - set(in_stock) == {
        product_id for product_id, product in backend.products(after).items() if not product.in_stock
    }


def test_writes_survive_a_restart_and_the_version_files_stay_as_built(root: Path) -> None:
    live = _live(root)
    _write(live, [NEW], ["SKU-1004"])
    open_version(IndexRoot(root).current())  # every checksum still holds: live changes live beside the version
    again = _live(root)
    assert again.latest("LIVE-1") == NEW and again.latest("SKU-1004") is None
    assert _ids(again, "quixotrel", "bm25") == ["LIVE-1"]


def test_a_reader_process_follows_and_cannot_write(root: Path) -> None:
    writer, reader = _live(root), _live(root)
    assert writer.writer and not reader.writer
    with pytest.raises(Exception, match=f"process {__import__('os').getpid()} on .* is the writer"):
        reader.write(lambda latest: ([NEW], []))
    _write(writer, [NEW])
    reader.apply()
    assert _ids(reader, "quixotrel", "bm25") == ["LIVE-1"]


def test_compaction_folds_the_changes_into_a_version_and_writes_go_on(root: Path) -> None:
    live = _live(root)
    _write(live, [NEW], ["SKU-1005"])
    report = compact(live)
    assert report.version == "v000002" and report.changes["added"] == 1 and report.changes["deleted"] == 1
    last = _write(live, [dataclasses.replace(NEW, price=10.0)])  # written after the fold, before the switch
    assert live.refresh() and live.version == "v000002"
    assert live.index.version.manifest.live_sequence == 1 and live.index.sequence == last
    assert live.latest("LIVE-1").price == 10.0 and live.latest("SKU-1005") is None
    assert _ids(live, "quixotrel", "bm25", Filters(price_max=11)) == ["LIVE-1"]


def test_an_index_update_run_beside_live_writes_loses_none_of_them(root: Path, tmp_path: Path) -> None:
    live = _live(root)
    _write(live, [NEW])
    batch = [dataclasses.replace(live.latest("SKU-1006"), price=1.0), dataclasses.replace(NEW, price=99.0)]
    DirectoryWriter(root).update(batch)  # a shop's batch job, as `prodsearch index update` runs it
    assert live.refresh()
    # the live write is replayed over the job's version: per id the last acknowledged write wins
    assert live.latest("LIVE-1") == NEW and live.latest("SKU-1006").price == 1.0


def test_the_service_compacts_in_the_background_while_writes_go_on(root: Path) -> None:
    live = LiveSearch(
        root,
        lambda version, encoder: SearchPipeline(EmbeddedBackend(version, encoder)),
        0.1,
        compactor=Compactor(after_changes=3),
    )
    OPENED.append(live)
    live.start()
    written = []
    deadline = time.monotonic() + 60
    while live.version == "v000001" and time.monotonic() < deadline:
        number = len(written)
        product = Product(id=f"BG-{number}", title=f"Background widget {number}", price=float(number))
        written.append(live.write(lambda latest, product=product: ([product], [])).sequence)
        time.sleep(0.05)
    assert live.version != "v000001", "no compaction within 60 s"
    assert live.wait(written[-1], 5)
    assert all(live.latest(f"BG-{number}") is not None for number in range(len(written)))
    assert live.index.version.manifest.live_sequence >= 3
    assert len(_ids(live, "background widget", "bm25")) == min(len(written), 50)


def test_compaction_embeds_nothing_the_live_changes_embedded(root: Path) -> None:
    live = _live(root)
    _write(live, [NEW])
    live_vector = live.index.snapshot.dense.extra[-1].copy()
    report = compact(live)  # in a child process, which counts what it embedded
    assert report.changes["embedded"] == 0 and report.changes["added"] == 1
    assert live.refresh()
    version = live.index.version
    assert (version.dense.matrix()[version.row_of["LIVE-1"]] == live_vector).all()


def test_compaction_waits_while_an_indexing_job_holds_the_index(root: Path) -> None:
    live = _live(root)
    _write(live, [NEW])
    with IndexRoot(root).writing(), pytest.raises(JobError, match="another indexing job is running"):
        compact(live)
    assert Compactor(after_changes=1).maybe(live) is not None  # the job is over: the fold goes ahead


def test_compaction_refuses_to_fold_onto_a_version_it_does_not_serve(root: Path) -> None:
    live = _live(root)
    _write(live, [NEW])
    DirectoryWriter(root).update([dataclasses.replace(live.latest("SKU-1007"), price=2.0)])  # not yet served
    with pytest.raises(JobError, match="v000002 is the index's version now, not v000001"):
        compact(live)
    assert live.refresh() and Compactor(after_changes=1).maybe(live).version == "v000003"
    assert live.latest("LIVE-1") == NEW


def test_variants_follow_live_writes(root: Path) -> None:
    live = _live(root)
    group = "salton-home-pro-electric-kettle"
    before = {product.id for product in live.pipeline.backend.variants({group})[group]}
    assert len(before) >= 2
    gone, *kept = sorted(before)
    _write(live, [replace(NEW, group_id=group)], [gone])
    after = {product.id for product in live.pipeline.backend.variants({group})[group]}
    assert after == {*kept, NEW.id}
    moved = live.latest(kept[0])
    _write(live, [replace(moved, group_id="another-group")])
    assert kept[0] not in {product.id for product in live.pipeline.backend.variants({group})[group]}
