"""What the stages of one search pass along (State) and share (Execution: request, models, product cache, clock)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

from indexer import Product
from models import CrossEncoder
from search.backend import Backend
from search.facets import Facets, count_facets
from search.filters import Filters
from search.merchandising import Merchandising, PopularityTable
from search.request import SearchRequest, SearchSettings
from search.response import ResultHit
from search.retrievers import Hit, Retriever
from search.rules import Outcome
from search.understanding import Understanding

Scored = list[tuple[str, float]]  # (product_id, score), best first
Legs = dict[str, list[Hit]]  # the hits of each leg the mode uses: "keyword", "dense"


class Clock:
    """Milliseconds per stage, under the names responses report them by."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.spent: dict[str, float] = {}

    @contextmanager
    def time(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        yield
        self.spent[name] = (time.perf_counter() - started) * 1000

    def timings(self) -> dict[str, float]:
        """Each timed stage and the total so far, in milliseconds to three places."""
        self.spent["total"] = (time.perf_counter() - self.started) * 1000
        return {name: round(ms, 3) for name, ms in self.spent.items()}


class ProductCache:
    """The products one search needs, each fetched from the backend once, by whichever stage asks first."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.known: dict[str, Product] = {}

    def missing(self, ids: Iterable[str]) -> list[str]:
        return [product_id for product_id in ids if product_id not in self.known]

    def get(self, ids: Iterable[str]) -> dict[str, Product]:
        """The products of `ids` in that order, fetching those not known yet; a deleted product is left out."""
        ids = list(ids)
        if missing := self.missing(ids):
            self.known |= self.backend.products(missing)
        return {product_id: self.known[product_id] for product_id in ids if product_id in self.known}


class Ranker(Protocol):
    """A learned ranker (search.ranker.FeatureRanker): its usage, and a score per row of features."""

    usage: Any

    def score(self, rows: Any) -> Any: ...


@dataclass(frozen=True)
class Execution:
    """One search's request and what its stages use: the settings, retrievers and models, a product cache, a clock."""

    request: SearchRequest
    settings: SearchSettings
    backend: Backend
    keyword: Retriever
    dense: Retriever
    spell: Callable[[str], str]  # the query with words no product uses corrected
    read: Callable[[str], Understanding]  # the constraints understood in the query
    reranker: CrossEncoder | None
    rerank: tuple[int, float] | str | None  # (depth, weight), why the rerank mode cannot rerank, or None: not asked
    products: ProductCache
    merchandising: Merchandising = Merchandising()  # the shop's synonyms, rules and ranking, one version
    popularity: PopularityTable = PopularityTable()  # read only when the ranking weighs popularity
    ranker: Ranker | None = None  # the shop's learned feature ranker, where one was trained
    clock: Clock = field(default_factory=Clock)

    @property
    def understand(self) -> bool:
        return self.request.understand and self.settings.understanding


@dataclass(frozen=True)
class State:
    """What the stages so far made of the query: how it was read, the candidates in order, then facets and hits."""

    understanding: Understanding  # the query as searched (corrected) and the constraints read in it
    filters: Filters  # the request's with the understood ones added; relaxing retrieves with the request's alone
    asked: Filters = Filters()  # the request's and the rules': relaxing keeps them
    alternatives: tuple[str, ...] = ()  # synonyms of the query's phrases, which the keyword leg also searches
    outcome: Outcome = Outcome()  # what the shop's rules do to this search
    legs: Legs = field(default_factory=dict)
    scored: Scored = field(default_factory=list)  # every candidate, best first; the total counts them
    relaxed: bool = False  # the understood filters left nothing, so they only boost
    no_match: bool = False  # gibberish that no product has a word of
    fused: dict[str, float] = field(default_factory=dict)  # with explain: the scores the reranker started from
    reranked: dict[str, float] = field(default_factory=dict)  # the cross-encoder's scores
    moves: dict[str, dict[str, float]] = field(default_factory=dict)  # with explain: per hit, what moved it
    facets: Facets = field(default_factory=lambda: count_facets(()))
    hits: list[ResultHit] = field(default_factory=list)  # the page asked for


Stage = Callable[[State, Execution], State]


def leg_ranks(legs: Legs) -> dict[str, dict[str, tuple[int, float]]]:
    """Per leg, each hit's (rank from 1, score)."""
    return {
        name: {hit.product_id: (rank, hit.score) for rank, hit in enumerate(hits, 1)} for name, hits in legs.items()
    }
