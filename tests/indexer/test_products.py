"""The product record: content hash and the stored form."""

from __future__ import annotations

from dataclasses import replace

import pytest

from indexer.products import Product

pytestmark = pytest.mark.fast

KETTLE = Product(
    id="k1",
    title="Kettle",
    description="Boils fast.",
    category=("Home", "Kitchen"),
    brand="Acme",
    price=19.5,
    currency="EUR",
    attributes={"colour": ("red", "black")},
    url="https://shop.example/k1",
)


def test_content_hash_follows_the_embedded_text_only() -> None:
    assert replace(KETTLE, price=1.0, brand="Other").content_hash() == KETTLE.content_hash()
    assert replace(KETTLE, title="Kettle 2").content_hash() != KETTLE.content_hash()
    assert replace(KETTLE, description="").content_hash() != KETTLE.content_hash()
    assert KETTLE.embedding_text() == "Kettle. Boils fast."


def test_stored_form_round_trips() -> None:
    assert Product.from_json(KETTLE.to_json()) == KETTLE
    assert KETTLE.category_path() == "Home > Kitchen"
