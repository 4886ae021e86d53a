"""Session ids are stored as keyed hashes; the key lives apart from the rows it hashes."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from events import EventsError, hashed_session, session_key

pytestmark = pytest.mark.fast


def test_a_session_hash_depends_on_the_key_and_does_not_show_the_id() -> None:
    one, two = b"a" * 32, b"b" * 32
    assert hashed_session(one, "shopper-42") == hashed_session(one, "shopper-42")
    assert hashed_session(one, "shopper-42") != hashed_session(two, "shopper-42")
    assert hashed_session(one, "shopper-42") != hashed_session(one, "shopper-43")
    assert "shopper" not in hashed_session(one, "shopper-42") and len(hashed_session(one, "shopper-42")) == 32
    assert hashed_session(one, None) is None and hashed_session(one, "") is None
    with pytest.raises(EventsError, match="at most 200 characters"):
        hashed_session(one, "x" * 201)


def test_a_sqlite_database_gets_its_own_key_file_readable_by_its_owner_only(tmp_path: Path) -> None:
    database = str(tmp_path / "events.sqlite")
    key = session_key(database, environ={})
    path = tmp_path / "events.sqlite.key"
    assert path.is_file() and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert session_key(database, environ={}) == key and len(key) == 64  # made once, then read back
    given = "a-long-random-shop-secret"
    assert session_key(database, environ={"PRODSEARCH_EVENTS_KEY": given}) == given.encode()


def test_a_short_key_or_postgresql_without_a_key_is_refused() -> None:
    with pytest.raises(EventsError, match="at least 16 characters"):
        session_key("events.sqlite", environ={"PRODSEARCH_EVENTS_KEY": "short"})
    with pytest.raises(EventsError, match="set PRODSEARCH_EVENTS_KEY"):
        session_key("postgresql://shop@db/events", environ={})
