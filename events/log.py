"""The service's side of events: request threads queue rows, one writer thread stores them in batches.

A request never waits for the database: queueing is a put on a bounded queue, and a full queue
(the database far behind) drops the row and counts it rather than slow the search. The writer
takes what is queued at least every FLUSH_SECONDS and writes it in one transaction, so a crash of
the process loses at most that much; `close()` writes everything queued before it returns.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from events.errors import EventsError
from events.records import Event, SearchRecord
from events.store import EventStore, Shown

log = logging.getLogger(__name__)

FLUSH_SECONDS = 0.5
QUEUE_ROWS = 20_000
BATCH_ROWS = 2_000
RECENT_SEARCHES = 100_000  # searches whose shown ids are kept in memory, to check the page's clicks
RETRIES = 3  # a batch the database refuses is tried again this often, a second apart, then counted lost


@dataclass
class Counts:
    queued: int = 0
    written: int = 0
    dropped: int = 0  # the queue was full
    failed: int = 0  # the database refused them RETRIES times


class EventLog:
    def __init__(
        self, store: EventStore, key: bytes, flush_seconds: float = FLUSH_SECONDS, queue_rows: int = QUEUE_ROWS
    ) -> None:
        self.store = store
        self.key = key
        self.flush_seconds = flush_seconds
        self.counts = Counts()
        self._queue: queue.Queue[SearchRecord | Event | None] = queue.Queue(queue_rows)
        self._recent: OrderedDict[str, Shown] = OrderedDict()
        self._recent_lock = threading.Lock()
        self._writer = threading.Thread(target=self._run, name="events-writer", daemon=True)
        self._writer.start()

    def search(self, record: SearchRecord) -> None:
        with self._recent_lock:
            self._recent[record.search_id] = (record.first_position(), record.results)
            if len(self._recent) > RECENT_SEARCHES:
                self._recent.popitem(last=False)
        self._put(record)

    def events(self, events: list[Event]) -> None:
        for event in events:
            self._put(event)

    def shown(self, search_id: str) -> Shown | None:
        """(position of the first, ids) a search showed: from memory for recent ones (the row may still be
        queued), else from the database; None for a search id neither has."""
        with self._recent_lock:
            found = self._recent.get(search_id)
        return found if found is not None else self.store.shown(search_id)

    def close(self, timeout: float = 10.0) -> None:
        """Writes what is queued, then stops the writer; once is enough, twice does no harm."""
        if self._writer.is_alive():
            self._queue.put(None)
            self._writer.join(timeout)
        self.store.close()

    def _put(self, row: SearchRecord | Event) -> None:
        try:
            self._queue.put_nowait(row)
            self.counts.queued += 1
        except queue.Full:
            self.counts.dropped += 1

    def _run(self) -> None:
        stopping = False
        while not stopping:
            rows: list[SearchRecord | Event] = []
            deadline = time.monotonic() + self.flush_seconds
            while len(rows) < BATCH_ROWS:
                try:
                    row = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    break
                if row is None:
                    stopping = True
                    rows += self._drain()
                    break
                rows.append(row)
            if rows:
                self._write(rows)

    def _drain(self) -> list[SearchRecord | Event]:
        rows = []
        while True:
            try:
                row = self._queue.get_nowait()
            except queue.Empty:
                return rows
            if row is not None:
                rows.append(row)

    def _write(self, rows: list[SearchRecord | Event]) -> None:
        searches = [row for row in rows if isinstance(row, SearchRecord)]
        events = [row for row in rows if isinstance(row, Event)]
        for attempt in range(RETRIES):
            try:
                self.store.write(searches, events)
                self.counts.written += len(rows)
                return
            except EventsError as error:
                if attempt == RETRIES - 1:
                    log.error("%d events lost: %s", len(rows), error)
                    self.counts.failed += len(rows)
                    return
                time.sleep(1.0)
