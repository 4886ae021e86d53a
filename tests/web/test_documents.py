"""The document API over HTTP: who may write, what each write answers, and that a refused write stores nothing."""

from __future__ import annotations

import errno
import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import requests

from tests.helpers import admin_service
from web import ServiceConfig, create_app
from web.documents import MAX_BATCH

TOKEN = "live-writes-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory, sample_index: Path) -> Iterator[str]:
    with admin_service(sample_index, tmp_path_factory.mktemp("documents") / "index", TOKEN, reload_interval=0.2) as url:
        yield url


@pytest.fixture(scope="module")
def document(service: str) -> dict[str, Any]:
    return requests.get(service + "/api/openapi.json", timeout=10).json()


def _valid(document: dict[str, Any], model: str, body: Any) -> None:
    schema = {"$ref": f"#/components/schemas/{model}", "components": document["components"]}
    jsonschema.Draft202012Validator(schema).validate(body)


def _get(service: str, product_id: str) -> requests.Response:
    return requests.get(f"{service}/api/products/{product_id}", timeout=10)


def test_writes_need_the_admin_token_and_never_log_it(
    service: str, sample_index: Path, caplog: pytest.LogCaptureFixture
) -> None:
    body = {"title": "Token test"}
    missing = requests.put(service + "/api/products/T-1", json=body, timeout=10)
    assert missing.status_code == 401 and missing.headers["WWW-Authenticate"] == "Bearer"
    wrong = requests.put(service + "/api/products/T-1", json=body, headers={"Authorization": "Bearer nope"}, timeout=10)
    assert wrong.status_code == 403 and "PRODSEARCH_ADMIN_TOKEN" in wrong.json()["detail"]
    assert requests.get(service + "/api/tasks/1", timeout=10).status_code == 401
    assert _get(service, "T-1").status_code == 404
    with caplog.at_level(logging.DEBUG):
        requests.put(service + "/api/products/T-2?wait=true", json=body, headers=AUTH, timeout=10)
    assert TOKEN not in caplog.text
    off = create_app(ServiceConfig(index=str(sample_index), events_db="off")).test_client()
    refused = off.put("/api/products/T-1", json=body, headers=AUTH)
    assert refused.status_code == 403 and "set PRODSEARCH_ADMIN_TOKEN" in refused.get_json()["detail"]


def test_put_patch_delete_and_their_tasks(service: str, document: dict[str, Any]) -> None:
    record = {"title": "Quorvane trail lantern", "brand": "Quorvane", "price": 24.0, "attributes": {"colour": "red"}}
    put = requests.put(service + "/api/products/L-1", json=record, headers=AUTH, timeout=10)
    assert (
        put.status_code == 202
        and put.json()["status"] == "enqueued"
        and put.headers["Location"].endswith(f"/api/tasks/{put.json()['task']}")
    )
    _valid(document, "Written", put.json())
    task = put.json()["task"]
    assert requests.get(f"{service}/api/tasks/{task}?", headers=AUTH, timeout=10).json()["status"] in (
        "enqueued",
        "applied",
    )
    patch = {"price": 19.5, "brand": None, "attributes": {"size": "L"}}
    patched = requests.patch(service + "/api/products/L-1?wait=true", json=patch, headers=AUTH, timeout=10)
    assert patched.status_code == 200 and patched.json()["status"] == "applied"  # the PUT before it is applied too
    product = _get(service, "L-1")
    assert product.json()["price"] == 19.5 and product.json()["brand"] is None
    assert product.json()["attributes"] == {"colour": ["red"], "size": ["L"]}
    assert product.headers["ETag"] == patched.json()["etag"]
    hits = requests.get(service + "/api/search", params={"q": "quorvane lantern", "mode": "bm25"}, timeout=10)
    assert hits.json()["hits"][0]["id"] == "L-1"
    assert requests.get(f"{service}/api/tasks/{task}", headers=AUTH, timeout=10).json() == {
        "task": task,
        "status": "applied",
    }
    assert requests.get(f"{service}/api/tasks/{task + 1000}", headers=AUTH, timeout=10).status_code == 404
    deleted = requests.delete(service + "/api/products/L-1?wait=true", headers=AUTH, timeout=10)
    assert deleted.status_code == 200 and _get(service, "L-1").status_code == 404
    assert requests.delete(service + "/api/products/L-1", headers=AUTH, timeout=10).status_code == 404
    assert requests.patch(service + "/api/products/L-1", json=patch, headers=AUTH, timeout=10).status_code == 404


def test_if_match_refuses_a_write_over_a_change_it_did_not_see(service: str, document: dict[str, Any]) -> None:
    etag = _get(service, "SKU-1001").headers["ETag"]
    first = requests.patch(
        service + "/api/products/SKU-1001", json={"price": 11.0}, headers={**AUTH, "If-Match": etag}, timeout=10
    )
    assert first.status_code == 202
    second = requests.patch(
        service + "/api/products/SKU-1001", json={"price": 12.0}, headers={**AUTH, "If-Match": etag}, timeout=10
    )
    assert second.status_code == 409 and second.json()["etag"] == first.json()["etag"]
    _valid(document, "WriteError", second.json())
    requests.get(f"{service}/api/tasks/{first.json()['task']}", headers=AUTH, timeout=10)
    assert (
        requests.patch(service + "/api/products/SKU-1001?wait=true", json={}, headers=AUTH, timeout=10).json()["status"]
        == "applied"
    )
    assert _get(service, "SKU-1001").json()["price"] == 11.0


def test_a_bad_write_says_what_is_wrong_and_stores_nothing(service: str, document: dict[str, Any]) -> None:
    cases = [
        ("put", "/api/products/B-1", {"title": ""}, "title"),
        ("put", "/api/products/B-1", {"id": "B-2", "title": "x"}, "id"),
        ("patch", "/api/products/SKU-1002", {"price": "cheap"}, "price"),
        ("put", "/api/products/B-1?refresh=1", {"title": "x"}, None),
    ]
    for method, path, body, field in cases:
        response = requests.request(method, service + path, json=body, headers=AUTH, timeout=10)
        assert response.status_code == 400, (path, body)
        _valid(document, "WriteError", response.json())
        if field is not None:
            assert field in response.json()["detail"]
    not_json = requests.put(service + "/api/products/B-1", data=b"{", headers=AUTH, timeout=10)
    assert not_json.status_code == 400 and "not JSON" in not_json.json()["detail"]
    assert _get(service, "B-1").status_code == 404


def test_a_batch_is_all_or_nothing_and_lists_every_bad_item(service: str, document: dict[str, Any]) -> None:
    batch = [
        {"id": "N-1", "title": "Velkora ceramic mug"},
        {"id": "N-2", "title": "Velkora tea pot", "price": -3},
        {"id": "N-3"},
        {"id": "N-1", "title": "again"},
    ]
    refused = requests.post(service + "/api/products", json=batch, headers=AUTH, timeout=10)
    assert refused.status_code == 400
    _valid(document, "WriteError", refused.json())
    problems = [(item["position"], item["field"]) for item in refused.json()["items"]]
    assert problems == [(1, "price"), (2, "title"), (3, "id")]
    assert _get(service, "N-1").status_code == 404
    lines = "".join(json.dumps(item) + "\n" for item in batch[:1] + [{"id": "N-2", "title": "Velkora tea pot"}])
    stored = requests.post(
        service + "/api/products?wait=true",
        data=lines,
        headers={**AUTH, "Content-Type": "application/x-ndjson"},
        timeout=10,
    )
    assert stored.status_code == 200 and stored.json()["count"] == 2
    found = requests.get(service + "/api/search", params={"q": "velkora", "mode": "bm25"}, timeout=10).json()
    assert {hit["id"] for hit in found["hits"]} == {"N-1", "N-2"}


def test_too_big_a_batch_is_refused_with_413(service: str) -> None:
    many = [{"id": f"M-{i}", "title": "m"} for i in range(MAX_BATCH + 1)]
    assert requests.post(service + "/api/products", json=many, headers=AUTH, timeout=30).status_code == 413
    huge = b"[" + b" " * (33 * 1024 * 1024) + b"]"
    assert requests.post(service + "/api/products", data=huge, headers=AUTH, timeout=30).status_code == 413
    assert _get(service, "M-0").status_code == 404


def test_a_full_disk_answers_507_and_acknowledges_nothing(service: str, monkeypatch: pytest.MonkeyPatch) -> None:
    real_write = os.write

    def full(descriptor: int, data: bytes) -> int:  # the server runs in this process: its log's disk is full
        if b'"F-1"' in data:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(descriptor, data)

    monkeypatch.setattr(os, "write", full)
    response = requests.put(service + "/api/products/F-1", json={"title": "Full disk"}, headers=AUTH, timeout=10)
    monkeypatch.undo()
    assert response.status_code == 507 and "No space left on device" in response.json()["detail"]
    after = requests.put(service + "/api/products/F-2?wait=true", json={"title": "Room"}, headers=AUTH, timeout=10)
    assert after.status_code == 200 and _get(service, "F-1").status_code == 404 and _get(service, "F-2").ok


def test_suggestions_offer_a_product_written_a_moment_ago(service: str) -> None:
    record = {"title": "Glimmerfax solar garden light", "brand": "Glimmerfax"}
    assert requests.put(service + "/api/products/S-1?wait=true", json=record, headers=AUTH, timeout=10).ok
    found = requests.get(service + "/api/suggest", params={"q": "glimmerf"}, timeout=10).json()["suggestions"]
    assert {"text": "Glimmerfax", "kind": "brand"} in found and any("solar garden light" in s["text"] for s in found)
