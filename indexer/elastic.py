"""Elasticsearch as the index: its Writer, over physical indices ALIAS-vNNNNNN behind the alias ALIAS.

See docs/design.md#writing-to-elasticsearch.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
from elasticsearch import ApiError, Elasticsearch, NotFoundError, TransportError, helpers

import indexer.fields as fields
from indexer.analysis import Chinese, English, analysis_for
from indexer.elastic_lock import locked
from indexer.errors import ClusterUnavailable, IndexerError, IndexNotFoundError, JobError
from indexer.fields import CATEGORY_LEVELS, attribute_term, brand_key, category_level
from indexer.products import Product, join_category
from indexer.reader import checked_encoder
from indexer.settings import BuildSettings
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
from models.progress import bar as progress_bar

FORMAT_VERSION = 1
ANALYZERS = {"en": "english", "zh": "whitespace"}
CHUNK = 500
BULK_TIMEOUT = 120.0  # seconds for one bulk request of CHUNK documents


@dataclass(frozen=True)
class ElasticConfig:
    """Where the cluster is and how to reach it; secrets come from the environment only."""

    url: str = "http://localhost:9200"
    api_key: str | None = None
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    ca_certs: str | None = None
    verify_certs: bool = True
    timeout: float = 10.0  # seconds for every call but bulk writes
    retries: int = 2

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, url: str | None = None) -> ElasticConfig:
        """ES_URL, ES_API_KEY, ES_USERNAME/ES_PASSWORD, ES_CA_CERTS, ES_VERIFY_CERTS, ES_TIMEOUT, ES_RETRIES."""
        environ = os.environ if environ is None else environ
        verify = environ.get("ES_VERIFY_CERTS", "true").strip().lower()
        if verify not in ("true", "false", "1", "0"):
            raise IndexerError(f"ES_VERIFY_CERTS must be true or false, got {verify!r}")
        try:
            timeout = float(environ.get("ES_TIMEOUT", cls.timeout))
            retries = int(environ.get("ES_RETRIES", cls.retries))
        except ValueError as error:
            raise IndexerError(f"ES_TIMEOUT must be seconds and ES_RETRIES a count: {error}") from None
        if timeout <= 0 or retries < 0:
            raise IndexerError("ES_TIMEOUT must be above 0 and ES_RETRIES at least 0")
        return cls(
            url=url or environ.get("ES_URL") or cls.url,
            api_key=environ.get("ES_API_KEY") or None,
            username=environ.get("ES_USERNAME") or None,
            password=environ.get("ES_PASSWORD") or None,
            ca_certs=environ.get("ES_CA_CERTS") or None,
            verify_certs=verify in ("true", "1"),
            timeout=timeout,
            retries=retries,
        )

    def client(self) -> Elasticsearch:
        return Elasticsearch(
            self.url,
            api_key=self.api_key,
            basic_auth=(self.username, self.password or "") if self.username else None,
            ca_certs=self.ca_certs,
            verify_certs=self.verify_certs,
            request_timeout=self.timeout,
            max_retries=self.retries,
            retry_on_timeout=True,
        )

    @staticmethod
    def redacted(text: str) -> str:
        """`text` with the user and password of every URL in it as ***: ES_URL may carry them (http://user:pass@host),
        and messages name the cluster by its URL."""
        return re.sub(r"\b([a-zA-Z][a-zA-Z0-9+.-]*://)[^/\s?#]*@", r"\1***@", text)


@contextmanager
def reachable(config: ElasticConfig) -> Iterator[None]:
    """Turns the client's transport and server errors into one ClusterUnavailable that says what to do."""
    try:
        yield
    except TransportError as error:  # refused, reset, timed out, TLS
        raise ClusterUnavailable(
            f"Elasticsearch at {config.url} did not answer within {config.timeout:g} s ({type(error).__name__}); "
            "check that the cluster is up and ES_URL is right, or raise ES_TIMEOUT"
        ) from None
    except ApiError as error:
        if error.status_code in (401, 403):
            raise ClusterUnavailable(
                f"Elasticsearch at {config.url} refused the credentials ({error.status_code}); "
                "set ES_API_KEY, or ES_USERNAME and ES_PASSWORD"
            ) from None
        if error.status_code == 429 or error.status_code >= 500:
            raise ClusterUnavailable(
                f"Elasticsearch at {config.url} is unavailable ({error.status_code} {error.message})"
            ) from None
        raise


def physical_name(alias: str, number: int) -> str:
    return f"{alias}-v{number:06d}"


def physical_indices(client: Elasticsearch, alias: str) -> list[str]:
    """This alias's physical indices, oldest first (the served one and any a killed build left)."""
    pattern = re.compile(rf"{re.escape(alias)}-v\d{{6}}")
    return sorted(name for name in client.indices.get(index=f"{alias}-v*") if pattern.fullmatch(name))


def served_index(client: Elasticsearch, alias: str) -> str | None:
    try:
        targets = list(client.indices.get_alias(name=alias))
    except NotFoundError:
        return None
    if len(targets) != 1:
        raise IndexerError(f"the alias {alias!r} points at {len(targets)} indices; prodsearch expects exactly one")
    return targets[0]


def require_served(client: Elasticsearch, alias: str) -> str:
    served = served_index(client, alias)
    if served is None:
        raise IndexerError(
            f"no index behind the alias {alias!r}; build one with "
            f"'prodsearch index build CATALOG --out {alias} --backend elasticsearch'"
        )
    return served


def index_meta(client: Elasticsearch, index: str) -> dict[str, Any]:
    mappings = client.indices.get_mapping(index=index)
    meta = next(iter(mappings.values()))["mappings"].get("_meta") or {}
    if meta.get("format_version") != FORMAT_VERSION:
        raise IndexerError(f"the Elasticsearch index {index} was not written by prodsearch (format {FORMAT_VERSION})")
    return meta


def encoder_of(client: Elasticsearch, index: str) -> Encoder:
    meta = index_meta(client, index)
    return checked_encoder(meta["encoder"], meta["encoder_sha256"], index)


def analysis_of(meta: dict[str, Any]) -> English | Chinese:
    """The text analysis an index was written with (English for indexes from before languages)."""
    return analysis_for(meta.get("language", "en"))


# added to indexes written before stock and variants on their next update
SHOP_MAPPING = {fields.IN_STOCK: {"type": "boolean"}, fields.GROUP_ID: {"type": "keyword"}}


def add_shop_fields(client: Elasticsearch, index: str) -> None:
    """The stock and variant fields, on an index written before them (its strict mapping refuses them otherwise)."""
    mappings = client.indices.get_mapping(index=index)
    properties = next(iter(mappings.values()))["mappings"].get("properties", {})
    if not SHOP_MAPPING.keys() <= properties.keys():
        client.indices.put_mapping(index=index, properties=SHOP_MAPPING)


def mapping(dimension: int, meta: dict[str, Any]) -> dict[str, Any]:
    keyword = {"type": "keyword"}
    # Chinese text arrives segmented by our own analysis, so the cluster needs no Chinese plugin
    text = {"type": "text", "analyzer": ANALYZERS[analysis_of(meta).language]}
    levels = {category_level(depth): keyword for depth in range(1, CATEGORY_LEVELS + 1)}
    return {
        "_meta": meta,
        "dynamic": "strict",
        "properties": {
            fields.PRODUCT: {"type": "object", "enabled": False},
            "title": text,
            "description": text,
            "brand": text,
            "category": text,
            fields.BRAND_NAME: keyword,
            fields.BRAND_KEY: keyword,
            fields.CATEGORY_PATH: keyword,
            **levels,
            fields.PRICE: {"type": "double"},
            fields.ATTRIBUTE: keyword,
            **SHOP_MAPPING,
            "content_hash": keyword,
            fields.VECTOR: {
                "type": "dense_vector",
                "dims": dimension,
                "index": True,
                "similarity": "cosine",
                "index_options": {"type": "hnsw"},
            },
        },
    }


def document(product: Product, vector: np.ndarray, analysis: English | Chinese) -> dict[str, Any]:
    paths = [join_category(product.category[:depth]) for depth in range(1, len(product.category) + 1)]
    return {
        fields.PRODUCT: product.to_record(),
        "title": analysis.index_text(product.title),
        "description": analysis.index_text(product.description),
        "brand": analysis.index_text(product.brand) if product.brand else None,
        "category": analysis.index_text(product.category_path()),
        fields.BRAND_NAME: product.brand,
        fields.BRAND_KEY: brand_key(product.brand) if product.brand else None,
        fields.CATEGORY_PATH: paths,
        **{category_level(depth): path for depth, path in enumerate(paths[:CATEGORY_LEVELS], start=1)},
        fields.PRICE: product.price,
        fields.ATTRIBUTE: [
            attribute_term(key, value) for key, values in product.attributes.items() for value in values
        ],
        fields.IN_STOCK: product.in_stock,
        fields.GROUP_ID: product.group_id,
        "content_hash": product.content_hash(),
        fields.VECTOR: [float(x) for x in vector],
    }


class ElasticWriter:
    """The `Writer` of an Elasticsearch alias: a build writes a new physical index and moves the alias to it,
    keeping the newest `keep_versions` for `switch`; an update writes in place through the alias."""

    def __init__(self, config: ElasticConfig, alias: str) -> None:
        self.config = config
        self.alias = alias

    def build(
        self,
        products: Sequence[Product],
        settings: BuildSettings = BuildSettings(),
        source: Source = LIVE,
        progress: bool = False,
    ) -> WriteReport:
        started = time.perf_counter()
        products, settings = prepare_build(products, settings)
        client, alias = self.config.client(), self.alias
        with reachable(self.config), locked(client, alias, "build") as lock:
            existing = physical_indices(client, alias)
            served = served_index(client, alias)
            if served is None and client.indices.exists(index=alias):
                raise IndexerError(f"{alias!r} is an index, not an alias; pick another name or delete that index")
            encoder = load_encoder(settings.encoder)
            vectors = embed_products(encoder, products, settings.batch_size, progress)
            numbers = [int(name.rsplit("-v", 1)[1]) for name in existing]
            name = physical_name(alias, max(numbers, default=0) + 1)
            meta = {
                "format_version": FORMAT_VERSION,
                "job": "build",
                "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "language": settings.language,
                "encoder": encoder.name,
                "encoder_sha256": encoder.weights_sha256(),
                "dimension": encoder.dimension,
                "catalogue": source.name,
                "catalogue_sha256": source.sha256,
                "products": len(products),
            }
            lock.check()
            client.indices.create(index=name, mappings=mapping(encoder.dimension, meta))
            try:
                write_documents(client, name, products, vectors, analysis_for(settings.language), progress)
                count = client.count(index=name)["count"]
                if count != len(products):
                    raise JobError(f"{name} holds {count} documents after the build, expected {len(products)}")
                lock.check()  # whatever took the lock may be serving or deleting by now: leave the alias to it
            except BaseException:
                _delete_quietly(client, name)
                raise
            self._serve(client, served, name)
            removed = _prune(client, existing, served, settings.keep_versions)
        return WriteReport(name, len(products), {"added": len(products)}, elapsed(started), removed=removed)

    def update(
        self,
        upserts: Sequence[Product] = (),
        deletes: Sequence[str] = (),
        source: Source = LIVE,
        progress: bool = False,
    ) -> WriteReport:
        started = time.perf_counter()
        deletes = check_delta(upserts, deletes)
        client = self.config.client()
        with reachable(self.config), locked(client, self.alias, "update") as lock:
            index = require_served(client, self.alias)
            touched = [product.id for product in upserts] + deletes
            stored = fetch_documents(client, index, touched, [fields.PRODUCT, "content_hash", fields.VECTOR])
            by_id = {product_id: Product.from_record(source[fields.PRODUCT]) for product_id, source in stored.items()}
            changes, unknown = apply_delta(by_id, upserts, deletes)
            if not changed_anything(changes):
                return unchanged(index, client.count(index=index)["count"], changes, unknown)
            encoder = encoder_of(client, index)
            writes = [p for p in upserts if stored.get(p.id, {}).get(fields.PRODUCT) != p.to_record()]
            kept = {i: (document["content_hash"], document[fields.VECTOR]) for i, document in stored.items()}
            batch_size = BuildSettings.batch_size
            vectors, changes["embedded"] = reuse_vectors(writes, kept, encoder, batch_size, progress)
            lock.check()
            # live writes carry their sequence as the documents' external version: a write that arrives late
            # never replaces a later one (Elasticsearch answers 409 for it, and the caller hears of it)
            version = {} if source.sequence is None else {"version": source.sequence, "version_type": "external"}
            analysis = analysis_of(index_meta(client, index))
            add_shop_fields(client, index)
            superseded = write_documents(client, index, writes, vectors, analysis, progress, version)
            deleted = [product_id for product_id in deletes if product_id in stored]
            lock.check()
            removals = ({"_op_type": "delete", "_index": index, "_id": i, **version} for i in deleted)
            superseded += _bulk(client, removals, len(deleted), False, superseded_ok=bool(version))
            client.indices.refresh(index=index)
            count = client.count(index=index)["count"]
            meta = {
                **index_meta(client, index),
                "job": "update",
                "updated_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "products": count,
            }
            client.indices.put_mapping(index=index, meta=meta)
        if superseded:
            raise Superseded(superseded)
        return WriteReport(index, count, changes, elapsed(started), unknown_deletes=unknown)

    def switch(self, version: str) -> WriteReport:
        started = time.perf_counter()
        client = self.config.client()
        with reachable(self.config), locked(client, self.alias, "switch") as lock:
            served = require_served(client, self.alias)
            kept = physical_indices(client, self.alias)
            if version not in kept:
                raise IndexNotFoundError(
                    f"no index {version!r} behind the alias {self.alias!r}; the indices kept are {', '.join(kept)}"
                )
            if not complete(client, version):
                raise IndexerError(
                    f"{version} holds other products than its _meta counts (a job killed mid-write); "
                    "it cannot be served"
                )
            lock.check()
            self._serve(client, served, version)
            count = client.count(index=version)["count"]
        return WriteReport(version, count, {}, elapsed(started), published=served != version)

    def _serve(self, client: Elasticsearch, served: str | None, index: str) -> None:
        """Moves the alias from `served` to `index` in one atomic call."""
        moves = [{"remove": {"index": old, "alias": self.alias}} for old in [served] if old and old != index]
        client.indices.update_aliases(actions=[*moves, {"add": {"index": index, "alias": self.alias}}])

    def info(self) -> IndexInfo:
        client = self.config.client()
        with reachable(self.config):
            index = require_served(client, self.alias)
            meta = index_meta(client, index)
            count = client.count(index=index)["count"]
            kept = physical_indices(client, self.alias)
        return IndexInfo(
            version=index,
            products=count,
            job=meta["job"],
            written_at=meta.get("updated_at") or meta["created_at"],
            language=analysis_of(meta).language,
            encoder=meta["encoder"],
            dimension=meta["dimension"],
            encoder_sha256=meta["encoder_sha256"],
            catalogue=meta["catalogue"],
            catalogue_sha256=meta["catalogue_sha256"],
            versions=kept,
            details={"cluster": ElasticConfig.redacted(self.config.url)},
            record={"alias": self.alias, "index": index, "documents": count, **meta},
        )


def _prune(client: Elasticsearch, older: list[str], served: str | None, keep: int) -> list[str]:
    """Deletes the indices a build replaced, all but the newest `keep` - 1 complete ones; returns their names.
    The caller holds the lock, so no job is writing to an incomplete one: it is the orphan of a killed job."""
    complete_ones = [old for old in older if old == served or complete(client, old)]
    kept = complete_ones[-(keep - 1) :] if keep > 1 else []
    removed = [old for old in older if old not in kept]
    for old in removed:
        client.indices.delete(index=old, ignore_unavailable=True)
    return removed


def complete(client: Elasticsearch, index: str) -> bool:
    """Whether `index` holds all the products its `_meta` counts (a build killed mid-write leaves fewer)."""
    try:
        return client.count(index=index)["count"] == index_meta(client, index).get("products")
    except IndexerError:  # not written by prodsearch, or by a build killed before its mapping was set
        return False


def fetch_documents(
    client: Elasticsearch, index: str, ids: Sequence[str], parts: Sequence[str] = (fields.PRODUCT,)
) -> dict[str, dict[str, Any]]:
    """The stored `_source` fields of every id that exists, by id."""
    found = {}
    for start in range(0, len(ids), CHUNK):
        response = client.mget(index=index, ids=list(ids[start : start + CHUNK]), source_includes=list(parts))
        found.update({doc["_id"]: doc["_source"] for doc in response["docs"] if doc.get("found")})
    return found


def write_documents(
    client: Elasticsearch,
    index: str,
    products: Sequence[Product],
    vectors: np.ndarray,
    analysis: English | Chinese,
    progress: bool,
    version: dict[str, Any] | None = None,
) -> list[str]:
    """Indexes the documents and refreshes; returns the ids a later version of which is stored (see _bulk)."""
    actions = (
        {
            "_op_type": "index",
            "_index": index,
            "_id": product.id,
            "_source": document(product, vector, analysis),
            **(version or {}),
        }
        for product, vector in zip(products, vectors, strict=True)
    )
    superseded = _bulk(client, actions, len(products), progress, superseded_ok=bool(version))
    client.indices.refresh(index=index)
    return superseded


def _bulk(
    client: Elasticsearch, actions: Iterator[dict[str, Any]], total: int, progress: bool, superseded_ok: bool = False
) -> list[str]:
    """Bulk writes with retries and backoff on rejections; item errors are collected and raised together, except
    (with `superseded_ok`) an external version below the stored one, whose ids are returned."""
    if not total:
        return []
    errors, superseded = [], []
    bar = progress_bar(total=total, desc="writing", unit="doc", disable=not progress)
    for ok, item in helpers.streaming_bulk(
        client.options(request_timeout=BULK_TIMEOUT),
        actions,
        chunk_size=CHUNK,
        max_retries=5,
        initial_backoff=1,
        max_backoff=30,
        raise_on_error=False,
        raise_on_exception=True,
    ):
        bar.update(1)
        result = next(iter(item.values()))
        if not ok and superseded_ok and result.get("status") == 409:
            superseded.append(result.get("_id"))
        elif not ok:
            errors.append(item)
    bar.close()
    if errors:
        first = next(iter(errors[0].values()))
        raise JobError(
            f"Elasticsearch rejected {len(errors)} of {total} documents; the first: {first.get('_id')}: "
            f"{first.get('error')}"
        )
    return superseded


class Superseded(JobError):
    """A live write some of whose products a later write (a higher external version) had already replaced."""

    def __init__(self, ids: list[str]) -> None:
        self.ids = ids
        listed = ", ".join(ids[:10]) + (f" and {len(ids) - 10} more" if len(ids) > 10 else "")
        super().__init__(
            f"not written: a later write of {listed} is stored already (its clock ran ahead of this service's?); "
            "the rest of the write was stored"
        )


def _delete_quietly(client: Elasticsearch, index: str) -> None:
    with suppress(ApiError, TransportError):  # if it stays, the next build deletes the orphan
        client.indices.delete(index=index, ignore_unavailable=True)
