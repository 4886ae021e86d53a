"""The Flask adapter: JSON API and search page over the search pipeline."""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from indexer.errors import ClusterUnavailable
from models import load_cross_encoder
from search.backend import EmbeddedBackend
from search.live import FixedSearch, LiveSearch
from search.pipeline import SearchPipeline
from web.config import ServiceConfig
from web.metrics import Metrics

__all__ = ["ServiceConfig", "create_app"]

log = logging.getLogger(__name__)


def open_live(config: ServiceConfig) -> LiveSearch | FixedSearch:
    """The index the config names, with its reranker, kept up to date with the index's CURRENT or alias."""
    reranker = load_cross_encoder(config.reranker_dir) if config.reranker_dir else None
    location = config.location()
    if location.elastic is not None:
        return FixedSearch(SearchPipeline(location.open(), reranker, config.search))
    return LiveSearch(
        Path(config.index),
        lambda version, encoder: SearchPipeline(EmbeddedBackend(version, encoder), reranker, config.search),
        config.reload_interval,
    )


def create_app(config: ServiceConfig | None = None, live: LiveSearch | FixedSearch | None = None) -> Flask:
    from web.api import api
    from web.page import page

    config = config or ServiceConfig.from_env()
    app = Flask(__name__)
    app.json.sort_keys = False
    app.extensions["prodsearch.config"] = config
    app.extensions["prodsearch.live"] = live or open_live(config)
    app.extensions["prodsearch.metrics"] = Metrics()
    app.register_blueprint(api)
    app.register_blueprint(page)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> tuple[Response, int]:
        return jsonify(error=error.name.lower(), detail=error.description), error.code

    @app.errorhandler(ClusterUnavailable)
    def unavailable(error: ClusterUnavailable) -> tuple[Response, int]:
        log.warning("search backend unavailable: %s", error)
        return jsonify(error="search backend unavailable", detail=str(error)), 503

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> tuple[Response, int]:
        log.exception("unexpected error on %s", request.full_path)
        return jsonify(error="internal error", detail="the search service failed on this request; it was logged"), 500

    @app.after_request
    def count(response: Response) -> Response:
        endpoint = request.url_rule.rule if request.url_rule else "unmatched"
        app.extensions["prodsearch.metrics"].requests.labels(endpoint, str(response.status_code)).inc()
        return response

    return app
