"""Indexing into Elasticsearch: versioned indices behind an alias, in-place updates, failures that keep the alias."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from indexer.elastic import (
    ElasticConfig,
    build_elastic,
    fetch_documents,
    physical_indices,
    served_index,
    update_elastic,
)
from tests.elastic_server import unique_alias
from tests.helpers import prodsearch, write_jsonl


@pytest.fixture
def alias(elastic: ElasticConfig):
    name = unique_alias()
    yield name
    client = elastic.client()
    for index in physical_indices(client, name):
        client.indices.delete(index=index, ignore_unavailable=True)


@pytest.fixture(scope="module")
def small(sample_records: list[dict], tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    return sample_records[:40]


def catalogue(tmp_path: Path, records: list[dict], name: str = "catalogue.jsonl") -> Path:
    return write_jsonl(tmp_path / name, records)


def test_a_rebuild_moves_the_alias_and_deletes_the_old_index(elastic, alias, small, tmp_path) -> None:
    first = build_elastic(catalogue(tmp_path, small), elastic, alias)
    client = elastic.client()
    assert first.index == f"{alias}-v000001" and served_index(client, alias) == first.index
    assert client.count(index=alias)["count"] == 40

    second = build_elastic(catalogue(tmp_path, small[:30]), elastic, alias)
    assert second.index == f"{alias}-v000002" and second.removed == [first.index]
    assert served_index(client, alias) == second.index and physical_indices(client, alias) == [second.index]
    assert client.count(index=alias)["count"] == 30


def test_a_failed_build_leaves_the_served_index_alone(elastic, alias, small, tmp_path, monkeypatch) -> None:
    served = build_elastic(catalogue(tmp_path, small), elastic, alias).index

    bad = catalogue(tmp_path, [*small[:5], {"id": "", "title": "no id"}], "bad.jsonl")
    result = prodsearch(
        "index", "build", str(bad), "--out", alias, "--backend", "elasticsearch", "--es-url", elastic.url
    )
    assert result.returncode == 2 and "line 6" in result.stderr

    def broken(*args, **kwargs):
        raise RuntimeError("the cluster fell over mid-write")

    monkeypatch.setattr("indexer.elastic.write_documents", broken)
    with pytest.raises(RuntimeError, match="mid-write"):
        build_elastic(catalogue(tmp_path, small[:10]), elastic, alias)
    client = elastic.client()
    assert served_index(client, alias) == served and physical_indices(client, alias) == [served]
    assert client.count(index=alias)["count"] == 40


def test_an_orphan_of_a_killed_build_is_deleted_by_the_next(elastic, alias, small, tmp_path) -> None:
    build_elastic(catalogue(tmp_path, small), elastic, alias)
    client = elastic.client()
    client.indices.create(index=f"{alias}-v000002")  # what a build killed mid-write leaves
    report = build_elastic(catalogue(tmp_path, small), elastic, alias)
    assert report.index == f"{alias}-v000003"
    assert physical_indices(client, alias) == [report.index]


def test_an_update_writes_in_place_and_equals_a_full_build(elastic, alias, small, tmp_path) -> None:
    build_elastic(catalogue(tmp_path, small), elastic, alias)
    renamed = {**small[0], "title": "Zephyrine Kettle"}
    repriced = {**small[1], "price": 1.5}
    added = {"id": "NEW-1", "title": "Alpenware Trek Camping Stove", "price": 39}
    delta = catalogue(tmp_path, [renamed, repriced, small[2], added], "delta.jsonl")
    deletes = tmp_path / "deletes.txt"
    deletes.write_text(f"{small[3]['id']}\n{small[4]['id']}\nNOT-THERE\n")

    report = update_elastic(elastic, alias, delta, deletes)
    assert report.changes == {"added": 1, "changed": 2, "unchanged": 1, "deleted": 2, "embedded": 2}
    assert report.unknown_deletes == ["NOT-THERE"] and report.index == f"{alias}-v000001"

    final = [renamed, repriced, *small[2:3], *small[5:], added]
    rebuilt = unique_alias()
    try:
        build_elastic(catalogue(tmp_path, final, "final.jsonl"), elastic, rebuilt)
        client = elastic.client()
        ids = [record["id"] for record in final]
        fields = ["product", "vector", "content_hash"]
        updated, full = fetch_documents(client, alias, ids, fields), fetch_documents(client, rebuilt, ids, fields)
        assert set(updated) == set(full) == set(ids)
        for product_id in ids:
            assert updated[product_id]["product"] == full[product_id]["product"]
            np.testing.assert_allclose(updated[product_id]["vector"], full[product_id]["vector"], atol=1e-5)
        assert client.count(index=alias)["count"] == len(final)
    finally:
        for index in physical_indices(elastic.client(), rebuilt):
            elastic.client().indices.delete(index=index)

    again = update_elastic(elastic, alias, delta)
    assert not again.published and again.changes["changed"] == 0


def test_index_commands_work_against_the_cluster(elastic, alias, small, tmp_path) -> None:
    es = ["--backend", "elasticsearch", "--es-url", elastic.url]
    built = prodsearch("index", "build", str(catalogue(tmp_path, small)), "--out", alias, *es)
    assert built.returncode == 0, built.stderr
    assert f"{alias}: serving {alias}-v000001 with 40 products" in built.stdout
    info = json.loads(prodsearch("index", "info", alias, *es, "--json", check=True).stdout)
    assert info["index"] == f"{alias}-v000001" and info["documents"] == 40
    delta = catalogue(tmp_path, [{**small[0], "title": "Zephyrine Kettle"}], "delta.jsonl")
    updated = prodsearch("index", "update", alias, "--upsert", str(delta), *es, check=True)
    assert "changed 1" in updated.stdout
    found = json.loads(prodsearch("search", alias, "zephyrine", "--mode", "bm25", "--json", *es, check=True).stdout)
    assert found["hits"][0]["id"] == small[0]["id"] and found["index_version"] == f"{alias}-v000001"


def test_no_alias_is_a_clear_error(elastic) -> None:
    result = prodsearch("search", "no-such-alias", "kettle", "--backend", "elasticsearch", "--es-url", elastic.url)
    assert result.returncode == 2
    assert "no index behind the alias 'no-such-alias'" in result.stderr and "Traceback" not in result.stderr
