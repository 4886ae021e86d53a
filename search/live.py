"""What a service serves: the pipeline of the moment, and a watcher that keeps it current.

See docs/design.md#hot-reload.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from indexer import IndexVersion, encoder_for
from indexer.errors import IndexerError
from indexer.manifest import Manifest
from indexer.reader import open_version
from indexer.versions import IndexRoot
from models import Encoder
from search.pipeline import SearchPipeline

log = logging.getLogger(__name__)

PipelineFactory = Callable[[IndexVersion, Encoder], SearchPipeline]
RETRY_SECONDS = 60.0  # a version that failed to load is tried again this often, not every poll


class FixedSearch:
    """One pipeline for the life of the service, over a backend that follows its index by itself."""

    problem: str | None = None  # the cluster moves the alias itself: nothing to fail here

    def __init__(self, pipeline: SearchPipeline) -> None:
        self.pipeline = pipeline

    @property
    def version(self) -> str:
        return self.pipeline.backend.label

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass


class LiveSearch:
    def __init__(self, root: Path, factory: PipelineFactory, interval: float = 1.0) -> None:
        self.root = IndexRoot(root)
        self.factory = factory
        self.interval = interval
        self.manifest: Manifest | None = None
        self.pipeline = self._load(self.root.current_name(), None)
        self.problem: str | None = None  # why CURRENT is not what is served, while it is not
        self._failed: tuple[str, float] | None = None  # (version that failed to load, when to try it again)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def version(self) -> str:
        return self.pipeline.backend.label

    def _load(self, name: str, previous: SearchPipeline | None) -> SearchPipeline:
        version = open_version(self.root.versions / name)
        manifest, served = version.manifest, self.manifest
        same_encoder = (
            previous is not None
            and served is not None
            and (served.encoder, served.encoder_sha256) == (manifest.encoder, manifest.encoder_sha256)
        )
        pipeline = self.factory(version, previous.encoder if same_encoder else encoder_for(manifest))
        self.manifest = manifest
        return pipeline

    def refresh(self) -> bool:
        """Loads and serves the version CURRENT names, if it is not the one served; True if it switched."""
        name = self.root.current_name()
        if name == self.version:
            return False
        self.pipeline = self._load(name, self.pipeline)
        log.info("serving index version %s", name)
        return True

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._watch, name="index-watcher", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _watch(self) -> None:
        while not self._stop.wait(self.interval):
            self.check()

    def check(self) -> None:
        """One poll: serves a new version CURRENT names, or keeps the served one and reports why not."""
        name = None
        try:
            name = self.root.current_name()
            if name == self.version:
                self._report(None)
                return
            if self._failed is not None and self._failed[0] == name and time.monotonic() < self._failed[1]:
                return  # loading it again would only hash and parse the same damaged files
            self.pipeline = self._load(name, self.pipeline)
            log.info("serving index version %s", name)
            self._failed = None
            self._report(None)
        except Exception as error:
            if name is not None:
                self._failed = (name, time.monotonic() + RETRY_SECONDS)
            self._report(error)

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
