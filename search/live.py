"""What a service serves: the pipeline of the moment over the served version and the live changes after it.

See docs/design.md#hot-reload and docs/design.md#live-writes.
"""

from __future__ import annotations

import itertools
import logging
import os
import shutil
import socket
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from indexer import IndexVersion, Product, Source, Writer, encoder_for
from indexer.changelog import DIRECTORY, Change, ChangeLog, LogCut, Position
from indexer.elastic import Superseded
from indexer.errors import IndexerError
from indexer.manifest import Manifest
from indexer.reader import open_version
from indexer.versions import IndexRoot
from models import Encoder
from search.backend import Backend, EmbeddedBackend
from search.compaction import Compactor
from search.errors import SearchError
from search.live_index import LiveIndex, Snapshot
from search.pipeline import SearchPipeline
from search.tasks import Tasks, WriterLock, WritesRefused

log = logging.getLogger(__name__)

PipelineFactory = Callable[[IndexVersion | Snapshot, Encoder], SearchPipeline]
RETRY_SECONDS = 60.0  # a version that failed to load is tried again this often, not every poll
APPLY_POLL = 0.1  # seconds between looks at the log for changes another process wrote
APPLY_GAP = 0.05  # seconds at least between two applies: a stream of writes is applied in batches
Prepare = Callable[[Callable[[str], Product | None]], tuple[Sequence[Product], Sequence[str]]]


def workspace(root: Path, version: str) -> Path:
    """A folder of this process for a version's writable keyword copy, named HOST.PID.VERSION.N; those of gone
    processes of this host are removed (another host's are left to it)."""
    work, host = root / DIRECTORY / "work", socket.gethostname()
    if work.is_dir():
        for entry in work.iterdir():
            owner, _, pid = entry.name.rsplit(".", 2)[0].rpartition(".")
            if owner == host and pid.isdigit() and not _alive(int(pid)):
                shutil.rmtree(entry, ignore_errors=True)
    return work / f"{host}.{os.getpid()}.{version}.{next(_serial)}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


_serial = itertools.count(1)


class Learned:
    """What tuning and training keep beside an index, followed by a service: `follow` builds the pipeline again once
    for each change of `stamp()` (`prodsearch tune`, `train ranker`, `train all` installed something)."""

    def __init__(self, stamp: Callable[[], object] = lambda: None) -> None:
        self.stamp = stamp
        self.seen: object = None  # the stamp of what the served pipeline read

    def follow(self, rebuild: Callable[[], None]) -> None:
        """`rebuild()` where the stamp changed; what cannot be read is logged once and the pipeline before kept."""
        try:
            stamp = self.stamp()
        except Exception as error:  # an index or cluster out of reach: searches say so; looked at next poll
            log.debug("cannot tell whether the tuned settings or ranker changed: %s", error)
            return
        if stamp == self.seen:
            return
        self.seen = stamp
        try:
            rebuild()
        except Exception as error:
            log.error("cannot serve the index's tuned settings and ranker as they are now: %s; still serving "
                      "those read before", error, exc_info=not isinstance(error, SearchError))  # fmt: skip
            return
        log.info("serving the index's tuned settings and ranker as they are now")


class FixedSearch:
    """One backend for the life of the service, one that follows its index by itself (an Elasticsearch alias), its
    pipeline built again where what `learned` stamps changed; with a `writer`, writes go through it to the cluster,
    which keeps them durable."""

    problem: str | None = None  # the cluster moves the alias itself: nothing to fail here

    def __init__(
        self,
        backend: Backend,
        build: Callable[[Backend], SearchPipeline] = SearchPipeline,
        writer: Writer | None = None,
        learned: Callable[[], object] = lambda: None,
        interval: float = 1.0,
    ) -> None:
        self.learned, self.build, self.interval = Learned(learned), build, interval
        self.learned.seen = learned()  # before the build reads: a change meanwhile is seen at the first poll
        self.pipeline = build(backend)
        self.tasks = Tasks()
        self._writer = writer
        self._writing = threading.Lock()
        self._last = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def version(self) -> str:
        return self.pipeline.backend.label

    @property
    def writer(self) -> bool:
        return self._writer is not None

    def latest(self, product_id: str) -> Product | None:
        return self.pipeline.backend.products([product_id]).get(product_id)

    def write(self, prepare: Prepare) -> Change:
        """Writes through the alias and refreshes: searchable when this returns. The sequence, microseconds since
        the epoch, is the documents' external version, so a late write never replaces a later one."""
        if self._writer is None:
            raise WritesRefused("this service was started without writes")
        with self._writing:
            upserts, deletes = prepare(self.latest)
            self._last = sequence = max(time.time_ns() // 1000, self._last + 1)
            try:
                self._writer.update(upserts, deletes, Source("live", sequence=sequence))
            except Superseded as superseded:  # the rest was written: searches and tasks say so
                kept = set(superseded.ids)
                self._wrote([p for p in upserts if p.id not in kept], [i for i in deletes if i not in kept], sequence)
                raise
            self._wrote(upserts, deletes, sequence)
        return Change(sequence, tuple(upserts), tuple(deletes))

    def _wrote(self, upserts: Sequence[Product], deletes: Sequence[str], sequence: int) -> None:
        self.pipeline.backend.wrote(upserts, deletes, sequence)
        self.tasks.issued(sequence)

    def wait(self, sequence: int, timeout: float) -> bool:
        return self.tasks.wait(sequence, timeout)

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._watch, name="learned-watcher", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _watch(self) -> None:
        while not self._stop.wait(self.interval):
            self.learned.follow(self._rebuild)  # nothing here may ask the cluster outside its guard

    def _rebuild(self) -> None:
        self.pipeline = self.build(self.pipeline.backend)


class LiveSearch:
    """The served version CURRENT names, with the live changes of the log applied in memory; with `writes`, this
    process also takes writes (if no other holds the writer lock) and folds them into new versions."""

    def __init__(
        self,
        root: Path,
        factory: PipelineFactory,
        interval: float = 1.0,
        writes: bool = True,
        compactor: Compactor | None = None,
        learned: Callable[[], object] = lambda: None,
    ) -> None:
        self.root = IndexRoot(root)
        self.factory = factory
        self.learned = Learned(learned)  # what the factory reads beside the versions: tuned settings, the ranker
        self.interval = interval
        self.log = ChangeLog(self.root.path)
        self.tasks = Tasks()
        self.lock = WriterLock(self.root.path) if writes else None
        if self.lock is not None and self.lock.acquire():
            # drops a torn tail before anything reads the log; numbering goes on above what versions hold
            kept = [Manifest.read(self.root.versions / name).live_sequence for name in self.root.names()]
            self.log.open_for_writing(floor=max(kept, default=0))
        self.compactor = compactor or Compactor()
        self.manifest: Manifest | None = None
        self.problem: str | None = None  # why CURRENT is not what is served, while it is not
        self._failed: tuple[str, float] | None = None  # (version that failed to load, when to try it again)
        self._applying = threading.Lock()  # one thread applies changes or swaps versions at a time
        self._writing = threading.Lock()  # one write is resolved and logged at a time
        self._pending: dict[str, tuple[int, Product | None]] = {}  # logged, not yet applied: id -> (sequence, product)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.index, self._position, self.pipeline = self._load(self.root.current_name(), None)
        self.tasks.applied_through(self.index.sequence)  # the log replayed at start is searchable

    @property
    def version(self) -> str:
        return self.pipeline.backend.label

    @property
    def writer(self) -> bool:
        return self.lock is not None and self.lock.held

    # -- loading versions -------------------------------------------------------------------------------------

    def _load(self, name: str, previous: SearchPipeline | None) -> tuple[LiveIndex, Position, SearchPipeline]:
        """The version `name` with every logged change after it applied, and its pipeline; not yet served."""
        version = open_version(self.root.versions / name)
        manifest, served = version.manifest, self.manifest
        same_encoder = (
            previous is not None
            and served is not None
            and (served.encoder, served.encoder_sha256) == (manifest.encoder, manifest.encoder_sha256)
        )
        encoder = previous.encoder if same_encoder else encoder_for(manifest)
        index = LiveIndex(version, encoder, workspace(self.root.path, name))
        try:
            changes, position = self.log.read(after=index.sequence)
            index.apply(changes)
            stamp = self.learned.stamp()  # before the factory reads: a change meanwhile is seen at the next poll
            pipeline = self.factory(index.snapshot, encoder)
        except BaseException:
            index.close()
            raise
        self.manifest, self.learned.seen = manifest, stamp
        return index, position, pipeline

    def _serve(self, name: str) -> None:
        """Loads `name` (slow, while the old version is served and takes changes), then catches it up and swaps."""
        index, position, pipeline = self._load(name, self.pipeline)
        with self._applying:
            try:
                changes, position = self.log.read(after=index.sequence, position=position)
                if changes:
                    pipeline = pipeline.over(EmbeddedBackend(index.apply(changes), pipeline.encoder))
            except BaseException:
                index.close()
                raise
            replaced = self.index
            self.index, self._position, self.pipeline = index, position, pipeline
            self.tasks.applied_through(index.sequence)
        replaced.close()
        log.info("serving index version %s (live changes through %d)", name, index.sequence)

    def refresh(self) -> bool:
        """Loads and serves the version CURRENT names, if it is not the one served; True if it switched."""
        name = self.root.current_name()
        if name == self.version:
            return False
        self._serve(name)
        return True

    def check(self) -> None:
        """One poll: serves a new version CURRENT names, or keeps the served one and reports why not."""
        name = None
        try:
            name = self.root.current_name()
            if name == self.version:
                self._report(None)
                self.learned.follow(self._rebuild)
                return
            if self._failed is not None and self._failed[0] == name and time.monotonic() < self._failed[1]:
                return  # loading it again would only hash and parse the same damaged files
            self._serve(name)
            self._failed = None
            self._report(None)
        except Exception as error:
            if name is not None:
                self._failed = (name, time.monotonic() + RETRY_SECONDS)
            self._report(error)

    def _rebuild(self) -> None:
        """The pipeline built again over the same version and live changes."""
        with self._applying:
            self.pipeline = self.factory(self.index.snapshot, self.pipeline.encoder)

    def _report(self, error: Exception | None) -> None:
        """Logs a problem when it starts or changes, not at every poll, and when it is over."""
        if error is None:
            if self.problem is not None:
                log.warning("index problem resolved; serving %s", self.version)
            self.problem = None
            return
        problem = f"{error}; still serving {self.version}"
        if problem != self.problem:
            # bad data is described by its message; anything else is a bug, worth its traceback (once)
            log.error(
                "cannot serve the index version CURRENT names: %s",
                problem,
                exc_info=not isinstance(error, IndexerError),
            )
        self.problem = problem

    # -- live writes ------------------------------------------------------------------------------------------

    def latest(self, product_id: str) -> Product | None:
        """The product as the last acknowledged write left it, applied or not; None: no such product."""
        pending = self._pending.get(product_id)
        if pending is not None:
            return pending[1]
        return self.pipeline.backend.products([product_id]).get(product_id)

    def write(self, prepare: Prepare) -> Change:
        """Logs what `prepare` makes of the latest products (upserts, deletes) and returns the change once it is
        on disk; it is applied in the background. WritesRefused: another process is the writer."""
        if not self.writer:
            raise WritesRefused(self.lock.refusal() if self.lock else "this service was started without writes")
        with self._writing:
            upserts, deletes = prepare(self.latest)
            change = self.log.append(upserts, deletes)
            for product_id in change.deletes:
                self._pending[product_id] = (change.sequence, None)
            for product in change.upserts:
                self._pending[product.id] = (change.sequence, product)
        self._wake.set()
        return change

    def roll_log(self) -> None:
        """Ends the log's segment here (for compaction), between two writes."""
        with self._writing:
            self.log.roll()

    def wait(self, sequence: int, timeout: float) -> bool:
        """Waits until the change `sequence` is searchable here; False if it is not within `timeout` seconds."""
        return self.tasks.wait(sequence, timeout)

    def apply(self) -> int:
        """Applies the changes logged since the last call; returns the last sequence applied."""
        with self._applying:
            changes, self._position = self.log.read(after=self.index.sequence, position=self._position)
            if changes:
                snapshot = self.index.apply(changes)
                self.pipeline = self.pipeline.over(EmbeddedBackend(snapshot, self.pipeline.encoder))
                self.tasks.applied_through(snapshot.sequence)
                with self._writing:
                    self._pending = {key: value for key, value in self._pending.items() if value[0] > snapshot.sequence}
            return self.index.sequence

    # -- threads ----------------------------------------------------------------------------------------------

    def start(self) -> None:
        if not self._threads:
            self._threads = [
                threading.Thread(target=self._watch, name="index-watcher", daemon=True),
                threading.Thread(target=self._apply_loop, name="live-changes", daemon=True),
            ]
            for thread in self._threads:
                thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        for thread in self._threads:
            thread.join()
        self._threads = []
        self.log.close()
        self.index.close()
        if self.lock is not None:
            self.lock.release()

    def _watch(self) -> None:
        while not self._stop.wait(self.interval):
            self.check()
            if self.writer:
                self.compactor.maybe(self)

    def _apply_loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(APPLY_POLL)
            self._wake.clear()
            try:
                self.apply()
                self._stop.wait(APPLY_GAP)  # writes meanwhile are applied together next time
            except LogCut as cut:  # this process applied a write that failed and was cut off: start again
                log.warning("%s; loading the served version again", cut)
                self._serve(self.version)
            except Exception:  # the changes stay logged and are tried again; searches go on
                log.exception("live changes could not be applied; trying again")
                self._stop.wait(1.0)
