"""The product record: content hash and the stored form."""

from __future__ import annotations

from dataclasses import replace

import pytest

from indexer.products import Product, RecordError, validate_record

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


def test_stock_variants_and_numeric_fields_are_kept() -> None:
    product = validate_record(
        {"id": "a", "title": "Kettle", "stock": "0", "group_id": 7, "rating": 4.5, "margin": "0.31", "sku": "00123"}
    )
    assert (product.in_stock, product.stock, product.group_id) == (False, 0, "7")  # stock 0: out of stock
    assert product.numbers == {"rating": 4.5, "margin": 0.31}  # "00123" is a code, not a number
    assert product.number("rating") == 4.5 and product.number("stock") == 0.0 and product.number("width") is None
    assert Product.from_json(product.to_json()) == product
    assert validate_record({"id": "a", "title": "K", "stock": 0, "in_stock": True}).in_stock  # said outright
    old = {"id": "a", "title": "K", "category": [], "attributes": {}}  # stored before stock and variants
    assert Product.from_record(old).in_stock and Product.from_record(old).numbers == {}


@pytest.mark.parametrize(
    "record, words",
    [
        ({"stock": -1}, "field 'stock': Input should be greater than or equal to 0"),
        ({"stock": 1.5}, "field 'stock': Input should be a valid integer"),
        ({"in_stock": "maybe"}, "field 'in_stock': Input should be a valid boolean"),
    ],
)
def test_bad_stock_is_named(record: dict, words: str) -> None:
    with pytest.raises(RecordError, match=words):
        validate_record({"id": "a", "title": "K", **record})
