"""The JSON API's response bodies, declared once; the OpenAPI document's components are generated from them."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from indexer.analysis import LANGUAGES
from search.also_viewed import Source as AlsoViewedSource
from search.merchandising import Ranking
from search.pipeline import MODES
from search.rules import RuleBody
from search.serialize import DESCRIPTION_CHARS
from search.suggest import KINDS as SUGGESTION_KINDS
from search.suggest import MAX_TYPED
from search.understanding import EFFECTS, SPAN_KINDS

Mode = Literal[MODES]  # the modes search.pipeline owns


class Closed(BaseModel):
    """A body with a fixed set of keys: a key the service adds without declaring it here fails the schema tests."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ProductFields(Closed):
    id: str
    title: str
    brand: str | None
    category: str | None = Field(description="The category path, e.g. 'Home > Kitchen > Kettles'.")
    price: float | None
    currency: str | None
    description: str
    url: str | None
    image: str | None = Field(description="The picture's absolute http or https URL; null: the catalogue has none.")
    in_stock: bool
    group_id: str | None = Field(description="The variants of one product share it.")


class Product(ProductFields):
    attributes: dict[str, list[str]]
    stock: int | None = Field(description="Units on hand, when the catalogue says.")
    numbers: dict[str, float] = Field(description="The catalogue's other numeric fields (rating, margin, ...).")


class Explain(Closed):
    keyword_score: float | None
    keyword_rank: int | None
    dense_score: float | None
    dense_rank: int | None
    fused_score: float | None
    rerank_score: float | None
    moves: dict[str, float] = Field(
        description="What moved the hit after relevance, in score units: each weighted numeric field, "
        "out_of_stock and rules."
    )
    pinned: int | None = Field(description="The position a rule pinned the hit at.")


class Variant(Closed):
    id: str
    values: dict[str, str] = Field(description="This variant's value of each attribute the variants differ in.")
    price: float | None
    in_stock: bool


class Variants(Closed):
    count: int = Field(ge=1, description="Variants in the group.")
    differ: list[str] = Field(description="The attributes whose values differ across the variants: colour, size.")
    items: list[Variant] = Field(description="Each variant (the first 50 by id), for swatches.")


class Hit(ProductFields):
    description: str = Field(
        description=f"Cut to about {DESCRIPTION_CHARS} characters at a word; the product has it whole."
    )
    score: float = Field(description="The mode's final score, which orders the hits.")
    # absent unless explain=1, never null
    explain: Explain | SkipJsonSchema[None] = None
    # absent unless distinct=1 and the product has a group_id, never null
    variants: Variants | SkipJsonSchema[None] = None


class FacetValue(Closed):
    value: str
    count: int = Field(ge=0)


class PriceBucket(Closed):
    min: float
    max: float | None = Field(description="null: no upper bound.")
    count: int = Field(ge=0)


class Facets(Closed):
    category: list[FacetValue] = Field(description="Counts one level below the category filter.")
    brand: list[FacetValue]
    price: list[PriceBucket]
    in_stock: list[FacetValue] = Field(description='Counts of "true" and "false".')


class Timings(BaseModel):
    """Milliseconds per stage; the stages differ by mode, so only the total is always there."""

    model_config = ConfigDict(extra="allow", frozen=True)
    __pydantic_extra__: dict[str, float]
    total: float


class Understood(Closed):
    text: str = Field(description="The words of the (corrected) query that were understood.")
    start: int = Field(ge=0, description="Where they start in the (corrected) query.")
    end: int = Field(ge=0)
    kind: Literal[SPAN_KINDS]
    key: str | None = Field(description="The attribute key, for colour, size, material and other attributes.")
    values: list[str] = Field(description="The catalogue values they stand for, any of them.")
    price_min: float | None
    price_max: float | None
    effect: Literal[EFFECTS] = Field(
        description="filter: only hits that meet it; boost: hits that meet it rank higher."
    )
    relaxed: bool = Field(description="A filter made a boost, because the understood filters together left no hits.")
    currency: str | None = Field(description="The catalogue's currency, for a price.")
    undo: str = Field(description="The query without these words: search it to drop this constraint.")


class ExperimentArm(Closed):
    name: str
    arm: Literal["a", "b", "interleaved"] = Field(
        description="a: what is served; b: the experiment's arm B; interleaved: both merged by team draft."
    )


class Search(Closed):
    query: str
    corrected_query: str | None = Field(
        description="What was searched instead of the query, when spelling correction changed it."
    )
    mode: Mode
    total: int = Field(ge=0, description="Hits over all pages.")
    page: int = Field(ge=1)
    size: int = Field(ge=1)
    index_version: str
    rerank: str = Field(description="on, off, or off with the reason the rerank mode could not rerank.")
    hits: list[Hit]
    facets: Facets
    understood: list[Understood] = Field(
        description="The parts of the query read as constraints; empty with understand=0."
    )
    relaxed: bool = Field(description="The understood filters left no hits, so they only boost.")
    no_match: bool = Field(
        description="The query is gibberish and no product has a word of it: no hits rather than the nearest ones."
    )
    timings_ms: Timings
    sort: str | None = Field(description="FIELD:asc or FIELD:desc when sorted; null: by relevance.")
    rules: list[str] = Field(description="The ids of the shop's rules that applied, in the order they were settled.")
    redirect: str | None = Field(description="A rule's URL: the page goes there instead of showing hits.")
    synonyms: list[str] = Field(description="The synonyms of the query's phrases that the keyword leg also searched.")
    search_id: str | None = Field(
        description="This search in the events log: send it back with clicks, add-to-carts and purchases "
        "(POST /api/events). null when the service logs no events."
    )
    experiment: ExperimentArm | None = Field(
        default=None,
        description="Present when this search took part in the shop's running experiment (prodsearch experiment): "
        "searches that name no mode, from a session (X-Prodsearch-Session) the experiment's traffic drew.",
    )


class Accepted(Closed):
    accepted: int = Field(ge=0, description="Events stored.")
    unknown_search_ids: list[str] = Field(
        description="Search ids of the events that this service has no record of (stored all the same)."
    )


class Health(Closed):
    status: Literal["ok", "degraded"] = Field(
        description="degraded: the index's CURRENT names a version that cannot be served; the one before is."
    )
    index_version: str
    products: int = Field(ge=0)
    language: Literal[LANGUAGES] = Field(description="The catalogue's language, as its text is analysed.")
    encoder: str
    dense: str = Field(description="The dense index kind, or the Elasticsearch alias.")
    reranker: Literal["on", "off"]
    ranker: Literal["on", "off", "not used"] = Field(
        description="The shop's feature ranker (prodsearch train ranker): on in the hybrid mode; not used: trained "
        "but it did not beat hybrid on its validation queries; off: none trained."
    )
    problem: str | None = Field(description="Why the status is degraded, naming the file and the fix; null when ok.")
    writes: Literal["on", "off", "elsewhere"] = Field(
        description="on: this service takes writes; elsewhere: another process over the index does (this one reads "
        "them); off: no PRODSEARCH_ADMIN_TOKEN, or an Elasticsearch alias."
    )
    live_sequence: int = Field(ge=0, description="The last live write searchable here (0: none since the index).")


class Error(Closed):
    error: str = Field(description="What went wrong, in a few words.")
    detail: str = Field(description="The value seen and how to fix it.")
    parameter: str | SkipJsonSchema[None] = Field(None, description="On a 400: the parameter at fault.")
    field: str | SkipJsonSchema[None] = Field(
        None,
        description="On a 400 for an event, synonym, rule or ranking: the field at fault, as `[3].position` in a "
        "list of events or `pin.0.position` in a rule.",
    )
    version: int | SkipJsonSchema[None] = Field(
        None, description="On a 409 for the shop's settings: their version now."
    )


class ItemProblem(Closed):
    position: int = Field(ge=0, description="The product's place in the batch, from 0 (0 for a single product).")
    id: str | None = Field(description="The product's id, when it has a readable one.")
    field: str | None = Field(description="The field at fault (attributes.colour), null: the product as a whole.")
    message: str


class WriteError(Closed):
    error: str = Field(description="What went wrong, in a few words.")
    detail: str = Field(description="The value seen and how to fix it.")
    items: list[ItemProblem] | SkipJsonSchema[None] = Field(
        None, description="On a 400: every problem of every bad product; nothing of the request was stored."
    )
    etag: str | None | SkipJsonSchema[None] = Field(None, description="On a 409 for If-Match: the product's ETag now.")
    parameter: str | SkipJsonSchema[None] = Field(None, description="On a 400: the parameter at fault.")


class Written(Closed):
    task: int = Field(ge=1, description="The write's number; GET /api/tasks/{task} follows it.")
    status: Literal["enqueued", "applied"] = Field(
        description="enqueued: on disk, searchable within about a second; applied: searchable (?wait=true)."
    )
    id: str | SkipJsonSchema[None] = Field(None, description="The product written (not for a batch).")
    etag: str | SkipJsonSchema[None] = Field(None, description="The ETag of the product as written (PUT, PATCH).")
    count: int | SkipJsonSchema[None] = Field(None, ge=1, description="Products in the batch.")


class Task(Closed):
    task: int = Field(ge=1)
    status: Literal["enqueued", "applied"] = Field(
        description="enqueued: stored, not yet searchable here; applied: searchable here."
    )


class SimilarProducts(Closed):
    product: ProductFields = Field(description="The product asked about.")
    hits: list[Hit] = Field(description="The nearest by meaning, best first; never the product or its variants.")
    index_version: str
    took_ms: float


RESPONSES = (Search, Product, Health, Error, Accepted, WriteError, Written, Task, SimilarProducts)


# GET /api/products/{id}/also-viewed (search/also_viewed.py)


class AlsoViewedHit(Hit):
    score: float = Field(
        description="also_viewed: the pair's co-occurrence, 0..1 (its weighted sessions over the geometric mean of "
        "each product's); similar: the similarity by meaning."
    )
    source: AlsoViewedSource = Field(
        description="also_viewed: acted on in the same sessions as the product, by at least "
        "PRODSEARCH_ALSO_VIEWED_MIN_SESSIONS (5) sessions; similar: a similar product filling the place."
    )


class AlsoViewedProducts(Closed):
    product: ProductFields = Field(description="The product asked about.")
    hits: list[AlsoViewedHit] = Field(
        description="What shoppers also viewed and bought, best first, then similar products; never the product or "
        "its variants."
    )
    index_version: str
    took_ms: float


RESPONSES = (*RESPONSES, AlsoViewedProducts)


# GET /api/suggest (web/suggest.py)


class Suggestion(Closed):
    text: str = Field(description="What to search for when the shopper chooses it.")
    kind: Literal[SUGGESTION_KINDS] = Field(
        description="query: a query other shoppers searched and clicked; title: a product title up to its details; "
        "brand; category: a category name."
    )
    # absent unless a title suggestion's product has a picture, never null
    image: str | SkipJsonSchema[None] = Field(None, description="A title's: the picture of a product of that title.")


class Suggestions(Closed):
    query: str = Field(description=f"What was typed, as read: its first {MAX_TYPED} characters.")
    suggestions: list[Suggestion] = Field(description="Best first, at most k; none for an empty q.")


RESPONSES = (*RESPONSES, Suggestions)


# The merchandiser's API (web/merchandising.py)


class SynonymEntry(Closed):
    id: str
    synonyms: list[str] = Field(description="Multi-way: each finds the others. One-way: what the root also finds.")
    root: str | SkipJsonSchema[None] = Field(None, description="One-way entries only: the phrase that finds them.")


class SynonymBody(Closed):
    synonyms: list[str] = Field(min_length=1, max_length=100)
    root: str | None = Field(None, description="Set for a one-way entry: searching it also finds the synonyms.")


class SynonymList(Closed):
    version: int = Field(ge=0, description="The shop's settings' version; every change adds one.")
    synonyms: list[SynonymEntry]


class SynonymOne(Closed):
    version: int = Field(ge=0)
    synonym: SynonymEntry


class RuleRecord(RuleBody):
    """A stored rule: its id, and the fields it was given (defaults left out)."""

    id: str


class RuleList(Closed):
    version: int = Field(ge=0)
    rules: list[RuleRecord]


class RuleOne(Closed):
    version: int = Field(ge=0)
    rule: RuleRecord


class RankingOne(Closed):
    version: int = Field(ge=0)
    ranking: Ranking


class Deleted(Closed):
    version: int = Field(ge=0)
    deleted: str


class Preview(Closed):
    with_rules: Search = Field(alias="with", description="The search as shoppers get it, with the rules.")
    without: Search = Field(description="The same search without the shop's rules.")


MERCHANDISING = (SynonymList, SynonymOne, SynonymBody, RuleList, RuleOne, RankingOne, Deleted, Preview)
RESPONSES = (*RESPONSES, *MERCHANDISING)
