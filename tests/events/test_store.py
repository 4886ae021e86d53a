"""The events database over SQLite and a real PostgreSQL: migrations, writes, what a search showed, retention,
forgetting a session, and the writer that batches rows off the request threads."""

from __future__ import annotations

import stat
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from events import Event, EventLog, EventsError, EventStore, SearchRecord
from events.records import NO_FILTERS
from events.schema import EVENTS, LATEST, SEARCHES, VERSION


def search(
    at: int, session: str | None = None, results: tuple[str, ...] = ("a", "b", "c"), page: int = 1, filters=NO_FILTERS
):
    return SearchRecord(
        uuid.uuid4().hex,
        at,
        session,
        "api",
        "red kettle",
        "kettle",
        "hybrid",
        "v000001",
        "[]",
        filters,
        12,
        page,
        3,
        results,
        4.2,
    )


def count(store: EventStore, table) -> int:
    with store.transaction() as connection:
        return connection.execute(select(func.count()).select_from(table)).scalar()


def test_a_new_database_is_migrated_once_and_a_newer_one_is_refused(location: str) -> None:
    store = EventStore(location, create=True)
    assert store.migrated_from == 0
    again = EventStore(location)
    assert again.migrated_from == LATEST
    with again.transaction() as connection:
        assert connection.execute(select(VERSION.c.version)).scalars().all() == [LATEST]
        connection.execute(update(VERSION).values(version=LATEST + 1))
    with pytest.raises(EventsError, match=f"schema version {LATEST + 1}, newer than this release knows"):
        EventStore(location)
    store.close()
    again.close()


def test_searches_and_events_round_trip_and_a_search_knows_what_it_showed(location: str) -> None:
    store = EventStore(location, create=True)
    first, second = search(1_000), search(2_000, results=("x", "y", "z"), page=3)
    store.write([first, second], [Event(1_500, None, "page", "click", first.search_id, "b", 2)])
    assert store.shown(first.search_id) == (1, ("a", "b", "c"))
    assert store.shown(second.search_id) == (7, ("x", "y", "z"))  # page 3 of 3 starts at position 7
    assert store.shown(uuid.uuid4().hex) is None
    assert (count(store, SEARCHES), count(store, EVENTS)) == (2, 1)
    store.close()


def test_pruning_keeps_what_is_recent_and_forgetting_takes_one_session_only(location: str) -> None:
    store = EventStore(location, create=True)
    old, new, other = search(1_000, "s1"), search(5_000, "s1"), search(5_000, "s2")
    events = [
        Event(1_100, "s1", "api", "click", old.search_id, "a", 1),
        Event(5_100, "s1", "api", "purchase", new.search_id, "a", 1),
        Event(5_100, "s2", "page", "click", other.search_id, "b", 2),
    ]
    store.write([old, new, other], events)
    assert store.prune(before_ms=2_000) == (1, 1)
    assert store.forget("s1") == (1, 1)
    assert (count(store, SEARCHES), count(store, EVENTS)) == (1, 1)
    assert store.shown(other.search_id) is not None
    store.close()


def test_the_writer_batches_and_writes_everything_queued_before_close(location: str) -> None:
    log = EventLog(EventStore(location, create=True), b"k" * 32, flush_seconds=0.2)
    records = [search(n) for n in range(3_000)]  # more than one batch
    for record in records:
        log.search(record)
    log.events([Event(9, None, "api", "click", records[0].search_id, "a", 1)])
    assert log.shown(records[-1].search_id) == (1, ("a", "b", "c"))  # known before it is written
    log.close()
    reopened = EventStore(location)
    assert (count(reopened, SEARCHES), count(reopened, EVENTS)) == (3_000, 1)
    assert log.counts.written == 3_001 and log.counts.dropped == 0
    reopened.close()


def test_a_full_queue_drops_rows_rather_than_make_a_request_wait(tmp_path: Path) -> None:
    store = EventStore(str(tmp_path / "events.sqlite"), create=True)
    log = EventLog(store, b"k" * 32, flush_seconds=0.2, queue_rows=10)
    started = time.perf_counter()
    for n in range(5_000):
        log.search(search(n))
    assert time.perf_counter() - started < 5  # never blocked on the database
    log.close()
    assert log.counts.dropped > 0 and log.counts.written + log.counts.dropped == 5_000


def test_a_database_that_cannot_be_opened_is_named(tmp_path: Path) -> None:
    with pytest.raises(EventsError, match="no folder .*missing"):
        EventStore(str(tmp_path / "missing" / "events.sqlite"))
    for url in ("postgresql://u:secret@127.0.0.1:1/x", "POSTGRESQL+psycopg://u:secret@127.0.0.1:1/x"):
        with pytest.raises(EventsError, match=r"://u:\*\*\*@127.0.0.1:1/x") as raised:
            EventStore(url)
        assert "secret" not in str(raised.value)
    for url in ("mysql://u:secret@db/x", "postgresql://u:secret@db:port/x"):
        with pytest.raises(EventsError) as raised:
            EventStore(url)
        assert "secret" not in str(raised.value)
    with pytest.raises(EventsError, match="no events database at .*typo.sqlite; the service makes it"):
        EventStore(str(tmp_path / "typo.sqlite"))  # a command never creates one
    assert not (tmp_path / "typo.sqlite").exists()


def test_a_key_other_than_the_one_the_sessions_were_hashed_with_is_refused(tmp_path: Path) -> None:
    store = EventStore(str(tmp_path / "events.sqlite"), create=True)
    store.check_key(b"k" * 32, record=True)
    store.check_key(b"k" * 32)
    with pytest.raises(EventsError, match="another session key"):
        store.check_key(b"j" * 32)
    assert stat.S_IMODE((tmp_path / "events.sqlite").stat().st_mode) == 0o600
    store.close()


def test_a_row_the_database_refuses_is_lost_alone(location: str, monkeypatch) -> None:
    store = EventStore(location, create=True)
    refused = search(2)
    real_write = store.write

    def picky(searches, events):  # a database that refuses one row, as PostgreSQL refused a NUL
        if refused in searches:
            raise EventsError("refused")
        real_write(searches, events)

    monkeypatch.setattr(store, "write", picky)
    log = EventLog(store, b"k" * 32, flush_seconds=0.1)
    for record in [search(1), refused, search(3), search(4)]:
        log.search(record)
    log.close()
    assert (log.counts.written, log.counts.failed) == (3, 1)
    reopened = EventStore(location)
    assert count(reopened, SEARCHES) == 3
    reopened.close()


def test_impressions_pair_what_each_search_showed_with_what_came_back(location: str) -> None:
    store = EventStore(location, create=True)
    first, later = search(1_000, results=("a", "b")), search(2_000, results=("c", "a"), page=2)
    filtered = search(2_000, results=("z",), filters=NO_FILTERS.replace('"brands": []', '"brands": ["Acme"]'))
    events = [
        Event(1_100, None, "page", "click", first.search_id, "b", 2),
        Event(1_200, None, "api", "purchase", first.search_id, "b", 2),  # one action or three: one click
        Event(2_100, None, "api", "add_to_cart", later.search_id, "a", None),
    ]
    store.write([first, later, filtered], events)
    found = {(i.product_id, i.position, i.clicked) for i in store.impressions()}  # not the filtered one
    assert found == {("a", 1, False), ("b", 2, True), ("c", 4, False), ("a", 5, True)}  # page 2 of 3 a page
    assert [i.product_id for i in store.impressions(since_ms=1_500)] == ["c", "a"]
    store.close()


def test_a_follower_reads_the_events_after_the_last_id_it_read_with_a_session_only(location: str) -> None:
    from events.store import SessionEvent

    store = EventStore(location, create=True)
    assert store.events_after(0) == ([], 0)
    shown = search(1_000)
    events = [
        Event(1_100, "s1", "api", "click", shown.search_id, "a", 1),
        Event(100, "s1", "api", "click", shown.search_id, "old", 1),  # before the window asked for
        Event(1_200, None, "api", "purchase", shown.search_id, "b", 2),  # no session: nothing to pair it in
        Event(1_300, "s2", "page", "add_to_cart", shown.search_id, "c", 3),
        Event(1_400, None, "api", "click", shown.search_id, "d", 4),
    ]
    store.write([shown], events)
    ids = [row.id for row in store.events_after(0, limit=10)[0]]
    assert len(ids) == 3 and ids == sorted(ids)
    first, upto = store.events_after(0, since_ms=1_000, limit=3)  # three ids read: too old, no session, kept
    assert first == [SessionEvent(ids[0], 1_100, "s1", "click", "a")] and upto > ids[1]
    rest, last = store.events_after(upto, since_ms=1_000, limit=3)
    assert [row.product_id for row in rest] == ["c"] and last > upto
    assert store.events_after(last, since_ms=1_000) == ([], last)  # the sessionless tail is passed over once
    store.write([], [Event(1_500, "s3", "api", "purchase", shown.search_id, "e", 1)])
    assert [row.product_id for row in store.events_after(last)[0]] == ["e"]
    store.close()
