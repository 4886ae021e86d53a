"""Facet counts over the rows a query retrieved: category one level below the filter, brand, price."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from indexer.products import Product, join_category

PRICE_EDGES = (0, 25, 50, 100, 200, 500)
TOP = 20  # values per facet


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
    in_stock: list[FacetValue] = field(default_factory=list)  # "true" and "false"


def count_facets(products: Iterable[Product], category_prefix: tuple[str, ...] = ()) -> Facets:
    """Counts over `products`; categories are counted at the level just below `category_prefix`."""
    categories: Counter[str] = Counter()
    brands: Counter[str] = Counter()
    buckets = [0] * len(PRICE_EDGES)
    stock: Counter[str] = Counter()
    depth = len(category_prefix) + 1
    for product in products:
        if len(product.category) >= depth:
            categories[join_category(product.category[:depth])] += 1
        if product.brand:
            brands[product.brand] += 1
        if product.price is not None:
            buckets[sum(product.price >= edge for edge in PRICE_EDGES) - 1] += 1
        stock["true" if product.in_stock else "false"] += 1
    return Facets(top_values(categories), top_values(brands), price_buckets(buckets), top_values(stock))


def price_buckets(counts: Sequence[int]) -> list[PriceBucket]:
    """The non-empty buckets, from a count per edge of PRICE_EDGES."""
    return [
        PriceBucket(low, PRICE_EDGES[i + 1] if i + 1 < len(PRICE_EDGES) else None, count)
        for i, (low, count) in enumerate(zip(PRICE_EDGES, counts, strict=True))
        if count
    ]


def top_values(counts: dict[str, int], limit: int = TOP) -> list[FacetValue]:
    """The most frequent values first, ties by value."""
    best = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:limit]
    return [FacetValue(value, count) for value, count in best]
