"""What a service serves: the pipeline of the moment, and a watcher that keeps it current.

For an index directory, a watcher thread polls ROOT/CURRENT; a new version is loaded beside the
served one and swapped in with one assignment, so requests in flight finish on the pipeline they
started with. An Elasticsearch alias needs no watcher: the cluster moves the alias atomically.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from indexer import IndexVersion, encoder_for
from indexer.manifest import Manifest
from indexer.reader import open_version
from indexer.versions import IndexRoot
from models import Encoder
from search.pipeline import SearchPipeline

log = logging.getLogger(__name__)

PipelineFactory = Callable[[IndexVersion, Encoder], SearchPipeline]


class FixedSearch:
    """One pipeline for the life of the service, over a backend that follows its index by itself."""

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
            try:
                self.refresh()
            except Exception:  # a damaged new version: keep serving the current one, try again later
                log.exception("could not load the new index version; still serving %s", self.version)
