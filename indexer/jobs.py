"""The index directory's Writer: builds, updates, re-embeds and switches versions under ROOT.

See docs/design.md#build-and-update-jobs.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from indexer.checksums import version_checksums
from indexer.dense import DenseIndex, DenseSettings
from indexer.errors import IndexFormatError, IndexNotFoundError, JobError
from indexer.keyword import DIRECTORY as KEYWORD_DIRECTORY
from indexer.keyword import KeywordCopy, KeywordIndex
from indexer.manifest import Manifest
from indexer.products import Product
from indexer.reader import IndexVersion, encoder_for, open_version
from indexer.settings import BuildSettings
from indexer.store import FILE as STORE_FILE
from indexer.store import write_products
from indexer.versions import IndexRoot
from indexer.vocabulary import Vocabulary
from indexer.writes import (
    LIVE,
    IndexInfo,
    RowChanges,
    Source,
    WriteReport,
    apply_delta,
    change_rows,
    changed_anything,
    check_delta,
    elapsed,
    embed_products,
    latest_of,
    prepare_build,
    reuse_vectors,
    unchanged,
)
from models import Encoder, encode_queries, load_encoder

TUNING_QUERIES = 300  # the catalogue's titles, embedded as queries, that measure an HNSW graph's recall
REWRITE_SHARE = 0.2  # an update writes the version whole once this share of its rows would be deleted products


class DirectoryWriter:
    """The `Writer` of an index directory: versions side by side under ROOT, the served one named by CURRENT."""

    def __init__(self, root: Path) -> None:
        self.root = IndexRoot(root)

    def build(
        self,
        products: Sequence[Product],
        settings: BuildSettings = BuildSettings(),
        source: Source = LIVE,
        progress: bool = False,
    ) -> WriteReport:
        started = time.perf_counter()
        products, settings = prepare_build(products, settings)
        encoder = load_encoder(settings.encoder)
        with self.root.writing():
            vectors = embed_products(encoder, products, settings.batch_size, progress)
            if source.sequence is None:  # live changes not yet folded into the served version replay on this one
                source = replace(source, sequence=self._served_sequence())
            manifest = _publish(
                self.root,
                _whole(products, vectors, settings, encoder),
                encoder,
                settings,
                started,
                "build",
                None,
                source,
                {"added": len(products)},
            )
            return _report(manifest, self.root.prune(settings.keep_versions))

    def update(
        self,
        upserts: Sequence[Product] = (),
        deletes: Sequence[str] = (),
        source: Source = LIVE,
        progress: bool = False,
        known: Mapping[str, np.ndarray] | None = None,
        parent: str | None = None,
    ) -> WriteReport:
        """See Writer.update; `known`: vectors already embedded, by content hash, and `parent`: the version the
        update must be made on, else JobError (both for live writes' compaction)."""
        started = time.perf_counter()
        deletes = check_delta(upserts, deletes)
        self.root.current_name()  # no index here: refused before the lock makes its folders
        with self.root.writing():
            previous = open_version(self.root.current())
            if parent is not None and previous.manifest.version != parent:
                raise JobError(f"{previous.manifest.version} is the index's version now, not {parent}; try again")
            by_id = {product.id: product for product in previous.products}
            changes, unknown = apply_delta(by_id, upserts, deletes)
            folds = source.sequence is not None and source.sequence > previous.manifest.live_sequence
            if not changed_anything(changes) and not folds:
                return unchanged(previous.manifest.version, previous.manifest.products, changes, unknown)
            if source.sequence is None:
                source = replace(source, sequence=previous.manifest.live_sequence)
            parts, changes["embedded"] = _updated_parts(previous, by_id, upserts, deletes, known or {}, progress)
            manifest = _publish(
                self.root,
                parts,
                encoder_for(previous.manifest),
                previous.settings,
                started,
                "update",
                previous.manifest.version,
                source,
                changes,
            )
            report = _report(manifest, self.root.prune(previous.settings.keep_versions))
        return replace(report, unknown_deletes=unknown)

    def reembed(self, encoder_name: str, progress: bool = False, serve: bool = True) -> WriteReport:
        """Embeds the served version's products again with another encoder (e.g. a fine-tuned one) into a new
        version, served unless `serve` is False (then `switch` serves it once it has been checked)."""
        started = time.perf_counter()
        self.root.current_name()  # no index here: refused before the lock makes its folders
        encoder = load_encoder(encoder_name)
        with self.root.writing():
            previous = open_version(self.root.current())
            settings = replace(previous.settings, encoder=encoder.name)  # a directory by its absolute path
            vectors = embed_products(encoder, previous.products, settings.batch_size, progress)
            manifest = _publish(
                self.root,
                _whole(previous.products, vectors, settings, encoder),
                encoder,
                settings,
                started,
                "reembed",
                previous.manifest.version,
                Source(
                    previous.manifest.catalogue, previous.manifest.catalogue_sha256, previous.manifest.live_sequence
                ),
                {"embedded": len(previous.products)},
                serve,
            )
            pruned = self.root.prune(settings.keep_versions) if serve else []  # a staged one may yet be deleted
            return replace(_report(manifest, pruned), published=serve)

    def _served_sequence(self) -> int:
        try:
            return Manifest.read(self.root.current()).live_sequence
        except (IndexNotFoundError, IndexFormatError):  # the first build, or a damaged version it replaces
            return 0

    def switch(self, version: str, replacing: str | None = None) -> WriteReport:
        """Serves a kept version; with `replacing`, only while that one is still served (else nothing changes)."""
        started = time.perf_counter()
        self.root.current_name()  # no index here: refused before the lock makes its folders
        with self.root.writing():
            served, kept = self.root.current_name(), self.root.names()
            if replacing is not None and served != replacing:
                return WriteReport(served, 0, {}, elapsed(started), published=False)
            if version not in kept:
                raise IndexNotFoundError(
                    f"no version {version!r} under {self.root.versions}; the versions kept are {', '.join(kept)}"
                )
            manifest = open_version(self.root.versions / version).manifest  # a damaged version is refused here
            self.root.point_to(version)
        return WriteReport(version, manifest.products, {}, elapsed(started), published=served != version)

    def info(self) -> IndexInfo:
        version = open_version(self.root.current())
        manifest = version.manifest
        return IndexInfo(
            version=manifest.version,
            products=manifest.products,
            job=manifest.job,
            written_at=manifest.created_at,
            language=version.settings.language,
            encoder=manifest.encoder,
            dimension=manifest.dimension,
            encoder_sha256=manifest.encoder_sha256,
            catalogue=manifest.catalogue,
            catalogue_sha256=manifest.catalogue_sha256,
            versions=self.root.names(),
            details={
                "dense": manifest.dense_kind
                + (f" (efSearch {ef})" if (ef := version.settings.dense.ef_search) else ""),
                "took": f"{manifest.build_seconds:.1f} s",
                "changes": ", ".join(f"{key} {value}" for key, value in manifest.changes.items()),
            },
            record=asdict(manifest),
        )


def _report(manifest: Manifest, pruned: list[str]) -> WriteReport:
    return WriteReport(manifest.version, manifest.products, manifest.changes, manifest.build_seconds, removed=pruned)


@dataclass(frozen=True)
class Parts:
    """What a version's files are written from: every row (None: a deleted product's) and how to write them."""

    rows: list[Product | None]
    write: Callable[[Path], DenseSettings]  # writes the store, indexes and vocabulary; returns the dense settings

    @property
    def products(self) -> int:
        return sum(product is not None for product in self.rows)


def _whole(products: list[Product], vectors: np.ndarray, settings: BuildSettings, encoder: Encoder) -> Parts:
    """Every part built from the products, in id order; an HNSW graph searched as wide as its recall needs."""

    def write(directory: Path) -> DenseSettings:
        write_products(products, directory)
        dense = DenseIndex.build(vectors, settings.dense)
        chosen = replace(settings.dense, kind=dense.kind)
        if dense.kind == "hnsw" and not settings.dense.ef_search:
            sample = random.Random(0).sample(products, min(TUNING_QUERIES, len(products)))
            chosen = replace(chosen, ef_search=dense.tune(encode_queries(encoder, [p.title for p in sample])))
        dense.save(directory)
        KeywordIndex.build(products, directory, settings.keyword)
        Vocabulary.of(products).write(directory)
        return chosen

    return Parts(list(products), write)


def _on_top(previous: IndexVersion, changed: RowChanges, vectors: np.ndarray) -> Parts:
    """The previous version's parts with the change applied: new rows at the end of the dense index, keyword
    documents deleted and added in a copy of its keyword index. Its cost follows the change, except for the store
    and the checksums, which are written and read whole."""
    settings = previous.settings

    def write(directory: Path) -> DenseSettings:
        write_products(changed.rows, directory)
        dense = DenseIndex.load(previous.path, previous.manifest.dense_kind, settings.dense.ef_search)
        if len(vectors):
            dense.add(vectors)
        dense.save(directory)
        keyword = KeywordCopy(previous.path, directory / KEYWORD_DIRECTORY, settings.keyword)
        keyword.apply(changed.removed, changed.added)
        keyword.close()
        Vocabulary.of(product for product in changed.rows if product is not None).write(directory)
        return replace(settings.dense, kind=dense.kind)

    return Parts(changed.rows, write)


def _updated_parts(
    previous: IndexVersion,
    by_id: dict[str, Product],
    upserts: Sequence[Product],
    deletes: Sequence[str],
    known: Mapping[str, np.ndarray],
    progress: bool,
) -> tuple[Parts, int]:
    """The parts of an update, on top of the previous version while few of its rows would be empty, else whole;
    and how many products were embedded."""
    settings, encoder = previous.settings, encoder_for(previous.manifest)
    changed = change_rows(previous.rows, previous.row_of, latest_of(upserts, deletes))
    empty = len(changed.rows) - len(changed.row_of)
    same_kind = settings.dense.resolve(len(changed.row_of)) == previous.manifest.dense_kind
    if empty <= REWRITE_SHARE * len(changed.rows) and same_kind:
        kept = _known(changed.appended, known)
        vectors, embedded = reuse_vectors(changed.appended, kept, encoder, settings.batch_size, progress)
        return _on_top(previous, changed, vectors), embedded
    products = sorted(by_id.values(), key=lambda product: product.id)
    old = previous.dense.matrix()
    kept = {p.id: (p.content_hash(), old[row]) for row, p in enumerate(previous.rows) if p is not None}
    kept |= _known(products, known)
    vectors, embedded = reuse_vectors(products, kept, encoder, settings.batch_size, progress)
    return _whole(products, vectors, settings, encoder), embedded


def _known(products: Sequence[Product], known: Mapping[str, np.ndarray]) -> dict[str, tuple[str, np.ndarray]]:
    return {p.id: (p.content_hash(), known[p.content_hash()]) for p in products if p.content_hash() in known}


def _publish(
    root: IndexRoot,
    parts: Parts,
    encoder: Encoder,
    settings: BuildSettings,
    started: float,
    job: str,
    parent: str | None,
    source: Source,
    changes: dict[str, int],
    serve: bool = True,
) -> Manifest:
    """Writes the parts and, last, the manifest with the checksums of them all; then serves the version if `serve`."""
    with root.staging(serve) as (name, directory):
        dense = parts.write(directory)
        settings = replace(settings, dense=replace(dense, kind=settings.dense.kind))  # as asked, and the ef chosen
        checksums = version_checksums(directory)  # every file is written by now; the manifest comes last
        manifest = Manifest(
            version=name,
            job=job,
            parent=parent,
            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
            build_seconds=elapsed(started),
            products=parts.products,
            encoder=encoder.name,
            encoder_sha256=encoder.weights_sha256(),
            dimension=encoder.dimension,
            dense_kind=dense.kind,
            catalogue=source.name,
            catalogue_sha256=source.sha256,
            store_sha256=checksums[STORE_FILE],
            settings=settings.to_dict(),
            changes=changes,
            checksums=checksums,
            live_sequence=source.sequence or 0,
            rows=len(parts.rows),
        )
        manifest.write(directory)
    return manifest
