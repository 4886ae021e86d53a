"""Compaction: live changes folded into a new index version in the background, through the directory's Writer.

See docs/design.md#compaction.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from indexer import DirectoryWriter, Product, Source, WriteReport
from indexer.changelog import Change, ChangeLog
from indexer.errors import JobError
from indexer.manifest import Manifest
from indexer.versions import IndexRoot
from search.live_index import LiveIndex

log = logging.getLogger(__name__)
BUSY_RETRY = 10.0  # seconds before trying again when an indexing job holds the index
FAILED_RETRY = 60.0


class Folded(Protocol):
    """What compaction reads of the service (search.live.LiveSearch): the index root, its log, the live index."""

    root: IndexRoot
    log: ChangeLog
    index: LiveIndex

    def roll_log(self) -> None: ...


@dataclass
class Compactor:
    """Folds the live changes into a new version once there are `after_changes` changed products, or once the
    oldest has waited `after_seconds`; the log keeps every change a kept version has not folded in."""

    after_changes: int = 5_000
    after_seconds: float = 60.0
    _since: float | None = field(default=None, init=False)  # when unfolded changes were first seen
    _retry_at: float = field(default=0.0, init=False)

    def maybe(self, live: Folded) -> WriteReport | None:
        snapshot = live.index.snapshot
        if snapshot.sequence <= snapshot.manifest.live_sequence:
            self._since = None
            return None
        now = time.monotonic()
        self._since = self._since if self._since is not None else now
        due = snapshot.changed >= self.after_changes or now - self._since >= self.after_seconds
        if not due or now < self._retry_at:
            return None
        try:
            report = compact(live)
        except JobError as error:  # `index build` or `update` is running: after it, the changes replay on its result
            log.info("compaction waits: %s", error)
            self._retry_at = now + BUSY_RETRY
            return None
        except Exception:
            log.exception("compaction failed; the live changes stay in the log and are served from memory")
            self._retry_at = now + FAILED_RETRY
            return None
        self._since = None
        return report


def compact(live: Folded) -> WriteReport:
    """Writes the served version with every applied live change as a new version, and drops log segments that
    every kept version holds."""
    snapshot = live.index.snapshot
    through, folded = snapshot.sequence, snapshot.manifest.live_sequence
    live.roll_log()  # the changes up to here end a segment, which can go once every kept version holds them
    changes, _ = live.log.read(after=folded)
    upserts, deletes = net_effect(change for change in changes if change.sequence <= through)
    started = time.perf_counter()
    writer = DirectoryWriter(live.root.path)
    report = writer.update(upserts, deletes, Source("live", sequence=through), known=snapshot.embedded())
    log.info(
        "compacted live changes %d..%d into %s in %.1f s",
        folded + 1,
        through,
        report.version,
        time.perf_counter() - started,
    )
    kept = [Manifest.read(live.root.versions / name).live_sequence for name in live.root.names()]
    for path in live.log.drop_through(min(kept, default=0)):
        log.info("dropped %s: every kept version holds its changes", path.name)
    return report


def net_effect(changes: Iterable[Change]) -> tuple[list[Product], list[str]]:
    """The upserts and deletes that leave the same products as the changes in order: the last write per id wins."""
    latest: dict[str, Product | None] = {}
    for change in changes:
        latest.update((product_id, None) for product_id in change.deletes)
        latest.update((product.id, product) for product in change.upserts)
    return [p for p in latest.values() if p is not None], [key for key, p in latest.items() if p is None]
