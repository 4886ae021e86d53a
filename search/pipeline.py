"""The search pipeline: retrieve (keyword, dense), fuse, cut off, rerank, count facets, paginate.

Candidate depth is fixed per leg, whatever page is asked for, so the ranked candidate list is the
same for every page of a query and no product can appear on two pages.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from indexer import Product
from models import CrossEncoder, Encoder
from search.adaptive import dense_share
from search.backend import Backend
from search.errors import RequestError, SearchError
from search.facets import Facets
from search.filters import Filters
from search.fusion import METHODS, NORMALISATIONS, normalise, ranked, reciprocal_rank, weighted_sum
from search.gibberish import is_gibberish
from search.retrievers import Hit
from search.spelling import Speller
from search.understanding import Span, Understander, Understanding

MODES = ("bm25", "dense", "hybrid", "rerank")
MAX_PAGE = 1000
MAX_K = 100  # hits per page
BOOST = 0.2  # of the candidates' score range, added for each understood boost a hit meets
RERANK_DEFAULTS = (50, 1.0)  # (rerank_depth, rerank_weight) for a model whose training chose neither


@dataclass(frozen=True)
class SearchSettings:
    fusion: str = "weighted"  # "rrf" or "weighted"
    rrf_k: float = 60.0
    dense_weight: float = 0.5  # weighted fusion: dense share, keyword gets the rest
    # weighted fusion: dense_weight is the share at a top dense cosine of search.adaptive.CENTRE, more
    # where the best product is closer in meaning, less where it is further; False: dense_weight always
    adaptive: bool = True
    normalisation: str = "minmax"
    depth: int = 100  # candidates per leg
    # rerank: the fused top hits the cross-encoder reorders (the rest follow unchanged), and its share
    # of their final score beside the fused one, both min-max normalised over them; 1.0 ranks by the
    # cross-encoder alone. None: what the model's training chose (RerankUsage), else RERANK_DEFAULTS.
    rerank_depth: int | None = None
    rerank_weight: float | None = None
    min_score: float | None = None  # on the mode's final score; None: no cutoff
    # Dense hits below this share of the best dense score are dropped: every product has *some*
    # similarity, and without a floor the tail of unrelated products fills facets and totals.
    dense_floor: float | None = 0.6
    spelling: bool = True  # replace query words no product uses by the closest catalogue words
    understanding: bool = True  # read prices, colours, sizes, materials and brands in queries as constraints

    def __post_init__(self) -> None:
        if self.fusion not in METHODS:
            raise SearchError(f"unknown fusion {self.fusion!r}; use one of {', '.join(METHODS)}")
        if self.normalisation not in NORMALISATIONS:
            raise SearchError(f"unknown normalisation {self.normalisation!r}; use one of {', '.join(NORMALISATIONS)}")
        if not 0.0 <= self.dense_weight <= 1.0:
            raise SearchError(f"dense_weight must be within 0..1, got {self.dense_weight}")
        if self.rerank_weight is not None and not 0.0 <= self.rerank_weight <= 1.0:
            raise SearchError(f"rerank_weight must be within 0..1, got {self.rerank_weight}")
        if self.dense_floor is not None and not 0.0 <= self.dense_floor <= 1.0:
            raise SearchError(f"dense_floor must be within 0..1, got {self.dense_floor}")
        if self.depth < 1 or (self.rerank_depth is not None and self.rerank_depth < 1) or self.rrf_k <= 0:
            raise SearchError("depth and rerank_depth must be >= 1 and rrf_k > 0")


@dataclass(frozen=True)
class SearchRequest:
    query: str
    mode: str = "hybrid"
    page: int = 1
    size: int = 10
    filters: Filters = field(default_factory=Filters)
    explain: bool = False
    min_score: float | None = None  # overrides the settings' cutoff
    spelling: bool = True  # False searches the words exactly as typed
    understand: bool = True  # False: prices, colours, sizes and brands in the query are only words

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise RequestError("mode", f"unknown mode {self.mode!r}; use one of {', '.join(MODES)}")
        if not self.query.strip():
            raise RequestError("q", "the query is empty; type some words to search for")
        if not 1 <= self.size <= MAX_K:
            raise RequestError("k", f"k must be within 1..{MAX_K}, got {self.size}")
        if not 1 <= self.page <= MAX_PAGE:
            raise RequestError("page", f"page must be within 1..{MAX_PAGE}, got {self.page}")


@dataclass(frozen=True)
class Explain:
    keyword_score: float | None = None
    keyword_rank: int | None = None
    dense_score: float | None = None
    dense_rank: int | None = None
    fused_score: float | None = None
    rerank_score: float | None = None


@dataclass(frozen=True)
class ResultHit:
    product: Product
    score: float
    explain: Explain | None = None


@dataclass(frozen=True)
class SearchResponse:
    query: str
    corrected_query: str | None  # what was searched instead of the query, when spelling changed it
    mode: str
    total: int
    page: int
    size: int
    hits: list[ResultHit]
    facets: Facets
    timings_ms: dict[str, float]
    rerank: bool  # whether a cross-encoder reordered these hits
    understood: tuple[Span, ...] = ()  # the parts of the query read as constraints, and what they became
    relaxed: bool = False  # the understood filters left no hits, so they only boosted
    text: str = ""  # the words the legs and the reranker searched, when not the (corrected) query
    no_match: bool = False  # gibberish that no product has a word of: no hits, rather than the nearest noise
    rerank_off: str = ""  # in rerank mode: why the hits are in hybrid's order instead

    @property
    def searched(self) -> str:
        """The words the legs and the reranker searched: the corrected query less its price phrases."""
        return self.text or self.corrected_query or self.query


class SearchPipeline:
    def __init__(
        self, backend: Backend, reranker: CrossEncoder | None = None, settings: SearchSettings = SearchSettings()
    ) -> None:
        self.backend = backend
        self.settings = settings
        self.reranker = reranker
        self.keyword = backend.keyword
        self.dense = backend.dense
        self.speller = Speller(backend.words) if settings.spelling and backend.words else None
        self._understander = Understander(backend.vocabulary)
        if settings.understanding:  # built now, not on the first query
            self._understander.warm()

    @property
    def encoder(self) -> Encoder:
        return self.backend.encoder

    def rerank_plan(self) -> tuple[int, float] | str:
        """(rerank_depth, rerank_weight) the rerank mode runs with, or why it shows hybrid's order instead.
        Tuned settings win over the model's own choice; a model whose training found it no better than
        hybrid is not used unless the settings ask for it."""
        if self.reranker is None:
            return "no reranker configured (start with --reranker MODEL_DIR)"
        usage, settings = self.reranker.usage, self.settings
        if usage is None:
            depth, weight = RERANK_DEFAULTS
        elif not usage.beats_hybrid and settings.rerank_depth is None and settings.rerank_weight is None:
            return f"the reranker did not beat hybrid on its validation queries ({self.reranker.name})"
        else:
            depth, weight = usage.depth, usage.weight
        depth = depth if settings.rerank_depth is None else settings.rerank_depth
        return depth, weight if settings.rerank_weight is None else settings.rerank_weight

    def search(self, request: SearchRequest) -> SearchResponse:
        timings: dict[str, float] = {}
        started = time.perf_counter()
        query = _timed(timings, "spelling", lambda: self.spelled(request.query)) if request.spelling else request.query
        understanding = Understanding(query, query)
        understand = request.understand and self.settings.understanding
        if understand:
            understanding = _timed(timings, "understanding", lambda: self.understander.understand(query))
        filters = understanding.filters(request.filters)
        legs = self._retrieve(understanding.text, request.mode, filters, timings)
        scored = _timed(timings, "fusion", lambda: fuse(legs, self.settings))
        products: dict[str, Product] = {}  # fetched once, for kinds, boosts, the reranker and the page
        kept = self._of_kind(scored, understanding, products)
        relaxed = not kept and filters != request.filters
        if relaxed:  # the understood filters left nothing of the kind asked for: they only boost now
            understanding = understanding.relaxed(tuple(s for s in understanding.spans if s not in understanding.kinds))
            legs = self._retrieve(understanding.text, request.mode, request.filters, timings)
            scored = fuse(legs, self.settings)
            kept = self._of_kind(scored, understanding, products)
        if not kept and understanding.kinds:  # nothing of that kind at all: it only boosts too
            understanding, relaxed, kept = understanding.relaxed(), True, scored
        scored = kept
        no_match = understand and bool(scored) and self._gibberish(understanding.text, legs, filters)
        if no_match:  # no word of it is a word, and no product has one: the nearest products would be noise
            scored = []
        if understanding.boosts and scored:
            products |= self.backend.products([pid for pid, _ in scored if pid not in products])
            scored = boosted(scored, products, understanding.boosts)
        query = understanding.text

        before_rerank = dict(scored) if request.explain else {}
        reranked: dict[str, float] = {}
        plan = self.rerank_plan() if request.mode == "rerank" else None
        if isinstance(plan, tuple):
            depth, weight = plan
            head, tail = scored[:depth], scored[depth:]
            missing = [product_id for product_id, _ in head if product_id not in products]
            products |= self.backend.products(missing) if missing else {}
            head_products = {product_id: products[product_id] for product_id, _ in head if product_id in products}
            reranked = _timed(timings, "rerank", lambda: self._rerank(query, head_products))
            head = blend(head, reranked, weight)
            scored = head + below(head, tail)
        cutoff = request.min_score if request.min_score is not None else self.settings.min_score
        if cutoff is not None:  # on the final score, the one the hits are ordered and shown by
            scored = [(product_id, score) for product_id, score in scored if score >= cutoff]

        ids = [product_id for product_id, _ in scored]
        facets = _timed(timings, "facets", lambda: self.backend.facets(ids, filters.category))
        first = (request.page - 1) * request.size
        page = scored[first : first + request.size]
        missing = [product_id for product_id, _ in page if product_id not in products]
        if missing:
            products |= _timed(timings, "products", lambda: self.backend.products(missing))
        positions = {}
        if request.explain:
            positions = {
                name: {hit.product_id: (rank, hit.score) for rank, hit in enumerate(hits, 1)}
                for name, hits in legs.items()
            }
        hits = [
            ResultHit(
                products[product_id],
                score,
                _explain(product_id, positions, before_rerank[product_id], reranked) if request.explain else None,
            )
            for product_id, score in page
            if product_id in products  # a product deleted since it was retrieved is left out
        ]
        timings["total"] = (time.perf_counter() - started) * 1000
        searched = understanding.query
        return SearchResponse(
            request.query,
            searched if searched != request.query else None,
            request.mode,
            len(scored),
            request.page,
            request.size,
            hits,
            facets,
            {name: round(ms, 3) for name, ms in timings.items()},
            bool(reranked),
            understanding.spans,
            relaxed,
            query,
            no_match,
            plan if isinstance(plan, str) else "",
        )

    def _of_kind(
        self, scored: list[tuple[str, float]], understanding: Understanding, products: dict[str, Product]
    ) -> list[tuple[str, float]]:
        """The hits of the kind of product the query names, if it names one; `products` gains those fetched."""
        if not understanding.kinds or not scored:
            return scored
        products |= self.backend.products([pid for pid, _ in scored if pid not in products])
        return [(pid, score) for pid, score in scored if pid in products and meets(products[pid], understanding.kinds)]

    def _gibberish(self, text: str, legs: dict[str, list[Hit]], filters: Filters) -> bool:
        if not is_gibberish(text):
            return False
        known = legs["keyword"] if "keyword" in legs else self.keyword.search(text, 1, filters)
        return not known

    def _retrieve(self, text: str, mode: str, filters: Filters, timings: dict[str, float]) -> dict[str, list[Hit]]:
        """The legs the mode uses, each `depth` deep, filtered inside retrieval."""
        depth = self.settings.depth
        legs: dict[str, list[Hit]] = {}
        if mode != "dense":
            legs["keyword"] = _timed(timings, "keyword", lambda: self.keyword.search(text, depth, filters))
        if mode != "bm25":
            dense = _timed(timings, "dense", lambda: self.dense.search(text, depth, filters))
            legs["dense"] = above_floor(dense, self.settings.dense_floor)
        return legs

    @property
    def understander(self) -> Understander:
        """Query understanding over the backend's vocabulary, built again when an update changed it."""
        vocabulary = self.backend.vocabulary
        if vocabulary is not self._understander.vocabulary:
            self._understander = Understander(vocabulary)
        return self._understander

    def spelled(self, query: str) -> str:
        """The query as it is searched: words no product uses corrected, when the settings say so."""
        return self.speller.correct(query) if self.speller else query

    def _rerank(self, query: str, products: dict[str, Product]) -> dict[str, float]:
        scores = self.reranker.score([(query, product.embedding_text()) for product in products.values()])
        return {product_id: float(score) for product_id, score in zip(products, scores, strict=True)}


def fuse(legs: dict[str, list[Hit]], settings: SearchSettings) -> list[tuple[str, float]]:
    """(product_id, score) best first: one leg as it is, or both fused as the settings say."""
    if len(legs) == 1:
        (hits,) = legs.values()
        return [(hit.product_id, hit.score) for hit in hits]
    keyword, dense = legs["keyword"], legs["dense"]
    if settings.fusion == "rrf":
        fused = reciprocal_rank([[h.product_id for h in keyword], [h.product_id for h in dense]], settings.rrf_k)
    else:
        lists = [normalise({h.product_id: h.score for h in hits}, settings.normalisation) for hits in (keyword, dense)]
        weight = settings.dense_weight
        if settings.adaptive and dense:
            weight = dense_share(weight, dense[0].score)
        fused = weighted_sum(lists, [1.0 - weight, weight])
    return ranked(fused)


def blend(fused: list[tuple[str, float]], reranked: dict[str, float], weight: float) -> list[tuple[str, float]]:
    """The reranked hits best first: cross-encoder scores alone (weight 1) or mixed with the fused ones."""
    if weight >= 1.0:
        return ranked(reranked)
    scores = [normalise(dict(fused), "minmax"), normalise(reranked, "minmax")]
    mixed = weighted_sum(scores, [1.0 - weight, weight])
    return ranked({product_id: score for product_id, score in mixed.items() if product_id in reranked})


def boosted(
    scored: list[tuple[str, float]], products: dict[str, Product], boosts: tuple[Span, ...]
) -> list[tuple[str, float]]:
    """The hits re-ordered with a bonus of BOOST of the score range for each understood boost a product meets."""
    top, bottom = scored[0][1], scored[-1][1]
    step = BOOST * (top - bottom) if top > bottom else BOOST * max(abs(top), 1.0)
    bonus = {
        product_id: step * sum(span.admits(products[product_id]) for span in boosts) if product_id in products else 0.0
        for product_id, _ in scored
    }
    return ranked({product_id: score + bonus[product_id] for product_id, score in scored})


def meets(product: Product, spans: tuple[Span, ...]) -> bool:
    return all(span.admits(product) for span in spans)


def below(head: list[tuple[str, float]], tail: list[tuple[str, float]]) -> list[tuple[str, float]]:
    """The candidates past the reranked ones, in fused order, their fused scores shifted to start one
    point below the last reranked score, so scores keep falling down the list."""
    if not head or not tail:
        return tail
    shift = head[-1][1] - 1.0 - tail[0][1]
    return [(product_id, score + shift) for product_id, score in tail]


def above_floor(hits: list[Hit], floor: float | None) -> list[Hit]:
    """The dense hits scoring at least `floor` times the best one."""
    if floor is None or not hits or hits[0].score <= 0:
        return hits
    cutoff = hits[0].score * floor
    return [hit for hit in hits if hit.score >= cutoff]


def _timed(timings: dict[str, float], stage: str, work: Callable[[], Any]) -> Any:
    started = time.perf_counter()
    result = work()
    timings[stage] = (time.perf_counter() - started) * 1000
    return result


def _explain(
    product_id: str, positions: dict[str, dict[str, tuple[int, float]]], fused: float, reranked: dict[str, float]
) -> Explain:
    keyword_rank, keyword_score = positions.get("keyword", {}).get(product_id, (None, None))
    dense_rank, dense_score = positions.get("dense", {}).get(product_id, (None, None))
    return Explain(keyword_score, keyword_rank, dense_score, dense_rank, fused, reranked.get(product_id))
