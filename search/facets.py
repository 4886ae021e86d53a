"""Facet counts over the rows a query retrieved: category one level below the filter, brand, price."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from indexer.products import Product

PRICE_EDGES = (0, 25, 50, 100, 200, 500)


@dataclass(frozen=True)
class FacetValue:
    value: str
    count: int


@dataclass(frozen=True)
class PriceBucket:
    min: float
    max: float | None  # None: no upper bound
    count: int


@dataclass(frozen=True)
class Facets:
    category: list[FacetValue]
    brand: list[FacetValue]
    price: list[PriceBucket]


def count_facets(products: Sequence[Product], rows: Sequence[int], category_prefix: tuple[str, ...] = ()) -> Facets:
    """Counts over `rows`; categories are counted at the level just below `category_prefix`."""
    categories: Counter[str] = Counter()
    brands: Counter[str] = Counter()
    buckets = [0] * len(PRICE_EDGES)
    depth = len(category_prefix) + 1
    for row in rows:
        product = products[row]
        if len(product.category) >= depth:
            categories[" > ".join(product.category[:depth])] += 1
        if product.brand:
            brands[product.brand] += 1
        if product.price is not None:
            buckets[sum(product.price >= edge for edge in PRICE_EDGES) - 1] += 1
    price = [
        PriceBucket(low, PRICE_EDGES[i + 1] if i + 1 < len(PRICE_EDGES) else None, count)
        for i, (low, count) in enumerate(zip(PRICE_EDGES, buckets, strict=True))
        if count
    ]
    return Facets(_top(categories), _top(brands), price)


def _top(counter: Counter[str], limit: int = 20) -> list[FacetValue]:
    return [
        FacetValue(value, count)
        for value, count in sorted(counter.items(), key=lambda item: (-item[1], item[0]))[:limit]
    ]
