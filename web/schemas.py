"""The JSON API's response bodies, declared once; the OpenAPI document's components are generated from them."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from indexer.analysis import LANGUAGES
from search.pipeline import MODES
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


class Product(ProductFields):
    attributes: dict[str, list[str]]


class Explain(Closed):
    keyword_score: float | None
    keyword_rank: int | None
    dense_score: float | None
    dense_rank: int | None
    fused_score: float | None
    rerank_score: float | None


class Hit(ProductFields):
    description: str = Field(
        description=f"Cut to about {DESCRIPTION_CHARS} characters at a word; the product has it whole."
    )
    score: float = Field(description="The mode's final score, which orders the hits.")
    # absent unless explain=1, never null
    explain: Explain | SkipJsonSchema[None] = None


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
    search_id: str | None = Field(
        description="This search in the events log: send it back with clicks, add-to-carts and purchases "
        "(POST /api/events). null when the service logs no events."
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
        None, description="On a 400 for an event: the field at fault, as `[3].position` in a list."
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


RESPONSES = (Search, Product, Health, Error, Accepted, WriteError, Written, Task)


# GET /api/suggest (web/suggest.py)


class Suggestion(Closed):
    text: str = Field(description="What to search for when the shopper chooses it.")
    kind: Literal[SUGGESTION_KINDS] = Field(
        description="query: a query other shoppers searched and clicked; title: a product title up to its details; "
        "brand; category: a category name."
    )


class Suggestions(Closed):
    query: str = Field(description=f"What was typed, as read: its first {MAX_TYPED} characters.")
    suggestions: list[Suggestion] = Field(description="Best first, at most k; none for an empty q.")


RESPONSES = (*RESPONSES, Suggestions)
