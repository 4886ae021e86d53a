"""The query string of /api/search to a SearchRequest, and the words of each refusal."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from search.errors import RequestError
from search.filters import Filters
from search.pipeline import SearchRequest
from web.params import parse_search

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
    ],
)
def test_a_refusal_names_the_parameter_the_value_and_the_fix(
    pairs: list[tuple[str, str]], parameter: str, words: list[str]
) -> None:
    with pytest.raises(RequestError) as refused:
        parse(*pairs)
    assert refused.value.parameter == parameter
    assert all(word in str(refused.value) for word in words), str(refused.value)
