"""The Flask adapter: `create_app()` serves the JSON API and search page over the search pipeline."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING

from models.weights import library_defaults
from web.config import ConfigError, ServerLimits, ServiceConfig
from web.server import make_server

# Flask, the views and the index's packages load inside the functions below, when an app is made: the CLI
# imports web.config for the defaults of `serve` and should not pay for them on every verb.

if TYPE_CHECKING:
    from flask import Flask

    from events import EventLog, EventStore
    from search.backend import Backend
    from search.live import FixedSearch, LiveSearch
    from search.pipeline import SearchSettings
    from web.popularity import LivePopularity

__all__ = ["ServerLimits", "ServiceConfig", "close_app", "create_app", "make_server", "popular_queries"]

log = logging.getLogger(__name__)
POPULAR_DAYS = 90  # suggestions learn from the queries of this many days


def create_app(config: ServiceConfig | None = None, live: LiveSearch | FixedSearch | None = None) -> Flask:
    """The whole service, configured by `config` or else the environment: without `live`, it opens the index with
    its tuned settings and follows new versions (`app.extensions["prodsearch.live"].stop()` ends that thread).
    A `live` given is the caller's to run."""
    from flask import Flask

    from web import responses
    from web.popularity import LivePopularity

    config = config or ServiceConfig.from_env()
    owns_live = live is None
    if live is None:
        library_defaults()  # before the index's models load
        live = open_live(config, popularity := LivePopularity())
        live.start()
    app = Flask(__name__)
    if owns_live:
        app.extensions["prodsearch.popularity"] = popularity
    app.json.sort_keys = False
    init_extensions(app, config, live)
    app.extensions["prodsearch.owns_live"] = owns_live
    register_blueprints(app)
    responses.init_app(app)
    return app


def init_extensions(app: Flask, config: ServiceConfig, live: LiveSearch | FixedSearch) -> None:
    """What the views share, in `app.extensions`: the config, the index, metrics, the heavy lane, the events."""
    from search.sessions import SessionInterests
    from web.also_viewed import LiveAlsoViewed
    from web.lane import HeavyLane
    from web.metrics import Metrics
    from web.sessions import INTERESTS
    from web.suggest import POPULAR

    app.extensions["prodsearch.config"] = config
    app.extensions["prodsearch.live"] = live
    app.extensions["prodsearch.metrics"] = metrics = Metrics()
    app.extensions["prodsearch.heavy"] = HeavyLane()
    app.extensions["prodsearch.events"] = events = open_events(config)
    app.extensions["prodsearch.events_token"] = config.events_token
    # without events it has nothing to follow, and /also-viewed answers with similar products
    app.extensions["prodsearch.also_viewed"] = also_viewed = LiveAlsoViewed(config.also_viewed_min_sessions)
    if events is not None:  # suggestions start with the queries that worked here
        app.extensions[POPULAR] = lambda: popular_queries(events.store)
        metrics.watch_events(events)
        if "prodsearch.popularity" in app.extensions:  # business ranking's popularity, learned from them
            app.extensions["prodsearch.popularity"].attach(events.store)
        also_viewed.attach(events.store)  # shoppers' sessions, read as they come from every service writing there
        # session-aware ranking: each session's clicked categories and brands, in memory only (without events
        # there are no clicks to learn from)
        app.extensions[INTERESTS] = SessionInterests()


def register_blueprints(app: Flask) -> None:
    from web.admin_page import admin_page
    from web.analytics import analytics
    from web.api import api
    from web.documents import documents
    from web.events import events_api
    from web.merchandising import merchandising
    from web.page import page
    from web.suggest import suggest_api

    app.register_blueprint(api)
    app.register_blueprint(documents)
    app.register_blueprint(merchandising)
    app.register_blueprint(events_api)
    app.register_blueprint(suggest_api)  # after prodsearch.live: it builds the first suggester from it
    app.register_blueprint(page)
    app.register_blueprint(analytics)
    app.register_blueprint(admin_page)


def open_live(config: ServiceConfig, popularity: LivePopularity | None = None) -> LiveSearch | FixedSearch:
    """The index the config names, with its reranker, following its CURRENT or alias, its tuned settings and ranker.
    The reranker's scores are remembered per index version (models.score_cache; over Elasticsearch, whose updates
    change documents in place, for the pipeline's life, keyed by the products' text as always)."""
    from models import load_cross_encoder
    from models.score_cache import CachedScores
    from search.backend import EmbeddedBackend
    from search.live import FixedSearch, LiveSearch
    from search.pipeline import SearchPipeline

    reranker = load_cross_encoder(config.reranker_dir) if config.reranker_dir else None

    def remembering() -> CachedScores | None:
        return CachedScores(reranker) if reranker is not None else None

    location = config.location()

    def settings() -> SearchSettings:  # those given, else the index's tuned ones as they are now, else the defaults
        return config.search if config.search is not None else location.settings().load()

    merchandising = location.merchandising()  # one for every version the service serves

    def build(backend: Backend) -> SearchPipeline:  # at start, for each new version, and as `learned` changes
        return SearchPipeline(
            backend, remembering(), settings(), merchandising=merchandising, popularity=popularity,
            ranker=location.ranker(),
        )  # fmt: skip

    if location.elastic is not None:
        writer = location.writer() if config.admin_token is not None else None
        return FixedSearch(location.open(), build, writer, location.learned, config.reload_interval)
    return LiveSearch(
        Path(config.index),
        lambda version, encoder: build(EmbeddedBackend(version, encoder)),
        config.reload_interval,
        writes=config.admin_token is not None,
        learned=location.learned,
    )


def open_events(config: ServiceConfig) -> EventLog | None:
    """The service's event log, its database migrated to this release's schema; None when events are off."""
    from events import EventLog, EventsError, EventStore, session_key
    from events.privacy import KEY_VARIABLE

    location = config.events_location()
    if location is None:
        return None
    store = None
    try:
        store = EventStore(location, create=True)
        key = session_key(location, None if config.events_key is None else {KEY_VARIABLE: config.events_key})
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
    """Writes the events still queued and closes their database, and stops following the index (a compaction
    under way finishes first; its lock and log are released): on a clean shutdown nothing is lost."""
    events = app.extensions.get("prodsearch.events")
    if events is not None:
        events.close()
    if app.extensions.get("prodsearch.owns_live"):  # a `live` given to create_app is the caller's to stop
        app.extensions["prodsearch.live"].stop()
