"""The two reindexing jobs: a full build and an incremental update (upsert, delete).

Rows are sorted by product id, so a version depends only on the set of products it holds: an
update yields the same rows, vectors and keyword documents as a full build of the final catalogue.
Updates embed only products whose embedding text changed (content hash); every other vector is
copied from the previous version, and the keyword index is rebuilt from the stored products so that
its BM25 statistics are exactly those of a full build.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from indexer.catalogue import LineError, read_catalogue
from indexer.checksums import version_checksums
from indexer.dense import DenseIndex
from indexer.errors import IndexerError
from indexer.keyword import KeywordIndex
from indexer.manifest import Manifest
from indexer.products import Product
from indexer.reader import encoder_for, open_version
from indexer.settings import BuildSettings
from indexer.store import write_products
from indexer.versions import IndexRoot
from indexer.vocabulary import Vocabulary
from models import Encoder, encode_passages, load_encoder


@dataclass(frozen=True)
class JobReport:
    manifest: Manifest
    skipped: list[LineError] = field(default_factory=list)
    ignored_fields: tuple[str, ...] = ()
    unknown_deletes: list[str] = field(default_factory=list)
    pruned: list[str] = field(default_factory=list)
    published: bool = True


def build_index(
    catalogue_path: Path,
    root: Path,
    settings: BuildSettings = BuildSettings(),
    skip_invalid: bool = False,
    encoding: str = "utf-8",
    progress: bool = False,
) -> JobReport:
    """Indexes a whole catalogue as a new version of ROOT and serves it."""
    started = time.perf_counter()
    catalogue = read_catalogue(catalogue_path, skip_invalid, encoding)
    settings = settings.for_catalogue(product.embedding_text() for product in catalogue.products)
    encoder = load_encoder(settings.encoder)
    index_root = IndexRoot(root)
    with index_root.writing():
        products = sorted(catalogue.products, key=lambda product: product.id)
        vectors = embed_products(encoder, products, settings.batch_size, progress)
        manifest = _publish(
            index_root,
            products,
            vectors,
            encoder,
            settings,
            started,
            job="build",
            parent=None,
            catalogue=(catalogue_path, catalogue.sha256),
            changes={"added": len(products)},
        )
        pruned = index_root.prune(settings.keep_versions)
    return JobReport(manifest, catalogue.skipped, catalogue.ignored_fields, pruned=pruned)


def update_index(
    root: Path,
    upsert_path: Path | None = None,
    delete_path: Path | None = None,
    skip_invalid: bool = False,
    encoding: str = "utf-8",
    progress: bool = False,
) -> JobReport:
    """Applies upserts (whole products, replaced by id) and deletes to the served version."""
    started = time.perf_counter()
    delta = read_delta(upsert_path, delete_path, skip_invalid, encoding)
    index_root = IndexRoot(root)
    with index_root.writing():
        previous = open_version(index_root.current())
        settings = previous.settings
        by_id = {product.id: product for product in previous.products}
        changes, unknown = apply_delta(by_id, delta)
        if not changed_anything(changes):
            return JobReport(previous.manifest, delta.skipped, unknown_deletes=unknown, published=False)

        products = sorted(by_id.values(), key=lambda product: product.id)
        old_vectors = previous.dense.vectors()
        old_rows = {product.id: (row, product.content_hash()) for row, product in enumerate(previous.products)}
        vectors = np.empty((len(products), previous.manifest.dimension), dtype=np.float32)
        stale = []
        for row, product in enumerate(products):
            old_row, old_hash = old_rows.get(product.id, (None, None))
            if old_hash == product.content_hash():
                vectors[row] = old_vectors[old_row]
            else:
                stale.append(row)
        changes["embedded"] = len(stale)
        encoder = encoder_for(previous.manifest)
        if stale:
            vectors[stale] = embed_products(encoder, [products[row] for row in stale], settings.batch_size, progress)
        manifest = _publish(
            index_root,
            products,
            vectors,
            encoder,
            settings,
            started,
            job="update",
            parent=previous.manifest.version,
            catalogue=(delta.source, delta.sha256),
            changes=changes,
        )
        pruned = index_root.prune(settings.keep_versions)
    return JobReport(manifest, delta.skipped, delta.ignored_fields, unknown, pruned)


def reembed_index(root: Path, encoder_name: str, progress: bool = False) -> JobReport:
    """Embeds the served version's products again with another encoder (e.g. a fine-tuned one)."""
    started = time.perf_counter()
    encoder = load_encoder(encoder_name)
    index_root = IndexRoot(root)
    with index_root.writing():
        previous = open_version(index_root.current())
        settings = replace(previous.settings, encoder=encoder.name)  # a directory by its absolute path
        vectors = embed_products(encoder, previous.products, settings.batch_size, progress)
        manifest = _publish(
            index_root,
            previous.products,
            vectors,
            encoder,
            settings,
            started,
            job="reembed",
            parent=previous.manifest.version,
            catalogue=(Path(previous.manifest.catalogue), previous.manifest.catalogue_sha256),
            changes={"embedded": len(previous.products)},
        )
        pruned = index_root.prune(settings.keep_versions)
    return JobReport(manifest, pruned=pruned)


@dataclass(frozen=True)
class Delta:
    """An update job's input: whole products to upsert and ids to delete."""

    upserts: list[Product]
    deletes: list[str]
    source: Path
    sha256: str = ""
    skipped: list[LineError] = field(default_factory=list)
    ignored_fields: tuple[str, ...] = ()


def read_delta(
    upsert_path: Path | None, delete_path: Path | None, skip_invalid: bool = False, encoding: str = "utf-8"
) -> Delta:
    if upsert_path is None and delete_path is None:
        raise IndexerError("nothing to update: give --upsert CATALOG_DELTA, --delete IDS_FILE or both")
    catalogue = read_catalogue(upsert_path, skip_invalid, encoding) if upsert_path else None
    upserts = catalogue.products if catalogue else []
    deletes = read_ids(delete_path) if delete_path else []
    both = sorted({product.id for product in upserts} & set(deletes))
    if both:
        raise IndexerError(f"ids both upserted and deleted: {', '.join(both[:10])}; an update may do one or the other")
    if catalogue is None:
        return Delta(upserts, deletes, delete_path)
    return Delta(upserts, deletes, upsert_path, catalogue.sha256, catalogue.skipped, catalogue.ignored_fields)


def apply_delta(by_id: dict[str, Product], delta: Delta) -> tuple[dict[str, int], list[str]]:
    """Applies the delta to `by_id` (at least every product it touches) in place: (changes, unknown deletes)."""
    unknown = [product_id for product_id in delta.deletes if product_id not in by_id]
    for product_id in delta.deletes:
        by_id.pop(product_id, None)
    changes = {"added": 0, "changed": 0, "unchanged": 0, "deleted": len(delta.deletes) - len(unknown)}
    for product in delta.upserts:
        old = by_id.get(product.id)
        changes["added" if old is None else "changed" if old != product else "unchanged"] += 1
        by_id[product.id] = product
    return changes, unknown


def changed_anything(changes: dict[str, int]) -> bool:
    return any(changes[key] for key in ("added", "changed", "deleted"))


def read_ids(path: Path) -> list[str]:
    """One product id a line; blank lines are ignored."""
    try:
        with open(path, encoding="utf-8") as handle:
            return list(dict.fromkeys(line.strip() for line in handle if line.strip()))
    except UnicodeDecodeError as error:
        raise IndexerError(f"{path} is not UTF-8 text ({error}); save the ids file as UTF-8") from None


def embed_products(encoder: Encoder, products: Sequence[Product], batch_size: int, progress: bool) -> np.ndarray:
    """One vector per product; each distinct text is embedded once (catalogues repeat titles)."""
    texts = [product.embedding_text() for product in products]
    distinct = list(dict.fromkeys(texts))
    vectors = encode_passages(encoder, distinct, batch_size, progress)
    position = {text: row for row, text in enumerate(distinct)}
    return vectors[[position[text] for text in texts]]


def _publish(
    root: IndexRoot,
    products: list[Product],
    vectors: np.ndarray,
    encoder: Encoder,
    settings: BuildSettings,
    started: float,
    job: str,
    parent: str | None,
    catalogue: tuple[Path, str],
    changes: dict[str, int],
) -> Manifest:
    """Writes products, dense and keyword indexes, the vocabulary and, last, the manifest with the checksums of
    them all; then serves the version."""
    source, catalogue_sha256 = catalogue
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
            build_seconds=round(time.perf_counter() - started, 3),
            products=len(products),
            encoder=encoder.name,
            encoder_sha256=encoder.weights_sha256(),
            dimension=encoder.dimension,
            dense_kind=dense.kind,
            catalogue=str(Path(source).resolve()),
            catalogue_sha256=catalogue_sha256,
            store_sha256=store_sha256,
            settings=settings.to_dict(),
            changes=changes,
            checksums=version_checksums(directory),  # every file is written by now; the manifest comes last
        )
        manifest.write(directory)
    return manifest
