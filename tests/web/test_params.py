"""The query string of /api/search to a SearchRequest, and the words of each refusal."""

from __future__ import annotations

import time

import pytest
from werkzeug.datastructures import MultiDict

from search.errors import RequestError
from search.filters import Filters
from search.pipeline import SearchRequest
from web.openapi import openapi_document
from web.params import MAX_ATTRIBUTES, MAX_VALUE, MAX_VALUES, parse_search

pytestmark = pytest.mark.fast


def parse(*pairs: tuple[str, str]) -> SearchRequest:
    return parse_search(MultiDict(pairs), "hybrid")


def test_every_parameter_reaches_the_request() -> None:
    request = parse(
        ("q", "running shoes"),
        ("mode", "bm25"),
        ("k", " 7 "),
        ("page", "3"),
        ("category", "Clothing > Footwear"),
        ("brand", "Stridex"),
        ("brand", " "),
        ("brand", "Asix"),
        ("price_min", "50"),
        ("price_max", ""),
        ("attr.size", "42"),
        ("attr.colour", "blue"),
        ("attr.colour", "red"),
        ("explain", "TRUE"),
        ("min_score", "-1.5"),
        ("spell", "0"),
    )
    assert request == SearchRequest(
        query="running shoes",
        mode="bm25",
        page=3,
        size=7,
        filters=Filters(
            category=("Clothing", "Footwear"),
            brands=("Stridex", "Asix"),
            price_min=50.0,
            attributes=(("colour", ("blue", "red")), ("size", ("42",))),
        ),
        explain=True,
        min_score=-1.5,
        spelling=False,
    )


def test_defaults_and_blank_values() -> None:
    assert parse(("q", "kettle"), ("explain", ""), ("spell", " "), ("min_score", "")) == SearchRequest(query="kettle")
    assert parse_search(MultiDict([("q", "kettle")]), "dense").mode == "dense"


@pytest.mark.parametrize(
    "pairs, parameter, words",
    [
        ([], "q", ["required", "?q="]),
        ([("q", "x" * 513)], "q", ["513 characters", "512 or fewer"]),
        ([("q", "kettle"), ("k", "ten")], "k", ["whole number", "1..100", "'ten'"]),
        ([("q", "kettle"), ("k", "5.0")], "k", ["whole number", "'5.0'"]),  # int() refuses it, as before
        ([("q", "kettle"), ("page", "1001")], "page", ["1..1000", "'1001'"]),
        ([("q", "kettle"), ("price_max", "-5")], "price_max", [">= 0", "'-5'"]),
        ([("q", "kettle"), ("min_score", "nan")], "min_score", ["finite number", "'nan'"]),
        ([("q", "kettle"), ("mode", "fuzzy")], "mode", ["bm25, dense, hybrid, rerank", "'fuzzy'"]),
        ([("q", "kettle"), ("spell", "yes")], "spell", ["1 or 0", "'yes'"]),
        ([("q", "kettle"), ("colour", "red")], "colour", ["unknown parameter 'colour'", "attr.NAME"]),
        ([("k", "0"), ("attr.", "red")], "attr.", ["unknown parameter 'attr.'"]),
        ([("q", "kettle"), ("page", "1_0")], "page", ["whole number", "'1_0'"]),  # int() would read 10
        ([("q", "kettle"), ("k", "١٠")], "k", ["whole number"]),  # and these Arabic-Indic digits as 10
        ([("q", "kettle"), ("price_min", "1_0")], "price_min", ["finite number", "'1_0'"]),
        ([("q", "kettle"), ("q", "lamp")], "q", ["given 2 times", "once"]),
        ([("q", "kettle"), ("mode", "bm25"), ("mode", "dense")], "mode", ["given 2 times"]),
        ([("q", "kettle"), ("category", "   ")], "category", ["blank", "leave it out"]),
        ([("q", "kettle"), ("category", "x" * 201)], "category", ["201 characters", "200 or fewer"]),
        ([("q", "kettle"), ("brand", "Asix"), ("brand", "x" * 201)], "brand", ["201 characters", "200 or fewer"]),
        ([("q", "kettle")] + [("brand", f"b{i}") for i in range(51)], "brand", ["51 values", "at most 50"]),
        ([("q", "kettle")] + [(f"attr.a{i}", "x") for i in range(21)], "attr.NAME", ["21 attribute", "at most 20"]),
        ([("q", "kettle"), ("attr.colour", "x" * 201)], "attr.colour", ["201 characters", "200 or fewer"]),
        ([("q", "kettle"), ("attr." + "c" * 201, "red")], "attr." + "c" * 201, ["201 characters"]),
        ([("q", "kettle")] + [("attr.colour", f"c{i}") for i in range(51)], "attr.colour", ["51 values"]),
        (
            [("q", "kettle")] + [("brand", f"b{i}") for i in range(30)] + [("attr.size", f"{i}") for i in range(21)],
            "attr.NAME",
            ["51 brand and attribute values", "at most 50 together"],
        ),
    ],
)
def test_a_refusal_names_the_parameter_the_value_and_the_fix(
    pairs: list[tuple[str, str]], parameter: str, words: list[str]
) -> None:
    with pytest.raises(RequestError) as refused:
        parse(*pairs)
    assert refused.value.parameter == parameter
    assert all(word in str(refused.value) for word in words), str(refused.value)


def test_filters_at_their_bounds_are_accepted() -> None:
    brands = [("brand", f"{i:03d}" + "b" * 197) for i in range(30)]
    attributes = [(f"attr.{i:02d}" + "n" * 197, "v" * 200) for i in range(20)]
    request = parse(("q", "kettle"), ("category", "c" * 200), *brands, *attributes)
    assert len(request.filters.brands) == 30 and len(request.filters.attributes) == 20
    assert parse(("q", "kettle"), ("category", "")).filters.category == ()  # a form's empty box: no filter
    assert parse(("q", "kettle"), ("brand", "A"), ("brand", "B")).filters.brands == ("A", "B")


def test_a_flood_of_names_is_refused_before_it_costs_anything() -> None:
    # 10,000 attribute names once cost 2 s a request; each refusal now stops at the first bound it meets
    for prefix in ("attr.a", "z"):
        pairs = MultiDict([("q", "kettle")] + [(f"{prefix}{i}", "x") for i in range(10_000)])
        started = time.perf_counter()
        with pytest.raises(RequestError):
            parse_search(pairs, "hybrid")
        assert time.perf_counter() - started < 0.05


def test_the_openapi_document_states_the_bounds() -> None:
    parameters = {
        parameter["name"]: parameter for parameter in openapi_document()["paths"]["/api/search"]["get"]["parameters"]
    }
    assert parameters["category"]["schema"]["maxLength"] == MAX_VALUE
    assert parameters["brand"]["schema"]["maxItems"] == MAX_VALUES
    assert parameters["brand"]["schema"]["items"]["maxLength"] == MAX_VALUE
    attribute = parameters["attr.NAME"]
    assert attribute["schema"] == {
        "type": "array",
        "maxItems": MAX_VALUES,
        "items": {"type": "string", "maxLength": MAX_VALUE},
    }
    assert f"At most {MAX_ATTRIBUTES} names" in attribute["description"]
    assert f"at most {MAX_VALUES} brand and attribute values together" in attribute["description"]
