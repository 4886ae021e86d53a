"""Query-string parameters of /api/search, declared once: they validate requests and are the OpenAPI parameters."""

from __future__ import annotations

import re
from functools import cache
from typing import Annotated, Any, Literal, get_origin

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from pydantic.json_schema import SkipJsonSchema
from pydantic_core import ErrorDetails, PydanticUseDefault
from werkzeug.datastructures import MultiDict

from indexer.products import split_category
from search.errors import RequestError
from search.filters import Filters
from search.pipeline import MAX_K, MAX_PAGE, MODES, SearchRequest
from search.request import Sort

MAX_QUERY = 512
# Bounds on the filters, so that no request costs more than a few filters' work (10,000 attribute names once took
# 2 s a request): characters in a category, brand, attribute name or value; attribute names; brand and attribute
# values together.
MAX_VALUE = 200
MAX_ATTRIBUTES = 20
MAX_VALUES = 50
ATTRIBUTE = "attr."
ATTRIBUTE_NAME = f"{ATTRIBUTE}NAME"  # how the OpenAPI document and the errors name the family
ATTRIBUTE_DESCRIPTION = (
    "Attribute filter, e.g. attr.colour=red; repeat a name for any of several values. "
    f"At most {MAX_ATTRIBUTES} names; at most {MAX_VALUES} brand and attribute values together; "
    f"names and values of at most {MAX_VALUE} characters."
)
FLAGS = {"1": True, "true": True, "0": False, "false": False}
# ASCII digits only: int() and float() would also take '1_0' as 10 and other scripts' digits
WHOLE = re.compile(r"\s*[+-]?[0-9]+\s*")
DECIMAL = re.compile(r"\s*[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?\s*")


def _whole(raw: object) -> object:
    # a pattern rather than pydantic's lax parsing, which would also take '5.0'
    if not isinstance(raw, str):
        return raw
    if not WHOLE.fullmatch(raw):
        raise ValueError("not a whole number")
    return int(raw)


def _number(raw: object) -> object:
    if not isinstance(raw, str):
        return raw
    if not raw.strip():
        raise PydanticUseDefault()  # a form's empty box means no bound, as if the parameter were absent
    if not DECIMAL.fullmatch(raw):
        raise ValueError("not a number")
    return float(raw)


def _category(raw: object) -> object:
    # empty is a form's empty box (no filter); spaces alone name no category and are most likely a slip
    if isinstance(raw, str) and raw and not raw.strip():
        raise ValueError("is blank; leave it out to search every category")
    return raw


def _flag(raw: object) -> object:
    if not isinstance(raw, str):
        return raw
    word = raw.strip().lower()
    if not word:
        raise PydanticUseDefault()
    if word not in FLAGS:
        raise ValueError(f"not one of {', '.join(FLAGS)}")
    return FLAGS[word]


Whole = Annotated[int, BeforeValidator(_whole)]
# bounds go on the inner float: there pydantic writes them into the schema as minimum, on the union it would not
Number = Annotated[Annotated[float, Field(allow_inf_nan=False)] | SkipJsonSchema[None], BeforeValidator(_number)]
Price = Annotated[Annotated[float, Field(ge=0, allow_inf_nan=False)] | SkipJsonSchema[None], BeforeValidator(_number)]
Flag = Annotated[bool, BeforeValidator(_flag)]
Value = Annotated[str, Field(max_length=MAX_VALUE)]


class SearchParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    q: str = Field(pattern=r"\S", max_length=MAX_QUERY, description="The words to search for, e.g. ?q=red+kettle")
    mode: Literal[MODES] | SkipJsonSchema[None] = Field(
        None,
        description="bm25, dense, hybrid or rerank (hybrid, then the cross-encoder); "
        "absent: the service's default mode, hybrid unless configured.",
    )
    k: Whole = Field(10, ge=1, le=MAX_K, description="Hits per page.")
    page: Whole = Field(1, ge=1, le=MAX_PAGE, description="Page number.")
    category: Annotated[str, BeforeValidator(_category)] = Field(
        "", max_length=MAX_VALUE, description="Category path prefix, e.g. 'Home > Kitchen'."
    )
    brand: list[Value] = Field(
        [],
        max_length=MAX_VALUES,
        description=f"Brand; repeat for any of several (at most {MAX_VALUES} brand and attribute values together).",
    )
    price_min: Price = Field(None, description="Lowest price; empty: no bound.")
    price_max: Price = Field(None, description="Highest price; empty: no bound.")
    explain: Flag = Field(False, description="1 or true: add each stage's score and rank to every hit.")
    min_score: Number = Field(None, description="Drop hits whose final score is below this; may be negative.")
    spell: Flag = Field(
        True, description="1 or true: words no product uses are corrected to catalogue words; 0 or false: as typed."
    )
    understand: Flag = Field(
        True,
        description="1 or true: prices, colours, sizes, materials and brands in the query become filters and "
        "boosts (see `understood` in the response); 0 or false: the query is only words.",
    )
    in_stock: Annotated[bool | SkipJsonSchema[None], BeforeValidator(_flag)] = Field(
        None, description="1 or true: in-stock products only; 0 or false: out-of-stock ones only; absent: either."
    )
    sort: str | SkipJsonSchema[None] = Field(
        None,
        max_length=80,
        examples=["price:asc", "rating:desc"],
        description="FIELD:asc or FIELD:desc over a numeric field (price, stock, rating, ...): the relevant hits "
        "only, ties by relevance; absent: by relevance.",
    )
    distinct: Annotated[bool | SkipJsonSchema[None], BeforeValidator(_flag)] = Field(
        None,
        description="1 or true: one hit per group_id (the best variant) with its variants; 0 or false: every "
        "variant; absent: as the shop's ranking settings say. Totals and facets count what is shown.",
    )
    rules: Flag = Field(
        True, description="0 or false (admin token required): without the shop's rules, to preview them."
    )


REPEATED = frozenset(name for name, field in SearchParams.model_fields.items() if get_origin(field.annotation) is list)


def parse_search(args: MultiDict[str, str], default_mode: str) -> SearchRequest:
    attributes = _attributes(args)
    _check_names(args)
    values = {
        name: args.getlist(name) if name in REPEATED else args.get(name) for name in args if not _is_attribute(name)
    }
    try:
        params = SearchParams.model_validate(values)
    except ValidationError as error:
        raise _request_error(error.errors()[0], args) from None
    given = len(params.brand) + sum(len(chosen) for _, chosen in attributes)
    if given > MAX_VALUES:
        raise RequestError(
            ATTRIBUTE_NAME,
            f"the request has {given} brand and attribute values; use at most {MAX_VALUES} together",
        )
    filters = Filters(
        category=split_category(params.category),
        brands=tuple(brand for brand in params.brand if brand.strip()),
        price_min=params.price_min,
        price_max=params.price_max,
        attributes=attributes,
        in_stock=params.in_stock,
    )
    return SearchRequest(
        query=params.q,
        mode=params.mode or default_mode,
        page=params.page,
        size=params.k,
        filters=filters,
        explain=params.explain,
        min_score=params.min_score,
        spelling=params.spell,
        understand=params.understand,
        sort=Sort.parse(params.sort) if params.sort else None,
        rules=params.rules,
        distinct=params.distinct,
    )


def _is_attribute(name: str) -> bool:
    return name.startswith(ATTRIBUTE) and len(name) > len(ATTRIBUTE)


def _attributes(args: MultiDict[str, str]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The attr.NAME filters, refused before any other work when there are too many or one is too long."""
    names = [name for name in args if _is_attribute(name)]
    if len(names) > MAX_ATTRIBUTES:
        raise RequestError(
            ATTRIBUTE_NAME, f"the request has {len(names)} attribute filters; use at most {MAX_ATTRIBUTES}"
        )
    attributes = []
    for name in sorted(names):
        values = args.getlist(name)
        if len(values) > MAX_VALUES:
            raise RequestError(name, f"{name} has {len(values)} values; use at most {MAX_VALUES}")
        for text in (name.removeprefix(ATTRIBUTE), *values):
            if len(text) > MAX_VALUE:
                raise RequestError(
                    name, f"{name} has a name or value of {len(text)} characters; shorten it to {MAX_VALUE} or fewer"
                )
        attributes.append((name.removeprefix(ATTRIBUTE), tuple(values)))
    return tuple(attributes)


def _check_names(args: MultiDict[str, str]) -> None:
    """Refuses unknown names and single-valued parameters given twice, before any value is validated.

    See docs/design.md#request-parameters.
    """
    for name in args:
        if name not in SearchParams.model_fields and not _is_attribute(name):
            raise _unknown(name)
    for name in args:
        if name not in REPEATED and len(args.getlist(name)) > 1 and not _is_attribute(name):
            raise RequestError(name, f"{name} is given {len(args.getlist(name))} times; give it once")


def _unknown(name: str) -> RequestError:
    known = ", ".join(SearchParams.model_fields)
    return RequestError(name, f"unknown parameter {name!r}; use {known} or {ATTRIBUTE_NAME} for an attribute filter")


@cache
def documented() -> dict[str, Any]:
    """SearchParams' JSON schema: the OpenAPI parameters are built from it and error messages quote its bounds."""
    return SearchParams.model_json_schema()


def _request_error(fault: ErrorDetails, args: MultiDict[str, str]) -> RequestError:
    name = str(fault["loc"][0])
    if fault["type"] == "extra_forbidden":
        return _unknown(name)
    schema = documented()["properties"][name]
    raw = args.get(name)
    if name in REPEATED:
        if fault["type"] == "too_long":
            return RequestError(name, f"{name} has {len(args.getlist(name))} values; use at most {schema['maxItems']}")
        raw, schema = args.getlist(name)[int(fault["loc"][1])], schema["items"]
    if fault["type"] in ("missing", "string_pattern_mismatch"):  # q's pattern asks only for a non-blank value
        description = schema["description"]
        return RequestError(name, f"{name} is required: {description[:1].lower()}{description[1:]}")
    if fault["type"] == "string_too_long":
        return RequestError(
            name, f"{name} has {len(raw or '')} characters; shorten it to {schema['maxLength']} or fewer"
        )
    if "enum" in schema:
        return RequestError(name, f"{name} must be one of {', '.join(schema['enum'])}, got {raw!r}")
    if schema.get("type") == "integer":
        bounds = f"{schema['minimum']}..{schema['maximum']}"
        return RequestError(name, f"{name} must be a whole number within {bounds}, got {raw!r}")
    if schema.get("type") == "number":
        floor = f" >= {schema['minimum']}" if "minimum" in schema else ""
        return RequestError(name, f"{name} must be a finite number{floor}, got {raw!r}")
    if schema.get("type") == "boolean":
        return RequestError(name, f"{name} must be 1 or 0 (or true or false), got {raw!r}")
    if fault["type"] == "value_error":  # a validator's own words, e.g. a blank category
        return RequestError(name, f"{name} {fault['ctx']['error']}, got {raw!r}")
    return RequestError(name, f"{name}: {fault['msg']}, got {raw!r}")


SIMILAR = ("k", "category", "brand", "price_min", "price_max", "in_stock")  # what /api/products/<id>/similar takes


def parse_similar(args: MultiDict[str, str]) -> tuple[int, Filters]:
    """(k, filters) of a similar-products request: the search's own parameters of those names, checked alike."""
    for name in args:
        if name not in SIMILAR and not _is_attribute(name):
            known = ", ".join(SIMILAR)
            raise RequestError(name, f"unknown parameter {name!r}; use {known} or {ATTRIBUTE_NAME} for an attribute")
    asked = parse_search(MultiDict([*args.items(multi=True), ("q", "similar")]), MODES[0])
    return asked.size, asked.filters
