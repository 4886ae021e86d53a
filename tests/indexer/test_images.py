"""A product's image: every bad address names its line and field and the fix; a good one is kept through the
product store and the Elasticsearch document, and a store written before images still loads."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from indexer.analysis import English
from indexer.catalogue import CatalogueError, read_catalogue
from indexer.elastic import document, mapping
from indexer.images import MAX_IMAGE_CHARS
from indexer.products import Product, RecordError, validate_record
from indexer.store import FILE, read_store, write_products

pytestmark = pytest.mark.fast

IMAGE = "https://cdn.shop.example/images/k1.jpg"


def catalogue(tmp_path: Path, *records: dict, name: str = "cat.jsonl") -> Path:
    path = tmp_path / name
    path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "image, words",
    [
        ("ftp://cdn.shop.example/k1.jpg", "has the scheme 'ftp:', which the page does not load images from; use an"),
        ("javascript:alert(1)", "has the scheme 'javascript:'"),
        ("data:image/png;base64,iVBORw0KGgo=", "has the scheme 'data:'"),
        ("/images/k1.jpg", "is not an absolute URL (it needs http:// or https:// and a host); write it whole, as"),
        ("//cdn.shop.example/k1.jpg", "is not an absolute URL"),
        ("cdn.shop.example/k1.jpg", "is not an absolute URL"),
        ("https:///k1.jpg", "is not an absolute URL"),
        ("https://cdn.shop.example/red kettle.jpg", "contains a space at character 29; percent-encode it (a space is"),
        ("https://cdn.shop.example/k1.jpg\nx", "contains the control or invisible character U+000A at character 32"),
        ("https://cdn.shop.example/\u200bk1.jpg", "contains the control or invisible character U+200B at character 26"),
        ("https://[::1/k1.jpg", "is not a URL a browser can read (Invalid IPv6 URL)"),
        ("https://cdn.shop.example:port/k1.jpg", "is not a URL a browser can read"),
        ("https://user:secret@cdn.shop.example/k1.jpg", "holds a user name or password before its host"),
        (
            "https://cdn.shop.example/" + "a" * MAX_IMAGE_CHARS,
            f"{MAX_IMAGE_CHARS + 25:,} characters, more than the 2,048 an image URL may have; shorten it",
        ),
    ],
)
def test_a_bad_image_names_its_line_field_and_fix(tmp_path: Path, image: str, words: str) -> None:
    path = catalogue(tmp_path, {"id": "a1", "title": "Kettle"}, {"id": "b2", "title": "Pan", "image": image})
    with pytest.raises(CatalogueError) as caught:
        read_catalogue(path)
    assert [error.line for error in caught.value.errors] == [2]
    assert f"line 2: field 'image': {words}" in str(caught.value)
    with pytest.raises(RecordError) as refused:  # what the write API calls on each product
        validate_record({"id": "b2", "title": "Pan", "image": image})
    (problem,) = refused.value.problems
    assert problem.field == "image" and problem.message.startswith(f"field 'image': {words}")


def test_good_images_are_kept_and_blank_ones_are_none(tmp_path: Path) -> None:
    images = [IMAGE, "http://img.shop.example/k2.png?w=400&h=400", "HTTPS://例子.测试/图片/水壶.jpg", "  ", ""]
    records = [{"id": f"p{n}", "title": "Kettle", "image": image} for n, image in enumerate(images)]
    found = [product.image for product in read_catalogue(catalogue(tmp_path, *records)).products]
    assert found == [*images[:3], None, None]
    csv = tmp_path / "cat.csv"
    csv.write_text(f"id,title,image\nc1,Kettle, {IMAGE} \nc2,Pan,\nc3,Pot,/pot.jpg\n", encoding="utf-8")
    with pytest.raises(CatalogueError, match="line 4: field 'image': is not an absolute URL"):
        read_catalogue(csv)
    kept = read_catalogue(csv, skip_invalid=True)
    assert [(product.id, product.image) for product in kept.products] == [("c1", IMAGE), ("c2", None)]
    assert "image" not in kept.ignored_fields


def test_the_store_keeps_images_and_loads_a_store_written_before_them(tmp_path: Path) -> None:
    pictured = validate_record({"id": "k1", "title": "Kettle", "price": 20, "image": IMAGE})
    plain = validate_record({"id": "k2", "title": "Pan"})
    write_products([pictured, None, plain], tmp_path)
    rows, _ = read_store(tmp_path)
    assert rows == [pictured, None, plain] and rows[0].image == IMAGE and rows[2].image is None
    lines = (tmp_path / FILE).read_text(encoding="utf-8").splitlines()
    # a product without one is stored as before images, so its ETag and its Elasticsearch document stay the same
    assert json.loads(lines[0])["image"] == IMAGE and "image" not in json.loads(lines[2])

    old = {"id": "k3", "title": "Pot", "description": "", "category": [], "attributes": {}, "in_stock": True}
    (tmp_path / FILE).write_text(json.dumps(old) + "\n", encoding="utf-8")
    (loaded,), _ = read_store(tmp_path)
    assert loaded == Product(id="k3", title="Pot") and loaded.image is None


def test_the_elasticsearch_document_stores_the_image_without_indexing_it() -> None:
    product = validate_record({"id": "k1", "title": "Kettle", "image": IMAGE})
    body = document(product, np.zeros(4, dtype=np.float32), English())
    assert body["product"]["image"] == IMAGE and Product.from_record(body["product"]) == product
    properties = mapping(4, {"language": "en"})["properties"]
    assert properties["product"] == {"type": "object", "enabled": False}  # kept in _source, never indexed
    assert "image" not in properties
