"""The search pipeline: runs a request through the stages of search.stages and answers a SearchResponse.

See docs/design.md#the-pipeline.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

from models import CrossEncoder, Encoder
from search.backend import Backend
from search.execution import Execution, ProductCache, Ranker, Stage, State
from search.merchandising import POPULARITY, FixedMerchandising, MerchandisingStore, PopularityTable
from search.request import MAX_K, MAX_PAGE, MODES, SearchRequest, SearchSettings
from search.response import Reading, SearchResponse
from search.spelling import Speller
from search.stages import STAGES
from search.understanding import Understander, Understanding

__all__ = [
    "MAX_K",
    "MAX_PAGE",
    "MODES",
    "RERANK_DEFAULTS",
    "SearchPipeline",
    "SearchRequest",
    "SearchResponse",
    "SearchSettings",
]

NONE = PopularityTable()
RERANK_DEFAULTS = (50, 1.0)  # (rerank_depth, rerank_weight) for a model whose training chose neither


class SearchPipeline:
    def __init__(
        self,
        backend: Backend,
        reranker: CrossEncoder | None = None,
        settings: SearchSettings = SearchSettings(),
        stages: tuple[Stage, ...] = STAGES,
        merchandising: MerchandisingStore | None = None,
        popularity: Callable[[], PopularityTable] | None = None,
        ranker: Ranker | None = None,
    ) -> None:
        self.backend = backend
        self.merchandising = merchandising or FixedMerchandising()  # the shop's synonyms, rules and ranking
        self.popularity = popularity  # learned from shoppers' events, where the service keeps them
        self.ranker = ranker  # the shop's feature ranker (search.ranker), used in the hybrid mode where it helped
        self.settings = settings
        self.reranker = reranker
        self.stages = stages
        self.origin = self  # the pipeline this one was made from by over(): the same index version and models
        self.keyword = backend.keyword
        self.dense = backend.dense
        self.speller = Speller(backend.words) if settings.spelling and backend.words else None
        self._understander = Understander(backend.vocabulary)
        if settings.understanding:  # built now, not on the first query
            self._understander.warm()

    def over(self, backend: Backend) -> SearchPipeline:
        """This pipeline over a later state of the same index (live changes applied): the models, speller and
        query understanding are shared, the speller learning the words the changes brought."""
        pipeline = copy.copy(self)
        pipeline.backend, pipeline.keyword, pipeline.dense = backend, backend.keyword, backend.dense
        if self.speller is not None:
            self.speller.learn(backend.words)
        return pipeline

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
        execution = self.execution(request)
        state = State(Understanding(request.query, request.query), request.filters, asked=request.filters)
        for stage in self.stages:
            state = stage(state, execution)
        return respond(state, execution)

    def execution(self, request: SearchRequest) -> Execution:
        """What the stages of one search of `request` use: this pipeline's settings and models, a new cache."""
        merchandising = self.merchandising.current()
        if request.ranking is not None:
            merchandising = merchandising.ranked(request.ranking)
        return Execution(
            request=request,
            settings=self.settings,
            backend=self.backend,
            keyword=self.keyword,
            dense=self.dense,
            spell=self.spelled,
            read=self.understood,
            reranker=self.reranker,
            rerank=self.rerank_plan() if request.mode == "rerank" else None,
            products=ProductCache(self.backend),
            merchandising=merchandising,
            popularity=self.popularity() if self.popularity and POPULARITY in merchandising.ranking.weights else NONE,
            ranker=self.ranker,
        )

    @property
    def understander(self) -> Understander:
        """Query understanding over the backend's vocabulary, built again when an update changed it."""
        vocabulary = self.backend.vocabulary
        if vocabulary is not self._understander.vocabulary:
            self._understander = Understander(vocabulary)
        return self._understander

    def understood(self, query: str) -> Understanding:
        """The constraints read in the query, over the backend's vocabulary of the moment."""
        return self.understander.understand(query)

    def spelled(self, query: str) -> str:
        """The query as it is searched: words no product uses corrected, when the settings say so."""
        return self.speller.correct(query) if self.speller else query


def respond(state: State, execution: Execution) -> SearchResponse:
    """The response to the request from the last stage's state: how the query was read, the page, the facets."""
    request, understood = execution.request, state.understanding
    reading = Reading(
        query=request.query,
        corrected_query=understood.query if understood.query != request.query else None,
        understood=understood.spans,
        relaxed=state.relaxed,
        text=understood.text,
        no_match=state.no_match,
    )
    return SearchResponse(
        reading=reading,
        mode=request.mode,
        total=len(state.scored),
        page=request.page,
        size=request.size,
        hits=state.hits,
        facets=state.facets,
        timings_ms=execution.clock.timings(),
        rerank=bool(state.reranked),
        rerank_off=execution.rerank if isinstance(execution.rerank, str) else "",
        rules=state.outcome.applied,
        redirect=state.outcome.redirect,
        sort=str(request.sort) if request.sort else None,
        synonyms=state.alternatives,
        pinned={product_id: position for _, product_id, position in state.outcome.pins},
    )
