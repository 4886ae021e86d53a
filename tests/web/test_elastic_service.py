"""The service over the Elasticsearch backend: every mode over HTTP, an alias swap under traffic, a cluster
that is down or silent."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from indexer import build_from_file
from indexer.elastic import ElasticConfig, ElasticWriter, physical_indices
from tests.elastic_server import noida, unique_alias
from tests.helpers import LiveServer, write_jsonl
from web import ServiceConfig, create_app


def service(config: ElasticConfig, alias: str, reranker: Path | None = None) -> LiveServer:
    settings = ServiceConfig(index=alias, backend="elasticsearch", es_url=config.url, reranker_dir=reranker)
    return LiveServer(create_app(settings))


@pytest.fixture(scope="module")
def server(elastic: ElasticConfig, elastic_sample: str, pinned_reranker: Path) -> Iterator[LiveServer]:
    live = service(elastic, elastic_sample, pinned_reranker)
    yield live
    live.close()


@pytest.mark.parametrize("mode", ["bm25", "dense", "hybrid", "rerank"])
def test_every_mode_with_filters_and_facets(server: LiveServer, elastic_sample: str, mode: str) -> None:
    # the words only: understood, "electric kettle" would keep electric kettles alone (see the next test)
    params = {"q": "electric kettle", "mode": mode, "category": "Home", "price_max": 80, "k": 5, "understand": 0}
    body = requests.get(server.url + "/api/search", params=params, timeout=30).json()
    assert body["index_version"] == f"{elastic_sample}-v000001"
    assert body["rerank"] == ("on" if mode == "rerank" else "off")
    assert len(body["hits"]) == 5
    assert all(hit["category"].startswith("Home > ") and hit["price"] <= 80 for hit in body["hits"])
    assert body["facets"]["category"] and all(f["value"].startswith("Home > ") for f in body["facets"]["category"])
    assert sum(bucket["count"] for bucket in body["facets"]["price"]) == body["total"]
    brand = body["facets"]["brand"][0]["value"]
    narrowed = requests.get(server.url + "/api/search", params={**params, "brand": brand}, timeout=30).json()
    assert narrowed["hits"] and {hit["brand"] for hit in narrowed["hits"]} == {brand}


def test_understanding_reads_the_clusters_vocabulary(server: LiveServer) -> None:
    body = requests.get(server.url + "/api/search", params={"q": "red kettle under 90"}, timeout=30).json()
    assert [(span["kind"], span["effect"]) for span in body["understood"]] == [
        ("colour", "filter"),
        ("category", "filter"),
        ("price", "filter"),
    ]
    assert body["hits"] and all(hit["price"] <= 90 and hit["category"].endswith("Kettles") for hit in body["hits"])
    assert all(hit["title"].endswith("Red") for hit in body["hits"])


def test_products_and_health(server: LiveServer, elastic_sample: str) -> None:
    product = requests.get(server.url + "/api/products/SKU-1001", timeout=30)
    assert product.status_code == 200 and product.json()["attributes"]["colour"] == ["silver"]
    assert requests.get(server.url + "/api/products/NOPE", timeout=30).status_code == 404
    health = requests.get(server.url + "/healthz", timeout=30).json()
    assert health["products"] == 300 and health["index_version"] == f"{elastic_sample}-v000001"


def test_an_alias_swap_under_traffic_fails_no_request(elastic: ElasticConfig, sample_records, tmp_path) -> None:
    alias = unique_alias("swap")
    catalogue = write_jsonl(tmp_path / "catalogue.jsonl", sample_records[:60])
    build_from_file(ElasticWriter(elastic, alias), catalogue)
    live = service(elastic, alias)
    statuses: list[int] = []
    versions: set[str] = set()
    stop = threading.Event()

    def traffic() -> None:
        while not stop.is_set():
            for mode in ("bm25", "hybrid"):
                response = requests.get(live.url + "/api/search", params={"q": "kettle", "mode": mode}, timeout=30)
                statuses.append(response.status_code)
                if response.ok:
                    versions.add(response.json()["index_version"])

    clients = [threading.Thread(target=traffic) for _ in range(2)]
    try:
        for client in clients:
            client.start()
        time.sleep(0.5)
        build_from_file(ElasticWriter(elastic, alias), write_jsonl(tmp_path / "next.jsonl", sample_records[:50]))
        time.sleep(2.5)  # the label follows the alias within a second
    finally:
        stop.set()
        for client in clients:
            client.join()
        live.close()
        for index in physical_indices(elastic.client(), alias):
            elastic.client().indices.delete(index=index)
    assert len(statuses) > 20 and set(statuses) == {200}
    assert versions == {f"{alias}-v000001", f"{alias}-v000002"}


def test_a_cluster_that_goes_down_gives_503_with_json(sample_records, tmp_path: Path) -> None:
    with noida(tmp_path / "data") as (url, process):
        config = ElasticConfig(url=url, timeout=2.0, retries=0)
        build_from_file(ElasticWriter(config, "shop"), write_jsonl(tmp_path / "catalogue.jsonl", sample_records[:20]))
        live = LiveServer(create_app(ServiceConfig(index="shop", backend="elasticsearch", es_url=url)))
        try:
            assert requests.get(live.url + "/api/search", params={"q": "kettle"}, timeout=30).status_code == 200
            process.terminate()
            process.wait(timeout=10)
            for path in ("/api/search?q=kettle", "/api/search?q=kettle&mode=bm25", "/healthz"):
                started = time.monotonic()
                response = requests.get(live.url + path, timeout=60)
                assert response.status_code == 503, path
                assert response.json()["error"] == "search backend unavailable"
                assert url in response.json()["detail"]
                assert time.monotonic() - started < 20
        finally:
            live.close()


@pytest.fixture
def silent_server() -> Iterator[str]:
    """Accepts connections and never answers: a cluster that hangs."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join()
    for connection in held:
        connection.close()
    listener.close()


def test_a_silent_cluster_is_a_clear_cli_error_not_a_hang(silent_server: str) -> None:
    environment = {**os.environ, "ES_URL": silent_server, "ES_TIMEOUT": "1", "ES_RETRIES": "0"}
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "prodsearch", "search", "shop", "kettle", "--backend", "elasticsearch"],
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"error: Elasticsearch at {silent_server} did not answer within 1 s (ConnectionTimeout); "
        "check that the cluster is up and ES_URL is right, or raise ES_TIMEOUT"
    ]
    assert time.monotonic() - started < 30


def test_writes_over_http_go_through_the_alias_and_are_searchable_at_once(
    elastic: ElasticConfig, sample_catalogue: Path
) -> None:
    alias = unique_alias("http-writes")
    build_from_file(ElasticWriter(elastic, alias), sample_catalogue)
    token = "elastic-writes-token-0123"
    settings = ServiceConfig(
        index=alias, backend="elasticsearch", es_url=elastic.url, admin_token=token, events_db="off"
    )
    live = LiveServer(create_app(settings))
    auth = {"Authorization": f"Bearer {token}"}
    try:
        assert requests.get(live.url + "/healthz", timeout=10).json()["writes"] == "on"
        record = {"title": "Fennowick cedar plant stand", "brand": "Fennowick", "price": 31.0}
        put = requests.put(live.url + "/api/products/E-1", json=record, headers=auth, timeout=30)
        assert put.status_code == 202 and put.json()["status"] == "enqueued"
        hits = requests.get(live.url + "/api/search", params={"q": "fennowick stand", "mode": "bm25"}, timeout=30)
        assert [hit["id"] for hit in hits.json()["hits"]] == ["E-1"]  # refreshed before the 202
        assert ("brand", "fennowick") in [(span["kind"], span["text"]) for span in hits.json()["understood"]]
        typed = requests.get(live.url + "/api/suggest", params={"q": "fennow"}, timeout=30).json()["suggestions"]
        assert {"text": "Fennowick", "kind": "brand"} in typed
        patched = requests.patch(live.url + "/api/products/E-1?wait=true", json={"price": 12.0}, headers=auth)
        assert patched.status_code == 200 and requests.get(live.url + "/api/products/E-1").json()["price"] == 12.0
        task = requests.get(f"{live.url}/api/tasks/{patched.json()['task']}", headers=auth, timeout=10).json()
        assert task["status"] == "applied"
        assert requests.delete(live.url + "/api/products/E-1?wait=true", headers=auth).status_code == 200
        assert requests.get(live.url + "/api/products/E-1", timeout=10).status_code == 404
    finally:
        live.close()
        client = elastic.client()
        for index in physical_indices(client, alias):
            client.indices.delete(index=index, ignore_unavailable=True)


def test_the_merchandisers_api_keeps_the_shops_settings_in_the_cluster(elastic: ElasticConfig) -> None:
    alias = unique_alias("shop")
    build_from_file(ElasticWriter(elastic, alias), Path(__file__).parents[2] / "data" / "sample" / "products.jsonl")
    token = "elastic-merchandising-0123456789"
    settings = ServiceConfig(index=alias, backend="elasticsearch", es_url=elastic.url, admin_token=token)
    live = LiveServer(create_app(settings))
    try:
        auth = {"Authorization": f"Bearer {token}"}
        rule = {"condition": {"query": "kettle"}, "pin": [{"id": "SKU-1290", "position": 1}]}
        stored = requests.put(live.url + "/api/rules/pin", json=rule, headers=auth, timeout=30)
        assert stored.status_code == 200, stored.text
        body = requests.get(live.url + "/api/search", params={"q": "kettle"}, timeout=30).json()
        assert body["rules"] == ["pin"] and body["hits"][0]["id"] == "SKU-1290"
        other = LiveServer(create_app(settings))  # another service over the alias reads them too
        try:
            assert requests.get(other.url + "/api/rules/pin", headers=auth, timeout=30).json()["rule"]["pin"]
        finally:
            other.close()
    finally:
        live.close()
        client = elastic.client()
        for index in [*physical_indices(client, alias), f"{alias}.settings"]:
            client.indices.delete(index=index, ignore_unavailable=True)
