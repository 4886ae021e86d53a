"""Shoppers also viewed and bought (events.cooccurrence), following the events database in the background: a request
that finds the last catch-up older than CATCH_UP seconds starts the next, so requests never wait for the database."""

from __future__ import annotations

import logging
import math
import threading
import time

from events import EventStore
from events.analytics import DAY_MS
from events.cooccurrence import CoOccurrence
from events.popularity import WINDOW_DAYS
from events.records import now_ms

log = logging.getLogger(__name__)
CATCH_UP = 1.0  # seconds
RETRY = 30.0  # seconds after a read failed: a database that is down is not asked, and logged, every second
REBUILD = 86_400.0  # seconds: the window read afresh, so rows deleted since (events delete, prune) drop out
BATCH = 5_000  # event ids read at a time
FOLD = 500  # events folded in per hold of the lock: a request waits for at most that many


class LiveAlsoViewed:
    def __init__(self, min_sessions: int) -> None:
        """`min_sessions`: a pair is shown once this many distinct sessions acted on both (ServiceConfig's)."""
        if min_sessions < 1:
            raise ValueError(f"min_sessions must be 1 or more, got {min_sessions}")
        self.min_sessions = min_sessions
        self.store: EventStore | None = None
        self.model = CoOccurrence()
        self.last_id = 0  # the highest event id folded in
        self._next = -math.inf  # when the next catch-up may start (time.monotonic)
        self._rebuilt = -math.inf
        self._starting = threading.Lock()
        self._model_lock = threading.Lock()  # CoOccurrence takes one writer, and readers between its batches
        self._following: threading.Thread | None = None

    def attach(self, store: EventStore) -> None:
        self.store = store

    def related(self, product_id: str) -> list[tuple[str, float]]:
        """(other product, score) of its pairs seen in at least min_sessions sessions, best first; none until the
        first read is in. Starts the next catch-up if the last is older than CATCH_UP seconds."""
        with self._starting:
            due = time.monotonic() >= self._next
            if self.store is not None and due and (self._following is None or not self._following.is_alive()):
                self._following = threading.Thread(target=self._follow, name="also-viewed", daemon=True)
                self._following.start()
        with self._model_lock:
            return self.model.related(product_id, self.min_sessions)

    def _follow(self) -> None:
        wait = CATCH_UP
        try:
            if time.monotonic() - self._rebuilt >= REBUILD:
                self._rebuild()
            else:
                self._catch_up(self.model, self.last_id)
        except Exception as error:  # requests go on with the pairs they have (or similar products)
            log.warning("also viewed could not read the events: %s", error)
            wait = RETRY
        self._next = time.monotonic() + wait

    def _rebuild(self) -> None:
        started = time.monotonic()
        model = CoOccurrence()
        last_id = self._catch_up(model, 0)  # requests read the old model meanwhile
        with self._model_lock:
            self.model, self.last_id = model, last_id
        self._rebuilt = time.monotonic()
        log.info(
            "also viewed: %d products in %d sessions read in %.1f s",
            model.products,
            model.sessions,
            time.monotonic() - started,
        )

    def _catch_up(self, model: CoOccurrence, last_id: int) -> int:
        """Folds the events after `last_id` into `model` until none is left; returns the last id read."""
        since = now_ms() - WINDOW_DAYS * DAY_MS
        while True:
            events, read = self.store.events_after(last_id, since, BATCH)
            for start in range(0, len(events), FOLD):
                with self._model_lock:
                    for event in events[start : start + FOLD]:
                        model.add(event.session, event.product_id, event.type, event.at)
            if read == last_id:
                break
            last_id = read
            if model is self.model:
                self.last_id = last_id
        with self._model_lock:
            model.expire(since)
        return last_id
