"""GET /api/suggest: suggestions for what a shopper has typed, from the served index and the queries that worked.

See docs/design.md#suggestions-over-http.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from flask.blueprints import BlueprintSetupState
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from werkzeug.datastructures import MultiDict

from indexer.errors import ClusterUnavailable
from search.errors import RequestError
from search.pipeline import SearchPipeline
from search.suggest import MAX_K, MAX_TYPED, Suggester, Suggestion
from web.params import Whole

log = logging.getLogger(__name__)

suggest_api = Blueprint("suggest", __name__)

SUGGESTER = "prodsearch.suggester"  # app.extensions: the LiveSuggester
POPULAR = "prodsearch.popular_queries"  # app.extensions, optional: () -> Iterable[(query, searches, clicks)]
DEFAULT_K = 8
REFRESH_SECONDS = 600.0  # with popular queries: how old a suggester may grow before it is built again
RETRY_SECONDS = 30.0  # a build that failed is tried again this often, not on every request
READY_WAIT = 30.0  # seconds the first requests wait for the first suggester
LIVE_SECONDS = 0.5  # the suggester of products written live is built again at most this often

PopularQueries = Callable[[], Iterable[tuple[str, int, int]]]


class SuggestParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    q: str = Field(
        "",
        description=f"What the shopper has typed so far; empty: no suggestions. The first {MAX_TYPED} characters "
        "are read.",
    )
    k: Whole = Field(DEFAULT_K, ge=1, le=MAX_K, description="Suggestions at most.")


class NotReady(Exception):
    """No suggester has been built yet for this service."""


class LiveSuggester:
    """The suggester for the pipeline being served, built again in the background when that changes."""

    def __init__(
        self,
        pipeline: Callable[[], SearchPipeline],
        popular: Callable[[], PopularQueries | None] = lambda: None,
        refresh_seconds: float = REFRESH_SECONDS,
    ) -> None:
        self._pipeline = pipeline
        self._popular = popular
        self.refresh_seconds = refresh_seconds
        # (what it was built for, when, the suggester): swapped whole, so a request reads one consistent triple
        self._served: tuple[tuple[int, str], float, Suggester] | None = None
        self._failed_at: float | None = None  # when the last build failed
        self._error: Exception | None = None
        self._lock = threading.Lock()
        self._building: threading.Thread | None = None
        self._tried = threading.Event()  # set once the first build has finished, well or not
        self._layered: tuple[tuple[int, int], float, Layered] | None = None  # (for what, when, the suggester)

    def start(self) -> None:
        """Builds the first suggester in the background."""
        self._build_soon(None)

    def current(self) -> Suggester:
        """The suggester to answer with now; starts building the next one when the served index changed."""
        served = self._served
        try:
            pipeline = self._pipeline()
            stamp = _stamp(pipeline)
        except ClusterUnavailable:
            if served is None:
                raise
            return served[2]  # suggestions need no cluster: the ones built before stay good meanwhile
        stale = served is not None and self._popular() is not None and self._age(served) > self.refresh_seconds
        if served is None or served[0] != stamp or stale:
            self._build_soon(pipeline)
        if served is None:
            self._tried.wait(READY_WAIT)
            served = self._served
        if served is None:
            raise self._error or NotReady(f"the first suggestions are still being built after {READY_WAIT:g} s")
        return self._with_live(served[2], pipeline)

    def _with_live(self, suggester: Suggester, pipeline: SearchPipeline) -> Suggester | Layered:
        """The suggester, and one of the products written live since its version (small, built on demand)."""
        sequence = getattr(pipeline.backend, "sequence", 0)
        layered = self._layered
        if layered is not None and layered[0] == (id(suggester), sequence):
            return layered[2]
        if layered is not None and layered[0][0] == id(suggester) and time.monotonic() - layered[1] < LIVE_SECONDS:
            return layered[2]  # built a moment ago: a stream of writes rebuilds it at most this often
        written = getattr(pipeline.backend, "live_products", lambda: [])()
        if not written:
            return suggester
        self._layered = ((id(suggester), sequence), time.monotonic(), Layered(suggester, Suggester(written)))
        return self._layered[2]

    def rebuild(self) -> Suggester:
        """Builds a suggester now, in this thread, and serves it."""
        self._build(self._pipeline())
        if self._served is None:
            raise self._error or NotReady("the suggester could not be built")
        return self._served[2]

    @staticmethod
    def _age(served: tuple[Any, float, Suggester]) -> float:
        return time.monotonic() - served[1]

    def _build_soon(self, pipeline: SearchPipeline | None) -> None:
        with self._lock:
            if self._building is not None and self._building.is_alive():
                return
            if self._failed_at is not None and time.monotonic() - self._failed_at < RETRY_SECONDS:
                return
            self._building = threading.Thread(target=self._build, args=(pipeline,), name="suggester", daemon=True)
            self._building.start()

    def _build(self, pipeline: SearchPipeline | None) -> None:
        try:
            pipeline = pipeline or self._pipeline()
            stamp = _stamp(pipeline)
            started = time.monotonic()
            suggester = Suggester.of(pipeline.backend, self._queries())
            self._served = (stamp, time.monotonic(), suggester)
            self._failed_at = self._error = None
            log.info(
                "suggestions for %s: %d texts, built in %.1f s", stamp[1], len(suggester), time.monotonic() - started
            )
        except Exception as error:  # the service answers on; a request says why there are no suggestions
            self._failed_at, self._error = time.monotonic(), error
            log.warning("suggestions could not be built: %s", error, exc_info=not isinstance(error, ClusterUnavailable))
        finally:
            self._tried.set()

    def _queries(self) -> list[tuple[str, int, int]]:
        """The popular queries, or none when their source fails: catalogue suggestions are better than none."""
        source = self._popular()
        if source is None:
            return []
        try:
            return list(source())
        except Exception as error:
            log.warning("suggestions are built without popular queries, which could not be read: %s", error)
            return []


def _stamp(pipeline: SearchPipeline) -> tuple[int, str]:
    """What a suggester is built for: a version's pipeline (live changes keep it; search.pipeline.over)."""
    return id(getattr(pipeline, "origin", pipeline)), pipeline.backend.label


class Layered:
    """The version's suggestions, then those of products written live that it does not already offer."""

    def __init__(self, version: Suggester, live: Suggester) -> None:
        self.version, self.live = version, live

    def suggest(self, typed: str, k: int = 8) -> list[Suggestion]:
        found = self.version.suggest(typed, k)
        texts = {item.text for item in found}  # by text: a live product's picture may differ from the version's
        return [*found, *(item for item in self.live.suggest(typed, k) if item.text not in texts)][:k]


@suggest_api.record_once
def _follow(state: BlueprintSetupState) -> None:
    """One LiveSuggester for the app, reading its pipeline and popular queries through app.extensions, so it
    follows whatever they are set to after registration too."""
    extensions = state.app.extensions
    follower = LiveSuggester(lambda: extensions["prodsearch.live"].pipeline, lambda: extensions.get(POPULAR))
    extensions[SUGGESTER] = follower
    follower.start()


@suggest_api.errorhandler(RequestError)
def bad_request(error: RequestError) -> tuple[Response, int]:
    # the same body as /api/search's refusals
    return jsonify(error=f"invalid parameter '{error.parameter}'", detail=str(error), parameter=error.parameter), 400


@suggest_api.errorhandler(NotReady)
def not_ready(error: NotReady) -> tuple[Response, int, dict[str, str]]:
    return jsonify(error="suggestions unavailable", detail=str(error)), 503, {"Retry-After": "5"}


@suggest_api.get("/api/suggest")
def suggest() -> Response:
    typed, k = parse_suggest(request.args)
    found = current_app.extensions[SUGGESTER].current().suggest(typed, k) if typed.strip() else []
    return jsonify(query=typed, suggestions=[suggestion_json(item) for item in found])


def suggestion_json(item: Suggestion) -> dict[str, str]:
    """One suggestion; `image` only where it has one (a title's), so the others keep their two keys."""
    return {"text": item.text, "kind": item.kind} | ({"image": item.image} if item.image is not None else {})


def parse_suggest(args: MultiDict[str, str]) -> tuple[str, int]:
    """(what was typed, cut to MAX_TYPED characters; k), or a RequestError naming the parameter at fault."""
    for name in args:
        if name not in SuggestParams.model_fields:
            raise RequestError(name, f"unknown parameter {name!r}; use {', '.join(SuggestParams.model_fields)}")
        if len(args.getlist(name)) > 1:
            raise RequestError(name, f"{name} is given {len(args.getlist(name))} times; give it once")
    try:
        params = SuggestParams.model_validate(args.to_dict())
    except ValidationError as error:
        name = str(error.errors()[0]["loc"][0])
        raise RequestError(name, f"{name} must be a whole number within 1..{MAX_K}, got {args.get(name)!r}") from None
    return params.q[:MAX_TYPED], params.k
