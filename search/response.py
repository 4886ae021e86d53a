"""What a search answers: one page of hits, facets over all of them, and how the query was read."""

from __future__ import annotations

from dataclasses import dataclass, field

from indexer import Product
from search.facets import Facets
from search.understanding import Span


@dataclass(frozen=True)
class Explain:
    keyword_score: float | None = None
    keyword_rank: int | None = None
    dense_score: float | None = None
    dense_rank: int | None = None
    fused_score: float | None = None
    rerank_score: float | None = None
    # what moved the hit after relevance: each weighted field, "out_of_stock" and "rules", in score units
    moves: dict[str, float] = field(default_factory=dict)
    pinned: int | None = None  # the position a rule pinned the hit at


@dataclass(frozen=True)
class Variant:
    id: str
    values: dict[str, str]  # this variant's value of each attribute the variants differ in
    price: float | None
    in_stock: bool


@dataclass(frozen=True)
class Variants:
    """A distinct hit's group: how many variants it has, the attributes they differ in (colour, size), each one."""

    count: int
    differ: tuple[str, ...]
    items: tuple[Variant, ...]


@dataclass(frozen=True)
class ResultHit:
    product: Product
    score: float
    explain: Explain | None = None
    variants: Variants | None = None  # with distinct, for a product with a group_id


@dataclass(frozen=True)
class Reading:
    """How the query was read: corrected, understood as constraints, relaxed, or found to match nothing."""

    query: str  # as typed
    corrected_query: str | None = None  # what was searched instead of the query, when spelling changed it
    understood: tuple[Span, ...] = ()  # the parts of the query read as constraints, and what they became
    relaxed: bool = False  # the understood filters left no hits, so they only boosted
    text: str = ""  # the words the legs and the reranker searched, when not the (corrected) query
    no_match: bool = False  # gibberish that no product has a word of: no hits, rather than the nearest noise

    @property
    def searched(self) -> str:
        """The words the legs and the reranker searched: the corrected query less its price phrases."""
        return self.text or self.corrected_query or self.query


@dataclass(frozen=True)
class SearchResponse:
    reading: Reading
    mode: str
    total: int  # hits over all pages
    page: int
    size: int
    hits: list[ResultHit]
    facets: Facets
    timings_ms: dict[str, float]
    rerank: bool  # whether a cross-encoder reordered these hits
    rerank_off: str = ""  # in rerank mode: why the hits are in hybrid's order instead
    rules: tuple[str, ...] = ()  # the shop's rules that applied, in the order they were settled
    redirect: str | None = None  # a rule's: the page goes there instead of showing hits
    sort: str | None = None  # FIELD:asc|desc, when not by relevance
    synonyms: tuple[str, ...] = ()  # the phrases the keyword leg also searched
    pinned: dict[str, int] = field(default_factory=dict)  # the rules' pinned products and their positions (from 1)

    @property
    def query(self) -> str:
        return self.reading.query

    @property
    def corrected_query(self) -> str | None:
        return self.reading.corrected_query

    @property
    def understood(self) -> tuple[Span, ...]:
        return self.reading.understood

    @property
    def relaxed(self) -> bool:
        return self.reading.relaxed

    @property
    def no_match(self) -> bool:
        return self.reading.no_match

    @property
    def searched(self) -> str:
        return self.reading.searched
