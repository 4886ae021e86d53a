"""What is logged: one row a search answered, one a shopper's action on a result."""

from __future__ import annotations

import time
from dataclasses import dataclass

from indexer.text import folded

EVENT_TYPES = ("click", "add_to_cart", "purchase")
NO_FILTERS = '{"category": [], "brands": [], "price_min": null, "price_max": null, "attributes": []}'


def normalised(query: str) -> str:
    """How queries are grouped, in analytics and in training: NFKC, case-folded, spaces trimmed and collapsed."""
    return " ".join(folded(query).split())


def now_ms() -> int:
    """The time as the events tables keep it: epoch milliseconds."""
    return int(time.time() * 1000)


def first_position(page: int, size: int) -> int:
    """The position of the first hit a page shows: pages after the first start further down."""
    return (page - 1) * size + 1


SOURCES = ("api", "page")


@dataclass(frozen=True)
class SearchRecord:
    search_id: str
    at: int  # epoch ms
    session: str | None  # keyed hash (events.privacy), never the shopper's id
    source: str
    query: str
    searched: str
    mode: str
    index_version: str
    understood: str  # JSON
    filters: str  # JSON
    total: int
    page: int
    size: int
    results: tuple[str, ...]  # the ids shown, best first
    took_ms: float
    experiment: str | None = None  # the running experiment it took part in (search.experiments)
    arm: str | None = None  # "a", "b" or "interleaved"
    teams: str | None = None  # interleaved: for each id shown, the arm ("a" or "b") that put it there

    def first_position(self) -> int:
        return first_position(self.page, self.size)


@dataclass(frozen=True)
class Event:
    at: int
    session: str | None
    source: str
    type: str
    search_id: str
    product_id: str
    position: int | None
