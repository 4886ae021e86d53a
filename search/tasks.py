"""Live writes' bookkeeping: which changes are searchable here, and which process may write.

See docs/design.md#live-writes.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import threading
from collections import deque
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from indexer.changelog import DIRECTORY
from indexer.errors import JobError

LOCK_FILE = "writer.lock"
MAX_ISSUED = 100_000  # the tasks an Elasticsearch-backed service remembers


class WritesRefused(JobError):
    """This process does not take writes (another one is the index's writer); the message names it."""


class Tasks:
    """The state of each write by its sequence number: applied here once the change is searchable."""

    def __init__(self) -> None:
        self._applied = 0
        self._changed = threading.Condition()
        self._issued: deque[int] | None = None  # writes applied as they were made (Elasticsearch), newest last

    @property
    def applied(self) -> int:
        return self._applied

    def applied_through(self, sequence: int) -> None:
        with self._changed:
            self._applied = max(self._applied, sequence)
            self._changed.notify_all()

    def wait(self, sequence: int, timeout: float) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: self._applied >= sequence, timeout)

    def issued(self, sequence: int) -> None:
        """A write applied as it was made: its sequence is a task, the numbers between are not."""
        if self._issued is None:
            self._issued = deque(maxlen=MAX_ISSUED)
        self._issued.append(sequence)
        self.applied_through(sequence)

    def status(self, sequence: int, logged: int) -> str | None:
        """applied, enqueued (on disk, not yet searchable here), or None: no such write."""
        if self._issued is not None:
            return "applied" if sequence in self._issued else None
        if 0 < sequence <= self._applied:
            return "applied"
        if 0 < sequence <= logged:
            return "enqueued"
        return None


class WriterLock:
    """ROOT/live/writer.lock, held (flock) by the one process that appends to the log; it names that process."""

    def __init__(self, root: Path) -> None:
        self.path = Path(root) / DIRECTORY / LOCK_FILE
        self.held = False
        self._handle: IO[str] | None = None
        self._problem = ""

    def acquire(self) -> bool:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 (held for the life of the process)
        except OSError as error:
            self._problem = f"the index cannot be written here ({error.strerror}: {self.path})"
            return False
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        handle.seek(0)
        handle.truncate()
        since = datetime.now(UTC).isoformat(timespec="seconds")
        handle.write(json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "since": since}) + "\n")
        handle.flush()
        self._handle, self.held = handle, True
        return True

    def refusal(self) -> str:
        """Why this process takes no writes, naming the process that does."""
        if self._problem:
            return f"writes are off: {self._problem}"
        try:
            owner = json.loads(self.path.read_text(encoding="utf-8"))
            who = f"process {owner['pid']} on {owner['host']} (since {owner['since']})"
        except (OSError, ValueError, KeyError, TypeError):
            who = "another process"
        return f"{who} is the writer of this index; send writes to that service (this one serves reads)"

    def release(self) -> None:
        if self._handle is not None:
            self._handle.close()  # closing drops the flock
            self._handle, self.held = None, False
