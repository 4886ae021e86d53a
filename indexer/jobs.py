"""The index directory's Writer: builds, updates, re-embeds and switches versions under ROOT.

See docs/design.md#build-and-update-jobs.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from indexer.checksums import version_checksums
from indexer.dense import DenseIndex
from indexer.errors import IndexFormatError, IndexNotFoundError
from indexer.keyword import KeywordIndex
from indexer.manifest import Manifest
from indexer.products import Product
from indexer.reader import encoder_for, open_version
from indexer.settings import BuildSettings
from indexer.store import write_products
from indexer.versions import IndexRoot
from indexer.vocabulary import Vocabulary
from indexer.writes import (
    LIVE,
    IndexInfo,
    Source,
    WriteReport,
    apply_delta,
    changed_anything,
    check_delta,
    elapsed,
    embed_products,
    prepare_build,
    reuse_vectors,
    unchanged,
)
from models import Encoder, load_encoder


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
                products,
                vectors,
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
    ) -> WriteReport:
        started = time.perf_counter()
        deletes = check_delta(upserts, deletes)
        self.root.current_name()  # no index here: refused before the lock makes its folders
        with self.root.writing():
            previous = open_version(self.root.current())
            settings = previous.settings
            by_id = {product.id: product for product in previous.products}
            changes, unknown = apply_delta(by_id, upserts, deletes)
            folds = source.sequence is not None and source.sequence > previous.manifest.live_sequence
            if not changed_anything(changes) and not folds:
                return unchanged(previous.manifest.version, previous.manifest.products, changes, unknown)

            products = sorted(by_id.values(), key=lambda product: product.id)
            encoder = encoder_for(previous.manifest)
            old_vectors = previous.dense.vectors()
            kept = {p.id: (p.content_hash(), old_vectors[row]) for row, p in enumerate(previous.products)}
            vectors, changes["embedded"] = reuse_vectors(products, kept, encoder, settings.batch_size, progress)
            parent = previous.manifest.version
            if source.sequence is None:
                source = replace(source, sequence=previous.manifest.live_sequence)
            manifest = _publish(
                self.root, products, vectors, encoder, settings, started, "update", parent, source, changes
            )
            report = _report(manifest, self.root.prune(settings.keep_versions))
        return replace(report, unknown_deletes=unknown)

    def reembed(self, encoder_name: str, progress: bool = False) -> WriteReport:
        """Embeds the served version's products again with another encoder (e.g. a fine-tuned one)."""
        started = time.perf_counter()
        self.root.current_name()  # no index here: refused before the lock makes its folders
        encoder = load_encoder(encoder_name)
        with self.root.writing():
            previous = open_version(self.root.current())
            settings = replace(previous.settings, encoder=encoder.name)  # a directory by its absolute path
            vectors = embed_products(encoder, previous.products, settings.batch_size, progress)
            manifest = _publish(
                self.root,
                previous.products,
                vectors,
                encoder,
                settings,
                started,
                "reembed",
                previous.manifest.version,
                Source(
                    previous.manifest.catalogue, previous.manifest.catalogue_sha256, previous.manifest.live_sequence
                ),
                {"embedded": len(previous.products)},
            )
            return _report(manifest, self.root.prune(settings.keep_versions))

    def _served_sequence(self) -> int:
        try:
            return Manifest.read(self.root.current()).live_sequence
        except (IndexNotFoundError, IndexFormatError):  # the first build, or a damaged version it replaces
            return 0

    def switch(self, version: str) -> WriteReport:
        started = time.perf_counter()
        self.root.current_name()  # no index here: refused before the lock makes its folders
        with self.root.writing():
            served, kept = self.root.current_name(), self.root.names()
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
                "dense": manifest.dense_kind,
                "took": f"{manifest.build_seconds:.1f} s",
                "changes": ", ".join(f"{key} {value}" for key, value in manifest.changes.items()),
            },
            record=asdict(manifest),
        )


def _report(manifest: Manifest, pruned: list[str]) -> WriteReport:
    return WriteReport(manifest.version, manifest.products, manifest.changes, manifest.build_seconds, removed=pruned)


def _publish(
    root: IndexRoot,
    products: list[Product],
    vectors: np.ndarray,
    encoder: Encoder,
    settings: BuildSettings,
    started: float,
    job: str,
    parent: str | None,
    source: Source,
    changes: dict[str, int],
) -> Manifest:
    """Writes products, dense and keyword indexes, the vocabulary and, last, the manifest with the checksums of
    them all; then serves the version."""
    with root.staging() as (name, directory):
        store_sha256 = write_products(products, directory)
        dense = DenseIndex.build(vectors, settings.dense)
        dense.save(directory)
        KeywordIndex.build(products, directory, settings.keyword)
        Vocabulary.of(products).write(directory)
        manifest = Manifest(
            version=name,
            job=job,
            parent=parent,
            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
            build_seconds=elapsed(started),
            products=len(products),
            encoder=encoder.name,
            encoder_sha256=encoder.weights_sha256(),
            dimension=encoder.dimension,
            dense_kind=dense.kind,
            catalogue=source.name,
            catalogue_sha256=source.sha256,
            store_sha256=store_sha256,
            settings=settings.to_dict(),
            changes=changes,
            checksums=version_checksums(directory),  # every file is written by now; the manifest comes last
            live_sequence=source.sequence or 0,
        )
        manifest.write(directory)
    return manifest
