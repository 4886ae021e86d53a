"""Retrievers: one protocol, `search(query, k, filters) -> hits sorted by score with catalogue ids`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from indexer import IndexVersion, encoder_for
from models import Encoder, encode_queries
from search.filters import FilterIndex, Filters


@dataclass(frozen=True)
class Hit:
    product_id: str
    score: float


class Retriever(Protocol):
    def search(self, query: str, k: int, filters: Filters | None = None) -> list[Hit]: ...


class KeywordRetriever:
    """BM25 over title (boosted), description, brand and category; filters are query clauses."""

    def __init__(self, version: IndexVersion) -> None:
        self.version = version

    def search(self, query: str, k: int, filters: Filters | None = None) -> list[Hit]:
        keyword = self.version.keyword
        clauses = filters.tantivy_clauses(keyword.schema) if filters else []
        rows = self.version.rows
        found = keyword.search(query, k, clauses)
        if filters and filters.in_stock is not None:  # an index built before stock has no field for it
            found = [(row, score) for row, score in found if rows[row].in_stock == filters.in_stock]
        return [Hit(rows[row].id, score) for row, score in found]


WIDE = 0.8  # a filter that this share of rows passes is applied while walking the HNSW graph


class DenseRetriever:
    """Cosine similarity of bi-encoder embeddings; filtered queries are scored exactly over the rows that pass."""

    def __init__(
        self, version: IndexVersion, encoder: Encoder | None = None, filter_index: FilterIndex | None = None
    ) -> None:
        self.version = version
        self.encoder = encoder or encoder_for(version.manifest)
        self.filter_index = filter_index or FilterIndex(version.rows)

    def search(self, query: str, k: int, filters: Filters | None = None) -> list[Hit]:
        if not query.strip():
            return []
        return self.nearest(encode_queries(self.encoder, [query])[0], k, filters)

    def near(self, product_id: str, k: int, filters: Filters | None = None) -> list[Hit]:
        """The k rows nearest to a product's own stored vector (it among them); none for an unknown id."""
        row = self.version.row_of.get(product_id)
        return [] if row is None else self.nearest(self.version.dense.vector(row), k, filters)

    def nearest(self, vector: np.ndarray, k: int, filters: Filters | None = None) -> list[Hit]:
        dense = self.version.dense
        mask = self.filter_index.mask(filters) if filters else None
        if mask is not None and dense.kind == "hnsw" and mask.mean() >= WIDE:
            # most rows pass (in stock only): the graph walks past those that fail rather than scoring every row
            scores, rows = dense.search(vector, k, None, np.flatnonzero(~mask))
        else:
            scores, rows = dense.search(vector, k, None if mask is None else mask.nonzero()[0])
        products = self.version.rows
        return [Hit(products[row].id, float(score)) for score, row in zip(scores, rows, strict=True)]
