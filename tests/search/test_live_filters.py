"""Live filter layers: however many applies stack up, a row passes a filter exactly as its product now does."""

from __future__ import annotations

import random

import pytest

from indexer import Product
from search.filters import FilterIndex, Filters
from search.live_index import MAX_LAYERS, LiveFilters

pytestmark = pytest.mark.fast


def _product(row: int, rng: random.Random) -> Product:
    return Product(id=f"P{row}", title="t", brand=rng.choice(["Acme", "Brio"]), price=float(rng.randrange(100)))


def test_layers_agree_with_postings_built_from_scratch() -> None:
    rng = random.Random(7)
    rows: list[Product | None] = [_product(row, rng) for row in range(200)]
    filters = LiveFilters(FilterIndex(rows), len(rows))
    checks = [Filters(brands=("Acme",)), Filters(price_min=20, price_max=60), Filters(brands=("brio",), price_max=30)]
    for apply in range(3 * MAX_LAYERS):
        rows = list(rows)
        touched = rng.sample(range(len(rows)), 15)
        for row in touched:
            rows[row] = None if rng.random() < 0.2 else _product(row, rng)
        rows.append(_product(len(rows), rng))  # a new product at the end
        touched.append(len(rows) - 1)
        filters = filters.changed(touched, rows)
        assert len(filters.layers) <= MAX_LAYERS
        for check in checks:
            assert (filters.mask(check) == FilterIndex(rows).mask(check)).all(), (apply, check)
