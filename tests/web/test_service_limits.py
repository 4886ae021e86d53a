"""`prodsearch serve` within its limits: idle connections do not stop it answering, a connection past the limit
gets a fast 503 with Retry-After, oversized requests are refused, and a request at every parameter's bound fits."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
import requests

from prodsearch.commands.search import serve
from search.pipeline import SearchRequest, SearchResponse
from tests.helpers import served
from web import ServerLimits, ServiceConfig, create_app
from web.lane import QUERY_CHARS
from web.params import MAX_ATTRIBUTES, MAX_QUERY, MAX_VALUE, MAX_VALUES


@contextmanager
def idle_connections(url: str, count: int) -> Iterator[list[socket.socket]]:
    """`count` connections that never send a byte, as a client that went away or a slow attacker leaves them."""
    host, port = url.removeprefix("http://").split(":")
    with ExitStack() as stack:
        yield [stack.enter_context(socket.create_connection((host, int(port)))) for _ in range(count)]


def timed_health(url: str) -> tuple[requests.Response, float]:
    started = time.monotonic()
    response = requests.get(url + "/healthz", timeout=10)
    return response, time.monotonic() - started


@pytest.fixture(scope="module")
def service(sample_index: Path) -> Iterator[str]:
    with served(sample_index) as url:
        yield url


def test_idle_connections_do_not_stop_health_checks(service: str) -> None:
    # with waitress's default limit, 100 idle connections stopped it accepting and /healthz timed out
    with idle_connections(service, 150):
        time.sleep(0.5)  # let the server accept them all
        for _ in range(3):
            response, seconds = timed_health(service)
            assert response.status_code == 200 and seconds < 3
        search = requests.get(service + "/api/search", params={"q": "kettle"}, timeout=10)
        assert search.status_code == 200 and search.json()["hits"]


def test_past_the_limit_a_fast_503_with_retry_after_until_idle_connections_are_closed(sample_index: Path) -> None:
    with served(sample_index, "--connections", "20", "--idle-timeout", "2") as url, idle_connections(url, 40):
        deadline = time.monotonic() + 1.5  # a loaded machine accepts them late; they are closed as idle at 2 s
        while (answer := timed_health(url))[0].status_code == 200 and time.monotonic() < deadline:
            time.sleep(0.1)
        response, seconds = answer
        assert response.status_code == 503 and seconds < 2
        assert response.headers["Retry-After"] == "1"
        assert "too many open connections" in response.json()["detail"]
        deadline = time.monotonic() + 10  # the idle ones are closed after 2 s, looked for every second
        while (response := timed_health(url)[0]).status_code == 503 and time.monotonic() < deadline:
            time.sleep(0.5)
        assert response.status_code == 200


def test_oversized_requests_are_refused_and_a_request_at_every_bound_fits(service: str) -> None:
    long_header = requests.get(service + "/api/search?q=kettle", headers={"X-Padding": "x" * 70_000}, timeout=10)
    assert long_header.status_code == 431 and long_header.json()["error"] == "request header fields too large"
    body = requests.post(service + "/api/search?q=kettle", data=b"x" * 1_100_000, timeout=10)
    assert body.status_code == 413 and body.headers["Content-Type"] == "application/json" and body.json()["detail"]
    # every parameter at its bound, each character percent-encoded as a client may send it
    brands = MAX_VALUES - MAX_ATTRIBUTES
    pairs = [("q", "q" * MAX_QUERY), ("category", "c" * MAX_VALUE)]
    pairs += [("brand", f"{i:03d}".ljust(MAX_VALUE, "b")) for i in range(brands)]
    pairs += [(f"attr.{i:03d}".ljust(len("attr.") + MAX_VALUE, "n"), "v" * MAX_VALUE) for i in range(MAX_ATTRIBUTES)]
    query = "&".join(f"{_encoded(name)}={_encoded(value)}" for name, value in pairs)
    assert len(query) > 40_000
    response = requests.get(f"{service}/api/search?{query}", timeout=30)
    assert response.status_code == 200, response.text[:300]


def _encoded(text: str) -> str:
    return "".join(f"%{byte:02X}" for byte in text.encode())


@pytest.mark.fast
def test_the_serve_flags_default_to_the_documented_limits() -> None:
    defaults = {option.name: option.default for option in serve.params}
    assert defaults["connections"] == ServerLimits.connections
    assert defaults["idle_timeout"] == ServerLimits.idle_timeout


def test_heavy_searches_take_turns_and_one_kept_waiting_is_a_503(
    sample_index: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("web.lane.WAIT", 0.2)
    app = create_app(ServiceConfig(index=str(sample_index)))
    try:
        pipeline = app.extensions["prodsearch.live"].pipeline
        inside, leave = threading.Event(), threading.Event()
        search = pipeline.search

        def held(request: SearchRequest) -> SearchResponse:
            if len(request.query) > QUERY_CHARS:  # the first heavy search stays in the lane until told
                inside.set()
                leave.wait(10)
            return search(request)

        monkeypatch.setattr(pipeline, "search", held)
        long_query = "stainless steel electric kettle " * 5
        first: list = []
        holder = threading.Thread(
            target=lambda: first.append(app.test_client().get("/api/search", query_string={"q": long_query}))
        )
        holder.start()
        assert inside.wait(10)
        kept_waiting = app.test_client().get("/api/search", query_string={"q": long_query})
        assert kept_waiting.status_code == 503 and kept_waiting.headers["Retry-After"] == "1"
        assert kept_waiting.get_json()["error"] == "busy"
        assert app.test_client().get("/api/search", query_string={"q": "kettle"}).status_code == 200  # light: no turn
        leave.set()
        holder.join(30)
        assert first[0].status_code == 200
    finally:
        leave.set()
        app.extensions["prodsearch.live"].stop()
