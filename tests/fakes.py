"""Small fakes for the fast tier: a backend with fixed legs, and a cross-encoder that prefers short texts."""

from __future__ import annotations

from collections.abc import Collection, Sequence

import numpy as np

from indexer import Product
from indexer.vocabulary import Vocabulary
from models.cross_encoders import RerankUsage
from search.backend import Description
from search.facets import Facets, count_facets
from search.filters import FilterIndex, Filters
from search.retrievers import Hit
from search.spelling import catalogue_words


class FixedLeg:
    """A retriever whose hits are given: the filters are applied as the real legs apply them, inside retrieval."""

    def __init__(self, hits: Sequence[Hit], products: Sequence[Product]) -> None:
        self.hits = list(hits)
        self.rows = {product.id: row for row, product in enumerate(products)}
        self.filter_index = FilterIndex(products)
        self.queries: list[str] = []

    def search(self, query: str, k: int, filters: Filters | None = None) -> list[Hit]:
        self.queries.append(query)
        if filters:
            passing = self.filter_index.mask(filters)
            return [hit for hit in self.hits if passing[self.rows[hit.product_id]]][:k]
        return self.hits[:k]


class FakeBackend:
    """Products in memory and two legs with fixed hits; facets and words computed as the embedded backend does."""

    label = "v000001"
    encoder = None

    def __init__(self, products: Sequence[Product], keyword: Sequence[Hit], dense: Sequence[Hit]) -> None:
        self.by_id = {product.id: product for product in products}
        self.keyword = FixedLeg(keyword, products)
        self.dense = FixedLeg(dense, products)
        self.words = catalogue_words(products)
        self.vocabulary = Vocabulary.of(products)

    def products(self, ids: Sequence[str]) -> dict[str, Product]:
        return {product_id: self.by_id[product_id] for product_id in ids if product_id in self.by_id}

    def all_products(self, only: Collection[str] = ()) -> list[Product]:
        return list(self.by_id.values())

    def facets(self, ids: Sequence[str], category_prefix: tuple[str, ...]) -> Facets:
        return count_facets(self.products(ids).values(), category_prefix)

    def describe(self) -> Description:
        return Description(len(self.by_id), "en", "fake", "fake")

    def variants(self, group_ids: Collection[str]) -> dict[str, list[Product]]:
        groups: dict[str, list[Product]] = {}
        for product in self.by_id.values():
            if product.group_id in group_ids:
                groups.setdefault(product.group_id, []).append(product)
        return groups

    @property
    def out_of_stock(self) -> bool:
        return any(not product.in_stock for product in self.by_id.values())


class ByLength:
    """Prefers short product texts: an order no retriever would give."""

    name = "by-length"

    def __init__(self, usage: RerankUsage | None = None) -> None:
        self.usage = usage

    def score(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        return -np.array([len(text) for _, text in pairs], dtype=np.float32)
