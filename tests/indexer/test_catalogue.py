"""Catalogue validation: every bad input names its line and field; nothing is half-read."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import pytest

from indexer.catalogue import MAX_LINE_BYTES, MAX_LISTED_ERRORS, CatalogueError, read_catalogue
from indexer.products import MAX_ATTRIBUTE_CHARS, MAX_ATTRIBUTE_VALUES, MAX_ATTRIBUTES, MAX_CHARS

pytestmark = pytest.mark.fast

GOOD = '{"id": "a1", "title": "Red kettle", "price": 20}'


def catalogue(tmp_path: Path, *lines: str, name: str = "cat.jsonl") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "bad, expected",
    [
        ('{"title": "No id"}', "line 2: field 'id' is required"),
        ('{"id": "  ", "title": "Blank id"}', "line 2: field 'id'"),
        ('{"id": "b2"}', "line 2: field 'title' is required"),
        ('{"id": "b2", "title": ""}', "line 2: field 'title'"),
        ('{"id": "b2", "title": "Pan", "price": "cheap"}', "line 2: field 'price'"),
        (
            '{"id": "b2", "title": "Pan", "price": -3}',
            "line 2: field 'price': Input should be greater than or equal to 0 (got -3)",
        ),
        ('{"id": "b2", "title": "Pan", "price": true}', "line 2: field 'price'"),
        ('{"id": "b2", "title": "Pan", "attributes": [1]}', "line 2: field 'attributes'"),
        ('{"id": "b2", "title": "Pan",', "line 2: broken JSON"),
        ('["b2", "Pan"]', "line 2: expected a JSON object, got list"),
        ('{"id": "a1", "title": "Same id"}', "line 2: duplicate id 'a1' (first seen on line 1)"),
        # limits on one row: each names the field, the size seen and the limit
        (
            json.dumps({"id": "b2", "title": "x" * (MAX_CHARS["title"] + 1)}),
            "line 2: field 'title': 1,001 characters, more than the 1,000 a title may have; shorten it (got 'xxx",
        ),
        (
            json.dumps({"id": "b2", "title": "Pan", "description": "x" * (MAX_CHARS["description"] + 1)}),
            "line 2: field 'description': 50,001 characters, more than the 50,000",
        ),
        (json.dumps({"id": "b2", "title": "Pan", "category": ["x" * 600] * 2}), "line 2: field 'category': 1,201"),
        (
            json.dumps({"id": "b2", "title": "Pan", "attributes": {f"k{n}": "v" for n in range(MAX_ATTRIBUTES + 1)}}),
            "line 2: field 'attributes': 101 names, more than the 100",
        ),
        (
            json.dumps({"id": "b2", "title": "Pan", "attributes": {"size": list(range(MAX_ATTRIBUTE_VALUES + 1))}}),
            "line 2: field 'attributes': 'size' has 101 values, more than the 100",
        ),
        (
            json.dumps({"id": "b2", "title": "Pan", "attributes": {"size": "x" * (MAX_ATTRIBUTE_CHARS + 1)}}),
            "line 2: field 'attributes': 'xxxx",
        ),
        (
            '{"id": "b2", "title": "Pan \\ud800"}',
            "line 2: field 'title': Input should be a valid string, unable to parse raw data as a unicode string",
        ),
        ('{"id": 1' + "1" * 5000 + ', "title": "Pan"}', "line 2: unreadable JSON: Exceeds the limit (4300 digits)"),
        # ids the API could not serve, or that would be changed silently
        ('{"id": " SKU-1 ", "title": "Pan"}', "line 2: field 'id': has spaces around it; ids are kept exactly"),
        ('{"id": "SKU\\n1", "title": "Pan"}', "line 2: field 'id': contains the control character U+000A at"),
        ('{"id": "SKU\\u0000", "title": "Pan"}', "field 'id': contains the control character U+0000 at character 4"),
        ('{"id": "SKU\\u200b1", "title": "Pan"}', "field 'id': contains the control character U+200B"),
        ('{"id": "/SKU-1", "title": "Pan"}', "line 2: field 'id': starts with '/', which the URL /api/products/ID"),
        ('{"id": "a/../b", "title": "Pan"}', "line 2: field 'id': has a '.' or '..' segment between slashes"),
        ('{"id": "..", "title": "Pan"}', "line 2: field 'id': has a '.' or '..' segment"),
    ],
)
def test_each_bad_line_is_named(tmp_path: Path, bad: str, expected: str) -> None:
    with pytest.raises(CatalogueError) as caught:
        read_catalogue(catalogue(tmp_path, GOOD, bad, '{"id": "c3", "title": "Fine"}'))
    assert expected in str(caught.value)
    assert [error.line for error in caught.value.errors] == [2]


def test_ids_the_api_can_serve_are_kept_exactly(tmp_path: Path) -> None:
    ids = ["SKU 1", "a/b", "a/b/", "ü/中", "a%2Fb", "a?b#c", "x.y", "...", "a/.b", "17"]
    lines = [json.dumps({"id": product_id, "title": "Pan"}) for product_id in ids]
    assert [product.id for product in read_catalogue(catalogue(tmp_path, *lines)).products] == ids


def test_deeply_nested_json_is_a_line_error(tmp_path: Path) -> None:
    nested = '{"id": "b2", "title": "Pan", "shelf": ' + "[" * 100_000 + "]" * 100_000 + "}"
    with pytest.raises(CatalogueError, match="line 2: JSON nested too deeply to read"):
        read_catalogue(catalogue(tmp_path, GOOD, nested))
    attributes = '{"id": "b2", "title": "Pan", "attributes": {"size": ' + "[" * 500 + "]" * 500 + "}}"
    with pytest.raises(CatalogueError, match="line 2: field 'attributes.size"):
        read_catalogue(catalogue(tmp_path, GOOD, attributes))


def test_a_10_mb_line_is_refused_by_its_size_without_being_parsed(tmp_path: Path) -> None:
    huge = json.dumps({"id": "big", "title": "Pan", "description": "word " * 2_000_000})
    path = catalogue(tmp_path, GOOD, huge, '{"id": "c3", "title": "Fine"}')
    tracemalloc.start()
    try:
        result = read_catalogue(path, skip_invalid=True)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [product.id for product in result.products] == ["a1", "c3"]
    (error,) = result.skipped
    assert (error.line, error.message.split(",")[0]) == (2, "10")
    assert f"10,000,0{len(huge) - 10_000_000:02d} bytes, more than the {MAX_LINE_BYTES:,} one product may take" in (
        error.message
    )
    assert peak < 3 * path.stat().st_size  # the file and its lines, never a parsed 10 MB row


def test_undecodable_bytes_name_their_line(tmp_path: Path) -> None:
    path = tmp_path / "cat.jsonl"
    path.write_bytes(GOOD.encode() + b'\n{"id": "b2", "title": "Cr\xe8me pan"}\n')
    with pytest.raises(CatalogueError, match=r"line 2: not valid utf-8 \(byte 0xe8 at column 26\)"):
        read_catalogue(path)
    products = read_catalogue(path, encoding="latin-1").products
    assert products[1].title == "Crème pan"


def test_unknown_encoding_name_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown encoding 'utf-99'"):
        read_catalogue(catalogue(tmp_path, GOOD), encoding="utf-99")


def test_skip_invalid_keeps_good_lines_and_reports_the_rest(tmp_path: Path) -> None:
    path = catalogue(tmp_path, GOOD, '{"id": "b2", "price": 5}', "", '{"id": "c3", "title": "Fine"}')
    result = read_catalogue(path, skip_invalid=True)
    assert [product.id for product in result.products] == ["a1", "c3"]
    assert [(error.line, "title" in error.message) for error in result.skipped] == [(2, True)]


def test_many_errors_are_listed_up_to_the_limit(tmp_path: Path) -> None:
    lines = [GOOD] + ['{"id": "x"}'] * (MAX_LISTED_ERRORS + 7)
    with pytest.raises(CatalogueError) as caught:
        read_catalogue(catalogue(tmp_path, *lines))
    message = str(caught.value)
    assert len(caught.value.errors) == MAX_LISTED_ERRORS + 7
    assert f"{MAX_LISTED_ERRORS + 7} invalid lines" in message.splitlines()[0]
    assert "... and 7 more" in message
    assert f"line {MAX_LISTED_ERRORS + 2}:" not in message


def test_empty_catalogue_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match="no products"):
        read_catalogue(catalogue(tmp_path, ""))


def test_fields_are_normalised(tmp_path: Path) -> None:
    line = (
        '{"id": 17, "title": " Kettle ", "category": "Home > Kitchen>Kettles", "price": "12.50",'
        ' "attributes": {"colour": "red", "size": 1.0, "tags": ["a", 2]}, "shelf": "B4"}'
    )
    result = read_catalogue(catalogue(tmp_path, line))
    (product,) = result.products
    assert (product.id, product.title, product.price) == ("17", "Kettle", 12.5)
    assert product.category == ("Home", "Kitchen", "Kettles")
    assert product.attributes == {"colour": ("red",), "size": ("1",), "tags": ("a", "2")}
    assert result.ignored_fields == ("shelf",)


def test_csv_with_attribute_columns(tmp_path: Path) -> None:
    path = tmp_path / "cat.csv"
    path.write_text(
        "id,title,description,category,brand,price,attributes.colour,attributes\n"
        'k1,Kettle,"Boils, fast",Home > Kitchen,Acme,19.99,red,"{""material"": ""steel""}"\n'
        "k2,Pan,,,,,,\n",
        encoding="utf-8",
    )
    first, second = read_catalogue(path).products
    assert first.description == "Boils, fast" and first.brand == "Acme" and first.price == 19.99
    assert first.attributes == {"colour": ("red",), "material": ("steel",)}
    assert second.price is None and second.category == ()


def test_csv_errors_carry_the_physical_line(tmp_path: Path) -> None:
    path = tmp_path / "cat.csv"
    path.write_text('id,title,price\nk1,"Multi\nline title",3\nk2,Pan,-1\nk3,Pot,1,extra\n', encoding="utf-8")
    with pytest.raises(CatalogueError) as caught:
        read_catalogue(path)
    assert [error.line for error in caught.value.errors] == [4, 5]
    assert "4 columns, header has 3" in str(caught.value)


def test_csv_limits_name_the_row(tmp_path: Path) -> None:
    path = tmp_path / "cat.csv"
    wide = ",".join(["x" * 100_000] * 11)
    header = "".join(f",c{n}" for n in range(10))
    path.write_text(f"id,title{header}\nk1,Kettle{',' * 10}\nk2,{wide}\nk3,Pan{',' * 10}\n", encoding="utf-8")
    with pytest.raises(CatalogueError) as caught:
        read_catalogue(path)
    assert [error.line for error in caught.value.errors] == [3]
    assert "line 3: 1,100,002 characters, more than the 1,000,000 one product may take" in str(caught.value)
    path.write_text(f"id,title\nk1,{'x' * 1001}\n k2 ,Pan\n", encoding="utf-8")
    with pytest.raises(CatalogueError) as caught:
        read_catalogue(path)
    assert [error.line for error in caught.value.errors] == [2, 3]
    assert "line 3: field 'id': has spaces around it" in str(caught.value)


def test_a_csv_field_past_the_parsers_limit_stops_the_file_even_with_skip_invalid(tmp_path: Path) -> None:
    path = tmp_path / "cat.csv"
    path.write_text(f'id,title\nk1,Kettle\nk2,"{"x" * 200_000}\nk3,Pan\n', encoding="utf-8")
    with pytest.raises(CatalogueError, match=r"line 3: unreadable CSV \(field larger than field limit"):
        read_catalogue(path, skip_invalid=True)


def test_unknown_format_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown catalogue format"):
        read_catalogue(catalogue(tmp_path, GOOD, name="cat.xml"))
