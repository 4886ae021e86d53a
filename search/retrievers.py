"""Retrievers: one protocol, `search(query, k, filters) -> hits sorted by score with catalogue ids`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from indexer import IndexVersion, encoder_for
from indexer.encoder import Encoder


@dataclass(frozen=True)
class Hit:
    product_id: str
    score: float


class Retriever(Protocol):
    def search(self, query: str, k: int, filters: Any = None) -> list[Hit]: ...


def _no_filters(filters: Any) -> None:
    if filters:
        raise NotImplementedError("filters are not supported yet")


class KeywordRetriever:
    """BM25 over title (boosted), description, brand and category."""

    def __init__(self, version: IndexVersion) -> None:
        self.version = version

    def search(self, query: str, k: int, filters: Any = None) -> list[Hit]:
        _no_filters(filters)
        products = self.version.products
        return [Hit(products[row].id, score) for row, score in self.version.keyword.search(query, k)]


class DenseRetriever:
    """Cosine similarity between the query's and the products' bi-encoder embeddings."""

    def __init__(self, version: IndexVersion, encoder: Encoder | None = None) -> None:
        self.version = version
        self.encoder = encoder or encoder_for(version.manifest)

    def search(self, query: str, k: int, filters: Any = None) -> list[Hit]:
        _no_filters(filters)
        if not query.strip():
            return []
        scores, rows = self.version.dense.search(self.encoder.encode([query])[0], k)
        products = self.version.products
        return [Hit(products[row].id, float(score)) for score, row in zip(scores, rows) if row >= 0]
