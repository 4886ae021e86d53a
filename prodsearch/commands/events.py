"""`prodsearch events prune|delete`: retention, and forgetting one shopper who asks."""

from __future__ import annotations

from datetime import UTC, datetime

import click

DB_HELP = "The events database: a SQLite path or a postgresql:// URL [default: PRODSEARCH_EVENTS_DB]."


def db_option(command):
    return click.option("--db", envvar="PRODSEARCH_EVENTS_DB", required=True, help=DB_HELP)(command)


@click.group()
def events() -> None:
    """Keep the searches and shoppers' events only as long as the shop needs them."""


@events.command()
@db_option
@click.option("--older-than", required=True, help="An age: 90d, 12w, 36h or 30m.")
def prune(db: str, older_than: str) -> None:
    """Delete the searches and events older than an age."""
    from events import EventStore
    from events.records import now_ms

    before = now_ms() - parse_age(older_than)
    store = EventStore(db)
    searches, actions = store.prune(before)
    store.close()
    since = datetime.fromtimestamp(before / 1000, UTC).strftime("%Y-%m-%d %H:%M UTC")
    click.echo(f"deleted {searches} searches and {actions} events from before {since} in {store.where}")


@events.command()
@db_option
@click.option("--session", required=True, help="The shopper's session id, as the shop sent it.")
def delete(db: str, session: str) -> None:
    """Delete every search and event of one shopper's session (their hashed id is found with the events key)."""
    from events import EventStore, hashed_session, session_key

    store = EventStore(db)
    key = session_key(db, create=False)
    store.check_key(key)  # another key would find nothing and say so as if the shopper had no rows
    searches, actions = store.forget(hashed_session(key, session))
    store.close()
    click.echo(f"deleted {searches} searches and {actions} events of that session in {store.where}")


def parse_age(text: str) -> int:
    """Milliseconds of an age in the grammar `analytics --since` reads (90d, 12w, 36h, 30m)."""
    from events.analytics import AGE, AGE_MS

    match = AGE.fullmatch(text.strip().lower())
    if not match or int(match.group(1)) <= 0:
        hint = "give a number and a unit, as in 90d, 12w, 36h or 30m"
        raise click.BadParameter(f"{text!r}: {hint}", param_hint="--older-than")
    return int(match.group(1)) * AGE_MS[match.group(2)]
