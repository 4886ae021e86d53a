"""The JSON API over real HTTP: responses match the OpenAPI document, bad input is a 400 naming it."""

from __future__ import annotations

import random

import jsonschema
import pytest
import requests

from tests.helpers import LiveServer


def get(server: LiveServer, path: str, **params) -> requests.Response:
    return requests.get(server.url + path, params=params, timeout=30)


def check_schema(server: LiveServer, name: str, body: dict) -> None:
    document = get(server, "/api/openapi.json").json()
    schema = {"$ref": f"#/components/schemas/{name}", "components": document["components"]}
    jsonschema.Draft202012Validator(schema).validate(body)


def test_search_response_matches_the_document(server: LiveServer) -> None:
    response = get(server, "/api/search", q="red kettle", explain=1, k=5)
    assert response.status_code == 200
    body = response.json()
    check_schema(server, "Search", body)
    assert body["mode"] == "hybrid" and body["rerank"] == "off" and len(body["hits"]) == 5
    assert (
        "Kettle" in body["hits"][0]["title"] and body["hits"][0]["explain"]["fused_score"] == body["hits"][0]["score"]
    )
    assert {"keyword", "dense", "fusion", "facets", "total"} <= body["timings_ms"].keys()


def test_the_document_refuses_a_key_added_or_dropped(server: LiveServer) -> None:
    body = get(server, "/api/search", q="red kettle", explain=1, k=2).json()
    check_schema(server, "Search", body)
    added = {**body, "hits": [{**body["hits"][0], "margin": 0.3}]}
    dropped = {**body, "facets": {"category": [], "brand": []}}
    for changed in (added, dropped, {**body, "took": 3}):
        with pytest.raises(jsonschema.ValidationError):
            check_schema(server, "Search", changed)


def test_filters_over_http(server: LiveServer) -> None:
    body = get(
        server,
        "/api/search",
        q="shoes",
        category="Clothing > Footwear",
        brand=["Stridex", "Asix"],
        price_min=50,
        price_max=150,
        **{"attr.colour": ["blue", "red"]},
    ).json()
    assert body["hits"]
    for hit in body["hits"]:
        product = get(server, f"/api/products/{hit['id']}").json()
        assert product["category"].startswith("Clothing > Footwear") and product["brand"] in ("Stridex", "Asix")
        assert 50 <= product["price"] <= 150 and product["attributes"]["colour"][0] in ("blue", "red")


def test_a_misspelled_query_is_corrected_unless_spell_is_off(server: LiveServer) -> None:
    body = get(server, "/api/search", q="runing shoes").json()
    check_schema(server, "Search", body)
    assert body["query"] == "runing shoes" and body["corrected_query"] == "running shoes"
    assert all("Running Shoes" in hit["title"] for hit in body["hits"][:5])
    as_typed = get(server, "/api/search", q="runing shoes", spell=0).json()
    assert as_typed["corrected_query"] is None and as_typed["hits"] != body["hits"]


def test_understood_constraints_filter_say_how_to_undo_them_and_can_be_switched_off(server: LiveServer) -> None:
    body = get(server, "/api/search", q="blue running shoes under 80", k=50).json()
    check_schema(server, "Search", body)
    spans = {span["kind"]: span for span in body["understood"]}
    assert spans["price"]["price_max"] == 80 and spans["price"]["undo"] == "blue running shoes"
    assert spans["colour"]["values"] == ["blue", "navy"] and spans["colour"]["effect"] == "filter"
    assert body["hits"] and all(hit["price"] <= 80 and "Running Shoes" in hit["category"] for hit in body["hits"])
    words = get(server, "/api/search", q="blue running shoes under 80", k=50, understand=0).json()
    assert words["understood"] == [] and words["total"] > body["total"]
    assert any(hit["price"] > 80 for hit in words["hits"])


def test_gibberish_gets_no_hits_and_filters_that_leave_none_give_way(server: LiveServer) -> None:
    nonsense = get(server, "/api/search", q="asdfghjkl").json()
    assert nonsense["no_match"] and nonsense["total"] == 0 and nonsense["hits"] == []
    relaxed = get(server, "/api/search", q="yoga mat over 900").json()  # no product costs that much
    assert relaxed["relaxed"] and relaxed["hits"]
    price = relaxed["understood"][-1]
    assert price["effect"] == "boost" and price["relaxed"] and price["currency"] == "EUR"


def test_rerank_mode_says_it_is_off(server: LiveServer) -> None:
    body = get(server, "/api/search", q="kettle", mode="rerank").json()
    assert body["rerank"].startswith("off: no reranker configured")


@pytest.mark.parametrize(
    "params, parameter",
    [
        ({}, "q"),
        ({"q": "   "}, "q"),
        ({"q": "x" * 513}, "q"),
        ({"q": "kettle", "k": 0}, "k"),
        ({"q": "kettle", "k": 101}, "k"),
        ({"q": "kettle", "k": "ten"}, "k"),
        ({"q": "kettle", "page": 1001}, "page"),
        ({"q": "kettle", "page": "-1"}, "page"),
        ({"q": "kettle", "price_min": "cheap"}, "price_min"),
        ({"q": "kettle", "price_max": -5}, "price_max"),
        ({"q": "kettle", "price_min": "nan"}, "price_min"),
        ({"q": "kettle", "price_min": 90, "price_max": 10}, "price_min"),
        ({"q": "kettle", "mode": "fuzzy"}, "mode"),
        ({"q": "kettle", "colour": "red"}, "colour"),
        ({"q": "kettle", "explain": "maybe"}, "explain"),
        ({"q": "kettle", "spell": "maybe"}, "spell"),
    ],
)
def test_bad_input_is_a_400_naming_the_parameter(server: LiveServer, params: dict, parameter: str) -> None:
    response = get(server, "/api/search", **params)
    assert response.status_code == 400
    body = response.json()
    check_schema(server, "Error", body)
    assert body["parameter"] == parameter and parameter in body["error"] and body["detail"]


def test_unknown_product_and_route_are_json_404s(server: LiveServer) -> None:
    for path in ("/api/products/NOPE-1", "/api/nothing"):
        response = get(server, path)
        assert response.status_code == 404 and response.json()["detail"]
        check_schema(server, "Error", response.json())
    product = get(server, "/api/products/SKU-1001")
    assert product.status_code == 200
    check_schema(server, "Product", product.json())


def test_no_query_string_causes_a_500(server: LiveServer) -> None:
    rng = random.Random(11)
    alphabet = "abc XYZ éü中文🙂\"'\\:+-!(){}[]^~*?/&|<>%;\t\x00\x7f" + "".join(map(chr, range(0x20)))
    for _ in range(150):
        query = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40)))
        mode = rng.choice(["bm25", "dense", "hybrid", "rerank"])
        response = get(server, "/api/search", q=query, mode=mode, page=rng.randint(1, 30))
        assert response.status_code in (200, 400), (query, response.text)


def test_health_metrics_and_openapi(server: LiveServer) -> None:
    health = get(server, "/healthz").json()
    check_schema(server, "Health", health)
    assert health == {
        **health,
        "status": "ok",
        "index_version": "v000001",
        "products": 300,
        "reranker": "off",
        "ranker": "off",
    }
    get(server, "/api/search", q="kettle", mode="bm25")
    get(server, "/api/search", q="")
    text = get(server, "/metrics").text
    assert 'prodsearch_http_requests_total{endpoint="/api/search",status="200"}' in text
    assert 'prodsearch_http_requests_total{endpoint="/api/search",status="400"}' in text
    assert 'prodsearch_search_latency_seconds_bucket{le="0.005",mode="bm25"}' in text
    paths = get(server, "/api/openapi.json").json()["paths"]
    assert set(paths) == {
        "/api/search",
        "/api/suggest",
        "/api/products/{id}",
        "/api/products/{id}/similar",
        "/api/products/{id}/also-viewed",
        "/api/products",
        "/api/tasks/{task}",
        "/api/events",
        "/api/beacon",
        "/healthz",
        "/metrics",
        "/api/openapi.json",
        "/api/synonyms",
        "/api/synonyms/{id}",
        "/api/rules",
        "/api/rules/{id}",
        "/api/ranking",
        "/api/preview",
    }


def test_service_with_a_reranker(sample_index, pinned_reranker) -> None:
    from web import ServiceConfig, create_app

    server = LiveServer(create_app(ServiceConfig(index=str(sample_index), reranker_dir=pinned_reranker)))
    try:
        assert get(server, "/healthz").json()["reranker"] == "on"
        body = get(server, "/api/search", q="cork yoga mat", mode="rerank", explain=1).json()
        check_schema(server, "Search", body)
        assert body["rerank"] == "on" and "rerank" in body["timings_ms"]
        # the cross-encoder's score, moved by business ranking (out-of-stock products go down)
        moved = [hit["explain"]["rerank_score"] + sum(hit["explain"]["moves"].values()) for hit in body["hits"]]
        assert moved == pytest.approx([hit["score"] for hit in body["hits"]])
    finally:
        server.close()


def test_create_app_alone_follows_new_versions_with_the_tuned_settings(tmp_path, sample_catalogue) -> None:
    # `prodsearch serve` used to load the tuned settings and start the watcher itself; the factory now does both
    import time
    from dataclasses import replace

    from indexer import DirectoryWriter, build_from_file, update_from_files
    from search.pipeline import SearchSettings
    from search.tuned import FileSettings
    from tests.helpers import write_jsonl
    from web import ServiceConfig, create_app

    root = tmp_path / "index"
    build_from_file(DirectoryWriter(root), sample_catalogue)
    tuned = replace(SearchSettings(), fusion="rrf", rrf_k=20.0)
    FileSettings(root).save(tuned)
    live = create_app(ServiceConfig(index=str(root), reload_interval=0.2)).extensions["prodsearch.live"]
    try:
        assert live.pipeline.settings == tuned
        update_from_files(
            DirectoryWriter(root),
            write_jsonl(tmp_path / "delta.jsonl", [{"id": "NEW-1", "title": "Trek Stove", "price": 9}]),
        )
        deadline = time.monotonic() + 10
        while live.version != "v000002" and time.monotonic() < deadline:
            time.sleep(0.1)
        assert live.version == "v000002" and live.pipeline.settings == tuned
    finally:
        live.stop()


def test_reranker_scores_are_remembered_within_an_index_version_and_not_across(
    tmp_path, sample_catalogue, pinned_reranker
) -> None:
    import time

    from indexer import DirectoryWriter, build_from_file, update_from_files
    from tests.helpers import write_jsonl
    from web import ServiceConfig, create_app

    root = tmp_path / "index"
    build_from_file(DirectoryWriter(root), sample_catalogue)
    config = ServiceConfig(index=str(root), reranker_dir=pinned_reranker, reload_interval=0.2, events_db="off")
    app = create_app(config)
    live, client = app.extensions["prodsearch.live"], app.test_client()
    try:
        first = client.get("/api/search?q=cork+yoga+mat&mode=rerank").get_json()
        cache = live.pipeline.reranker
        scored = cache.misses
        assert scored > 0 and cache.hits == 0
        assert client.get("/api/search?q=cork+yoga+mat&mode=rerank").get_json()["hits"] == first["hits"]
        assert (cache.hits, cache.misses) == (scored, scored)  # the second time, nothing was scored

        top = first["hits"][0]["id"]
        renamed = {"id": top, "title": "Garden hose reel, 30 m", "price": 25}
        update_from_files(DirectoryWriter(root), write_jsonl(tmp_path / "delta.jsonl", [renamed]))
        deadline = time.monotonic() + 10
        while live.version != "v000002" and time.monotonic() < deadline:
            time.sleep(0.1)
        assert live.version == "v000002" and live.pipeline.reranker is not cache  # a new version starts empty
        after = client.get("/api/search?q=cork+yoga+mat&mode=rerank").get_json()
        assert live.pipeline.reranker.hits == 0 and live.pipeline.reranker.misses > 0
        assert after["hits"][0]["id"] != top  # the renamed product was scored again, as a garden hose reel
    finally:
        live.stop()


def test_credentials_in_the_cluster_url_are_redacted() -> None:
    import socket

    from indexer.errors import ClusterUnavailable
    from tests.helpers import prodsearch
    from web import ServiceConfig, create_app

    class Down:
        @property
        def pipeline(self):
            raise ClusterUnavailable("Elasticsearch at http://shop:s3cret@es.example:9200 did not answer within 10 s")

    body = (
        create_app(ServiceConfig(index="unused", events_db="off"), live=Down())
        .test_client()
        .get("/api/search?q=kettle")
        .get_json()
    )
    assert "s3cret" not in body["detail"] and "http://***@es.example:9200" in body["detail"]
    with socket.socket() as closed:  # a port nothing listens on: the cluster is down
        closed.bind(("127.0.0.1", 0))
        url = f"http://shop:s3cret@127.0.0.1:{closed.getsockname()[1]}"
    result = prodsearch("search", "shop", "kettle", "--backend", "elasticsearch", "--es-url", url)
    assert result.returncode != 0 and "did not answer" in result.stderr, result.stderr
    assert "s3cret" not in result.stderr and "http://***@127.0.0.1" in result.stderr


def test_duplicated_and_oversized_parameters_are_400s(server: LiveServer) -> None:
    for params, parameter in (
        ([("q", "kettle"), ("q", "lamp")], "q"),
        ([("q", "kettle"), ("page", "1_0")], "page"),
        ([("q", "kettle")] + [(f"attr.a{i}", "x") for i in range(10_000)], "attr.NAME"),
    ):
        response = requests.get(server.url + "/api/search", params=params, timeout=30)
        assert response.status_code == 400 and response.json()["parameter"] == parameter
        check_schema(server, "Error", response.json())


def test_the_double_slash_redirect_stays_on_this_host(server: LiveServer) -> None:
    response = requests.get(
        server.url + "/api//search?q=kettle", headers={"Host": "evil.example"}, allow_redirects=False, timeout=30
    )
    assert response.status_code == 308 and response.headers["Location"] == "/api/search?q=kettle"
    assert requests.get(server.url + "/api//search?q=kettle", timeout=30).json()["hits"]


def test_caching_and_browser_security_headers(server: LiveServer) -> None:
    for path in ("/api/search?q=kettle", "/api/products/SKU-1001", "/api/nothing", "/healthz", "/api/openapi.json"):
        response = requests.get(server.url + path, timeout=30)
        assert response.headers["Cache-Control"] == "no-store", path
        assert response.headers["X-Content-Type-Options"] == "nosniff", path
    page = requests.get(server.url + "/", timeout=30)
    assert page.headers["X-Content-Type-Options"] == "nosniff" and page.headers["X-Frame-Options"] == "DENY"
    policy = page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert page.headers["Cache-Control"] == "no-cache"


def test_similar_products_are_never_the_product_or_its_variants(server: LiveServer, sample_records) -> None:
    groups: dict[str, list[str]] = {}
    for record in sample_records:
        groups.setdefault(record["group_id"], []).append(record["id"])
    product, *variants = next(ids for ids in groups.values() if len(ids) > 1)
    body = get(server, f"/api/products/{product}/similar", k=8).json()
    check_schema(server, "SimilarProducts", body)
    shown = [hit["id"] for hit in body["hits"]]
    assert len(shown) == 8 and body["product"]["id"] == product and not {product, *variants} & set(shown)
    in_stock = [hit["in_stock"] for hit in body["hits"]]
    assert in_stock == sorted(in_stock, reverse=True)  # the shop's default: those out of stock after
    narrowed = get(server, f"/api/products/{product}/similar", k=3, in_stock=0).json()
    assert narrowed["hits"] and not any(hit["in_stock"] for hit in narrowed["hits"])
    assert get(server, "/api/products/NO-SUCH/similar").status_code == 404
    refused = get(server, f"/api/products/{product}/similar", q="x")
    assert refused.status_code == 400 and refused.json()["parameter"] == "q"
