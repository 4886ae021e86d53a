"""/analytics over a real server: the token protects the page and its charts, and the page shows the figures of
hand-made searches, worked out by hand below, in the catalogue's language; the same from real searches; and a real
Chromium that logs in and draws the charts."""

from __future__ import annotations

import base64
import io
import re
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import requests

from events import Event, EventStore, SearchRecord
from search.merchandising import FixedMerchandising
from tests.helpers import EmptyBackend, LiveServer
from tests.web.chromium import launch
from web import ServiceConfig, create_app
from web.config import ConfigError
from web.page import OWN_POLICY

TOKEN = "analytics-token-0123456789"
BEARER = {"Authorization": f"Bearer {TOKEN}"}
HOUR, DAY = 3_600_000, 86_400_000
T = int(datetime(2026, 11, 2, tzinfo=UTC).timestamp() * 1000)
SINCE = {"since": "2026-11-02"}
SCREENSHOT = Path(tempfile.gettempdir()) / "prodsearch-analytics.png"  # to look at after a run


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


class FakeLive:
    """Stands in for LiveSearch: the page asks the served index for its language only."""

    def __init__(self, language: str) -> None:
        self.backend = EmptyBackend(language, 3)

    @property
    def pipeline(self) -> Any:
        return SimpleNamespace(backend=self.backend, merchandising=FixedMerchandising())

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass


def search(at: int, session: str, query: str, total: int, shown: int) -> SearchRecord:
    ids = tuple(f"p{n}" for n in range(shown))
    return SearchRecord(
        uuid.uuid4().hex, at, session, "page", query, query, "hybrid", "v1", "[]", "{}", total, 1, 5, ids, 2.0
    )


def shop(path: Path) -> Path:
    """Since 2026-11-02: 2 searches for red kettle (both clicked, one bought), 1 for 蓝牙耳机 that found nothing, 3 for
    toaster never clicked; and one older search that only ?since=all counts."""
    kettle_a, kettle_b = search(T + HOUR, "a", "Red Kettle", 8, 5), search(T + 2 * HOUR, "b", "red kettle", 8, 5)
    toasters = [search(T + DAY + n * HOUR, session, "toaster", 3, 3) for n, session in enumerate("dde")]
    rows = [
        kettle_a,
        kettle_b,
        search(T + DAY, "c", "蓝牙耳机", 0, 0),
        *toasters,
        search(T - 10 * DAY, "a", "red kettle", 1, 1),
    ]
    events = [
        Event(T + HOUR + 1, "a", "page", "click", kettle_a.search_id, "p1", 2),
        Event(T + HOUR + 2, "a", "api", "purchase", kettle_a.search_id, "p1", 2),
        Event(T + 2 * HOUR + 1, "b", "page", "click", kettle_b.search_id, "p0", 1),
    ]
    store = EventStore(str(path), create=True)
    store.write(rows, events)
    store.close()
    return path


def serve(tmp_path: Path, language: str = "en", **config: Any) -> LiveServer:
    """The service over `shop`'s database (or the events database given) with the token, for an index in `language`."""
    settings = {"events_db": None, "analytics_token": TOKEN} | config
    settings["events_db"] = settings["events_db"] or str(shop(tmp_path / "events.sqlite"))
    return LiveServer(create_app(ServiceConfig(index="unused", **settings), live=FakeLive(language)))


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    server = serve(tmp_path)
    yield server
    server.close()


def get(server: LiveServer, path: str, headers: dict[str, str] | None = None, **params: str) -> requests.Response:
    return requests.get(server.url + path, params=params, headers=headers or {}, timeout=30)


def rows(html: str, section: str) -> list[list[str]]:
    """The table rows of one section of the page: [query, cell, cell, ...]."""
    part = html.split(f'<section id="{section}">', 1)[1].split("</section>", 1)[0]
    return [
        [query, *re.findall(r"<td>(.*?)</td>", rest)]
        for query, rest in re.findall(r'<tr><th scope="row">(.*?)</th>(.*?)</tr>', part)
    ]


def test_the_page_and_its_charts_ask_for_the_token(server: LiveServer) -> None:
    for path in ("/analytics", "/analytics/searches.svg", "/analytics/rates.svg", "/analytics/positions.svg"):
        asked = get(server, path)
        assert asked.status_code == 401, path
        assert asked.headers["WWW-Authenticate"] == 'Basic realm="prodsearch analytics", charset="UTF-8"'
        assert "PRODSEARCH_ANALYTICS_TOKEN" in asked.json()["detail"]
        wrong = get(server, path, {"Authorization": "Bearer guess-guess-guess-guess"})
        assert wrong.status_code == 403 and "WWW-Authenticate" not in wrong.headers
        assert wrong.json() == {
            "error": "forbidden",
            "detail": "the bearer token is not the one in PRODSEARCH_ANALYTICS_TOKEN",
        }
        assert get(server, path, BEARER, **SINCE).status_code == 200
        assert get(server, path, basic("anyone", TOKEN), **SINCE).status_code == 200
    # a wrong Basic password asks again, so a browser shows its prompt rather than keep sending it
    again = get(server, "/analytics", basic("shop", "guess"))
    assert again.status_code == 401 and "WWW-Authenticate" in again.headers
    assert get(server, "/analytics", {"Authorization": "Basic !!!"}).status_code == 401
    assert get(server, "/analytics", basic("shop", TOKEN + "x")).status_code == 401


def test_the_page_is_served_under_the_search_pages_policy_with_nothing_inline(server: LiveServer) -> None:
    page = get(server, "/analytics", BEARER, **SINCE)
    assert page.headers["Content-Security-Policy"] == OWN_POLICY and page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["Cache-Control"] == "no-store"  # what shoppers searched stays out of caches
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert not re.search(r"<style|style=|<script|\son\w+=", page.text)
    images = re.findall(r'<img id="chart-(\w+)" src="([^"]+)"', page.text)
    assert [name for name, _ in images] == ["searches", "rates", "positions"]
    for _, source in images:
        assert source.startswith("/analytics/") and "since=2026-11-02" in source
        chart = requests.get(server.url + source.replace("&amp;", "&"), headers=BEARER, timeout=30)
        assert chart.headers["Content-Type"] == "image/svg+xml; charset=utf-8" and chart.text.startswith("<svg")
        assert chart.headers["Content-Security-Policy"] == "default-src 'none'"
        assert not re.search(r"<style|style=|<script", chart.text)
    css = requests.get(server.url + "/static/analytics.css", timeout=30)
    assert css.status_code == 200 and "#totals" in css.text


def test_the_page_shows_the_figures(server: LiveServer) -> None:
    html = get(server, "/analytics", BEARER, **SINCE).text
    totals = dict(re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", html))
    # 6 searches; sessions a b c d e; clicked: both kettles, 2 of 6; nothing found: 1 of 6
    assert totals == {
        "Searches": "6",
        "Sessions": "5",
        "Click-through": "33.3%",
        "Zero results": "16.7%",
        "Add-to-carts": "0",
        "Purchases": "1",
    }
    assert rows(html, "top") == [
        ["toaster", "3", "2", "0", "0.0%", "0", "0", "0.0%"],
        ["Red Kettle", "2", "2", "2", "100.0%", "0", "1", "0.0%"],  # 'Red Kettle' and 'red kettle' are one query
        ["蓝牙耳机", "1", "1", "0", "0.0%", "0", "0", "100.0%"],
    ]
    assert rows(html, "zero") == [["蓝牙耳机", "1", "1", "1"]]
    assert rows(html, "unclicked") == [["toaster", "3", "3", "2"]]
    assert "Since 2026-11-02 (UTC)" in html and 'aria-current="page"' not in html  # no preset period chosen
    everything = get(server, "/analytics", BEARER, since="all").text
    assert rows(everything, "top")[0] == ["red kettle", "3", "2", "2", "66.7%", "0", "1", "0.0%"]  # 2 of 3 spellings
    assert re.search(r'<a href="/analytics\?since=all" aria-current="page">All time</a>', everything)


def test_the_charts_draw_the_figures(server: LiveServer) -> None:
    positions = get(server, "/analytics/positions.svg", BEARER, **SINCE).text
    # positions 1..3 shown by the 2 kettles and 3 toasters, 4..5 by the kettles; clicked: 1 and 2 once each
    assert re.findall(r"<title>(\d+: [\d.]+%)</title>", positions) == ["1: 20.0%", "2: 20.0%"] + [
        f"{position}: 0.0%" for position in (3, 4, 5)
    ]  # and no bar at all where no search showed a result
    searches = get(server, "/analytics/searches.svg", BEARER, **SINCE).text
    assert re.findall(r"<title>([\d-]+: \d+)</title>", searches)[:2] == ["11-02: 2", "11-03: 4"]  # no bar before
    rates = get(server, "/analytics/rates.svg", BEARER, **SINCE).text
    assert "11-02 Click-through: 100.0%" in rates and "11-03 Zero results: 25.0%" in rates
    empty = get(server, "/analytics/positions.svg", BEARER, since="2030-01-01").text
    assert "No searches in this period" in empty and "<rect x" not in empty


def test_bad_parameters_are_named(server: LiveServer) -> None:
    bad = get(server, "/analytics", BEARER, since="soon")
    assert bad.status_code == 400 and bad.json()["detail"].startswith("since: 'soon' is neither an age")
    limit = get(server, "/analytics", BEARER, limit="0")
    assert limit.status_code == 400 and limit.json()["detail"] == "limit: a whole number within 1..1000, got '0'"


def test_off_without_a_token_or_without_events(tmp_path: Path) -> None:
    no_token = serve(tmp_path, analytics_token=None)
    try:
        found = get(no_token, "/analytics", BEARER)
        assert found.status_code == 404
        assert found.json() == {
            "error": "analytics are off",
            "detail": "set PRODSEARCH_ANALYTICS_TOKEN to open /analytics",
        }
    finally:
        no_token.close()
    no_events = serve(tmp_path, events_db="off")
    try:
        found = get(no_events, "/analytics/positions.svg", BEARER)
        assert found.status_code == 404 and "PRODSEARCH_EVENTS_DB=off" in found.json()["detail"]
    finally:
        no_events.close()
    with pytest.raises(ConfigError, match="PRODSEARCH_ANALYTICS_TOKEN must be at least 16 characters"):
        create_app(ServiceConfig(index="unused", events_db="off", analytics_token="short"), live=FakeLive("en"))


def test_a_chinese_catalogue_gets_a_chinese_page(tmp_path: Path) -> None:
    server = serve(tmp_path, language="zh")
    try:
        html = get(server, "/analytics", BEARER, **SINCE).text
        chart = get(server, "/analytics/rates.svg", BEARER, **SINCE).text
    finally:
        server.close()
    assert '<html lang="zh-CN">' in html and "<h1>搜索分析</h1>" in html and "<h2>热门搜索词</h2>" in html
    assert "<dt>点击率</dt><dd>33.3%</dd>" in html and "自 2026-11-02 起（UTC）" in html
    assert "<title>每日点击率与无结果率</title>" in chart and ">无结果率</text>" in chart


@pytest.mark.parametrize("language, label", [("en", "Add a synonym or rule"), ("zh", "添加同义词或规则")])
def test_a_query_that_found_nothing_links_to_the_merchandisers_page(tmp_path: Path, language: str, label: str) -> None:
    admin = "admin-token-0123456789abcdef"
    server = serve(tmp_path, language=language, admin_token=admin)
    try:
        html = get(server, "/analytics", BEARER, **SINCE).text
        link = re.search(r'<section id="zero">.*?<td class="fix"><a href="([^"]+)">(.*?)</a></td>', html, re.S)
        assert link and link.group(2) == label, html
        assert link.group(1) == "/admin?q=%E8%93%9D%E7%89%99%E8%80%B3%E6%9C%BA"  # 蓝牙耳机, found nothing
        opened = requests.get(server.url + link.group(1), auth=("shop", admin), timeout=30)
        assert opened.status_code == 200 and 'value="蓝牙耳机"' in opened.text  # the page opens on that query
    finally:
        server.close()
    assert rows(html, "zero") == [["蓝牙耳机", "1", "1", "1"]]  # the link is a cell of its own
    assert html.count('class="fix"') == 1  # only queries that found nothing get one


def test_without_an_admin_token_no_link_leads_to_a_page_that_would_refuse(server: LiveServer) -> None:
    html = get(server, "/analytics", BEARER, **SINCE).text
    assert "/admin" not in html and 'class="fix"' not in html


def test_real_searches_and_clicks_show_up(sample_index: Path, tmp_path: Path) -> None:
    config = ServiceConfig(
        index=str(sample_index),
        events_db=str(tmp_path / "events.sqlite"),
        events_token="shop-backend-token-0123456789",
        analytics_token=TOKEN,
    )
    server = LiveServer(create_app(config))
    try:
        body = requests.get(server.url + "/api/search", params={"q": "Kettle", "k": 5}, timeout=30).json()
        requests.get(server.url + "/api/search", params={"q": "kettle ", "k": 5}, timeout=30)
        click = {"type": "click", "search_id": body["search_id"], "product_id": body["hits"][2]["id"]}
        headers = {"Authorization": "Bearer shop-backend-token-0123456789"}
        assert requests.post(server.url + "/api/events", json=click, headers=headers, timeout=10).status_code == 202
        # two searches for one query (no session sent), one clicked, at the third hit shown
        expected = [["Kettle", "2", "0", "1", "50.0%", "0", "0", "0.0%"]]
        deadline = time.monotonic() + 10  # the writer stores what is queued twice a second
        while (found := rows(get(server, "/analytics", BEARER).text, "top")) != expected:
            assert time.monotonic() < deadline, f"the page shows {found}, not {expected}"
            time.sleep(0.2)
        positions = get(server, "/analytics/positions.svg", BEARER).text
    finally:
        server.close()
    shown = ["1: 0.0%", "2: 0.0%", "3: 50.0%", "4: 0.0%", "5: 0.0%"]  # 5 hits shown, the third clicked in 1 of 2
    assert re.findall(r"<title>(\d+: [\d.]+%)</title>", positions) == shown


@pytest.fixture(scope="module")
def browser() -> Iterator:
    yield from launch()


def colour_pixels(png: bytes, colour: tuple[int, int, int]) -> int:
    import numpy as np
    from PIL import Image

    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))
    return int((pixels == colour).all(axis=2).sum())


def test_a_browser_logs_in_and_sees_the_charts(browser, tmp_path: Path) -> None:
    server = serve(tmp_path)
    try:
        from playwright.sync_api import Error as BrowserError

        anonymous = browser.new_context()  # the 401's Basic challenge asks for a login; headless, it has none
        with pytest.raises(BrowserError, match="ERR_INVALID_AUTH_CREDENTIALS"):
            anonymous.new_page().goto(server.url + "/analytics")
        anonymous.close()
        wrong = browser.new_context(http_credentials={"username": "shop", "password": "a-wrong-guess"})
        assert wrong.new_page().goto(server.url + "/analytics").status == 401  # asked again, then given up
        wrong.close()
        context = browser.new_context(
            http_credentials={"username": "shop", "password": TOKEN}, viewport={"width": 1100, "height": 900}
        )
        page = context.new_page()
        console: list[str] = []
        page.on("console", lambda message: console.append(message.text))
        assert page.goto(server.url + "/analytics?since=2026-11-02").status == 200
        page.wait_for_function(
            "() => document.images.length === 3 && [...document.images].every(i => i.complete && i.naturalWidth > 0)"
        )
        assert page.eval_on_selector_all("#charts img", "images => images.map(i => i.naturalWidth)") == [900] * 3
        assert not [text for text in console if "Content Security Policy" in text], console
        assert page.inner_text("#totals").split("\n")[:2] == ["Searches", "6"]
        # the bars and lines are there, in their colours: navy days, blue positions, blue and orange rates
        assert colour_pixels(page.locator("#chart-searches").screenshot(), (0x1F, 0x3B, 0x57)) > 1000
        assert colour_pixels(page.locator("#chart-positions").screenshot(), (0x1F, 0x6F, 0xB2)) > 1000
        rates = page.locator("#chart-rates").screenshot()
        assert colour_pixels(rates, (0x1F, 0x6F, 0xB2)) > 50 and colour_pixels(rates, (0xD9, 0x82, 0x2B)) > 50
        page.screenshot(path=str(SCREENSHOT), full_page=True)
        context.close()
    finally:
        server.close()
