"""`prodsearch events prune|delete` on a database the service made: retention, and forgetting one shopper."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

from events import Event, EventStore, SearchRecord, hashed_session, session_key
from events.records import NO_FILTERS


def events_command(*arguments: str, key: str | None = None) -> subprocess.CompletedProcess:
    environment = {name: value for name, value in os.environ.items() if name != "PRODSEARCH_EVENTS_KEY"}
    environment |= {"PRODSEARCH_EVENTS_KEY": key} if key else {}
    command = [sys.executable, "-m", "prodsearch", "events", *arguments]
    return subprocess.run(command, capture_output=True, text=True, env=environment)


def served_database(path: Path) -> bytes:
    """A database as the service leaves it: made, keyed, with an old search, and two shoppers' recent ones."""
    store = EventStore(str(path), create=True)
    key = session_key(str(path))
    store.check_key(key, record=True)
    now = int(time.time() * 1000)

    def searched(at: int, session: str) -> SearchRecord:
        return SearchRecord(
            uuid.uuid4().hex,
            at,
            hashed_session(key, session),
            "page",
            "kettle",
            "kettle",
            "hybrid",
            "v1",
            "[]",
            NO_FILTERS,
            1,
            1,
            10,
            ("a",),
            1.0,
        )

    old, mine, other = searched(now - 100 * 86_400_000, "ann"), searched(now, "ann"), searched(now, "bob")
    clicks = [Event(now, hashed_session(key, "ann"), "page", "click", mine.search_id, "a", 1)]
    store.write([old, mine, other], clicks)
    store.close()
    return key


def test_prune_keeps_the_recent_and_delete_forgets_one_session(tmp_path: Path) -> None:
    database = tmp_path / "events.sqlite"
    served_database(database)
    pruned = events_command("prune", "--db", str(database), "--older-than", "90d")
    assert pruned.returncode == 0 and pruned.stdout.startswith("deleted 1 searches and 0 events from before")
    forgot = events_command("delete", "--db", str(database), "--session", "ann")
    assert forgot.returncode == 0 and forgot.stdout.startswith("deleted 1 searches and 1 events of that session")
    again = events_command("delete", "--db", str(database), "--session", "ann")
    assert again.stdout.startswith("deleted 0 searches and 0 events")


def test_delete_with_another_key_or_a_mistyped_database_changes_nothing(tmp_path: Path) -> None:
    database = tmp_path / "events.sqlite"
    served_database(database)
    wrong = events_command("delete", "--db", str(database), "--session", "ann", key="another-long-secret-key")
    assert wrong.returncode == 2 and "written with another session key" in wrong.stderr
    typo = events_command("delete", "--db", str(tmp_path / "event.sqlite"), "--session", "ann")
    assert typo.returncode == 2 and "no events database at" in typo.stderr
    assert not (tmp_path / "event.sqlite").exists() and not (tmp_path / "event.sqlite.key").exists()
    forgot = events_command("delete", "--db", str(database), "--session", "ann")
    assert forgot.stdout.startswith("deleted 2 searches and 1 events")  # all still there for the right key
