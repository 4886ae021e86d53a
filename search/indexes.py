"""An index as the commands name it: a directory (embedded backend) or an Elasticsearch alias."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from indexer import DirectoryWriter, Writer, open_index
from indexer.elastic import ElasticConfig, ElasticWriter
from models import Encoder
from search.backend import Backend, EmbeddedBackend
from search.errors import SearchError
from search.merchandising import ElasticMerchandising, FileMerchandising, MerchandisingStore
from search.ranker import MODEL, USAGE, FeatureRanker
from search.tuned import FILE as SETTINGS_FILE
from search.tuned import ElasticSettings, FileSettings, SettingsStore

BACKENDS = ("embedded", "elasticsearch")
RANKER = "ranker"  # the document of the settings index that keeps the feature ranker over Elasticsearch


@dataclass(frozen=True)
class IndexLocation:
    name: str  # a directory, or the alias when `elastic` is set
    elastic: ElasticConfig | None = None

    @classmethod
    def of(cls, name: str | Path, backend: str = "embedded", es_url: str | None = None) -> IndexLocation:
        if backend not in BACKENDS:
            raise SearchError(f"unknown backend {backend!r}; use one of {', '.join(BACKENDS)}")
        if backend == "embedded":
            return cls(str(name))
        return cls(str(name), ElasticConfig.from_env(url=es_url))

    @property
    def backend(self) -> str:
        return "elasticsearch" if self.elastic else "embedded"

    def open(self, encoder: Encoder | None = None) -> Backend:
        if self.elastic is not None:
            from search.elastic import ElasticBackend

            return ElasticBackend(self.elastic, self.name, encoder)
        return EmbeddedBackend(open_index(Path(self.name)), encoder)

    def writer(self) -> Writer:
        """What builds, updates and switches the versions of this index."""
        if self.elastic is not None:
            return ElasticWriter(self.elastic, self.name)
        return DirectoryWriter(Path(self.name))

    def settings(self) -> SettingsStore:
        if self.elastic is not None:
            return self._cluster_settings
        return FileSettings(Path(self.name))

    @cached_property
    def _cluster_settings(self) -> ElasticSettings:
        """The alias's settings index, with one client for the location's life: a service polls it every second."""
        return ElasticSettings(self.elastic, self.name)

    def ranker(self) -> FeatureRanker | None:
        """The shop's feature ranker (`prodsearch train ranker`), kept beside CURRENT or as the document "ranker" of
        the alias's settings index; None where none was trained."""
        if self.elastic is None:
            return FeatureRanker.load(Path(self.name))
        store = self._cluster_settings
        record = store.read(RANKER)
        if record is None:
            return None
        remove = f"delete the document {RANKER!r} of {store.index}"
        return FeatureRanker.from_record(record, f"the document {RANKER!r} of {store.index}", remove)

    def learned(self) -> tuple[tuple[int, int] | None, ...]:
        """A stamp of what tuning and training keep beside an index directory's versions (the files' times and
        sizes; over Elasticsearch, the documents' sequence numbers): a service builds its pipeline again when it
        changes."""
        if self.elastic is not None:
            return self._cluster_settings.stamp(("current", RANKER))
        return tuple(_stamp(Path(self.name) / name) for name in (SETTINGS_FILE, MODEL, USAGE))

    def keep_ranker(self, ranker: FeatureRanker) -> str:
        """Keeps `ranker` where ranker() reads it, in place of the one before; says where."""
        if self.elastic is None:
            return str(ranker.save(Path(self.name)))
        store = self._cluster_settings
        store.write(RANKER, ranker.to_record())
        return f"{ElasticConfig.redacted(self.elastic.url)} index {store.index}, document {RANKER!r}"

    def merchandising(self) -> MerchandisingStore:
        """The shop's synonyms, rules and ranking, kept with the index."""
        if self.elastic is not None:
            return ElasticMerchandising(self.elastic, self.name)
        return FileMerchandising(Path(self.name))


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        status = path.stat()
    except FileNotFoundError:
        return None
    return status.st_mtime_ns, status.st_size
