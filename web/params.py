"""Query-string parameters of /api/search, declared once: they validate requests and are the OpenAPI parameters."""

from __future__ import annotations

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

MAX_QUERY = 512
ATTRIBUTE = "attr."
ATTRIBUTE_DESCRIPTION = "Attribute filter, e.g. attr.colour=red; repeat a name for any of several values."
FLAGS = {"1": True, "true": True, "0": False, "false": False}


def _whole(raw: object) -> object:
    # Python's int() rather than pydantic's lax parsing, which would also take '5.0'
    return int(raw) if isinstance(raw, str) else raw


def _number(raw: object) -> object:
    if not isinstance(raw, str):
        return raw
    if not raw.strip():
        raise PydanticUseDefault()  # a form's empty box means no bound, as if the parameter were absent
    return float(raw)


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
    category: str = Field("", description="Category path prefix, e.g. 'Home > Kitchen'.")
    brand: list[str] = Field([], description="Brand; repeat for any of several.")
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


REPEATED = frozenset(name for name, field in SearchParams.model_fields.items() if get_origin(field.annotation) is list)


def parse_search(args: MultiDict[str, str], default_mode: str) -> SearchRequest:
    values = {
        name: args.getlist(name) if name in REPEATED else args.get(name) for name in args if not _is_attribute(name)
    }
    try:
        params = SearchParams.model_validate(values)
    except ValidationError as error:
        # an unknown name is most likely a misspelt known one, so say that before what it left missing
        first = min(error.errors(), key=lambda fault: fault["type"] != "extra_forbidden")
        raise _request_error(first, args) from None
    filters = Filters(
        category=split_category(params.category),
        brands=tuple(brand for brand in params.brand if brand.strip()),
        price_min=params.price_min,
        price_max=params.price_max,
        attributes=tuple(
            (name.removeprefix(ATTRIBUTE), tuple(args.getlist(name))) for name in sorted(args) if _is_attribute(name)
        ),
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
    )


def _is_attribute(name: str) -> bool:
    return name.startswith(ATTRIBUTE) and len(name) > len(ATTRIBUTE)


@cache
def documented() -> dict[str, Any]:
    """SearchParams' JSON schema: the OpenAPI parameters are built from it and error messages quote its bounds."""
    return SearchParams.model_json_schema()


def _request_error(fault: ErrorDetails, args: MultiDict[str, str]) -> RequestError:
    name = str(fault["loc"][0])
    if fault["type"] == "extra_forbidden":
        known = ", ".join(SearchParams.model_fields)
        return RequestError(name, f"unknown parameter {name!r}; use {known} or attr.NAME for an attribute filter")
    schema = documented()["properties"][name]
    raw = args.get(name)
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
    return RequestError(name, f"{name}: {fault['msg']}, got {raw!r}")
