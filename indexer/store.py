"""The product store: every field of every product, one JSON object a line, in row order."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

from indexer.products import Product

FILE = "products.jsonl"


def write_products(products: Sequence[Product], directory: Path) -> str:
    """Writes the store and returns its sha256."""
    data = "".join(product.to_json() + "\n" for product in products).encode("utf-8")
    (directory / FILE).write_bytes(data)
    return hashlib.sha256(data).hexdigest()


def read_products(directory: Path) -> list[Product]:
    with open(directory / FILE, encoding="utf-8") as handle:
        return [Product.from_json(line) for line in handle]
