"""Hot reload: serve the version that ROOT/CURRENT names, switching when an indexing job publishes.

A watcher thread polls the pointer; a new version is loaded beside the served one and swapped in
with one assignment, so requests in flight finish on the pipeline they started with.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from indexer import IndexVersion, encoder_for
from indexer.encoder import Encoder
from indexer.reader import open_version
from indexer.versions import IndexRoot
from search.pipeline import SearchPipeline

log = logging.getLogger(__name__)

PipelineFactory = Callable[[IndexVersion, Encoder], SearchPipeline]


class LiveSearch:
    def __init__(self, root: Path, factory: PipelineFactory, interval: float = 1.0) -> None:
        self.root = IndexRoot(root)
        self.factory = factory
        self.interval = interval
        self.pipeline = self._load(self.root.current_name(), None)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def version(self) -> str:
        return self.pipeline.version.manifest.version

    def _load(self, name: str, previous: SearchPipeline | None) -> SearchPipeline:
        version = open_version(self.root.versions / name)
        manifest = version.manifest
        same_encoder = (
            previous is not None
            and previous.version.manifest.encoder == manifest.encoder
            and previous.version.manifest.encoder_sha256 == manifest.encoder_sha256
        )
        return self.factory(version, previous.encoder if same_encoder else encoder_for(manifest))

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
