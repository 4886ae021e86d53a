"""The events database's tables, one schema for SQLite and PostgreSQL, and the migrations that build it.

See docs/design.md#the-events-database.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    inspect,
    select,
    text,
)

from events.errors import EventsError

METADATA = MetaData()

VERSION = Table("schema_version", METADATA, Column("version", Integer, nullable=False))

META = Table(  # facts about the database itself, such as a check of the key its session ids were hashed with
    "meta",
    METADATA,
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

SEARCHES = Table(
    "searches",
    METADATA,
    Column("search_id", String(32), primary_key=True),
    Column("at", BigInteger, nullable=False),  # epoch ms
    Column("session", String(64)),  # keyed hash of the shopper's session, never the id itself
    Column("source", String(8), nullable=False),  # "api" or "page"
    Column("query", Text, nullable=False),
    Column("searched", Text, nullable=False),  # after spelling and understanding: the words the legs searched
    Column("mode", String(8), nullable=False),
    Column("index_version", String(200), nullable=False),
    Column("understood", Text, nullable=False),  # JSON: [{"text", "kind", "effect", "values"}]
    Column("filters", Text, nullable=False),  # JSON: the request's own filters
    Column("total", Integer, nullable=False),
    Column("page", Integer, nullable=False),
    Column("size", Integer, nullable=False),
    Column("results", Text, nullable=False),  # JSON: the ids shown, best first; position = (page-1)*size + i + 1
    Column("shown", Integer, nullable=False),  # how many ids `results` holds: impressions without reading it
    Column("took_ms", Float, nullable=False),
    Column("experiment", String(64)),  # the running experiment the search took part in (v2)
    Column("arm", String(12)),  # its arm there: "a", "b" or "interleaved" (v2)
    Column("teams", Text),  # interleaved: for each id shown, "a" or "b", the arm that put it there, "-" a pin (v2)
    Index("searches_at", "at"),
    Index("searches_session", "session"),
)

EXPERIMENT_COLUMNS = ("experiment", "arm", "teams")

EVENTS = Table(
    "events",
    METADATA,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("at", BigInteger, nullable=False),
    Column("session", String(64)),
    Column("source", String(8), nullable=False),  # "api" (the shop's backend, with the token) or "page"
    Column("type", String(16), nullable=False),  # click, add_to_cart, purchase
    Column("search_id", String(32), nullable=False),
    Column("product_id", Text, nullable=False),
    Column("position", Integer),
    Index("events_search", "search_id"),
    Index("events_at", "at"),
    Index("events_session", "session"),
)


def _create_v1(connection: Connection) -> None:
    for table in (SEARCHES, EVENTS, META):
        table.create(connection)


def _add_experiments(connection: Connection) -> None:
    """v2: each search's experiment, arm and teams. A database made at v1 by this release's _create_v1 has them
    already (it creates the tables as they are now), one made by an older release gets them added."""
    present = {column["name"] for column in inspect(connection).get_columns(SEARCHES.name)}
    for name in EXPERIMENT_COLUMNS:
        if name not in present:
            kind = SEARCHES.c[name].type.compile(dialect=connection.dialect)
            connection.execute(text(f"ALTER TABLE {SEARCHES.name} ADD COLUMN {name} {kind}"))
    connection.execute(text(f"CREATE INDEX IF NOT EXISTS searches_experiment ON {SEARCHES.name} (experiment)"))


# (version, what it does, how); a release that changes the tables appends a step and never edits one
MIGRATIONS: list[tuple[int, str, Callable[[Connection], None]]] = [
    (1, "searches and events", _create_v1),
    (2, "experiments: each search's experiment, arm and teams", _add_experiments),
]
LATEST = MIGRATIONS[-1][0]


def migrate(connection: Connection, where: str) -> int:
    """Brings the database to LATEST; returns the version it was at (0: empty). Call inside a transaction;
    on PostgreSQL, two services starting at once on an empty database take turns."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(7361097)"))  # any constant, the same for all
        # a step may scan a large table (an index on searches): the store's 3 s limit is for queries, not this
        connection.execute(text("SET LOCAL statement_timeout = 0"))
    VERSION.create(connection, checkfirst=True)
    found = connection.execute(select(VERSION.c.version)).scalar()
    current = found or 0
    if current > LATEST:
        raise EventsError(
            f"{where} is at events schema version {current}, newer than this release knows ({LATEST}); "
            "upgrade prodsearch or point PRODSEARCH_EVENTS_DB elsewhere"
        )
    for version, _, step in MIGRATIONS:
        if version > current:
            step(connection)
    if found is None:
        connection.execute(VERSION.insert().values(version=LATEST))
    elif current < LATEST:
        connection.execute(VERSION.update().values(version=LATEST))
    return current


def check_version(connection: Connection, where: str) -> int:
    """The version of a database that a command reads or prunes, which must be LATEST: commands never migrate."""
    if not inspect(connection).has_table(VERSION.name):
        raise EventsError(f"{where} holds no events (no schema_version table); is it the service's events database?")
    current = connection.execute(select(VERSION.c.version)).scalar() or 0
    if current < LATEST:
        raise EventsError(f"{where} is at events schema version {current}; start the service once to migrate it")
    if current > LATEST:
        raise EventsError(f"{where} is at events schema version {current}, newer than this release knows; upgrade")
    return current
