"""Compaction: live changes folded into a new index version in the background, through the directory's Writer.

See docs/design.md#compaction.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from indexer import DirectoryWriter, Source, WriteReport
from indexer.changelog import ChangeLog
from indexer.errors import JobError
from indexer.manifest import Manifest
from indexer.versions import IndexRoot
from indexer.writes import net_effect
from search.live_index import LiveIndex

log = logging.getLogger(__name__)
KNOWN = "known.npz"  # the vectors live changes embedded, handed to the child by content hash
BUSY = 3  # the child's exit code when an indexing job holds the index
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

    def maybe(self, live: Folded) -> FoldReport | None:
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


def compact(live: Folded) -> FoldReport:
    """Writes the served version with every applied live change as a new version, in a child process (the
    service's searches keep this one's interpreter to themselves), and drops log segments every kept version holds."""
    snapshot = live.index.snapshot
    through, folded = snapshot.sequence, snapshot.manifest.live_sequence
    live.roll_log()  # the changes up to here end a segment, which can go once every kept version holds them
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix=".compaction-", dir=live.log.directory) as work:
        known = Path(work) / KNOWN
        embedded = snapshot.embedded()
        np.savez(known, hashes=np.array(list(embedded), dtype=str), vectors=np.array(list(embedded.values())))
        command = [
            sys.executable,
            "-m",
            "search.compaction",
            str(live.root.path),
            snapshot.manifest.version,
            str(folded),
            str(through),
            str(known),
        ]
        result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        lines = result.stderr.strip().splitlines() or [f"exit code {result.returncode}"]
        error = JobError if result.returncode == BUSY else RuntimeError
        raise error(f"compaction of live changes {folded + 1}..{through} failed: {lines[-1]}")
    report = FoldReport(**json.loads(result.stdout.strip().splitlines()[-1]))
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


@dataclass(frozen=True)
class FoldReport:
    """What a compaction wrote: the new version and the changes it folded in (indexer.writes.WriteReport's)."""

    version: str
    products: int
    changes: dict[str, int]


def fold(root: Path, parent: str, folded: int, through: int, known: Path) -> WriteReport:
    """The child's work: the changes after `folded` up to `through`, as one update of `parent`, the served version
    whose live_sequence `folded` is (JobError if another is current by now)."""
    changes, _ = ChangeLog(root).read(after=folded)
    latest = net_effect((change.upserts, change.deletes) for change in changes if change.sequence <= through)
    upserts = [product for product in latest.values() if product is not None]
    deletes = [product_id for product_id, product in latest.items() if product is None]
    with np.load(known) as stored:
        vectors = dict(zip(stored["hashes"].tolist(), stored["vectors"], strict=True))
    source = Source("live", sequence=through)
    return DirectoryWriter(root).update(upserts, deletes, source, known=vectors, parent=parent)


def main(arguments: list[str]) -> int:
    """`python -m search.compaction ROOT PARENT FOLDED THROUGH KNOWN.npz`: prints the report as JSON; 3: busy."""
    from models.weights import library_defaults

    library_defaults()
    root, parent, known = Path(arguments[0]), arguments[1], Path(arguments[4])
    try:
        report = fold(root, parent, int(arguments[2]), int(arguments[3]), known)
    except JobError as error:  # `index build` or `update` holds the index
        print(error, file=sys.stderr)
        return BUSY
    print(json.dumps({"version": report.version, "products": report.products, "changes": report.changes}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
