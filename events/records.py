"""What is logged: one row a search answered, one a shopper's action on a result."""

from __future__ import annotations

from dataclasses import dataclass

EVENT_TYPES = ("click", "add_to_cart", "purchase")
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

    def first_position(self) -> int:
        """The position of the first hit shown: pages after the first start further down."""
        return (self.page - 1) * self.size + 1


@dataclass(frozen=True)
class Event:
    at: int
    session: str | None
    source: str
    type: str
    search_id: str
    product_id: str
    position: int | None
