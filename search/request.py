"""What a search is asked (SearchRequest) and the settings the pipeline runs it with (SearchSettings)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from search.errors import RequestError, SearchError
from search.filters import Filters
from search.fusion import METHODS, NORMALISATIONS
from search.ranking import Ranking
from search.rules import Rule
from search.sessions import Interests

MODES = ("bm25", "dense", "hybrid", "rerank")
MAX_PAGE = 1000
MAX_K = 100  # hits per page


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


SORT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]{0,63}):(asc|desc)$")


@dataclass(frozen=True)
class Sort:
    """Hits by a numeric field (price, stock or one of a product's numbers), the relevant ones only; ties, and
    products without the field (last), by relevance."""

    field: str
    descending: bool = False

    @classmethod
    def parse(cls, text: str) -> Sort:
        matched = SORT.match(text.strip())
        if not matched:
            raise RequestError("sort", f"sort must be FIELD:asc or FIELD:desc, such as price:asc; got {text[:80]!r}")
        return cls(matched.group(1), matched.group(2) == "desc")

    def __str__(self) -> str:
        return f"{self.field}:{'desc' if self.descending else 'asc'}"


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
    sort: Sort | None = None  # None: by relevance
    rules: bool = True  # False: the shop's rules are left out (a merchandiser's preview)
    distinct: bool | None = None  # one hit per group_id, the best variant; None: as the shop's ranking says
    preview: tuple[Rule, ...] = ()  # rules applied as if they were stored (a merchandiser's preview)
    ranking: Ranking | None = None  # business ranking instead of the shop's (an experiment's arm)
    # what the shopper's session acted on, lifting matching products where the ranking's session_boost says
    interests: Interests | None = None

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise RequestError("mode", f"unknown mode {self.mode!r}; use one of {', '.join(MODES)}")
        if not self.query.strip():
            raise RequestError("q", "the query is empty; type some words to search for")
        if not 1 <= self.size <= MAX_K:
            raise RequestError("k", f"k must be within 1..{MAX_K}, got {self.size}")
        if not 1 <= self.page <= MAX_PAGE:
            raise RequestError("page", f"page must be within 1..{MAX_PAGE}, got {self.page}")
