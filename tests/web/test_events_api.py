"""Events over real HTTP into a real database: every search is logged with its id, the shop's backend posts
actions with its token, the page's clicks come back as beacons, and nothing queued is lost on a clean stop."""

from __future__ import annotations

import json
import signal
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from uuid import uuid4

import pytest
import requests

from events import hashed_session, session_key
from tests.helpers import LiveServer, serving
from tests.postgres_server import fresh_database
from web import ServiceConfig, create_app

TOKEN = "shop-backend-token-0123456789"
FINE = {"type": "click", "search_id": "0" * 32, "product_id": "a"}
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def service(sample_index: Path, tmp_path: Path) -> Iterator[tuple[LiveServer, Path]]:
    database = tmp_path / "events.sqlite"
    app = create_app(ServiceConfig(index=str(sample_index), events_db=str(database), events_token=TOKEN))
    server = LiveServer(app)
    yield server, database
    server.close()  # and the events log: what is queued is written


def rows(database: Path, sql: str) -> list[tuple]:
    """The rows `sql` finds, once there are some (a count once it is above 0), or whatever is there after 5 s:
    the writer takes what is queued twice a second."""
    deadline = time.monotonic() + 5
    while True:
        with sqlite3.connect(database) as connection:
            found = connection.execute(sql).fetchall()
        if (found and found != [(0,)]) or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def search(server: LiveServer, query: str, **params) -> dict:
    headers = {"X-Prodsearch-Session": "shopper-7"}
    return requests.get(server.url + "/api/search", params={"q": query, **params}, headers=headers, timeout=30).json()


def test_every_search_is_logged_with_what_it_understood_and_showed(service) -> None:
    server, database = service
    body = search(server, "red kettle under 50", k=4, page=2)
    [row] = rows(database, "SELECT search_id, session, query, understood, results, page, size, total FROM searches")
    assert row[0] == body["search_id"] and len(row[0]) == 32
    assert row[1] == hashed_session(session_key(str(database)), "shopper-7") and "shopper" not in row[1]
    assert row[2] == "red kettle under 50"
    assert [span["kind"] for span in json.loads(row[3])] == [span["kind"] for span in body["understood"]]
    assert json.loads(row[4]) == [hit["id"] for hit in body["hits"]] and row[5:] == (2, 4, body["total"])


def test_the_shops_backend_needs_its_token(service) -> None:
    server, _ = service
    body = search(server, "kettle")
    event = {"type": "purchase", "search_id": body["search_id"], "product_id": body["hits"][0]["id"]}
    url = server.url + "/api/events"
    assert requests.post(url, json=event, timeout=10).status_code == 401
    wrong = requests.post(url, json=event, headers={"Authorization": "Bearer guess"}, timeout=10)
    assert wrong.status_code == 403 and "PRODSEARCH_EVENTS_TOKEN" in wrong.json()["detail"]
    assert requests.post(url, json=event, headers=AUTH, timeout=10).status_code == 202


def test_events_are_stored_with_the_position_shown_and_unknown_searches_reported(service) -> None:
    server, database = service
    body = search(server, "kettle", k=5, page=2)
    second = body["hits"][1]["id"]
    unknown = "0" * 32
    events = [
        {"type": "click", "search_id": body["search_id"], "product_id": second, "position": 1, "session": "shopper-7"},
        {"type": "add_to_cart", "search_id": unknown, "product_id": second, "position": 3},
    ]
    response = requests.post(server.url + "/api/events", json=events, headers=AUTH, timeout=10)
    assert response.status_code == 202 and response.json() == {"accepted": 2, "unknown_search_ids": [unknown]}
    stored = rows(database, "SELECT type, search_id, position, source FROM events ORDER BY id")
    assert stored == [("click", body["search_id"], 7, "api"), ("add_to_cart", unknown, 3, "api")]  # 7: page 2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**FINE, "type": "buy"}, "type"),
        ({**FINE, "search_id": "not-an-id"}, "search_id"),
        ([FINE, {"type": "click", "product_id": "a"}], "[1].search_id"),
        ({**FINE, "position": 0}, "position"),
        ({**FINE, "ip": "10.0.0.1"}, "ip"),
        ([], "body"),
    ],
)
def test_a_bad_event_is_a_400_naming_its_field_and_nothing_of_the_request_is_stored(service, body, field) -> None:
    server, database = service
    response = requests.post(server.url + "/api/events", json=body, headers=AUTH, timeout=10)
    assert response.status_code == 400 and response.json()["field"] == field, response.json()
    assert response.json()["detail"].startswith(f"{field}: ")
    broken = requests.post(server.url + "/api/events", data=b"{", headers=AUTH, timeout=10)
    assert broken.status_code == 400 and broken.json()["field"] == "body"
    time.sleep(1.0)  # two of the writer's turns: anything queued would be on disk by now
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT COUNT(*) FROM events").fetchall() == [(0,)]


def test_the_page_beacon_takes_clicks_on_what_a_search_showed_from_this_origin_only(service) -> None:
    server, database = service
    body = search(server, "kettle", k=3)
    shown = body["hits"][2]["id"]
    beacon = server.url + "/api/beacon"
    click = {"search_id": body["search_id"], "product_id": shown, "position": 1}
    assert requests.post(beacon, json=click, headers={"Origin": server.url}, timeout=10).status_code == 202
    elsewhere = requests.post(beacon, json=click, headers={"Origin": "https://evil.example"}, timeout=10)
    assert elsewhere.status_code == 403
    not_shown = requests.post(beacon, json={**click, "product_id": "never-shown"}, timeout=10)
    assert not_shown.status_code == 400 and not_shown.json()["field"] == "product_id"
    unknown = requests.post(beacon, json={**click, "search_id": "0" * 32}, timeout=10)
    assert unknown.status_code == 400 and unknown.json()["field"] == "search_id"
    purchase = requests.post(beacon, json={**click, "type": "purchase"}, timeout=10)
    assert purchase.status_code == 400 and purchase.json()["field"] == "type"
    assert rows(database, "SELECT type, product_id, position, source FROM events") == [("click", shown, 3, "page")]


def test_the_events_rows_are_counted_in_the_metrics(service) -> None:
    server, database = service
    search(server, "kettle")
    rows(database, "SELECT search_id FROM searches")
    text = requests.get(server.url + "/metrics", timeout=10).text
    assert 'prodsearch_events_rows_total{outcome="written"} 1.0' in text
    assert 'prodsearch_events_rows_total{outcome="dropped"} 0.0' in text


def test_events_off_means_no_search_id_and_no_database(sample_index: Path, tmp_path: Path) -> None:
    app = create_app(ServiceConfig(index=str(sample_index), events_db="off"))
    server = LiveServer(app)
    try:
        assert search(server, "kettle")["search_id"] is None
        assert requests.post(server.url + "/api/events", json={}, headers=AUTH, timeout=10).status_code == 404
    finally:
        server.close()


def test_postgresql_gets_the_same_rows(sample_index: Path, postgres: str, monkeypatch) -> None:
    import psycopg

    url = fresh_database(postgres, "events_service")
    config = ServiceConfig(index=str(sample_index), events_db=url, events_token=TOKEN)
    monkeypatch.setenv("PRODSEARCH_EVENTS_KEY", "a-long-random-test-secret")
    app = create_app(config)
    server = LiveServer(app)
    try:
        body = search(server, "kettle", k=3)
        event = {"type": "purchase", "search_id": body["search_id"], "product_id": body["hits"][0]["id"]}
        assert requests.post(server.url + "/api/events", json=event, headers=AUTH, timeout=10).status_code == 202
    finally:
        server.close()  # writes what is queued
    with psycopg.connect(url) as connection:
        assert connection.execute("SELECT search_id FROM searches").fetchall() == [(body["search_id"],)]
        assert connection.execute("SELECT type, position FROM events").fetchall() == [("purchase", 1)]


@pytest.mark.parametrize("stop", ["SIGTERM", "SIGKILL"])
def test_a_clean_stop_loses_nothing_and_a_crash_at_most_the_last_second(sample_index, tmp_path, stop) -> None:
    database = tmp_path / "events.sqlite"
    with serving(sample_index, env={"PRODSEARCH_EVENTS_DB": str(database)}) as (url, process):
        ids = [
            requests.get(url + "/api/search", params={"q": f"kettle {n}"}, timeout=30).json()["search_id"]
            for n in range(40)
        ]
        if stop == "SIGKILL":
            time.sleep(1.0)  # what was answered a second ago must be on disk by now
        process.send_signal(getattr(signal, stop))
        process.wait(timeout=30)
    with sqlite3.connect(database) as connection:
        stored = {row[0] for row in connection.execute("SELECT search_id FROM searches")}
    assert stored == set(ids)


def test_suggestions_learn_the_queries_that_worked_from_the_events(tmp_path: Path) -> None:
    from events import Event, EventStore, SearchRecord
    from web import popular_queries

    now = int(time.time() * 1000)

    def searched(query: str, shown: int) -> SearchRecord:
        ids = tuple(f"p{n}" for n in range(shown))
        return SearchRecord(
            uuid4().hex, now, None, "page", query, query, "hybrid", "v1", "[]", "{}", shown, 1, 10, ids, 1.0
        )

    store = EventStore(str(tmp_path / "events.sqlite"), create=True)
    worked = [searched("copper kettle", 3), searched("Copper Kettle", 3)]
    store.write([*worked, searched("kettel", 0)], [Event(now, None, "page", "click", worked[0].search_id, "p1", 2)])
    found = sorted((query.casefold(), searches, clicks) for query, searches, clicks in popular_queries(store))
    assert found == [("copper kettle", 2, 1), ("kettel", 1, 0)]  # one query however it was typed
    store.close()


def test_a_beacon_through_a_proxy_that_rewrites_host_counts_once(service) -> None:
    server, database = service
    body = search(server, "kettle", k=3)
    click = {"search_id": body["search_id"], "product_id": body["hits"][0]["id"]}
    # nginx's default sends Host: 127.0.0.1:PORT while the browser's Origin is the shop's; the browser's own
    # Sec-Fetch-Site says same-origin, and a second send of the same click is not a second click
    headers = {"Origin": "https://shop.example", "Sec-Fetch-Site": "same-origin"}
    answers = [requests.post(server.url + "/api/beacon", json=click, headers=headers, timeout=10) for _ in range(2)]
    assert [a.status_code for a in answers] == [202, 202] and [a.json()["accepted"] for a in answers] == [1, 0]
    cross = requests.post(server.url + "/api/beacon", json=click, headers={"Sec-Fetch-Site": "cross-site"}, timeout=10)
    assert cross.status_code == 403
    assert rows(database, "SELECT COUNT(*) FROM events") == [(1,)]


def test_hostile_bodies_are_400s_and_an_unset_token_refuses_every_caller(service, sample_index, tmp_path) -> None:
    server, _ = service
    nested = requests.post(server.url + "/api/events", data=b"[" * 100_000, headers=AUTH, timeout=10)
    assert nested.status_code == 400 and nested.json()["field"] == "body"
    control = requests.post(server.url + "/api/events", json={**FINE, "product_id": "a\x00b"}, headers=AUTH, timeout=10)
    assert control.status_code == 400 and control.json()["field"] == "product_id"
    anonymous = requests.post(server.url + "/api/events", json=FINE, timeout=10)
    assert anonymous.status_code == 401 and anonymous.headers["WWW-Authenticate"].startswith("Bearer")
    closed = LiveServer(create_app(ServiceConfig(index=str(sample_index), events_db=str(tmp_path / "e.sqlite"))))
    try:
        answer = requests.post(closed.url + "/api/events", json=FINE, headers=AUTH, timeout=10)
        assert answer.status_code == 403
    finally:
        closed.close()


def test_a_query_with_a_nul_is_stored_on_postgresql_beside_the_others(
    sample_index: Path, postgres: str, monkeypatch
) -> None:
    import psycopg

    url = fresh_database(postgres, "events_nul")
    monkeypatch.setenv("PRODSEARCH_EVENTS_KEY", "a-long-random-test-secret")
    server = LiveServer(create_app(ServiceConfig(index=str(sample_index), events_db=url)))
    try:
        ids = [search(server, query)["search_id"] for query in ("kettle", "kettle\x00", "toaster")]
    finally:
        server.close()
    with psycopg.connect(url) as connection:
        stored = dict(connection.execute("SELECT search_id, query FROM searches").fetchall())
    assert set(stored) == set(ids) and stored[ids[1]] == "kettle\ufffd"


@pytest.mark.fast
def test_a_search_without_filters_is_logged_as_no_filters() -> None:
    # click judgments (events.clicks) read only unfiltered searches, found by this exact text
    from events.records import NO_FILTERS
    from search.filters import Filters
    from web.events import logged_filters

    assert logged_filters(Filters()) == NO_FILTERS
    assert '"in_stock": true' in logged_filters(Filters(in_stock=True))
