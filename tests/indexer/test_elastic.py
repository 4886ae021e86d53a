"""Indexing into Elasticsearch: versioned indices behind an alias, in-place updates, failures that keep the alias."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from elasticsearch import NotFoundError

import indexer.elastic
from indexer.elastic import (
    ElasticConfig,
    ElasticWriter,
    fetch_documents,
    physical_indices,
    served_index,
)
from indexer.elastic_lock import LOCKS
from indexer.errors import JobError
from indexer.settings import BuildSettings
from indexer.writes import build_from_file, update_from_files
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


def lock_of(elastic: ElasticConfig, alias: str) -> dict | None:
    """The write lock document of `alias`, if a job holds one."""
    try:
        return elastic.client().get(index=LOCKS, id=alias)["_source"]
    except NotFoundError:
        return None


@contextmanager
def held_build(job: Callable[[], object], monkeypatch: pytest.MonkeyPatch) -> Iterator[dict]:
    """`job` (a build) run in a thread and held in its embedding step, its lock taken and nothing written,
    until the block ends; then its report, or its error, in the dict yielded."""
    embedding, go_on, outcome = threading.Event(), threading.Event(), {}
    embed = indexer.elastic.embed_products

    def held(*args, **kwargs):
        if threading.current_thread() is thread:
            embedding.set()
            go_on.wait(60)
        return embed(*args, **kwargs)

    def run() -> None:
        try:
            outcome["report"] = job()
        except Exception as error:  # handed to the test
            outcome["error"] = error

    monkeypatch.setattr("indexer.elastic.embed_products", held)
    thread = threading.Thread(target=run)
    thread.start()
    assert embedding.wait(60), outcome
    try:
        yield outcome
    finally:
        go_on.set()
        thread.join(60)


def test_a_rebuild_moves_the_alias_and_keeps_the_indices_asked_for(elastic, alias, small, tmp_path) -> None:
    first = build_from_file(ElasticWriter(elastic, alias), catalogue(tmp_path, small))
    client = elastic.client()
    assert first.version == f"{alias}-v000001" and served_index(client, alias) == first.version
    assert client.count(index=alias)["count"] == 40

    second = build_from_file(ElasticWriter(elastic, alias), catalogue(tmp_path, small[:30]))
    assert second.version == f"{alias}-v000002" and second.removed == []  # kept: the default keeps 3 versions
    assert served_index(client, alias) == second.version
    assert physical_indices(client, alias) == [first.version, second.version]
    assert client.count(index=alias)["count"] == 30

    third = build_from_file(
        ElasticWriter(elastic, alias), catalogue(tmp_path, small[:20]), BuildSettings(keep_versions=1)
    )
    assert third.removed == [first.version, second.version] and physical_indices(client, alias) == [third.version]


def test_a_failed_build_leaves_the_served_index_alone(elastic, alias, small, tmp_path, monkeypatch) -> None:
    served = build_from_file(ElasticWriter(elastic, alias), catalogue(tmp_path, small)).version

    bad = catalogue(tmp_path, [*small[:5], {"id": "", "title": "no id"}], "bad.jsonl")
    result = prodsearch(
        "index", "build", str(bad), "--out", alias, "--backend", "elasticsearch", "--es-url", elastic.url
    )
    assert result.returncode == 2 and "line 6" in result.stderr

    def broken(*args, **kwargs):
        raise RuntimeError("the cluster fell over mid-write")

    monkeypatch.setattr("indexer.elastic.write_documents", broken)
    with pytest.raises(RuntimeError, match="mid-write"):
        build_from_file(ElasticWriter(elastic, alias), catalogue(tmp_path, small[:10]))
    client = elastic.client()
    assert served_index(client, alias) == served and physical_indices(client, alias) == [served]
    assert client.count(index=alias)["count"] == 40
    assert lock_of(elastic, alias) is None  # released however the job ended


def test_an_orphan_of_a_killed_build_is_deleted_by_the_next(elastic, alias, small, tmp_path) -> None:
    build_from_file(ElasticWriter(elastic, alias), catalogue(tmp_path, small))
    client = elastic.client()
    client.indices.create(index=f"{alias}-v000002")  # what a build killed mid-write leaves
    report = build_from_file(ElasticWriter(elastic, alias), catalogue(tmp_path, small))
    assert report.version == f"{alias}-v000003" and report.removed == [f"{alias}-v000002"]
    assert physical_indices(client, alias) == [f"{alias}-v000001", report.version]


def test_an_update_writes_in_place_and_equals_a_full_build(elastic, alias, small, tmp_path) -> None:
    build_from_file(ElasticWriter(elastic, alias), catalogue(tmp_path, small))
    renamed = {**small[0], "title": "Zephyrine Kettle"}
    repriced = {**small[1], "price": 1.5}
    added = {"id": "NEW-1", "title": "Alpenware Trek Camping Stove", "price": 39}
    delta = catalogue(tmp_path, [renamed, repriced, small[2], added], "delta.jsonl")
    deletes = tmp_path / "deletes.txt"
    deletes.write_text(f"{small[3]['id']}\n{small[4]['id']}\nNOT-THERE\n")

    report = update_from_files(ElasticWriter(elastic, alias), delta, deletes)
    assert report.changes == {"added": 1, "changed": 2, "unchanged": 1, "deleted": 2, "embedded": 2}
    assert report.unknown_deletes == ["NOT-THERE"] and report.version == f"{alias}-v000001"

    final = [renamed, repriced, *small[2:3], *small[5:], added]
    rebuilt = unique_alias()
    try:
        build_from_file(ElasticWriter(elastic, rebuilt), catalogue(tmp_path, final, "final.jsonl"))
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

    again = update_from_files(ElasticWriter(elastic, alias), delta)
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


def test_two_jobs_at_once_take_turns(elastic, alias, small, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr("indexer.elastic_lock.TTL", 0.8)  # heartbeats every 0.2 s
    served = build_from_file(ElasticWriter(elastic, alias), catalogue(tmp_path, small)).version
    delta = catalogue(tmp_path, [{**small[0], "title": "Zephyrine Kettle"}], "delta.jsonl")
    client = elastic.client()
    rebuild = catalogue(tmp_path, small[:30], "rebuild.jsonl")
    with held_build(lambda: build_from_file(ElasticWriter(elastic, alias), rebuild), monkeypatch) as first:
        time.sleep(2.0)  # more than twice the TTL: the running job's heartbeats keep its lock
        holder = lock_of(elastic, alias)
        assert holder["job"] == "build" and holder["pid"] == os.getpid()
        refusal = rf"another job is writing to '{alias}': build on \S+ \(pid {os.getpid()}\) since "
        with pytest.raises(JobError, match=refusal) as refused:
            build_from_file(ElasticWriter(elastic, alias), catalogue(tmp_path, small))
        assert f"DELETE /{LOCKS}/_doc/{alias}" in str(refused.value)
        with pytest.raises(JobError, match=refusal):
            update_from_files(ElasticWriter(elastic, alias), delta)
        es = ["--backend", "elasticsearch", "--es-url", elastic.url]
        other = prodsearch("index", "update", alias, "--upsert", str(delta), *es)  # another process
        assert other.returncode == 1 and "another job is writing" in other.stderr, other.stderr
        assert physical_indices(client, alias) == [served] and client.count(index=alias)["count"] == 40
    assert first["report"].version == f"{alias}-v000002" and first["report"].removed == []
    assert physical_indices(client, alias) == [served, first["report"].version]
    assert served_index(client, alias) == f"{alias}-v000002" and lock_of(elastic, alias) is None
    assert update_from_files(ElasticWriter(elastic, alias), delta).changes["changed"] == 1  # its turn now
    assert client.count(index=alias)["count"] == 30 and lock_of(elastic, alias) is None


def test_a_job_whose_lock_was_taken_leaves_the_alias_to_the_taker(elastic, alias, small, tmp_path, monkeypatch):
    build_from_file(ElasticWriter(elastic, alias), catalogue(tmp_path, small))
    client = elastic.client()
    rebuild = catalogue(tmp_path, small[:30], "rebuild.jsonl")
    with held_build(lambda: build_from_file(ElasticWriter(elastic, alias), rebuild), monkeypatch) as first:
        client.delete(index=LOCKS, id=alias)  # forced by hand, as the refusal says, though the job lives
        second = build_from_file(ElasticWriter(elastic, alias), catalogue(tmp_path, small[:20]))
    assert isinstance(first.get("error"), JobError), first
    assert f"lost its write lock on '{alias}' (its lock document was deleted)" in str(first["error"])
    assert served_index(client, alias) == second.version
    assert physical_indices(client, alias) == [f"{alias}-v000001", second.version]  # nothing of the first's
    assert client.count(index=alias)["count"] == 20


def test_a_dead_jobs_lock_is_taken_over_once_it_expires(elastic, alias, small, tmp_path) -> None:
    client = elastic.client()
    dead = {"owner": "0" * 32, "job": "update", "host": "elsewhere", "pid": 1, "acquired_at": "2024-01-01T00:00:00"}
    client.index(index=LOCKS, id=alias, document={**dead, "expires_at": time.time() + 60, "expires": "soon"})
    with pytest.raises(JobError, match=rf"writing to '{alias}': update on elsewhere \(pid 1\)"):
        build_from_file(ElasticWriter(elastic, alias), catalogue(tmp_path, small))
    assert physical_indices(client, alias) == []
    client.index(index=LOCKS, id=alias, document={**dead, "expires_at": time.time() - 1, "expires": "passed"})
    assert build_from_file(ElasticWriter(elastic, alias), catalogue(tmp_path, small)).version == f"{alias}-v000001"
    assert lock_of(elastic, alias) is None
