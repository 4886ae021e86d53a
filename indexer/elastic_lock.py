"""One writer at a time for an Elasticsearch alias: a lock document in a small index of the cluster.

See docs/design.md#the-elasticsearch-write-lock.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from typing import Any

from elasticsearch import ApiError, ConflictError, Elasticsearch, NotFoundError, TransportError

from indexer.errors import JobError

LOCKS = "prodsearch-locks"  # one document per alias, named by the alias
TTL = 120.0  # seconds a lock outlives its last heartbeat: how long a crashed job holds up the next one
BEATS = 4  # heartbeats per TTL: a live job survives three missed ones


class ClusterLock:
    """The write lock on `alias` for one job; `acquire`, `check` before each irreversible step, `release`."""

    def __init__(self, client: Elasticsearch, alias: str, job: str) -> None:
        self.client = client
        self.alias = alias
        self.ttl = TTL
        self.owner = {
            "owner": uuid.uuid4().hex,
            "job": job,
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "acquired_at": _iso(time.time()),
        }
        self._version: dict[str, int] = {}  # if_seq_no / if_primary_term of our last write
        self._expires = 0.0
        self._lost: str | None = None
        self._stop = threading.Event()
        self._heartbeat: threading.Thread | None = None

    def acquire(self) -> None:
        """Takes the lock, or raises JobError naming the job that holds it."""
        if not self.client.indices.exists(index=LOCKS):
            self.client.options(ignore_status=400).indices.create(  # 400: another job created it just now
                index=LOCKS, mappings={"dynamic": False, "properties": {"expires_at": {"type": "double"}}}
            )
        for _ in range(3):  # a holder that releases between our create and our read: try again
            try:
                document = self._document()
                self._remember(self.client.create(index=LOCKS, id=self.alias, document=document), document)
                break
            except ConflictError:
                pass
            try:
                held = self.client.get(index=LOCKS, id=self.alias)
            except NotFoundError:
                continue
            if float(held["_source"].get("expires_at", 0)) > time.time():
                raise JobError(self._refusal(held["_source"]))
            try:  # expired: a crashed job's; ours unless another job takes it over first
                document = self._document()
                taken = self.client.index(
                    index=LOCKS,
                    id=self.alias,
                    document=document,
                    if_seq_no=held["_seq_no"],
                    if_primary_term=held["_primary_term"],
                )
                self._remember(taken, document)
                break
            except ConflictError:
                continue
        else:
            raise JobError(f"the write lock on {self.alias!r} changed hands thrice as this job asked: run it again")
        self._heartbeat = threading.Thread(target=self._beat, name=f"lock-{self.alias}", daemon=True)
        self._heartbeat.start()

    def check(self) -> None:
        """Raises JobError unless the lock is still this job's: asked of the cluster, not only remembered."""
        if self._lost is None:
            try:
                held = self.client.get(index=LOCKS, id=self.alias)["_source"]
            except NotFoundError:
                self._lost = "its lock document was deleted"
            else:
                if held.get("owner") != self.owner["owner"]:
                    self._lost = f"{held.get('job')} on {held.get('host')} (pid {held.get('pid')}) took it over"
                elif time.time() > self._expires:
                    self._lost = f"its last heartbeat was more than {self.ttl:g} s ago"
        if self._lost is not None:
            raise JobError(
                f"this {self.owner['job']} lost its write lock on {self.alias!r} ({self._lost}); it stopped "
                "before its next write, leaving the alias to the job that holds the lock now: run it again"
            )

    def release(self) -> None:
        """Stops the heartbeat and deletes the lock document if it is still this job's; never raises."""
        self._stop.set()
        if self._heartbeat is not None:
            self._heartbeat.join()
        if self._lost is None and self._version:
            # if it stays (cluster gone), it expires after TTL
            with suppress(ConflictError, NotFoundError, ApiError, TransportError):
                self.client.delete(index=LOCKS, id=self.alias, **self._version)

    def _beat(self) -> None:
        while not self._stop.wait(self.ttl / BEATS):
            document = self._document()
            try:
                renewed = self.client.index(index=LOCKS, id=self.alias, document=document, **self._version)
                self._remember(renewed, document)
            except (ConflictError, NotFoundError):
                self._lost = "another job took it over, or it was deleted by hand"
                return
            except (ApiError, TransportError):  # the cluster away for a moment: the next beat may reach it
                if time.time() > self._expires:
                    self._lost = "the cluster could not be reached to renew it before it expired"
                    return

    def _document(self) -> dict[str, Any]:
        expires = time.time() + self.ttl
        return {**self.owner, "expires_at": expires, "expires": _iso(expires)}

    def _remember(self, response: Any, document: dict[str, Any]) -> None:
        self._version = {"if_seq_no": response["_seq_no"], "if_primary_term": response["_primary_term"]}
        self._expires = document["expires_at"]  # as other jobs read it: stamped before the write was sent

    def _refusal(self, held: dict[str, Any]) -> str:
        return (
            f"another job is writing to {self.alias!r}: {held.get('job')} on {held.get('host')} "
            f"(pid {held.get('pid')}) since {held.get('acquired_at')}, its lock renewed until "
            f"{held.get('expires')}; run this job again when that one has finished. A job that died holds the "
            f"lock until it expires ({self.ttl:g} s after its last heartbeat); to take it sooner, make sure that "
            f"job is not running and delete the lock: DELETE /{LOCKS}/_doc/{self.alias}"
        )


@contextmanager
def locked(client: Elasticsearch, alias: str, job: str) -> Iterator[ClusterLock]:
    """The write lock on `alias` for the duration of the block, released however the block ends."""
    lock = ClusterLock(client, alias, job)
    lock.acquire()
    try:
        yield lock
    finally:
        lock.release()


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="seconds")
