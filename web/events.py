"""Events over HTTP: every search answered is logged with a search id, and shoppers' actions come back to it.

See docs/design.md#events-over-http.
"""

from __future__ import annotations

import hmac
import json
import uuid
from dataclasses import asdict
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, jsonify, request
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter, ValidationError

from events import Event, EventLog, SearchRecord, hashed_session
from events.errors import EventsError, EventsUnavailable
from events.privacy import MAX_SESSION
from events.records import EVENT_TYPES, now_ms
from events.store import Shown
from indexer.products import MAX_ID_CHARS
from search.filters import Filters
from search.interleaving import Served
from search.pipeline import SearchRequest
from search.serialize import span_json
from web.sessions import remember

events_api = Blueprint("events", __name__)

TOKEN_VARIABLE = "PRODSEARCH_EVENTS_TOKEN"
MAX_EVENTS = 1000  # in one request
SESSION_HEADER = "X-Prodsearch-Session"
CLIENT_HEADER = "X-Prodsearch-Client"  # "page" from the served page's own script
SearchId = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]
# no control characters: a catalogue id cannot hold one (indexer.products), and a session id need not
Printable = StringConstraints(pattern=r"^[^\x00-\x1f\x7f]+$")


class EventIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal[EVENT_TYPES]
    search_id: SearchId
    product_id: Annotated[str, Printable] = Field(min_length=1, max_length=MAX_ID_CHARS)
    position: int | None = Field(default=None, ge=1, le=100_000)
    session: Annotated[str, Printable] | None = Field(default=None, max_length=MAX_SESSION)


class BeaconIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["click"] = "click"
    search_id: SearchId
    product_id: Annotated[str, Printable] = Field(min_length=1, max_length=MAX_ID_CHARS)
    position: int | None = Field(default=None, ge=1, le=100_000)  # ignored: the service knows where it showed it
    session: Annotated[str, Printable] | None = Field(default=None, max_length=MAX_SESSION)


ONE_EVENT = TypeAdapter(EventIn)
MANY_EVENTS = TypeAdapter(Annotated[list[EventIn], Field(min_length=1, max_length=MAX_EVENTS)])
ONE_BEACON = TypeAdapter(BeaconIn)


class EventRefused(Exception):
    def __init__(self, status: int, error: str, detail: str, field: str | None = None) -> None:
        super().__init__(detail)
        self.status, self.error, self.detail, self.field = status, error, detail, field


@events_api.errorhandler(EventRefused)
def refused(error: EventRefused) -> tuple[Response, int] | tuple[Response, int, dict[str, str]]:
    body = {"error": error.error, "detail": error.detail} | ({"field": error.field} if error.field else {})
    if error.status == 401:
        return jsonify(body), 401, {"WWW-Authenticate": 'Bearer realm="prodsearch events"'}
    if error.status == 503:
        return jsonify(body), 503, {"Retry-After": "1"}
    return jsonify(body), error.status


@events_api.errorhandler(EventsUnavailable)
def unavailable(error: EventsUnavailable) -> tuple[Response, int, dict[str, str]]:
    return jsonify(error="events database unavailable", detail=str(error)), 503, {"Retry-After": "5"}


def log_search(search_request: SearchRequest, served: Served, version: str, took_ms: float) -> str | None:
    """Queues the search, and its part in an experiment, for the events database; returns its id (None when
    events are off)."""
    events: EventLog | None = current_app.extensions.get("prodsearch.events")
    if events is None:
        return None
    response = served.response
    given = shopper_session()
    session = hashed_session(events.key, given) if given else None
    record = SearchRecord(
        search_id=uuid.uuid4().hex,
        at=now_ms(),
        session=session,
        source="page" if request.headers.get(CLIENT_HEADER) == "page" else "api",
        query=response.query,
        searched=response.searched,
        mode=response.mode,
        index_version=version,
        understood=json.dumps([span_json(span, response) for span in response.understood], ensure_ascii=False),
        filters=logged_filters(search_request.filters),
        total=response.total,
        page=response.page,
        size=response.size,
        results=tuple(hit.product.id for hit in response.hits),
        took_ms=round(took_ms, 3),
        experiment=served.experiment,
        arm=served.arm,
        teams=served.teams,
    )
    events.search(record)
    return record.search_id


def shopper_session() -> str | None:
    """The session id the shopper's page or the shop's backend sent with a search, if a usable one."""
    given = request.headers.get(SESSION_HEADER, "")
    return given if 0 < len(given) <= MAX_SESSION else None


@events_api.post("/api/events")
def post_events() -> tuple[Response, int]:
    """Events from the shop's backend; unknown search ids are stored and reported, not refused."""
    events = _events()
    _check_token()
    body = _json_body()
    items = _valid(MANY_EVENTS, body) if isinstance(body, list) else [_valid(ONE_EVENT, body)]
    shown = {search_id: events.shown(search_id) for search_id in {item.search_id for item in items}}
    rows = [_event(events, item, "api", shown[item.search_id]) for item in items]
    if not events.events(rows):
        raise EventRefused(503, "busy", "the events database is behind: nothing of this request was stored; retry")
    remember(rows)  # the sessions' interests, for session-aware ranking
    unknown = sorted(search_id for search_id, ids in shown.items() if ids is None)
    return jsonify(accepted=len(rows), unknown_search_ids=unknown), 202


@events_api.post("/api/beacon")
def post_beacon() -> tuple[Response, int]:
    """A click on the served page: accepted for a product the named search showed, from this origin only."""
    events = _events()
    if not _same_origin():
        raise EventRefused(403, "forbidden", "beacons are taken from the page this service serves only")
    item = _valid(ONE_BEACON, _json_body())
    shown = events.shown(item.search_id)
    if shown is None:
        raise EventRefused(400, "unknown search", "search_id: no search with that id was answered here", "search_id")
    if item.product_id not in shown[1]:
        raise EventRefused(400, "not shown", "product_id: that search did not show this product", "product_id")
    if not events.first_time(item.search_id, item.product_id, item.type):
        return jsonify(accepted=0, unknown_search_ids=[]), 202  # sent twice: counted once
    event = _event(events, item, "page", shown)
    if not events.events([event]):
        raise EventRefused(503, "busy", "the events database is behind; the click was not stored")
    remember([event])
    return jsonify(accepted=1, unknown_search_ids=[]), 202


def _same_origin() -> bool:
    """Whether a beacon comes from this service's page. A browser says so itself in Sec-Fetch-Site, which a
    page's script cannot set, and which holds behind a proxy that rewrites Host; older browsers send Origin."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site in ("same-origin", "none")
    origin = request.headers.get("Origin")
    return not origin or urlsplit(origin).netloc.lower() == request.host.lower()


def _events() -> EventLog:
    events = current_app.extensions.get("prodsearch.events")
    if events is None:
        raise EventRefused(404, "events are off", "this service logs no events (PRODSEARCH_EVENTS_DB=off)")
    return events


def _check_token() -> None:
    expected = (current_app.extensions.get("prodsearch.events_token") or "").strip()
    given = request.headers.get("Authorization", "")
    if not given:
        raise EventRefused(401, "unauthorized", f"send Authorization: Bearer <the token in {TOKEN_VARIABLE}>")
    scheme, _, token = given.partition(" ")
    if not expected or scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), expected.encode()):
        raise EventRefused(403, "forbidden", f"the bearer token is not the service's {TOKEN_VARIABLE}")


def _json_body() -> Any:
    try:
        return json.loads(request.get_data(cache=False))
    except (ValueError, UnicodeDecodeError) as error:
        raise EventRefused(400, "invalid event", f"body: not JSON ({error})", "body") from None
    except RecursionError:
        raise EventRefused(400, "invalid event", "body: nested too deeply to be events", "body") from None


def _valid(adapter: TypeAdapter, body: Any) -> Any:
    """The body as the adapter validates it; a 400 naming the first bad field (`[3].position`) otherwise."""
    try:
        return adapter.validate_python(body)
    except ValidationError as error:
        first = error.errors()[0]
        where = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in first["loc"]).lstrip(".")
        where = where or "body"
        raise EventRefused(400, "invalid event", f"{where}: {first['msg']}", where) from None


def _event(events: EventLog, item: EventIn | BeaconIn, source: str, shown: Shown | None) -> Event:
    """The event as stored: at the position where the service showed the product, whatever the client says;
    with no position for a product the search did not show, and the client's only for a search unknown here."""
    position = item.position
    if shown is not None:
        position = shown[0] + shown[1].index(item.product_id) if item.product_id in shown[1] else None
    try:
        session = hashed_session(events.key, item.session)
    except EventsError as error:
        raise EventRefused(400, "invalid event", f"session: {error}", "session") from None
    return Event(now_ms(), session, source, item.type, item.search_id, item.product_id, position)


def logged_filters(filters: Filters) -> str:
    """The request's filters as the events log keeps them: in_stock only when asked, so that a search without
    filters is logged as events.records.NO_FILTERS, as it was before stock existed (click judgments read those)."""
    record = asdict(filters)
    if record["in_stock"] is None:
        del record["in_stock"]
    return json.dumps(record, ensure_ascii=False)
