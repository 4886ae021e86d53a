"""Filters on category path, brand, price range and attribute values, applied inside retrieval.

See docs/design.md#filters.
"""

from __future__ import annotations

import contextlib
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import tantivy

import indexer.fields as fields
from indexer.fields import attribute_term, brand_key
from indexer.keyword import facet_path
from indexer.products import Product, join_category
from search.errors import RequestError


@dataclass(frozen=True)
class Filters:
    category: tuple[str, ...] = ()  # a path prefix: ("Home", "Kitchen") keeps everything below it
    brands: tuple[str, ...] = ()  # any of these, case-insensitive
    price_min: float | None = None
    price_max: float | None = None
    attributes: tuple[tuple[str, tuple[str, ...]], ...] = ()  # every key must have one of its values
    in_stock: bool | None = None  # None: either

    def __post_init__(self) -> None:
        for name in ("price_min", "price_max"):
            value = getattr(self, name)
            if value is not None and (not math.isfinite(value) or value < 0):
                raise RequestError(name, f"{name} must be a number >= 0, got {value!r}")
        if self.price_min is not None and self.price_max is not None and self.price_min > self.price_max:
            raise RequestError("price_min", f"price_min ({self.price_min}) is above price_max ({self.price_max})")

    def __bool__(self) -> bool:
        return (
            bool(self.category or self.brands or self.attributes)
            or self.in_stock is not None
            or self.price_min is not None
            or self.price_max is not None
        )

    def tantivy_clauses(self, schema: tantivy.Schema) -> list[tantivy.Query]:
        """Clauses that every hit must match; they score 0 so BM25 ranks as without filters."""
        clauses = []
        if self.category:
            facet = tantivy.Facet.from_string(facet_path(self.category))
            clauses.append(tantivy.Query.term_query(schema, fields.CATEGORY_PATH, facet))
        if self.brands:
            clauses.append(
                tantivy.Query.term_set_query(schema, fields.BRAND_KEY, [brand_key(brand) for brand in self.brands])
            )
        if self.price_min is not None or self.price_max is not None:
            clauses.append(
                tantivy.Query.range_query(schema, fields.PRICE, tantivy.FieldType.Float, self.price_min, self.price_max)
            )
        for key, values in self.attributes:
            terms = [attribute_term(key, value) for value in values]
            clauses.append(tantivy.Query.term_set_query(schema, fields.ATTRIBUTE, terms))
        # an index built before stock has no such field: the keyword retriever checks the products instead
        if self.in_stock is not None:
            with contextlib.suppress(ValueError):
                clauses.append(tantivy.Query.term_query(schema, fields.IN_STOCK, self.in_stock))
        return [tantivy.Query.const_score_query(clause, 0.0) for clause in clauses]

    def elastic_clauses(self) -> list[dict]:
        """The same clauses as Elasticsearch filters (they do not score), over the fields indexer.elastic writes."""
        clauses: list[dict] = []
        if self.category:
            clauses.append({"term": {fields.CATEGORY_PATH: join_category(self.category)}})
        if self.brands:
            clauses.append({"terms": {fields.BRAND_KEY: [brand_key(brand) for brand in self.brands]}})
        if self.price_min is not None or self.price_max is not None:
            bounds = {"gte": self.price_min, "lte": self.price_max}
            clauses.append(
                {"range": {fields.PRICE: {key: value for key, value in bounds.items() if value is not None}}}
            )
        for key, values in self.attributes:
            clauses.append({"terms": {fields.ATTRIBUTE: [attribute_term(key, value) for value in values]}})
        if self.in_stock is True:  # documents written before stock have no field, and are in stock
            clauses.append({"bool": {"must_not": {"term": {fields.IN_STOCK: False}}}})
        elif self.in_stock is False:
            clauses.append({"term": {fields.IN_STOCK: False}})
        return clauses

    def admits(self, product: Product) -> bool:
        """Whether one product passes every filter, as the indexes' clauses would decide."""
        if self.category and product.category[: len(self.category)] != self.category:
            return False
        if self.brands and (product.brand is None or brand_key(product.brand) not in map(brand_key, self.brands)):
            return False
        if self.price_min is not None or self.price_max is not None:
            if product.price is None:
                return False
            if self.price_min is not None and product.price < self.price_min:
                return False
            if self.price_max is not None and product.price > self.price_max:
                return False
        if self.in_stock is not None and product.in_stock != self.in_stock:
            return False
        for key, values in self.attributes:
            wanted = {attribute_term(key, value) for value in values}
            held = {attribute_term(name, value) for name, kept in product.attributes.items() for value in kept}
            if not wanted & held:
                return False
        return True


class FilterIndex:
    """Postings of category prefixes, brands and attribute values, and a price column, by row."""

    def __init__(self, products: Sequence[Product | None]) -> None:
        postings: dict[tuple[str, str], list[int]] = defaultdict(list)
        for row, product in enumerate(products):
            if product is None:  # a deleted product's row passes no filter
                continue
            for depth in range(1, len(product.category) + 1):
                postings["category", facet_path(product.category[:depth])].append(row)
            if product.brand:
                postings["brand", brand_key(product.brand)].append(row)
            for key, values in product.attributes.items():
                for value in values:
                    postings["attribute", attribute_term(key, value)].append(row)
        self.size = len(products)
        self.postings = {key: np.array(rows, dtype=np.int64) for key, rows in postings.items()}
        # 1 in stock, 0 out of stock, -1 deleted (which passes no filter)
        self.stock = np.array([-1 if p is None else int(p.in_stock) for p in products], dtype=np.int8)
        self.prices = np.array(
            [math.nan if p is None or p.price is None else p.price for p in products], dtype=np.float64
        )

    def _any_of(self, kind: str, keys: Sequence[str]) -> np.ndarray:
        mask = np.zeros(self.size, dtype=bool)
        for key in keys:
            rows = self.postings.get((kind, key))
            if rows is not None:
                mask[rows] = True
        return mask

    def mask(self, filters: Filters) -> np.ndarray:
        """True for every row that passes all the filters."""
        mask = np.ones(self.size, dtype=bool)
        if filters.category:
            mask &= self._any_of("category", [facet_path(filters.category)])
        if filters.brands:
            mask &= self._any_of("brand", [brand_key(brand) for brand in filters.brands])
        with np.errstate(invalid="ignore"):  # products without a price fail any price filter
            if filters.price_min is not None:
                mask &= self.prices >= filters.price_min
            if filters.price_max is not None:
                mask &= self.prices <= filters.price_max
        for key, values in filters.attributes:
            mask &= self._any_of("attribute", [attribute_term(key, value) for value in values])
        if filters.in_stock is not None:
            mask &= self.stock == int(filters.in_stock)
        return mask
