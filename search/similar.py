"""Similar products: the nearest to one product by meaning (its stored embedding), never it or its other variants,
stock-aware as the shop's ranking says. See docs/design.md#similar-products."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import NamedTuple

from indexer import Product
from search.errors import SearchError
from search.filters import Filters
from search.pipeline import SearchPipeline
from search.response import ResultHit


class UnknownProduct(SearchError):
    def __init__(self, product_id: str, version: str) -> None:
        super().__init__(f"no product with id {product_id!r} in index {version}")


@dataclass(frozen=True)
class Similar:
    product: Product
    hits: list[ResultHit]
    took_ms: float


class Asked(NamedTuple):
    """What recommending products for one product starts from: it, the shop's stock setting, the filters as that
    setting makes them, and the ids never to recommend (it and its variants)."""

    product: Product
    stock: str
    filters: Filters
    skipped: set[str]


def asked(pipeline: SearchPipeline, product_id: str, filters: Filters) -> Asked:
    """UnknownProduct for an id the index lacks; with the shop's "hide", in stock only."""
    backend = pipeline.backend
    product = backend.products([product_id]).get(product_id)
    if product is None:
        raise UnknownProduct(product_id, backend.label)
    stock = pipeline.merchandising.current().ranking.stock
    if stock == "hide" and filters.in_stock is None:
        filters = replace(filters, in_stock=True)
    group = backend.variants({product.group_id}).get(product.group_id, []) if product.group_id else []
    return Asked(product, stock, filters, {product_id} | {variant.id for variant in group})


def similar(pipeline: SearchPipeline, product_id: str, k: int = 10, filters: Filters = Filters()) -> Similar:
    """Its k nearest products that pass `filters`: with the shop's "hide", in stock only; with "demote", those out of
    stock after those in stock."""
    started = time.perf_counter()
    backend = pipeline.backend
    product, stock, filters, skipped = asked(pipeline, product_id, filters)
    depth = (2 * k if stock == "demote" else k) + len(skipped)  # room for those in stock to fill the k
    found = [hit for hit in backend.dense.near(product_id, depth, filters) if hit.product_id not in skipped]
    products = backend.products([hit.product_id for hit in found])
    hits = [ResultHit(products[hit.product_id], hit.score) for hit in found if hit.product_id in products]
    if stock == "demote":
        hits.sort(key=lambda hit: not hit.product.in_stock)  # stable: by similarity within each
    return Similar(product, hits[:k], (time.perf_counter() - started) * 1000)
