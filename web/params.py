"""Query-string parameters of /api/search to a SearchRequest; every fault names its parameter."""

from __future__ import annotations

import math
from collections.abc import Mapping

from werkzeug.datastructures import MultiDict

from indexer.products import CATEGORY_SEPARATOR
from search.errors import RequestError
from search.filters import Filters
from search.pipeline import MAX_PAGE, SearchRequest

MAX_QUERY = 512
ATTRIBUTE = "attr."
KNOWN = ("q", "mode", "k", "page", "category", "brand", "price_min", "price_max", "explain", "min_score", "spell")


def parse_search(args: MultiDict[str, str], default_mode: str) -> SearchRequest:
    unknown = [
        name for name in args if name not in KNOWN and not (name.startswith(ATTRIBUTE) and len(name) > len(ATTRIBUTE))
    ]
    if unknown:
        raise RequestError(
            unknown[0],
            f"unknown parameter {unknown[0]!r}; use {', '.join(KNOWN)} or attr.NAME for an attribute filter",
        )
    query = args.get("q", "")
    if not query.strip():
        raise RequestError("q", "q is required: the words to search for, e.g. ?q=red+kettle")
    if len(query) > MAX_QUERY:
        raise RequestError("q", f"q has {len(query)} characters; shorten it to {MAX_QUERY} or fewer")
    filters = Filters(
        category=tuple(part.strip() for part in args.get("category", "").split(CATEGORY_SEPARATOR) if part.strip()),
        brands=tuple(brand for brand in args.getlist("brand") if brand.strip()),
        price_min=_number(args, "price_min"),
        price_max=_number(args, "price_max"),
        attributes=tuple(
            (name.removeprefix(ATTRIBUTE), tuple(args.getlist(name)))
            for name in sorted(args)
            if name.startswith(ATTRIBUTE)
        ),
    )
    return SearchRequest(
        query=query,
        mode=args.get("mode", default_mode),
        page=_integer(args, "page", 1, MAX_PAGE, 1),
        size=_integer(args, "k", 1, 100, 10),
        filters=filters,
        explain=_flag(args, "explain"),
        min_score=_number(args, "min_score", negative=True),
        spelling=_flag(args, "spell", default=True),
    )


def _integer(args: Mapping[str, str], name: str, low: int, high: int, default: int) -> int:
    raw = args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise RequestError(name, f"{name} must be a whole number within {low}..{high}, got {raw!r}") from None
    if not low <= value <= high:
        raise RequestError(name, f"{name} must be within {low}..{high}, got {value}")
    return value


def _number(args: Mapping[str, str], name: str, negative: bool = False) -> float | None:
    raw = args.get(name)
    if raw is None or raw.strip() == "":
        return None
    try:
        value = float(raw)
    except ValueError:
        raise RequestError(name, f"{name} must be a number, got {raw!r}") from None
    if not math.isfinite(value) or (value < 0 and not negative):
        raise RequestError(name, f"{name} must be a finite number{'' if negative else ' >= 0'}, got {raw!r}")
    return value


def _flag(args: Mapping[str, str], name: str, default: bool = False) -> bool:
    raw = args.get(name, "").strip().lower()
    if raw not in ("0", "1", "true", "false", ""):
        raise RequestError(name, f"{name} must be 1 or 0, got {raw!r}")
    return default if raw == "" else raw in ("1", "true")
