"""vocabulary.json: the catalogue's own brands, categories, attribute values and currency, which query
understanding looks for in queries. Written with every version, so an update refreshes it."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from indexer.products import Product, join_category, split_category

FILE = "vocabulary.json"


@dataclass(frozen=True)
class Vocabulary:
    brands: tuple[str, ...] = ()  # as written, sorted
    categories: tuple[tuple[str, ...], ...] = ()  # every full category path, sorted
    attributes: dict[str, tuple[str, ...]] = field(default_factory=dict)  # key -> distinct values, sorted
    currency: str | None = None  # the most common currency, None when no product names one
    priced: int = 0  # products with a price

    @classmethod
    def of(cls, products: Iterable[Product]) -> Vocabulary:
        brands: set[str] = set()
        categories: set[tuple[str, ...]] = set()
        attributes: dict[str, set[str]] = defaultdict(set)
        currencies: Counter[str] = Counter()
        priced = 0
        for product in products:
            if product.brand:
                brands.add(product.brand)
            if product.category:
                categories.add(product.category)
            for key, values in product.attributes.items():
                attributes[key].update(values)
            if product.price is not None:
                priced += 1
                if product.currency:
                    currencies[product.currency] += 1
        return cls(
            tuple(sorted(brands)),
            tuple(sorted(categories)),
            {key: tuple(sorted(values)) for key, values in sorted(attributes.items())},
            currencies.most_common(1)[0][0] if currencies else None,
            priced,
        )

    def to_dict(self) -> dict:
        return {
            "brands": list(self.brands),
            "categories": [join_category(path) for path in self.categories],
            "attributes": {key: list(values) for key, values in self.attributes.items()},
            "currency": self.currency,
            "priced": self.priced,
        }

    @classmethod
    def from_dict(cls, record: dict) -> Vocabulary:
        return cls(
            tuple(record["brands"]),
            tuple(split_category(path) for path in record["categories"]),
            {key: tuple(values) for key, values in record["attributes"].items()},
            record["currency"],
            int(record["priced"]),
        )

    def write(self, directory: Path) -> None:
        text = json.dumps(self.to_dict(), ensure_ascii=False, indent=1, sort_keys=True)
        (directory / FILE).write_text(text + "\n", encoding="utf-8")

    @classmethod
    def read(cls, directory: Path) -> Vocabulary:
        return cls.from_dict(json.loads((directory / FILE).read_text(encoding="utf-8")))
