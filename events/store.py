"""The events database: SQLite by default (WAL), PostgreSQL for a `postgresql://` URL, one schema (events.schema).

Every write is one transaction of many rows (events.log batches them); readers never wait for it on
either database. A password in a URL never reaches a message.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, delete, event, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from events.clicks import Impression
from events.errors import EventsError, EventsUnavailable
from events.records import NO_FILTERS, Event, SearchRecord, first_position
from events.schema import EVENTS, SEARCHES, migrate

POSTGRES = ("postgresql://", "postgres://")
Shown = tuple[int, tuple[str, ...]]  # (position of the first hit shown, the ids shown best first)


def is_postgres(location: str) -> bool:
    return location.startswith(POSTGRES)


def redacted(location: str) -> str:
    """The location as it may be shown: a URL without its password."""
    if not is_postgres(location):
        return location
    try:
        return make_url(location).render_as_string(hide_password=True)
    except ArgumentError:
        return "a malformed postgresql:// URL"


class EventStore:
    def __init__(self, location: str) -> None:
        self.location = location
        self.where = redacted(location)
        self.engine = _engine(location)
        try:
            with self.transaction() as connection:
                self.migrated_from = migrate(connection, self.where)
        except EventsError:
            self.engine.dispose()
            raise

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        """A connection in a transaction, committed at the end; a database error names the database."""
        try:
            with self.engine.begin() as connection:
                yield connection
        except SQLAlchemyError as error:
            reason = str(error.orig if getattr(error, "orig", None) else error).splitlines()[0]
            raise EventsUnavailable(f"events database {self.where}: {reason}") from None

    def write(self, searches: list[SearchRecord], events: list[Event]) -> None:
        with self.transaction() as connection:
            if searches:
                connection.execute(SEARCHES.insert(), [_search_row(record) for record in searches])
            if events:
                connection.execute(EVENTS.insert(), [asdict(record) for record in events])

    def shown(self, search_id: str) -> Shown | None:
        """(position of the first, ids best first) a logged search showed; None for an id the database lacks."""
        columns = (SEARCHES.c.page, SEARCHES.c.size, SEARCHES.c.results)
        with self.transaction() as connection:
            found = connection.execute(select(*columns).where(SEARCHES.c.search_id == search_id)).first()
        return None if found is None else (first_position(found.page, found.size), tuple(json.loads(found.results)))

    def impressions(self, since_ms: int = 0) -> list[Impression]:
        """Every product each logged search without filters showed, where, and whether any event (a click, an
        add-to-cart, a purchase) came back for it: what click judgments are made of (events.clicks)."""
        columns = (SEARCHES.c.search_id, SEARCHES.c.query, SEARCHES.c.page, SEARCHES.c.size, SEARCHES.c.results)
        unfiltered = (SEARCHES.c.at >= since_ms) & (SEARCHES.c.filters == NO_FILTERS)
        with self.transaction() as connection:
            acted = connection.execute(
                select(EVENTS.c.search_id, EVENTS.c.product_id).distinct().where(EVENTS.c.at >= since_ms)
            ).all()
            searches = connection.execute(select(*columns).where(unfiltered)).all()
        clicked = {(row.search_id, row.product_id) for row in acted}
        return [
            Impression(row.query, product_id, first + rank, (row.search_id, product_id) in clicked)
            for row in searches
            for first in [first_position(row.page, row.size)]
            for rank, product_id in enumerate(json.loads(row.results))
        ]

    def prune(self, before_ms: int) -> tuple[int, int]:
        """Deletes searches and events older than `before_ms`; returns how many of each."""
        with self.transaction() as connection:
            searches = connection.execute(delete(SEARCHES).where(SEARCHES.c.at < before_ms)).rowcount
            events = connection.execute(delete(EVENTS).where(EVENTS.c.at < before_ms)).rowcount
        return searches, events

    def forget(self, session: str) -> tuple[int, int]:
        """Deletes every search and event of one (hashed) session; returns how many of each."""
        with self.transaction() as connection:
            searches = connection.execute(delete(SEARCHES).where(SEARCHES.c.session == session)).rowcount
            events = connection.execute(delete(EVENTS).where(EVENTS.c.session == session)).rowcount
        return searches, events

    def close(self) -> None:
        self.engine.dispose()


def _search_row(record: SearchRecord) -> dict[str, Any]:
    results = json.dumps(list(record.results), ensure_ascii=False)
    return asdict(record) | {"results": results, "shown": len(record.results)}


def _engine(location: str) -> Engine:
    if is_postgres(location):
        try:
            url = make_url(location).set(drivername="postgresql+psycopg")
        except ArgumentError:
            raise EventsError(f"{redacted(location)}: give postgresql://USER:PASSWORD@HOST:PORT/DATABASE") from None
        return create_engine(url, pool_pre_ping=True)
    path = Path(location).expanduser().resolve()
    if not path.parent.is_dir():
        raise EventsError(f"no folder {path.parent} for the events database {path}; create it or set another path")
    engine = create_engine(f"sqlite:///{path}")
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(connection: Any, _: Any) -> None:
    # WAL: readers (analytics, beacons) never wait for the writer; NORMAL sync loses no committed
    # transaction when the process dies, only when the machine does
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()
