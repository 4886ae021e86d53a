"""Writes behind one interface: build, update (upserts, deletes) and switch versions, over either backend.

The file readers at the bottom are a thin layer above `Writer`; a live write path hands it products and ids.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from indexer.catalogue import LineError, read_catalogue
from indexer.errors import IndexerError
from indexer.products import Product
from indexer.settings import BuildSettings
from models import Encoder, encode_passages


@dataclass(frozen=True)
class Source:
    """Where written products came from, as the index records it: a catalogue file and its sha256, or live writes
    (with `sequence`, the last change of the log they fold in; None: the version keeps its parent's)."""

    name: str
    sha256: str = ""
    sequence: int | None = None


LIVE = Source("live")


@dataclass(frozen=True)
class WriteReport:
    """What a write did: the version served after it, its products and changes, and what was left out or removed."""

    version: str  # a version directory's name, or the physical Elasticsearch index behind the alias
    products: int
    changes: dict[str, int]
    seconds: float
    skipped: list[LineError] = field(default_factory=list)
    ignored_fields: tuple[str, ...] = ()
    unknown_deletes: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # older versions pruned after this one was served
    published: bool = True  # False: nothing changed, the version served before is served still


@dataclass(frozen=True)
class IndexInfo:
    """What the served version holds and how it was written; `record` is all the index says, for --json."""

    version: str
    products: int
    job: str
    written_at: str
    language: str
    encoder: str
    dimension: int
    encoder_sha256: str
    catalogue: str
    catalogue_sha256: str
    versions: list[str]  # every version kept, oldest first: what `switch` may serve
    details: dict[str, str]  # the backend's own lines: dense index kind, changes, the cluster
    record: dict[str, Any]


class Writer(Protocol):
    """The one way to change an index: both backends implement it, the CLI and live writes call it."""

    def build(
        self,
        products: Sequence[Product],
        settings: BuildSettings = BuildSettings(),
        source: Source = LIVE,
        progress: bool = False,
    ) -> WriteReport:
        """Indexes exactly these products as a new version and serves it."""
        ...

    def update(
        self,
        upserts: Sequence[Product] = (),
        deletes: Sequence[str] = (),
        source: Source = LIVE,
        progress: bool = False,
    ) -> WriteReport:
        """Replaces products by id, adds new ones and deletes ids; only changed texts are embedded."""
        ...

    def switch(self, version: str) -> WriteReport:
        """Serves a version kept beside the served one (a rollback, or forward again)."""
        ...

    def info(self) -> IndexInfo: ...


def check_delta(upserts: Sequence[Product], deletes: Sequence[str]) -> list[str]:
    """Refuses an update that names an id twice, before anything is read or written; returns the deletes, each once."""
    if isinstance(deletes, str):  # one id given as a string would delete each of its characters as an id
        raise IndexerError(f"deletes must be a list of product ids, not the string {deletes[:50]!r}")
    deletes = list(dict.fromkeys(deletes))
    repeated = sorted(product_id for product_id, count in Counter(p.id for p in upserts).items() if count > 1)
    if repeated:
        raise IndexerError(f"ids upserted more than once: {', '.join(repeated[:10])}; give each product once")
    both = sorted({product.id for product in upserts} & set(deletes))
    if both:
        raise IndexerError(f"ids both upserted and deleted: {', '.join(both[:10])}; an update may do one or the other")
    return deletes


def prepare_build(products: Sequence[Product], settings: BuildSettings) -> tuple[list[Product], BuildSettings]:
    """Checks a build's products; returns them sorted by id (the one row order) and the settings fitted to them."""
    if not products:
        raise IndexerError("nothing to build: no products given; an index holds at least one")
    check_delta(products, ())
    settings = settings.for_catalogue(product.embedding_text() for product in products)
    return sorted(products, key=lambda product: product.id), settings


def apply_delta(
    by_id: dict[str, Product], upserts: Sequence[Product], deletes: Sequence[str]
) -> tuple[dict[str, int], list[str]]:
    """Applies the update to `by_id` (at least every product it touches) in place: (changes, unknown deletes)."""
    unknown = [product_id for product_id in deletes if product_id not in by_id]
    for product_id in deletes:
        by_id.pop(product_id, None)
    changes = {"added": 0, "changed": 0, "unchanged": 0, "deleted": len(deletes) - len(unknown)}
    for product in upserts:
        old = by_id.get(product.id)
        changes["added" if old is None else "changed" if old != product else "unchanged"] += 1
        by_id[product.id] = product
    return changes, unknown


@dataclass(frozen=True)
class RowChanges:
    """Rows after a change: a product whose text is the same keeps its row (and vector); one that is new or whose
    text changed gets a row at the end; the row of a deleted or re-embedded product is left empty (None)."""

    rows: list[Product | None]
    row_of: dict[str, int]
    appended: list[Product]  # the products of the new rows at the end, in order: they need vectors
    removed: list[int]  # rows whose keyword documents go
    added: list[tuple[int, Product]]  # keyword documents to add, by row
    touched: list[int]  # every row whose product changed, went or came


def change_rows(
    rows: Sequence[Product | None], row_of: Mapping[str, int], latest: Mapping[str, Product | None]
) -> RowChanges:
    """The rows after `latest` (id -> the product now, None: deleted); `rows` and `row_of` are left as they are."""
    rows, row_of = list(rows), dict(row_of)
    appended: list[Product] = []
    removed, added, touched = [], [], []
    for product_id, product in latest.items():
        row = row_of.get(product_id)
        old = None if row is None else rows[row]
        if old is not None and product is not None and old.content_hash() == product.content_hash():
            if old != product:  # fields only (price, stock, attributes): the row and its vector stay
                rows[row] = product
                removed.append(row)
                added.append((row, product))
                touched.append(row)
            continue
        if old is not None:
            rows[row] = None
            del row_of[product_id]
            removed.append(row)
            touched.append(row)
        if product is not None:
            appended.append(product)
    for product in appended:
        row_of[product.id] = len(rows)
        added.append((len(rows), product))
        touched.append(len(rows))
        rows.append(product)
    return RowChanges(rows, row_of, appended, removed, added, touched)


def latest_of(upserts: Sequence[Product], deletes: Sequence[str]) -> dict[str, Product | None]:
    """An update as id -> the product it leaves (None: deleted)."""
    return {product_id: None for product_id in deletes} | {product.id: product for product in upserts}


def net_effect(changes: Iterable[tuple[Sequence[Product], Sequence[str]]]) -> dict[str, Product | None]:
    """(upserts, deletes) one after another as one update: id -> the product the last of them left."""
    latest: dict[str, Product | None] = {}
    for upserts, deletes in changes:
        latest.update(latest_of(upserts, deletes))
    return latest


def changed_anything(changes: dict[str, int]) -> bool:
    return any(changes[key] for key in ("added", "changed", "deleted"))


def unchanged(version: str, products: int, changes: dict[str, int], unknown: list[str]) -> WriteReport:
    """The report of an update that changed nothing: the version served before is served still."""
    return WriteReport(version, products, changes, 0.0, unknown_deletes=unknown, published=False)


def embed_products(encoder: Encoder, products: Sequence[Product], batch_size: int, progress: bool) -> np.ndarray:
    """One vector per product; each distinct text is embedded once (catalogues repeat titles)."""
    texts = [product.embedding_text() for product in products]
    distinct = list(dict.fromkeys(texts))
    vectors = encode_passages(encoder, distinct, batch_size, progress)
    position = {text: row for row, text in enumerate(distinct)}
    return vectors[[position[text] for text in texts]]


def reuse_vectors(
    products: Sequence[Product],
    kept: Mapping[str, tuple[str, Any]],
    encoder: Encoder,
    batch_size: int,
    progress: bool,
) -> tuple[np.ndarray, int]:
    """The products' vectors, copied from `kept` (id -> content hash, vector) where the embedding text is unchanged
    and embedded otherwise: (vectors, how many were embedded)."""
    vectors = np.empty((len(products), encoder.dimension), dtype=np.float32)
    stale = []
    for row, product in enumerate(products):
        old_hash, old_vector = kept.get(product.id, (None, None))
        if old_hash == product.content_hash():
            vectors[row] = old_vector
        else:
            stale.append(row)
    if stale:
        vectors[stale] = embed_products(encoder, [products[row] for row in stale], batch_size, progress)
    return vectors, len(stale)


def elapsed(started: float) -> float:
    return round(time.perf_counter() - started, 3)


def build_from_file(
    writer: Writer,
    catalogue_path: Path,
    settings: BuildSettings = BuildSettings(),
    skip_invalid: bool = False,
    encoding: str = "utf-8",
    progress: bool = False,
) -> WriteReport:
    """Reads a catalogue file (JSONL or CSV) and builds it as a new version."""
    catalogue = read_catalogue(catalogue_path, skip_invalid, encoding)
    source = Source(str(Path(catalogue_path).resolve()), catalogue.sha256)
    report = writer.build(catalogue.products, settings, source, progress)
    return replace(report, skipped=catalogue.skipped, ignored_fields=catalogue.ignored_fields)


def update_from_files(
    writer: Writer,
    upsert_path: Path | None = None,
    delete_path: Path | None = None,
    skip_invalid: bool = False,
    encoding: str = "utf-8",
    progress: bool = False,
) -> WriteReport:
    """Reads a catalogue of products to upsert and a file of ids to delete, and applies both as one update."""
    if upsert_path is None and delete_path is None:
        raise IndexerError("nothing to update: give --upsert CATALOG_DELTA, --delete IDS_FILE or both")
    catalogue = read_catalogue(upsert_path, skip_invalid, encoding) if upsert_path else None
    deletes = read_ids(delete_path) if delete_path else []
    if catalogue is None:
        return writer.update((), deletes, Source(str(Path(delete_path).resolve())), progress)
    source = Source(str(Path(upsert_path).resolve()), catalogue.sha256)
    report = writer.update(catalogue.products, deletes, source, progress)
    return replace(report, skipped=catalogue.skipped, ignored_fields=catalogue.ignored_fields)


def read_ids(path: Path) -> list[str]:
    """One product id a line; blank lines are ignored."""
    try:
        with open(path, encoding="utf-8") as handle:
            return list(dict.fromkeys(line.strip() for line in handle if line.strip()))
    except UnicodeDecodeError as error:
        raise IndexerError(f"{path} is not UTF-8 text ({error}); save the ids file as UTF-8") from None
