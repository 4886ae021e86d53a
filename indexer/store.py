"""The product store: every field of every product, one JSON object a line, in row order; `null` for the row
of a product an update deleted."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

from indexer.checksums import DAMAGED
from indexer.errors import IndexFormatError
from indexer.products import Product

FILE = "products.jsonl"


def write_products(rows: Sequence[Product | None], directory: Path) -> str:
    """Writes the store and returns its sha256."""
    data = "".join(("null" if product is None else product.to_json()) + "\n" for product in rows).encode("utf-8")
    (directory / FILE).write_bytes(data)
    return hashlib.sha256(data).hexdigest()


def read_store(directory: Path) -> tuple[list[Product | None], str]:
    """Every row's product (None: deleted) in row order, and the sha256 of the bytes they were read from.

    See docs/design.md#manifest-checksums-and-loading.
    """
    path = directory / FILE
    data = path.read_bytes()
    products = []
    for row, line in enumerate(data.split(b"\n")[:-1] if data.endswith(b"\n") else data.split(b"\n")):
        if line == b"null":
            products.append(None)
            continue
        try:
            products.append(Product.from_json(line.decode("utf-8")))
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as error:
            problem = f"{type(error).__name__}: {error}" if isinstance(error, KeyError) else str(error)
            raise IndexFormatError(
                f"{path}, line {row + 1} (product row {row}) is not a stored product ({problem[:200]}); {DAMAGED}"
            ) from None
    return products, hashlib.sha256(data).hexdigest()
