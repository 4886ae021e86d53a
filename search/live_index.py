"""A served version and the live changes applied after it, read by searches one consistent snapshot at a time.

See docs/design.md#live-changes-in-memory.
"""

from __future__ import annotations

import shutil
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from indexer import IndexVersion, Product
from indexer.changelog import Change
from indexer.dense import DenseIndex
from indexer.keyword import KeywordCopy, KeywordIndex
from indexer.manifest import Manifest
from indexer.settings import BuildSettings
from indexer.vocabulary import Vocabulary
from indexer.writes import change_rows, embed_products, net_effect
from models import Encoder
from search.filters import FilterIndex, Filters
from search.spelling import catalogue_words


class LiveDense:
    """The version's dense index, less the rows of changed or deleted products, and the vectors of new texts
    (searched exactly: there are few until the next compaction)."""

    def __init__(self, base: DenseIndex, extra: np.ndarray, dead: np.ndarray) -> None:
        self.base = base
        self.extra = extra  # rows len(base).. in order
        self.dead = dead  # by row, base and extra
        self.kind = base.kind
        self._base_dead = dead[: len(base)].nonzero()[0]  # the version's own dead rows and those of live changes

    def __len__(self) -> int:
        return len(self.base) + len(self.extra)

    def vector(self, row: int) -> np.ndarray:
        size = len(self.base)
        return self.base.vector(row) if row < size else self.extra[row - size]

    @property
    def dimension(self) -> int:
        return self.base.dimension

    def search(
        self, query: np.ndarray, k: int, rows: np.ndarray | None = None, dead: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(scores, rows) of the k nearest live rows, best first; only among `rows` (all live) if given, else among
        all but `dead` (sorted, the dead rows among them; default: the dead rows alone)."""
        query = np.asarray(query, dtype=np.float32).reshape(-1)
        size = len(self.base)
        if rows is None and dead is not None:  # a wide filter: the graph walks past the rows that fail it
            base_scores, base_rows = self.base.search(query, k, dead=dead[dead < size])
            extra_rows = np.setdiff1d(np.arange(size, len(self)), dead[dead >= size], assume_unique=True)
        elif rows is None:
            base_scores, base_rows = self._base_search(query, k)
            extra_rows = np.arange(size, len(self))[~self.dead[size:]]
        else:
            base_scores, base_rows = self.base.search(query, k, rows[rows < size]) if (rows < size).any() else _none()
            extra_rows = rows[rows >= size]
        extra_scores = self.extra[extra_rows - size] @ query if len(extra_rows) else np.empty(0, np.float32)
        scores = np.concatenate([base_scores, extra_scores])
        found = np.concatenate([base_rows, extra_rows]).astype(np.int64)
        order = np.lexsort((found, -scores))[:k]
        return scores[order], found[order]

    def _base_search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        return self.base.search(query, k, dead=self._base_dead)


def _none() -> tuple[np.ndarray, np.ndarray]:
    return np.empty(0, np.float32), np.empty(0, np.int64)


MAX_LAYERS = 16  # filter layers a live index stacks before it folds them into one


@dataclass(frozen=True)
class FilterLayer:
    """Postings of the rows one apply touched: each passes the filters as its product now does (a deleted one never)."""

    touched: np.ndarray
    alive: np.ndarray  # the touched rows that hold a product, as `index` numbers them
    index: FilterIndex

    @classmethod
    def of(cls, touched: Iterable[int], rows: Sequence[Product | None]) -> FilterLayer:
        touched = np.unique(np.fromiter(touched, dtype=np.int64))
        alive = np.array([row for row in touched if rows[row] is not None], dtype=np.int64)
        return cls(touched, alive, FilterIndex([rows[row] for row in alive]))


@dataclass(frozen=True)
class LiveFilters:
    """The version's filter postings, overridden row by row by the layers of live changes, oldest first."""

    base: FilterIndex
    size: int
    layers: tuple[FilterLayer, ...] = ()

    def changed(self, touched: Sequence[int], rows: Sequence[Product | None]) -> LiveFilters:
        """These filters after an apply that touched `touched` rows; past MAX_LAYERS, one layer of all of them."""
        layers = (*self.layers, FilterLayer.of(touched, rows))
        if len(layers) > MAX_LAYERS:
            layers = (FilterLayer.of(np.concatenate([layer.touched for layer in layers]), rows),)
        return LiveFilters(self.base, len(rows), layers)

    def touched(self) -> np.ndarray:
        """Every row a live change touched, once."""
        return np.unique(np.concatenate([layer.touched for layer in self.layers])) if self.layers else _none()[1]

    def mask(self, filters: Filters) -> np.ndarray:
        mask = np.zeros(self.size, dtype=bool)
        mask[: self.base.size] = self.base.mask(filters)
        for layer in self.layers:
            mask[layer.touched] = False
            if len(layer.alive):
                mask[layer.alive[layer.index.mask(filters)]] = True
        return mask


@dataclass(frozen=True)
class Snapshot:
    """One state of a live index, as EmbeddedBackend reads an IndexVersion, with its filters and words."""

    base: IndexVersion
    sequence: int  # the last change applied
    rows: list[Product | None]  # by row; None: a deleted row, or the old row of a product whose text changed
    row_of: dict[str, int]
    keyword: KeywordIndex
    dense: LiveDense | DenseIndex
    filter_index: LiveFilters
    words: Counter[str]
    vocabulary: Vocabulary
    changed: int = 0  # rows changes touched since the version (twice if twice): what a compaction would fold in

    @property
    def manifest(self) -> Manifest:
        return self.base.manifest

    @cached_property
    def products(self) -> list[Product]:
        return [product for product in self.rows if product is not None]

    @cached_property
    def live_products(self) -> list[Product]:
        """The products live changes wrote since the version, as they are now."""
        return [self.rows[row] for row in self.filter_index.touched() if self.rows[row] is not None]

    def embedded(self) -> dict[str, np.ndarray]:
        """The vectors live changes embedded, by content hash: compaction folds them in without embedding again."""
        if not isinstance(self.dense, LiveDense):
            return {}
        size = len(self.dense.base)
        rows = enumerate(self.rows[size:], start=size)
        return {product.content_hash(): self.dense.extra[row - size] for row, product in rows if product is not None}

    @property
    def settings(self) -> BuildSettings:
        return self.base.settings

    @property
    def live(self) -> int:
        return len(self.row_of)


@dataclass
class LiveIndex:
    """Applies changes in sequence order to a version, in memory, and hands out a new Snapshot after each batch.
    Only one thread applies; any number read snapshots."""

    version: IndexVersion
    encoder: Encoder
    work: Path  # a private folder for the writable keyword copy, made at the first change
    snapshot: Snapshot = field(init=False)
    _lock: threading.Lock = field(init=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        version = self.version
        self._products: list[Product | None] = list(version.rows)
        self._row_of = dict(version.row_of)
        self._extra = np.empty((0, version.dense.dimension), dtype=np.float32)
        self._extra_count = 0
        self._dead = np.array([product is None for product in self._products], dtype=bool)
        self._keyword: KeywordCopy | None = None
        words = catalogue_words(version.products)
        self.snapshot = Snapshot(
            version,
            version.manifest.live_sequence,
            version.rows,
            version.row_of,
            version.keyword,
            version.dense,
            LiveFilters(FilterIndex(version.rows), len(version.rows)),
            words,
            version.vocabulary,
        )

    @property
    def sequence(self) -> int:
        return self.snapshot.sequence

    def close(self) -> None:
        """Removes the writable keyword copy (searches still holding a snapshot keep their open files)."""
        if self._keyword is not None:
            self._keyword.close()
            self._keyword = None
        shutil.rmtree(self.work, ignore_errors=True)

    def apply(self, changes: Iterable[Change]) -> Snapshot:
        """Applies the changes after the snapshot's sequence, last write per id winning; returns the new snapshot."""
        with self._lock:
            new = [change for change in changes if change.sequence > self.sequence]
            if not new:
                return self.snapshot
            latest = net_effect((change.upserts, change.deletes) for change in new)
            self.snapshot = self._applied(latest, max(change.sequence for change in new))
            return self.snapshot

    def _applied(self, latest: dict[str, Product | None], sequence: int) -> Snapshot:
        changed = change_rows(self._products, self._row_of, latest)
        # new products and changed texts are embedded before anything changes: if that fails, nothing has
        batch = self.version.settings.batch_size
        vectors = embed_products(self.encoder, changed.appended, batch, progress=False) if changed.appended else None
        if self._keyword is None:
            self._keyword = KeywordCopy(self.version.path, self.work, self.version.settings.keyword)
        keyword = self._keyword.apply(changed.removed, changed.added)
        self._products, self._row_of = changed.rows, changed.row_of
        if vectors is not None:
            self._append(vectors)
        self._dead = np.concatenate([self._dead, np.zeros(len(changed.rows) - len(self._dead), dtype=bool)])
        for row in changed.touched:
            self._dead[row] = changed.rows[row] is None
        written = [product for product in latest.values() if product is not None]
        return self._snapshot(keyword, changed.touched, written, sequence)

    def _append(self, vectors: np.ndarray) -> None:
        """The vectors of the new rows at the end."""
        needed = self._extra_count + len(vectors)
        if needed > len(self._extra):  # a new buffer: snapshots keep reading the old one
            grown = np.empty((max(needed, 2 * len(self._extra), 1024), vectors.shape[1]), dtype=np.float32)
            grown[: self._extra_count] = self._extra[: self._extra_count]
            self._extra = grown
        self._extra[self._extra_count : needed] = vectors
        self._extra_count = needed

    def _snapshot(self, keyword: KeywordIndex, touched: list[int], written: list[Product], sequence: int) -> Snapshot:
        previous = self.snapshot
        words = previous.words
        new_words = [word for word in catalogue_words(written) if word not in words]
        if new_words:  # a copy only when the catalogue has new words: the speller learns them
            words = words.copy()
            words.update(new_words)
        vocabulary = _merged(previous.vocabulary, written)
        if vocabulary == previous.vocabulary:
            vocabulary = previous.vocabulary  # the same object: query understanding is not built again
        dense = LiveDense(self.version.dense, self._extra[: self._extra_count], self._dead.copy())
        filters = previous.filter_index.changed(touched, self._products)
        changed = previous.changed + len(touched)
        return Snapshot(
            self.version, sequence, self._products, self._row_of, keyword, dense, filters, words, vocabulary, changed
        )


def _merged(base: Vocabulary, products: list[Product]) -> Vocabulary:
    """The version's vocabulary with what the live products add (brands, categories, attribute values)."""
    if not products:
        return base
    live = Vocabulary.of(products)
    attributes = {
        key: tuple(sorted(set(base.attributes.get(key, ())) | set(values))) for key, values in live.attributes.items()
    }
    return Vocabulary(
        tuple(sorted(set(base.brands) | set(live.brands))),
        tuple(sorted(set(base.categories) | set(live.categories))),
        base.attributes | attributes,
        base.currency or live.currency,
        base.priced,
    )
