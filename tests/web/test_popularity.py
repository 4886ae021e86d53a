"""The service's popularity table: made from its events in the background, never in a search's way."""

from __future__ import annotations

import threading
import time
import uuid
from pathlib import Path

from events import Event, EventStore, SearchRecord
from events.records import NO_FILTERS, now_ms
from web.popularity import LivePopularity


def test_the_table_is_made_in_the_background_from_the_events(tmp_path: Path) -> None:
    store = EventStore(str(tmp_path / "events.sqlite"), create=True)
    at = now_ms()
    searches = [
        SearchRecord(
            uuid.uuid4().hex, at, None, "api", "q", "q", "hybrid", "v1", "[]", NO_FILTERS, 2, 1, 2, ("a", "b"), 1.0
        )
        for _ in range(10)
    ]
    store.write(searches, [Event(at, None, "api", "purchase", searches[0].search_id, "a", 1)])
    live = LivePopularity()
    assert live().rates == {}  # nothing attached: nothing to learn from
    reading = threading.Event()
    activity = store.activity
    store.activity = lambda since: reading.wait(5) and activity(since)  # the database slow to answer
    live.attach(store)
    assert live().rates == {}  # the first search starts making it and does not wait for it
    reading.set()
    deadline = time.monotonic() + 5
    while not live().rates and time.monotonic() < deadline:
        time.sleep(0.02)
    table = live()
    assert table.rates["a"] > table.default > table.rates["b"]
    store.close()
