"""One lane for heavy searches: they take turns, in one thread that the kernel schedules after the others.

See docs/design.md#the-heavy-search-lane.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from typing import TypeVar

from models.runner import modest_thread
from search.pipeline import SearchRequest

QUERY_CHARS = 128
FILTER_VALUES = 10
WAIT = 5.0
WAITING = 2
REQUEST_THREADS = 1 + WAITING  # the one in the lane and those waiting
NICENESS = 10  # added to the lane thread's; the kernel's scheduler gives it about a tenth of a nice-0 thread's share

T = TypeVar("T")


class Busy(Exception):
    """The lane for heavy requests stayed taken: the client should come back in a moment."""


def is_heavy(search_request: SearchRequest) -> bool:
    filters = search_request.filters
    values = len(filters.brands) + sum(len(values) for _, values in filters.attributes)
    return len(search_request.query) > QUERY_CHARS or values > FILTER_VALUES


class HeavyLane:
    def __init__(self) -> None:
        self._turn = threading.BoundedSemaphore(1)
        self._admitted = threading.BoundedSemaphore(REQUEST_THREADS)
        self._worker = ThreadPoolExecutor(1, thread_name_prefix="heavy-lane", initializer=_yield_to_others)

    def run(self, work: Callable[[], T]) -> T:
        """`work()` in the lane thread once the lane is free; Busy if too many wait, or it stays taken WAIT seconds."""
        if not self._admitted.acquire(blocking=False):
            raise Busy(f"{WAITING} already waiting")
        try:
            if not self._turn.acquire(timeout=WAIT):
                raise Busy(f"waited {WAIT:g} s")
            try:
                return self._worker.submit(work).result()
            finally:
                self._turn.release()
        finally:
            self._admitted.release()


def _yield_to_others() -> None:
    with suppress(OSError, AttributeError):  # where threads have no priority of their own, the lane only takes turns
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), os.getpriority(os.PRIO_PROCESS, 0) + NICENESS)
    modest_thread()
