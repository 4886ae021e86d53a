"""Shoppers also viewed and bought: a product's co-occurring products, filtered and stock-aware as similar products
are, never it or its variants, with similar products filling the places they leave. See docs/design.md#also-viewed."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from indexer import Product
from search.filters import Filters
from search.pipeline import SearchPipeline
from search.response import ResultHit
from search.similar import asked, similar

Source = Literal["also_viewed", "similar"]
LOOKED_AT = 500  # the strongest co-occurring products read for one request; past them, similar ones fill


@dataclass(frozen=True)
class Recommended:
    hit: ResultHit  # its score: the co-occurrence score (0..1) from also_viewed, the similarity from similar
    source: Source


@dataclass(frozen=True)
class AlsoViewed:
    product: Product
    hits: list[Recommended]
    took_ms: float


def also_viewed(
    pipeline: SearchPipeline,
    product_id: str,
    k: int = 10,
    filters: Filters = Filters(),
    related: Sequence[tuple[str, float]] = (),
) -> AlsoViewed:
    """The first k of `related` ((id, score), best first) that pass `filters`, then similar products up to k; with
    the shop's "hide", in stock only; with "demote", those out of stock after those in stock, whatever their source."""
    started = time.perf_counter()
    backend = pipeline.backend
    product, stock, filters, skipped = asked(pipeline, product_id, filters)
    candidates = [(other, score) for other, score in related if other not in skipped][:LOOKED_AT]
    viewed: list[ResultHit] = []
    step = max(2 * k, 20)  # read a few at a time: a narrow filter may pass only some, a wide one the first k
    for start in range(0, len(candidates), step):
        chunk = candidates[start : start + step]
        products = backend.products([other for other, _ in chunk])  # ids no longer in the index are left out
        # two decimals: a score that moved with one shopper's purchase would tell of it
        viewed += [
            ResultHit(products[i], round(score, 2))
            for i, score in chunk
            if i in products and filters.admits(products[i])
        ]
        if sum(stock != "demote" or hit.product.in_stock for hit in viewed) >= k:
            break
    if stock == "demote":
        viewed.sort(key=lambda hit: not hit.product.in_stock)  # stable: by score within each
    hits = [Recommended(hit, "also_viewed") for hit in viewed[:k]]
    if len(hits) < k or (stock == "demote" and not all(found.hit.product.in_stock for found in hits)):
        # similar() skips the product and its variants, applies the same filters and stock; those already shown
        # are skipped here, so it is asked for as many more
        shown = {found.hit.product.id for found in hits}
        nearest = similar(pipeline, product_id, k + len(hits), filters).hits
        hits += [Recommended(hit, "similar") for hit in nearest if hit.product.id not in shown]
        if stock == "demote":
            hits.sort(key=lambda found: not found.hit.product.in_stock)  # stable: co-occurring before similar
    return AlsoViewed(product, hits[:k], (time.perf_counter() - started) * 1000)
