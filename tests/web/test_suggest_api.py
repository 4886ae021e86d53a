"""GET /api/suggest over the served sample index: what it answers, what it refuses, and that it follows a reload."""

from __future__ import annotations

import time
from pathlib import Path

import jsonschema
import pytest
import requests

from indexer import DirectoryWriter, build_from_file
from tests.helpers import LiveServer, prodsearch, write_jsonl
from web import ServiceConfig, close_app, create_app
from web.suggest import POPULAR, SUGGESTER


def suggest(server: LiveServer, **params) -> requests.Response:
    return requests.get(server.url + "/api/suggest", params=params, timeout=30)


def check_schema(server: LiveServer, name: str, body: dict) -> None:
    document = requests.get(server.url + "/api/openapi.json", timeout=30).json()
    schema = {"$ref": f"#/components/schemas/{name}", "components": document["components"]}
    jsonschema.Draft202012Validator(schema).validate(body)


def test_suggestions_for_a_prefix_match_the_document(server: LiveServer) -> None:
    response = suggest(server, q="kett", k=5)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    body = response.json()
    check_schema(server, "Suggestions", body)
    assert body["query"] == "kett" and len(body["suggestions"]) == 5
    first = [{"text": "Kettles", "kind": "category"}, {"text": "Kettleworth", "kind": "brand"}]
    assert body["suggestions"][:2] == first
    titles = [item["text"] for item in body["suggestions"] if item["kind"] == "title"]
    assert titles and all(title.startswith("Kettleworth ") for title in titles), titles
    assert "Kettles" in [item["text"] for item in suggest(server, q="kettel").json()["suggestions"]]  # a typo


def test_default_k_empty_and_long_text(server: LiveServer) -> None:
    assert len(suggest(server, q="s").json()["suggestions"]) == 8
    for blank in ("", "   "):
        assert suggest(server, q=blank).json() == {"query": blank, "suggestions": []}
    assert requests.get(server.url + "/api/suggest", timeout=30).json() == {"query": "", "suggestions": []}
    long = suggest(server, q="kettle " * 100)  # past MAX_TYPED: read, not refused
    assert long.status_code == 200 and long.json()["query"] == ("kettle " * 100)[:100]


@pytest.mark.parametrize(
    "params, parameter",
    [
        ({"q": "kett", "k": 0}, "k"),
        ({"q": "kett", "k": 21}, "k"),
        ({"q": "kett", "k": "ten"}, "k"),
        ({"q": "kett", "k": "1.5"}, "k"),
        ({"q": "kett", "limit": 5}, "limit"),
        ({"q": ["kett", "ket"]}, "q"),
    ],
)
def test_bad_input_is_a_400_naming_the_parameter(server: LiveServer, params: dict, parameter: str) -> None:
    response = suggest(server, **params)
    assert response.status_code == 400
    body = response.json()
    check_schema(server, "Error", body)
    assert body["parameter"] == parameter and parameter in body["detail"]


def test_queries_that_worked_come_first_and_a_failing_source_leaves_the_catalogue(sample_index: Path) -> None:
    app = create_app(ServiceConfig(index=str(sample_index), events_db="off"))
    try:
        app.extensions[POPULAR] = lambda: [("kettle descaler", 20, 5), ("kettle for one", 1, 1)]
        app.extensions[SUGGESTER].rebuild()
        found = app.test_client().get("/api/suggest?q=kett&k=3").get_json()["suggestions"]
        assert found == [
            {"text": "kettle descaler", "kind": "query"},
            {"text": "Kettles", "kind": "category"},
            {"text": "Kettleworth", "kind": "brand"},
        ]

        def down() -> list:
            raise ConnectionError("the events database is down")

        app.extensions[POPULAR] = down
        app.extensions[SUGGESTER].rebuild()
        found = app.test_client().get("/api/suggest?q=kett&k=3").get_json()["suggestions"]
        assert [item["kind"] for item in found] == ["category", "brand", "title"]
    finally:
        app.extensions["prodsearch.live"].stop()
        close_app(app)


def test_a_new_index_version_is_suggested_from_after_a_reload(tmp_path: Path, sample_catalogue: Path) -> None:
    root = tmp_path / "index"
    build_from_file(DirectoryWriter(root), sample_catalogue)
    app = create_app(ServiceConfig(index=str(root), reload_interval=0.2, events_db="off"))
    server = LiveServer(app)
    try:
        assert suggest(server, q="zyzz").json()["suggestions"] == []
        delta = write_jsonl(
            tmp_path / "delta.jsonl",
            [{"id": "NEW-1", "title": "Zyzzyva Trail Lamp - Green", "brand": "Zyzzyva", "category": "Garden > Lamps"}],
        )
        prodsearch("index", "update", str(root), "--upsert", str(delta), check=True)
        deadline = time.monotonic() + 20
        found: list = []
        while time.monotonic() < deadline and not found:
            response = suggest(server, q="zyzz")
            assert response.status_code == 200  # the suggester before answers while the next is built
            found = response.json()["suggestions"]
            time.sleep(0.1)
        assert found == [{"text": "Zyzzyva", "kind": "brand"}, {"text": "Zyzzyva Trail Lamp", "kind": "title"}]
        assert {"text": "Lamps", "kind": "category"} in suggest(server, q="lamp").json()["suggestions"]
    finally:
        app.extensions["prodsearch.live"].stop()
        server.close()
