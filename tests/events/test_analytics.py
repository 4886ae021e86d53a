"""Analytics over SQLite and a real PostgreSQL: hand-made searches and events whose figures are worked out by hand
in the comments, so both databases must give exactly those numbers."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from events import Event, EventsError, EventStore, SearchRecord
from events.analytics import (
    DAY_MS,
    MAX_DAYS,
    normalised,
    parse_since,
    positions,
    report,
    top_queries,
    unclicked_queries,
    zero_result_queries,
)

HOUR = 3_600_000
T = int(datetime(2026, 11, 2, tzinfo=UTC).timestamp() * 1000)  # day 0 of the data, 00:00 UTC
UNTIL = T + 3 * DAY_MS + 12 * HOUR  # 2026-11-05 12:00 UTC


def search(at: int, session: str | None, query: str, total: int, shown: int, page: int = 1) -> SearchRecord:
    results = tuple(f"p{n}" for n in range(shown))
    return SearchRecord(
        uuid.uuid4().hex, at, session, "api", query, query, "hybrid", "v1", "[]", "{}", total, page, 10, results, 3.0
    )


@pytest.fixture
def shop(location: str) -> Iterator[EventStore]:
    """Ten searches from day 0 to day 3 (none on day 2), one older, and their events."""
    s1 = search(T + 1 * HOUR, "a", " Red  Kettle ", 12, 10)  # positions 1..10
    s2 = search(T + 2 * HOUR, "b", "red kettle", 12, 10)
    s3 = search(T + 3 * HOUR, "a", "red kettle", 12, 2, page=2)  # positions 11..12
    s4 = search(T + DAY_MS + 1 * HOUR, "c", "ｔｏａｓｔｅｒ", 4, 4)  # full-width: NFKC makes it "toaster"
    s5 = search(T + DAY_MS + 2 * HOUR, None, "toaster", 4, 4)  # no session sent
    s6 = search(T + DAY_MS + 3 * HOUR, "c", "blender", 0, 0)
    s7 = search(T + DAY_MS + 4 * HOUR, "d", "Blender", 0, 0)
    s8, s9, s10 = (search(T + 3 * DAY_MS + n * HOUR, session, "mixer", 3, 3) for n, session in enumerate("eef"))
    old = search(T - 5 * DAY_MS, "a", "red kettle", 12, 10)
    events = [
        Event(s1.at + 1, "a", "page", "click", s1.search_id, "p0", 1),
        Event(s1.at + 2, "a", "api", "click", s1.search_id, "p0", 1),  # the same click from the backend
        Event(s1.at + 3, "a", "api", "add_to_cart", s1.search_id, "p0", 1),
        Event(s1.at + 4, "a", "api", "purchase", s1.search_id, "p0", 1),
        Event(s1.at + 5, "a", "page", "click", s1.search_id, "p2", 3),
        Event(s3.at + 1, "a", "page", "click", s3.search_id, "p1", 12),
        Event(s3.at + 2, "a", "api", "click", s3.search_id, "x", 15),  # a position s3 did not show
        Event(s4.at + 1, "c", "page", "click", s4.search_id, "p1", 2),
        Event(s4.at + 2, "c", "api", "add_to_cart", s4.search_id, "p1", 2),
        Event(T + HOUR, "z", "api", "click", "f" * 32, "p0", 1),  # a search the database does not have
        Event(old.at + 1, "a", "page", "click", old.search_id, "p0", 1),  # before `since`
    ]
    store = EventStore(location, create=True)
    store.write([s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, old], events)
    yield store
    store.close()


def test_totals_and_the_three_query_lists(shop: EventStore) -> None:
    found = report(shop, since=T, until=UNTIL, limit=20, min_searches=3)
    totals = found.totals
    # s1..s10; sessions a b c d e f; clicked s1 s3 s4; clicks 3 on s1, 2 on s3, 1 on s4; zero results s6 s7
    assert (totals.searches, totals.sessions, totals.clicked, totals.clicks) == (10, 6, 3, 6)
    assert (totals.add_to_carts, totals.purchases, totals.zero_results) == (2, 1, 2)
    assert (totals.click_through, totals.zero_result_share) == (0.3, 0.2)

    # 3 searches each for mixer and red kettle (ties by the query), then 2 each for blender and toaster
    assert [q.query for q in found.top] == ["mixer", "red kettle", "Blender", "toaster"]
    kettle = found.top[1]
    # s1 s2 s3: sessions a b; clicked s1 s3; clicks 3 + 2; shown as its commonest spelling, "red kettle" (2 of 3)
    assert (kettle.searches, kettle.sessions, kettle.with_results, kettle.clicked, kettle.clicks) == (3, 2, 3, 2, 5)
    assert (kettle.add_to_carts, kettle.purchases, kettle.zero_results) == (1, 1, 0)
    assert kettle.click_through == pytest.approx(2 / 3) and kettle.zero_result_share == 0.0
    toaster = found.top[3]
    assert (toaster.searches, toaster.sessions, toaster.clicked, toaster.click_through) == (2, 1, 1, 0.5)
    blender = found.top[2]  # "Blender" and "blender" tie; the spelling that sorts first is shown
    assert (blender.searches, blender.sessions, blender.zero_results, blender.zero_result_share) == (2, 2, 2, 1.0)

    assert [(q.query, q.zero_results) for q in found.zero_results] == [("Blender", 2)]
    # mixer showed products 3 times, never clicked; blender found nothing, so it is listed above, not here
    assert [(q.query, q.with_results, q.sessions) for q in found.unclicked] == [("mixer", 3, 2)]


def test_the_lists_alone_take_their_limit_and_threshold(shop: EventStore) -> None:
    with shop.transaction() as connection:
        assert [q.query for q in top_queries(connection, T, limit=2)] == ["mixer", "red kettle"]
        assert [q.query for q in zero_result_queries(connection, T, limit=1)] == ["Blender"]
        assert unclicked_queries(connection, T, min_searches=4) == []
        assert [q.query for q in unclicked_queries(connection, T, min_searches=3)] == ["mixer"]
        everything = top_queries(connection, None)  # the older search joins red kettle
        assert (everything[0].query, everything[0].searches, everything[0].clicked) == ("red kettle", 4, 3)


def test_click_through_by_position(shop: EventStore) -> None:
    with shop.transaction() as connection:
        found = positions(connection, T)
    assert [p.position for p in found] == list(range(1, 21))
    # shown: 1..3 by s1 s2 s4 s5 s8 s9 s10; 4 by s1 s2 s4 s5; 5..10 by s1 s2; 11 and 12 by s3 (page 2)
    assert [p.shown for p in found] == [7, 7, 7, 4, 2, 2, 2, 2, 2, 2, 1, 1] + [0] * 8
    # clicked: 1 (s1, twice: once), 2 (s4), 3 (s1), 12 (s3); not 15, which s3 did not show
    assert {p.position: p.clicked for p in found if p.clicked} == {1: 1, 2: 1, 3: 1, 12: 1}
    assert found[0].click_through == pytest.approx(1 / 7) and found[3].click_through == 0.0
    assert found[11].click_through == 1.0 and found[12].click_through is None


def test_the_daily_series_has_every_day_the_empty_one_too(shop: EventStore) -> None:
    days = report(shop, since=T, until=UNTIL).days
    assert [d.day for d in days] == ["2026-11-02", "2026-11-03", "2026-11-04", "2026-11-05"]
    assert [(d.searches, d.zero_results, d.clicked) for d in days] == [(3, 0, 2), (4, 2, 1), (0, 0, 0), (3, 0, 0)]
    assert days[0].click_through == pytest.approx(2 / 3) and days[1].click_through == 0.25
    assert days[1].zero_result_share == 0.5 and days[3].click_through == 0.0
    assert (days[2].click_through, days[2].zero_result_share) == (None, None)  # no searches: no rate, not 0
    everything = report(shop, since=None, until=T + 5 * DAY_MS).days  # from the oldest search to `until`
    assert (everything[0].day, everything[-1].day, len(everything)) == ("2026-10-28", "2026-11-07", 11)
    assert everything[0].searches == 1 and report(shop, since=None, until=UNTIL).totals.searches == 11


def test_an_empty_period_has_zeros_and_no_rates(shop: EventStore) -> None:
    found = report(shop, since=T + 10 * DAY_MS, until=T + 11 * DAY_MS)
    assert (found.totals.searches, found.totals.click_through, found.totals.zero_result_share) == (0, None, None)
    assert found.top == found.zero_results == found.unclicked == ()
    assert all(p.shown == 0 and p.click_through is None for p in found.positions)
    assert [(d.day, d.searches) for d in found.days] == [("2026-11-12", 0), ("2026-11-13", 0)]
    assert found.to_json()["since"] == "2026-11-12T00:00:00Z"


def test_the_series_keeps_the_latest_days_only(location: str) -> None:
    store = EventStore(location, create=True)
    store.write([search(0, None, "kettle", 1, 1)], [])
    days = report(store, since=None, until=1000 * DAY_MS).days
    store.close()
    assert len(days) == MAX_DAYS and days[-1].day == "1972-09-27" and days[0].searches == 0


@pytest.mark.fast
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1d", "2026-11-05T00:00"),  # today only
        ("7d", "2026-10-30T00:00"),  # today and the six days before
        ("2w", "2026-10-23T00:00"),
        ("36h", "2026-11-04T00:00"),  # an age in hours is exact
        ("90m", "2026-11-05T10:30"),
        (" 2026-11-01 ", "2026-11-01T00:00"),
    ],
)
def test_since_takes_ages_and_dates(text: str, expected: str) -> None:
    since = parse_since(text, UNTIL)
    assert since is not None and datetime.fromtimestamp(since / 1000, UTC).strftime("%Y-%m-%dT%H:%M") == expected


@pytest.mark.fast
def test_since_all_and_refusals() -> None:
    assert parse_since("ALL", UNTIL) is None
    for bad in ("yesterday", "0d", "-3d", "2026-13-01", ""):
        with pytest.raises(EventsError, match="neither an age .* nor 'all'"):
            parse_since(bad, UNTIL)


@pytest.mark.fast
def test_queries_are_grouped_as_shoppers_mean_them() -> None:
    assert normalised("  Ｒｅｄ \t KETTLE ") == "red kettle"
    assert normalised("Straße") == normalised("STRASSE") == "strasse"
    assert normalised(" 红色  连衣裙") == "红色 连衣裙"


@pytest.mark.fast
def test_a_limit_out_of_range_is_refused(tmp_path: Path) -> None:
    store = EventStore(str(tmp_path / "events.sqlite"), create=True)
    with pytest.raises(EventsError, match=r"limit: a number of queries within 1..1000, got 0"):
        report(store, None, 0, limit=0)
    with pytest.raises(EventsError, match="min_searches: at least 1, got 0"):
        report(store, None, 0, min_searches=0)
    store.close()
