"""The merchandiser's API over HTTP: synonyms, rules and ranking as versioned resources behind the admin token,
in effect for shoppers within a second, and the preview of a query with and without rules."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import requests

from tests.helpers import admin_service

TOKEN = "merchandising-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory, sample_index: Path) -> Iterator[str]:
    with admin_service(sample_index, tmp_path_factory.mktemp("merchandising") / "index", TOKEN) as url:
        yield url


@pytest.fixture(scope="module")
def document(service: str) -> dict[str, Any]:
    return requests.get(service + "/api/openapi.json", timeout=10).json()


def valid(document: dict[str, Any], model: str, body: Any) -> None:
    schema = {"$ref": f"#/components/schemas/{model}", "components": document["components"]}
    jsonschema.Draft202012Validator(schema).validate(body)


def call(service: str, method: str, path: str, body: Any = None, auth: bool = True) -> requests.Response:
    return requests.request(method, service + path, json=body, headers=AUTH if auth else {}, timeout=10)


def search(service: str, query: str, **params: Any) -> dict[str, Any]:
    answer = requests.get(service + "/api/search", params={"q": query, "mode": "bm25", **params}, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()


def eventually(check, seconds: float = 1.0) -> float:
    """How long `check` took to hold, polling; fails past `seconds`."""
    started = time.monotonic()
    while not check():
        assert time.monotonic() - started < seconds, "not in effect within the time allowed"
        time.sleep(0.05)
    return time.monotonic() - started


def test_everything_needs_the_admin_token(service: str) -> None:
    for method, path in (("GET", "/api/synonyms"), ("PUT", "/api/rules/r"), ("GET", "/api/ranking")):
        assert call(service, method, path, {}, auth=False).status_code == 401
    wrong = requests.get(service + "/api/rules", headers={"Authorization": "Bearer nope"}, timeout=10)
    assert wrong.status_code == 403
    assert requests.get(service + "/api/search?q=kettle&rules=false", timeout=10).status_code == 401


def test_a_synonym_is_in_effect_within_a_second_and_gone_when_deleted(service: str, document: dict) -> None:
    assert search(service, "quorvane")["total"] == 0
    stored = call(service, "PUT", "/api/synonyms/quorvane", {"synonyms": ["quorvane", "kettle"]})
    assert stored.status_code == 200, stored.text
    valid(document, "SynonymOne", stored.json())
    print(f"synonym in effect after {eventually(lambda: search(service, 'quorvane')['total'] > 0):.2f} s")
    assert search(service, "quorvane")["synonyms"] == ["kettle"]
    listed = call(service, "GET", "/api/synonyms").json()
    valid(document, "SynonymList", listed)
    assert listed["version"] == stored.json()["version"] and listed["synonyms"][0]["id"] == "quorvane"
    assert call(service, "DELETE", "/api/synonyms/quorvane").status_code == 200
    assert call(service, "DELETE", "/api/synonyms/quorvane").status_code == 404
    eventually(lambda: search(service, "quorvane")["total"] == 0)


def test_rules_pin_and_hide_and_a_preview_shows_both_sides(service: str, document: dict) -> None:
    first = search(service, "kettle")["hits"]
    pinned, hidden = first[5]["id"], first[0]["id"]
    rule = {"condition": {"query": "kettle"}, "pin": [{"id": pinned, "position": 1}], "hide": [hidden]}
    stored = call(service, "PUT", "/api/rules/kettle-promo", rule)
    assert stored.status_code == 200, stored.text
    valid(document, "RuleOne", stored.json())
    eventually(lambda: search(service, "kettle")["hits"][0]["id"] == pinned)
    shown = search(service, "kettle", explain=1)
    assert hidden not in [hit["id"] for hit in shown["hits"]] and shown["rules"] == ["kettle-promo"]
    assert shown["hits"][0]["explain"]["pinned"] == 1
    preview = requests.post(service + "/api/preview?q=kettle&mode=bm25", headers=AUTH, timeout=10)
    valid(document, "Preview", preview.json())
    assert preview.json()["without"]["hits"][0]["id"] == hidden and preview.json()["with"]["hits"][0]["id"] == pinned
    trial = {"id": "trial", "condition": {"query": "lamp"}, "redirect": "https://example.com/lamps"}
    tried = requests.post(service + "/api/preview?q=lamp", json=trial, headers=AUTH, timeout=10).json()
    assert tried["with"]["redirect"] == "https://example.com/lamps" and tried["without"]["redirect"] is None
    assert search(service, "lamp")["redirect"] is None  # previewed, not stored
    disabled = call(service, "PUT", "/api/rules/kettle-promo", {**rule, "enabled": False})
    assert disabled.json()["rule"]["enabled"] is False
    eventually(lambda: search(service, "kettle")["rules"] == [])
    assert call(service, "DELETE", "/api/rules/kettle-promo").status_code == 200


@pytest.mark.parametrize(
    "path, body, field",
    [
        ("/api/rules/r1", {"redirect": "javascript:alert(1)"}, "redirect"),
        ("/api/rules/r1", {"pin": [{"id": "x", "position": 0}]}, "pin.0.position"),
        ("/api/rules/r1", ["not", "an", "object"], "body"),
        ("/api/rules/bad%20id", {"hide": ["x"]}, "id"),
        ("/api/synonyms/s1", {"synonyms": ["only one"]}, "synonyms"),
        ("/api/ranking", {"stock": "sell"}, "stock"),
    ],
)
def test_an_invalid_resource_is_a_400_naming_the_field_and_stores_nothing(
    service: str, document: dict, path: str, body: Any, field: str
) -> None:
    before = call(service, "GET", "/api/ranking").json()["version"]
    refused = call(service, "PUT", path, body)
    assert refused.status_code == 400 and refused.json()["field"] == field, refused.text
    valid(document, "Error", refused.json())
    assert call(service, "GET", "/api/ranking").json()["version"] == before


def test_ranking_settings_sort_and_stock_over_http(service: str, document: dict) -> None:
    by_price = search(service, "kettle", sort="price:asc")
    prices = [hit["price"] for hit in by_price["hits"]]
    assert prices == sorted(prices) and by_price["sort"] == "price:asc"
    assert all("Kettle" in hit["title"] for hit in by_price["hits"])
    bad = requests.get(service + "/api/search", params={"q": "kettle", "sort": "price"}, timeout=10)
    assert bad.status_code == 400 and bad.json()["parameter"] == "sort"
    out = search(service, "kettle", in_stock="false")
    assert out["total"] > 0 and not any(hit["in_stock"] for hit in out["hits"])
    assert {value["value"] for value in search(service, "kettle")["facets"]["in_stock"]} == {"true", "false"}
    grouped = search(service, "salton home electric kettle", distinct=1)
    valid(document, "Search", grouped)
    assert grouped["total"] < search(service, "salton home electric kettle")["total"]
    assert any(hit["variants"]["count"] > 1 for hit in grouped["hits"])
    hidden = call(service, "PUT", "/api/ranking", {"stock": "hide"})
    valid(document, "RankingOne", hidden.json())
    eventually(lambda: all(hit["in_stock"] for hit in search(service, "kettle", k=50)["hits"]))
    call(service, "PUT", "/api/ranking", {})


def test_a_browsers_login_cannot_be_used_by_another_sites_page(service: str) -> None:
    basic = ("merchandiser", TOKEN)
    rule = {"condition": {"query": "csrf"}, "hide": ["SKU-1001"]}
    foreign = {"Origin": "https://evil.example"}
    forged = requests.put(service + "/api/rules/csrf", json=rule, auth=basic, headers=foreign, timeout=10)
    assert forged.status_code == 403 and "another site" in forged.json()["detail"]
    own = requests.put(service + "/api/rules/csrf", json=rule, auth=basic, headers={"Origin": service}, timeout=10)
    assert own.status_code == 200
    assert requests.delete(service + "/api/rules/csrf", auth=basic, headers={"Origin": service}, timeout=10).ok
    # the document API takes no Basic login at all: a form posted from anywhere cannot write products
    posted = requests.post(service + "/api/products", data="[]", auth=basic, headers=foreign, timeout=10)
    assert posted.status_code == 401


def test_if_match_keeps_two_merchandisers_from_overwriting_each_other(service: str, document: dict) -> None:
    read = call(service, "GET", "/api/rules")
    seen = read.headers["ETag"]
    assert seen == f'"{read.json()["version"]}"'
    mine = {"condition": {"query": "lamp"}, "hide": ["SKU-1001"]}
    first = requests.put(service + "/api/rules/lamp", json=mine, headers={**AUTH, "If-Match": seen}, timeout=10)
    assert first.status_code == 200 and first.headers["ETag"] != seen
    late = requests.put(service + "/api/rules/lamp", json=mine, headers={**AUTH, "If-Match": seen}, timeout=10)
    assert late.status_code == 409 and late.json()["version"] == first.json()["version"]
    valid(document, "Error", late.json())
    gone = requests.delete(service + "/api/rules/lamp", headers={**AUTH, "If-Match": first.headers["ETag"]}, timeout=10)
    assert gone.status_code == 200
