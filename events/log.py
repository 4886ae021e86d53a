"""The service's side of events: request threads queue rows, one writer thread stores them in batches.

See docs/design.md#the-event-writer.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from events.errors import EventsError, EventsUnavailable
from events.records import Event, SearchRecord
from events.store import EventStore, Shown

log = logging.getLogger(__name__)

FLUSH_SECONDS = 0.5
QUEUE_ROWS = 20_000
BATCH_ROWS = 2_000
RECENT_SEARCHES = 20_000  # searches whose shown ids are kept in memory, to check the page's clicks
RETRIES = 3  # a batch the database does not answer is tried again this often, a second apart, then counted lost


@dataclass
class Counts:
    queued: int = 0
    written: int = 0
    dropped: int = 0  # the queue was full
    failed: int = 0  # the database refused them, or did not answer RETRIES times


class EventLog:
    def __init__(
        self, store: EventStore, key: bytes, flush_seconds: float = FLUSH_SECONDS, queue_rows: int = QUEUE_ROWS
    ) -> None:
        self.store = store
        self.key = key
        self.flush_seconds = flush_seconds
        self.counts = Counts()
        self._counting = threading.Lock()
        self._queue: queue.Queue[SearchRecord | Event | None] = queue.Queue(queue_rows)
        self._recent: OrderedDict[str, tuple[Shown, set[tuple[str, str]]]] = OrderedDict()
        self._recent_lock = threading.Lock()
        self._writer = threading.Thread(target=self._run, name="events-writer", daemon=True)
        self._writer.start()

    def search(self, record: SearchRecord) -> None:
        with self._recent_lock:
            self._recent[record.search_id] = ((record.first_position(), record.results), set())
            if len(self._recent) > RECENT_SEARCHES:
                self._recent.popitem(last=False)
        if self._put(record):
            self._count(queued=1)
        else:
            self._count(dropped=1)

    def events(self, events: list[Event]) -> bool:
        """Queues all of them, or none (False) when the queue has no room for all."""
        if self._queue.maxsize - self._queue.qsize() < len(events):
            self._count(dropped=len(events))
            return False
        queued = sum(self._put(event) for event in events)
        self._count(queued=queued, dropped=len(events) - queued)
        return queued == len(events)

    def first_time(self, search_id: str, product_id: str, kind: str) -> bool:
        """False for an action this service already took for a recent search: a beacon sent twice counts once."""
        with self._recent_lock:
            found = self._recent.get(search_id)
            if found is None:
                return True
            if (product_id, kind) in found[1]:
                return False
            found[1].add((product_id, kind))
            return True

    def shown(self, search_id: str) -> Shown | None:
        """(position of the first, ids) a search showed: from memory for recent ones (the row may still be
        queued), else from the database; None for a search id neither has."""
        with self._recent_lock:
            found = self._recent.get(search_id)
        return found[0] if found is not None else self.store.shown(search_id)

    def close(self, timeout: float = 10.0) -> None:
        """Writes what is queued, then stops the writer; once is enough, twice does no harm."""
        if self._writer.is_alive():
            with contextlib.suppress(queue.Full):
                self._queue.put(None, timeout=timeout)
            self._writer.join(timeout)
        left = self._queue.qsize()
        if left:
            log.error("%d events not written: the writer did not finish within %g s", left, timeout)
        self.store.close()

    def _put(self, row: SearchRecord | Event) -> bool:
        try:
            self._queue.put_nowait(row)
            return True
        except queue.Full:
            return False

    def _count(self, **amounts: int) -> None:
        with self._counting:
            for name, amount in amounts.items():
                setattr(self.counts, name, getattr(self.counts, name) + amount)

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
                try:
                    self._write(rows)
                except Exception:  # the writer must outlive any one batch: it is the only one
                    log.exception("%d events lost", len(rows))
                    self._count(failed=len(rows))

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
        for attempt in range(RETRIES):
            try:
                self._store(rows)
                self._count(written=len(rows))
                return
            except EventsUnavailable as error:
                if attempt == RETRIES - 1:
                    log.error("%d events lost: %s", len(rows), error)
                    self._count(failed=len(rows))
                    return
                time.sleep(1.0)
            except EventsError:  # a row the database will not take: find it, keep the others
                if len(rows) == 1:
                    log.error("an event the database refused was lost: %r", rows[0])
                    self._count(failed=1)
                    return
                middle = len(rows) // 2
                self._write(rows[:middle])
                self._write(rows[middle:])
                return

    def _store(self, rows: list[SearchRecord | Event]) -> None:
        searches = [row for row in rows if isinstance(row, SearchRecord)]
        self.store.write(searches, [row for row in rows if isinstance(row, Event)])
