"""The popularity table business ranking reads: learned from the service's events in the background, when a
search needs it and the last one is older than REFRESH seconds, so searches never wait for the database."""

from __future__ import annotations

import logging
import math
import threading
import time

from events import EventStore
from events.popularity import WINDOW_DAYS, popularity
from events.records import now_ms
from search.merchandising import PopularityTable

log = logging.getLogger(__name__)
REFRESH = 600.0  # seconds


class LivePopularity:
    def __init__(self) -> None:
        self.store: EventStore | None = None
        self.table = PopularityTable()
        self._made = -math.inf
        self._lock = threading.Lock()
        self._making: threading.Thread | None = None

    def attach(self, store: EventStore) -> None:
        self.store = store

    def __call__(self) -> PopularityTable:
        """The latest table (empty until the first is made); starts making the next one if this is stale."""
        with self._lock:
            stale = time.monotonic() - self._made >= REFRESH
            if self.store is not None and stale and (self._making is None or not self._making.is_alive()):
                self._making = threading.Thread(target=self._make, name="popularity", daemon=True)
                self._making.start()
        return self.table

    def _make(self) -> None:
        started = time.monotonic()
        try:
            found = popularity(self.store, now_ms() - WINDOW_DAYS * 86_400_000)
        except Exception as error:  # searches rank on without it; the next stale search tries again
            log.warning("popularity could not be read from the events: %s", error)
        else:
            self.table = PopularityTable(found.rates, found.mean)
            log.info("popularity of %d products read in %.1f s", found.products, time.monotonic() - started)
        self._made = time.monotonic()
