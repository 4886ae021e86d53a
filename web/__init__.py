"""The Flask adapter: JSON API and search page over the search pipeline."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, jsonify, redirect, request
from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer, create_server
from waitress.task import ErrorTask
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from events import EventLog, EventsError, EventStore, session_key
from indexer.elastic import ElasticConfig
from indexer.errors import ClusterUnavailable, IndexFormatError
from models import load_cross_encoder
from models.errors import ModelError
from models.score_cache import CachedScores
from search.backend import EmbeddedBackend
from search.live import FixedSearch, LiveSearch
from search.pipeline import SearchPipeline
from web import lane
from web.config import SPARE_CONNECTIONS, ConfigError, ServerLimits, ServiceConfig
from web.metrics import Metrics
from web.page import PAGE_POLICY

__all__ = ["ServerLimits", "ServiceConfig", "close_app", "create_app", "make_server"]

log = logging.getLogger(__name__)
POPULAR_DAYS = 90  # suggestions learn from the queries of this many days


def open_live(config: ServiceConfig) -> LiveSearch | FixedSearch:
    """The index the config names, with its reranker, kept up to date with the index's CURRENT or alias.
    The reranker's scores are remembered per index version (models.score_cache; over Elasticsearch, whose
    updates change documents in place, for the service's life, keyed by the products' text as always)."""
    config = config.with_tuned_settings()
    reranker = load_cross_encoder(config.reranker_dir) if config.reranker_dir else None

    def remembering() -> CachedScores | None:
        return CachedScores(reranker) if reranker is not None else None

    location = config.location()
    if location.elastic is not None:
        return FixedSearch(SearchPipeline(location.open(), remembering(), config.search))
    return LiveSearch(
        Path(config.index),
        lambda version, encoder: SearchPipeline(EmbeddedBackend(version, encoder), remembering(), config.search),
        config.reload_interval,
    )


def open_events(config: ServiceConfig) -> EventLog | None:
    """The service's event log, its database migrated to this release's schema; None when events are off."""
    location = config.events_location()
    if location is None:
        return None
    store = None
    try:
        store = EventStore(location, create=True)
        key = session_key(location)
        store.check_key(key, record=True)
        return EventLog(store, key)
    except (EventsError, OSError) as error:
        if store is not None:
            store.close()
        if config.events_db is None:  # the default place cannot be written (a read-only index): search goes on
            log.warning("events are off: %s (set PRODSEARCH_EVENTS_DB to a writable place)", error)
            return None
        raise ConfigError(f"events: {error} (PRODSEARCH_EVENTS_DB=off turns events off)") from None


def popular_queries(store: EventStore) -> list[tuple[str, int, int]]:
    """(query, searches, searches with a click) of the most searched queries of the last POPULAR_DAYS days."""
    from events.analytics import DAY_MS, MAX_LIMIT, top_queries

    since = int(time.time() * 1000) - POPULAR_DAYS * DAY_MS
    with store.transaction() as connection:
        return [(q.query, q.searches, q.clicked) for q in top_queries(connection, since, MAX_LIMIT)]


def close_app(app: Flask) -> None:
    """Writes the events still queued and closes their database: on a clean shutdown nothing is lost."""
    events = app.extensions.get("prodsearch.events")
    if events is not None:
        events.close()


def create_app(config: ServiceConfig | None = None, live: LiveSearch | FixedSearch | None = None) -> Flask:
    """The whole service: without `live`, it opens the index with its tuned settings and follows new versions
    (a daemon thread; `app.extensions["prodsearch.live"].stop()` ends it). A `live` given is the caller's to run."""
    from web.analytics import analytics
    from web.api import api
    from web.events import events_api
    from web.page import page
    from web.suggest import POPULAR, suggest_api

    config = config or ServiceConfig.from_env()
    if live is None:
        config = config.with_tuned_settings()
        live = open_live(config)
        live.start()
    app = Flask(__name__)
    app.json.sort_keys = False
    app.extensions["prodsearch.config"] = config
    app.extensions["prodsearch.live"] = live
    app.extensions["prodsearch.metrics"] = Metrics()
    app.extensions["prodsearch.heavy"] = lane.HeavyLane()
    app.extensions["prodsearch.events"] = events = open_events(config)
    app.extensions["prodsearch.events_token"] = config.events_token
    if events is not None:  # suggestions start with the queries that worked here
        app.extensions[POPULAR] = lambda: popular_queries(events.store)
        app.extensions["prodsearch.metrics"].watch_events(events)
    app.register_blueprint(api)
    app.register_blueprint(events_api)
    app.register_blueprint(suggest_api)  # after prodsearch.live: it builds the first suggester from it
    app.register_blueprint(page)
    app.register_blueprint(analytics)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> tuple[Response, int]:
        return jsonify(error=error.name.lower(), detail=error.description), error.code

    @app.errorhandler(ClusterUnavailable)
    def unavailable(error: ClusterUnavailable) -> tuple[Response, int]:
        detail = ElasticConfig.redacted(str(error))
        log.warning("search backend unavailable: %s", detail)
        return jsonify(error="search backend unavailable", detail=detail), 503

    @app.errorhandler(IndexFormatError)
    @app.errorhandler(ModelError)
    def unservable(error: Exception) -> tuple[Response, int]:
        # the index being served cannot answer this request (its encoder's weights are not installed, a
        # part is damaged): the service is up, the index is not, as for a cluster that is down
        detail = ElasticConfig.redacted(str(error))
        log.warning("index unavailable: %s", detail)
        return jsonify(error="search backend unavailable", detail=detail), 503

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> tuple[Response, int]:
        log.exception("unexpected error on %s", request.full_path)
        return jsonify(error="internal error", detail="the search service failed on this request; it was logged"), 500

    @app.before_request
    def relative_redirect() -> Response | None:
        # werkzeug redirects /api//search to /api/search with an absolute URL built from the Host header, which
        # the client chose; the path alone sends the browser to the same place on this host
        moved = request.routing_exception
        if isinstance(moved, RequestRedirect):
            target = urlsplit(moved.new_url)
            return redirect(target.path + (f"?{target.query}" if target.query else ""), moved.code)
        return None

    @app.after_request
    def count(response: Response) -> Response:
        endpoint = request.url_rule.rule if request.url_rule else "unmatched"
        app.extensions["prodsearch.metrics"].requests.labels(endpoint, str(response.status_code)).inc()
        return response

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers["X-Content-Type-Options"] = "nosniff"
        if request.endpoint == "page.index":
            response.headers["Content-Security-Policy"] = PAGE_POLICY
            response.headers["X-Frame-Options"] = "DENY"  # frame-ancestors for browsers without CSP 2
            response.headers["Cache-Control"] = "no-cache"  # a reload may change its catalogue: ask each time
        elif request.endpoint != "page.static":
            response.headers["Cache-Control"] = "no-store"  # answers of the moment, and errors
        return response

    return app


def make_server(app: Flask, host: str, port: int, threads: int, limits: ServerLimits) -> Any:
    """A waitress server for the app within `limits`, with `threads` request threads that heavy searches
    cannot take (web.lane); `.run()` serves until interrupted."""
    threads += lane.REQUEST_THREADS
    server = create_server(app, host=host, port=port, threads=threads, ident="prodsearch", **limits.waitress())
    # one listening socket gives that socket's server, several (a name with IPv4 and IPv6) a holder of their map
    listeners = [server] if isinstance(server, BaseWSGIServer) else list(server.map.values())
    for listener in listeners:
        if isinstance(listener, BaseWSGIServer):
            listener.channel_class = _LimitedChannel
            listener.retry_after = limits.retry_after
    return server


class _JsonErrorTask(ErrorTask):
    """waitress's own refusals (431 for headers, 413 for a body, 400 for a request it cannot parse) in JSON
    like every other answer of the service, not plain text."""

    def execute(self) -> None:
        error = self.request.error
        body = json.dumps({"error": error.reason.lower(), "detail": error.body}).encode()
        self.status = f"{error.code} {error.reason}"
        self.response_headers.extend([("Content-Type", "application/json"), ("Connection", "close")])
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


class _LimitedChannel(HTTPChannel):
    """A connection; one past the limit is answered 503 with Retry-After and closed at once, not left to wait."""

    error_task_class = _JsonErrorTask

    def __init__(self, server: BaseWSGIServer, sock: Any, addr: Any, adj: Any, map: dict | None = None) -> None:
        super().__init__(server, sock, addr, adj, map)
        # the map holds every connection, the listening sockets and waitress's trigger, as waitress counts them
        if map is not None and len(map) > adj.connection_limit - SPARE_CONNECTIONS:
            self.write_soon(_busy(server.retry_after))
            self.close_when_flushed = True


def _busy(retry_after: int) -> bytes:
    body = json.dumps(
        {"error": "service unavailable", "detail": f"too many open connections; retry in {retry_after} s"}
    ).encode()
    head = (
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
        f"Retry-After: {retry_after}\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    return head.encode() + body
