"""The Elasticsearch backend: BM25 multi_match and kNN legs, products and facet aggregations over an alias.

See docs/design.md#searching-elasticsearch.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterator, Sequence
from typing import Any, NamedTuple, TypeVar

import numpy as np
from elasticsearch import NotFoundError
from elasticsearch.helpers import scan

from indexer import Product, fields
from indexer.analysis import Chinese, English
from indexer.elastic import (
    ElasticConfig,
    analysis_of,
    fetch_documents,
    index_meta,
    reachable,
    require_served,
)
from indexer.errors import IndexFormatError
from indexer.products import split_category
from indexer.reader import checked_encoder
from indexer.vocabulary import Vocabulary
from models import Encoder, encode_queries
from search.backend import Description
from search.facets import PRICE_EDGES, TOP, Facets, FacetValue, price_buckets
from search.filters import Filters
from search.retrievers import Hit

KEYWORD_FIELDS = [f"{name}^{fields.TITLE_BOOST:g}" if name == fields.TITLE else name for name in fields.TEXT]
LABEL_SECONDS = 1.0  # how long the physical index behind the alias is taken as known
REFUSAL_SECONDS = 30.0  # how long an encoder that could not be loaded is not tried again
KEPT_ENCODERS = 3  # loaded encoders kept for a switch back, the longest loaded dropped first
MAX_GROUPED = 5_000  # variants fetched for one page of distinct hits (a page of 100 groups of 50)
STOCK_CHECK = 1.0  # seconds: how stale "is anything out of stock" may be
MAX_WRITTEN = 10_000  # products written through this service that suggestions offer at once
VOCABULARY_SECONDS = 30.0  # how often the vocabulary is checked for a build or an update
VOCABULARY_TERMS = 20_000  # brands, category paths and attribute values read, each

T = TypeVar("T")


class Served(NamedTuple):
    """The physical index behind the alias and what its `_meta` says queries need, swapped as one."""

    index: str
    encoder: tuple[str, str]  # (name, weights sha256)
    analysis: English | Chinese


class ElasticBackend:
    """An Elasticsearch alias written by `prodsearch index build --backend elasticsearch`."""

    def __init__(self, config: ElasticConfig, alias: str, encoder: Encoder | None = None) -> None:
        """`encoder`, one already loaded, serves every index that names its name and weights."""
        self.config = config
        self.alias = alias
        self.client = config.client()
        self._checking = threading.Lock()
        self._loading = threading.Lock()
        # by (name, sha256): switching back to an encoder served before costs nothing
        self._encoders: dict[tuple[str, str], Encoder] = {}
        self._refused: dict[tuple[str, str], tuple[float, str]] = {}
        if encoder is not None:
            self._encoders[(encoder.name, encoder.weights_sha256())] = encoder
        with reachable(config):
            self._served = self._read(require_served(self.client, alias))
        self._checked = time.monotonic()
        self.sequence = 0  # the last write this service made through the alias (search.live.FixedSearch)
        self._written: OrderedDict[str, Product | None] = OrderedDict()  # the last MAX_WRITTEN, oldest first
        self.encoder_of(self._served)  # a mismatched encoder stops start-up, not the first query
        self._vocabulary: Vocabulary | None = None
        self._vocabulary_stamp: tuple[Any, ...] = ()
        self._vocabulary_checked = -math.inf
        self._stock: tuple[float, bool] = (-math.inf, False)  # (checked at, any out of stock)
        self.keyword = ElasticKeyword(self)
        self.dense = ElasticDense(self)

    @property
    def label(self) -> str:
        """The physical index behind the alias (it changes when a full build moves the alias)."""
        return self._current().index

    @property
    def encoder(self) -> Encoder:
        """The encoder that embedded the index behind the alias now, loaded the first time it is served."""
        return self.encoder_of(self._current())

    @property
    def analysis(self) -> English | Chinese:
        """The text analysis that the index behind the alias now was written with."""
        return self._current().analysis

    def on_served(self, run: Callable[[Served], T]) -> T:
        """`run` over the index served now; again over the alias's new index if a build deleted that one."""
        served = self._current()
        try:
            return run(served)
        except NotFoundError:
            if self._current(fresh=True).index == served.index:
                raise
            return run(self._current())

    def _current(self, fresh: bool = False) -> Served:
        if fresh or time.monotonic() - self._checked > LABEL_SECONDS:
            with self._checking:
                if fresh or time.monotonic() - self._checked > LABEL_SECONDS:  # not checked by another thread
                    with reachable(self.config):
                        index = require_served(self.client, self.alias)
                        if index != self._served.index:
                            self._served = self._read(index)
                    self._checked = time.monotonic()
        return self._served

    def _read(self, index: str) -> Served:
        meta = index_meta(self.client, index)
        return Served(index, (meta["encoder"], meta["encoder_sha256"]), analysis_of(meta))

    def encoder_of(self, served: Served) -> Encoder:
        """The encoder that embedded `served`, loaded once and kept for a switch back."""
        encoder = self._encoders.get(served.encoder)
        if encoder is not None:
            return encoder
        with self._loading:  # one thread loads; the others wait for it rather than load it again
            if served.encoder in self._encoders:
                return self._encoders[served.encoder]
            refused = self._refused.get(served.encoder)
            if refused and time.monotonic() - refused[0] < REFUSAL_SECONDS:  # not a model load per query
                raise IndexFormatError(refused[1])
            try:
                encoder = checked_encoder(*served.encoder, served.index)
            except ValueError as error:  # a model not installed, other weights
                self._refused[served.encoder] = (time.monotonic(), str(error))
                raise
            if len(self._encoders) >= KEPT_ENCODERS:  # an encoder retrained daily would otherwise pile up
                del self._encoders[next(iter(self._encoders))]
            self._encoders[served.encoder] = encoder
            return encoder

    def search(self, served: Served | None = None, **body: Any) -> dict[str, Any]:
        """Over the physical index `served` (the alias when none is given)."""
        with reachable(self.config):
            return self.client.search(index=served.index if served else self.alias, **body)

    def products(self, ids: Sequence[str]) -> dict[str, Product]:
        with reachable(self.config):
            found = fetch_documents(self.client, self.alias, list(ids))
        return {product_id: Product.from_record(source[fields.PRODUCT]) for product_id, source in found.items()}

    def all_products(self, only: Collection[str] = ()) -> Iterator[Product]:
        """A scroll over the alias, products in the cluster's order, reading only the fields `only` names (and ids)."""
        parts = [f"{fields.PRODUCT}.{name}" for name in ("id", "title", *only)] if only else [fields.PRODUCT]
        with reachable(self.config):
            for hit in scan(self.client, index=self.alias, query={"query": {"match_all": {}}}, _source=parts):
                record = {"category": [], "attributes": {}} | hit["_source"][fields.PRODUCT]
                yield Product.from_record(record)

    def facets(self, ids: Sequence[str], category_prefix: tuple[str, ...]) -> Facets:
        if not ids:
            return Facets([], [], [])
        depth = len(category_prefix) + 1
        aggregations: dict[str, Any] = {
            "brand": {"terms": {"field": fields.BRAND_NAME, "size": TOP}},
            # an index written before stock has no in_stock field: its products are all in stock
            "in_stock": {"terms": {"field": fields.IN_STOCK, "missing": True}},
            "price": {
                "range": {
                    "field": fields.PRICE,
                    "ranges": [
                        {"from": low, "to": high} if high is not None else {"from": low}
                        for low, high in zip(PRICE_EDGES, [*PRICE_EDGES[1:], None], strict=True)
                    ],
                }
            },
        }
        if depth <= fields.CATEGORY_LEVELS:
            aggregations["category"] = {"terms": {"field": fields.category_level(depth), "size": TOP}}
        response = self.search(size=0, query={"ids": {"values": list(ids)}}, aggs=aggregations)
        found = response["aggregations"]
        return Facets(
            _values(found.get("category")),
            _values(found["brand"]),
            price_buckets([bucket["doc_count"] for bucket in found["price"]["buckets"]]),
            [FacetValue(_flag(bucket), bucket["doc_count"]) for bucket in found["in_stock"]["buckets"]],
        )

    def variants(self, group_ids: Collection[str]) -> dict[str, list[Product]]:
        if not group_ids:
            return {}
        query = {"terms": {fields.GROUP_ID: list(group_ids)}}
        found = self.search(size=MAX_GROUPED, query=query, _source=[fields.PRODUCT])["hits"]["hits"]
        groups: dict[str, list[Product]] = {}
        for hit in found:
            product = Product.from_record(hit["_source"][fields.PRODUCT])
            groups.setdefault(product.group_id or "", []).append(product)
        return groups

    @property
    def out_of_stock(self) -> bool:
        """Counted in the cluster at most every STOCK_CHECK seconds."""
        checked, found = self._stock
        if time.monotonic() - checked >= STOCK_CHECK:
            found = self.search(size=0, query={"term": {fields.IN_STOCK: False}}, track_total_hits=1)["hits"]
            self._stock = time.monotonic(), found["total"]["value"] > 0
        return self._stock[1]

    def wrote(self, upserts: Sequence[Product], deletes: Sequence[str], sequence: int) -> None:
        """Takes note of a write this service made: suggestions offer its products at once, and the vocabulary is
        read again at the next query."""
        for product_id, product in [*((i, None) for i in deletes), *((p.id, p) for p in upserts)]:
            self._written[product_id] = product
            self._written.move_to_end(product_id)
        while len(self._written) > MAX_WRITTEN:  # older ones are in the cluster; suggestions forget them
            self._written.popitem(last=False)
        self.sequence = sequence
        self._vocabulary_checked = -math.inf

    def live_products(self) -> list[Product]:
        """The products this service wrote through the alias since it started, as they are now."""
        return [product for product in self._written.values() if product is not None]

    @property
    def vocabulary(self) -> Vocabulary:
        """Read from the index's own fields by aggregations, again when an update or a build changed it."""
        if time.monotonic() - self._vocabulary_checked > VOCABULARY_SECONDS or self._vocabulary is None:
            with reachable(self.config):
                index = require_served(self.client, self.alias)
                meta = index_meta(self.client, index)
            stamp = (index, meta.get("updated_at"), meta.get("products"))
            if stamp != self._vocabulary_stamp:
                self._vocabulary, self._vocabulary_stamp = self._aggregated_vocabulary(), stamp
            self._vocabulary_checked = time.monotonic()
        return self._vocabulary

    def _aggregated_vocabulary(self) -> Vocabulary:
        terms = {"size": VOCABULARY_TERMS}
        aggregations = {
            "brand": {"terms": {"field": fields.BRAND_NAME, **terms}},
            "attribute": {"terms": {"field": fields.ATTRIBUTE, **terms}},
            "category": {"terms": {"field": fields.CATEGORY_PATH, **terms}},
            "priced": {"value_count": {"field": fields.PRICE}},
        }
        found = self.search(size=0, aggs=aggregations)["aggregations"]
        paths = {split_category(bucket["key"]) for bucket in found["category"]["buckets"]}
        leaves = {path for path in paths if not any(other[: len(path)] == path and other != path for other in paths)}
        attributes: dict[str, set[str]] = {}
        for bucket in found["attribute"]["buckets"]:
            key, _, value = bucket["key"].partition("=")
            attributes.setdefault(key, set()).add(value)
        priced = int(found["priced"]["value"])
        currency = None
        if priced:
            sample = self.search(size=1, query={"exists": {"field": fields.PRICE}}, source=[fields.PRODUCT])
            currency = sample["hits"]["hits"][0]["_source"][fields.PRODUCT].get("currency")
        return Vocabulary(
            tuple(sorted(bucket["key"] for bucket in found["brand"]["buckets"])),
            tuple(sorted(leaves)),
            {key: tuple(sorted(values)) for key, values in sorted(attributes.items())},
            currency,
            priced,
        )

    @property
    def words(self) -> dict[str, int]:
        """None known: queries go to Elasticsearch as typed (its own fuzzy matching is not switched on)."""
        return {}

    def describe(self) -> Description:
        with reachable(self.config):
            count = self.client.count(index=self.alias)["count"]
        served = self._current()
        return Description(count, served.analysis.language, served.encoder[0], f"elasticsearch {self.alias}")


class ElasticKeyword:
    """BM25 over title (boosted), description, brand and category, as Elasticsearch scores it."""

    def __init__(self, backend: ElasticBackend) -> None:
        self.backend = backend

    def search(self, query: str, k: int, filters: Filters | None = None) -> list[Hit]:
        return self.backend.on_served(lambda served: self._search(served, query, k, filters))

    def _search(self, served: Served, query: str, k: int, filters: Filters | None) -> list[Hit]:
        # English goes as typed to the cluster's english analyzer; other languages arrive segmented
        text = query if isinstance(served.analysis, English) else " ".join(served.analysis.query_words(query))
        if not text.strip():
            return []
        match = {"multi_match": {"query": text, "fields": KEYWORD_FIELDS, "type": "most_fields"}}
        body = {"bool": {"must": match, "filter": filters.elastic_clauses() if filters else []}}
        response = self.backend.search(served, query=body, size=k, source=False)
        return [Hit(hit["_id"], float(hit["_score"])) for hit in response["hits"]["hits"]]


class ElasticDense:
    """Approximate kNN (HNSW) over the same embeddings as the embedded index, filters inside the kNN clause."""

    def __init__(self, backend: ElasticBackend, candidates_per_hit: int = 2) -> None:
        self.backend = backend
        self.candidates_per_hit = candidates_per_hit

    @property
    def encoder(self) -> Encoder:
        return self.backend.encoder

    def search(self, query: str, k: int, filters: Filters | None = None) -> list[Hit]:
        if not query.strip():
            return []
        return self.backend.on_served(lambda served: self._search(served, query, k, filters))

    def near(self, product_id: str, k: int, filters: Filters | None = None) -> list[Hit]:
        """The k documents nearest to a product's own stored vector (it among them); none for an unknown id."""
        with reachable(self.backend.config):
            found = fetch_documents(self.backend.client, self.backend.alias, [product_id], [fields.VECTOR])
        if product_id not in found:
            return []
        vector = np.asarray(found[product_id][fields.VECTOR], dtype=np.float32)
        return self.backend.on_served(lambda served: self._knn(served, vector, k, filters))

    def _search(self, served: Served, query: str, k: int, filters: Filters | None) -> list[Hit]:
        return self._knn(served, encode_queries(self.backend.encoder_of(served), [query])[0], k, filters)

    def _knn(self, served: Served, vector: np.ndarray, k: int, filters: Filters | None) -> list[Hit]:
        knn = {
            "field": fields.VECTOR,
            "query_vector": [float(x) for x in vector],
            "k": k,
            "num_candidates": min(10_000, max(100, k * self.candidates_per_hit)),
            "filter": filters.elastic_clauses() if filters else [],
        }
        response = self.backend.search(served, knn=knn, size=k, source=False)
        return [Hit(hit["_id"], 2.0 * float(hit["_score"]) - 1.0) for hit in response["hits"]["hits"]]


def _flag(bucket: dict[str, Any]) -> str:
    """A boolean terms bucket's key as "true" or "false" (Elasticsearch keys them 1 and 0, with key_as_string)."""
    key = bucket.get("key_as_string", bucket["key"])
    return "true" if key in (1, True, "true") else "false"


def _values(aggregation: dict[str, Any] | None) -> list[FacetValue]:
    if aggregation is None:
        return []
    return [FacetValue(bucket["key"], bucket["doc_count"]) for bucket in aggregation["buckets"]]
