"""The events database: SQLite by default (WAL), PostgreSQL for a `postgresql://` URL, one schema (events.schema).

See docs/design.md#the-events-database.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import Engine, create_engine, delete, event, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DataError, DBAPIError, IntegrityError, SQLAlchemyError

from events.clicks import Impression
from events.errors import EventsError, EventsUnavailable
from events.records import NO_FILTERS, Event, SearchRecord, first_position
from events.schema import EVENTS, META, SEARCHES, check_version, migrate

SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*)://", re.IGNORECASE)
TIMEOUT = 3  # seconds: connecting to PostgreSQL, one statement there, waiting for a pooled connection
Shown = tuple[int, tuple[str, ...]]  # (position of the first hit shown, the ids shown best first)


class SessionEvent(NamedTuple):
    """One shopper's action as a follower of the events table reads it (EventStore.events_after)."""

    id: int
    at: int  # epoch ms
    session: str  # the keyed hash, never None here
    type: str
    product_id: str


def is_postgres(location: str) -> bool:
    scheme = SCHEME.match(location)
    return bool(scheme) and scheme.group(1).lower() in ("postgresql", "postgres", "postgresql+psycopg")


def redacted(location: str) -> str:
    """The location as it may be shown: a URL without its password."""
    if not SCHEME.match(location):
        return location
    try:
        return make_url(location).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return f"a malformed {SCHEME.match(location).group(1)}:// URL"


class EventStore:
    def __init__(self, location: str, create: bool = False) -> None:
        """The database at `location`; `create`: make it if missing and bring it to this release's schema."""
        self.location = location
        self.where = redacted(location)
        self.engine = _engine(location, create)
        try:
            with self.transaction() as connection:
                if create:
                    self.migrated_from = migrate(connection, self.where)
                else:
                    self.migrated_from = check_version(connection, self.where)
        except EventsError:
            self.engine.dispose()
            raise

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        """A connection in a transaction, committed at the end. Data the database refuses (a NUL in text for
        PostgreSQL, a duplicate id) raises EventsError; a database that fails otherwise (down, locked, damaged)
        EventsUnavailable, worth another try; both name it."""
        try:
            with self.engine.begin() as connection:
                yield connection
        except SQLAlchemyError as error:
            reason = str(error.orig if getattr(error, "orig", None) else error).splitlines()[0]
            message = f"events database {self.where}: {reason}"
            refused = isinstance(error, IntegrityError | DataError) or not isinstance(error, DBAPIError)
            raise (EventsError if refused else EventsUnavailable)(message) from None

    def write(self, searches: list[SearchRecord], events: list[Event]) -> None:
        with self.transaction() as connection:
            if searches:
                connection.execute(SEARCHES.insert(), [_search_row(record) for record in searches])
            if events:
                connection.execute(EVENTS.insert(), [_storable(asdict(record)) for record in events])

    def shown(self, search_id: str) -> Shown | None:
        """(position of the first, ids best first) a logged search showed; None for an id the database lacks."""
        columns = (SEARCHES.c.page, SEARCHES.c.size, SEARCHES.c.results)
        with self.transaction() as connection:
            found = connection.execute(select(*columns).where(SEARCHES.c.search_id == search_id)).first()
        return None if found is None else (first_position(found.page, found.size), tuple(json.loads(found.results)))

    def check_key(self, key: bytes, record: bool = False) -> None:
        """Refuses a key that is not the one this database's session ids were hashed with (a service started
        without PRODSEARCH_EVENTS_KEY, a delete run from another shell); `record`: note it if none is."""
        check = hmac.new(key, b"prodsearch events key", hashlib.sha256).hexdigest()
        with self.transaction() as connection:
            found = connection.execute(select(META.c.value).where(META.c.name == "key_check")).scalar()
            if found is None and record:
                connection.execute(META.insert().values(name="key_check", value=check))
        if found is not None and not hmac.compare_digest(found, check):
            raise EventsError(
                f"{self.where} was written with another session key than this one "
                "(PRODSEARCH_EVENTS_KEY, else DB.key beside a SQLite database): use the service's key"
            )

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

    def activity(self, since_ms: int = 0) -> tuple[Counter[str], Counter[tuple[str, str]]]:
        """Since `since_ms`: how many times each product was shown, and each (product, event type)'s count."""
        with self.transaction() as connection:
            acted = connection.execute(
                select(EVENTS.c.product_id, EVENTS.c.type, func.count())
                .where(EVENTS.c.at >= since_ms)
                .group_by(EVENTS.c.product_id, EVENTS.c.type)
            ).all()
            shown_lists = connection.execute(select(SEARCHES.c.results).where(SEARCHES.c.at >= since_ms)).scalars()
            shown = Counter(product_id for results in shown_lists for product_id in json.loads(results))
        return shown, Counter({(row[0], row[1]): row[2] for row in acted})

    def events_after(self, last_id: int, since_ms: int = 0, limit: int = 5_000) -> tuple[list[SessionEvent], int]:
        """The next events by id after `last_id`, from any service writing here: (those at or after `since_ms` with a
        session, by id; the highest id read). Reading up to that id again finds nothing new; `limit` ids at most."""
        read = select(EVENTS.c.id).where(EVENTS.c.id > last_id).order_by(EVENTS.c.id).limit(limit).subquery()
        columns = (EVENTS.c.id, EVENTS.c.at, EVENTS.c.session, EVENTS.c.type, EVENTS.c.product_id)
        with self.transaction() as connection:
            # the highest id first, then the rows up to it: events without a session (or too old) are passed over
            # once, not read again by every follow-up that finds nothing newer
            upto = connection.execute(select(func.max(read.c.id))).scalar()
            if upto is None:
                return [], last_id
            wanted = (EVENTS.c.id > last_id) & (EVENTS.c.id <= upto) & (EVENTS.c.at >= since_ms)
            found = connection.execute(
                select(*columns).where(wanted & EVENTS.c.session.is_not(None)).order_by(EVENTS.c.id)
            ).all()
        return [SessionEvent(*row) for row in found], upto

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
    return _storable(asdict(record) | {"results": results, "shown": len(record.results)})


def _storable(row: dict[str, Any]) -> dict[str, Any]:
    """The row with text every database stores: PostgreSQL refuses NUL, and no driver encodes a lone surrogate."""
    return {
        name: value.replace("\x00", "\ufffd").encode("utf-8", "replace").decode("utf-8")
        if isinstance(value, str)
        else value
        for name, value in row.items()
    }


def _engine(location: str, create: bool) -> Engine:
    if is_postgres(location):
        try:
            url = make_url(location).set(drivername="postgresql+psycopg")
            url.port  # noqa: B018 -- a port that is not a number raises here, not at the first query
        except (ArgumentError, ValueError):
            raise EventsError(f"{redacted(location)}: give postgresql://USER:PASSWORD@HOST:PORT/DATABASE") from None
        options = {"connect_timeout": TIMEOUT, "options": f"-c statement_timeout={TIMEOUT * 1000}"}
        return create_engine(url, pool_pre_ping=True, pool_timeout=TIMEOUT, connect_args=options)
    if SCHEME.match(location):
        raise EventsError(f"{redacted(location)}: events go to a SQLite path or a postgresql:// URL")
    path = Path(location).expanduser().resolve()
    if not path.parent.is_dir():
        raise EventsError(f"no folder {path.parent} for the events database {path}; create it or set another path")
    if not create and not path.is_file():
        raise EventsError(f"no events database at {path}; the service makes it when it starts (PRODSEARCH_EVENTS_DB)")
    if create and not path.exists():
        path.touch(mode=0o600)  # what shoppers typed is readable by the database's owner only, like its key
    engine = create_engine(f"sqlite:///{path}")
    event.listen(engine, "connect", _sqlite_pragmas)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_begin(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN")


def _sqlite_pragmas(connection: Any, _: Any) -> None:
    # the driver begins no transaction before CREATE TABLE: SQLAlchemy's recipe leaves beginning to it, so a
    # migration that fails halfway leaves nothing behind (engine "begin" event: _sqlite_begin)
    connection.isolation_level = None
    # WAL: readers (analytics, beacons) never wait for the writer; NORMAL sync loses no committed
    # transaction when the process dies, only when the machine does
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()
