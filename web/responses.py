"""What every answer of the app shares: errors as JSON with their status, counted, with safe headers."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, jsonify, redirect, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.routing import RequestRedirect

from indexer.elastic import ElasticConfig
from indexer.errors import ClusterUnavailable, IndexFormatError
from models.errors import ModelError
from web.config import ServerLimits
from web.page import PAGE_POLICY

log = logging.getLogger("web")
BODY_BYTES = ServerLimits.body_bytes


def init_app(app: Flask) -> None:
    """Registers the error handlers and the request and response hooks below on `app`."""
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(ClusterUnavailable, unavailable)
    app.register_error_handler(IndexFormatError, unservable)
    app.register_error_handler(ModelError, unservable)
    app.register_error_handler(Exception, unexpected)
    app.before_request(bounded_body)
    app.before_request(relative_redirect)
    app.after_request(count)
    app.after_request(headers)


def http_error(error: HTTPException) -> tuple[Response, int]:
    return jsonify(error=error.name.lower(), detail=error.description), error.code


def unavailable(error: ClusterUnavailable) -> tuple[Response, int]:
    detail = ElasticConfig.redacted(str(error))
    log.warning("search backend unavailable: %s", detail)
    return jsonify(error="search backend unavailable", detail=detail), 503


def unservable(error: Exception) -> tuple[Response, int]:
    # the index being served cannot answer this request (its encoder's weights are not installed, a
    # part is damaged): the service is up, the index is not, as for a cluster that is down
    detail = ElasticConfig.redacted(str(error))
    log.warning("index unavailable: %s", detail)
    return jsonify(error="search backend unavailable", detail=detail), 503


def unexpected(error: Exception) -> tuple[Response, int]:
    log.exception("unexpected error on %s", request.full_path)
    return jsonify(error="internal error", detail="the search service failed on this request; it was logged"), 500


def bounded_body() -> None:
    """1 MiB a request (1,000 events at their longest fit), a batch of products 32 MiB: waitress takes the larger."""
    from web.documents import MAX_BATCH_BYTES

    limit = MAX_BATCH_BYTES if request.endpoint == "documents.batch" else BODY_BYTES
    request.max_content_length = limit  # a chunked body, without Content-Length, is cut here as it is read
    if request.content_length is not None and request.content_length > limit:
        raise RequestEntityTooLarge(f"the body is {request.content_length:,} bytes; this route takes {limit:,} at most")


def relative_redirect() -> Response | None:
    # werkzeug redirects /api//search to /api/search with an absolute URL built from the Host header, which
    # the client chose; the path alone sends the browser to the same place on this host
    moved = request.routing_exception
    if isinstance(moved, RequestRedirect):
        target = urlsplit(moved.new_url)
        return redirect(target.path + (f"?{target.query}" if target.query else ""), moved.code)
    return None


def count(response: Response) -> Response:
    endpoint = request.url_rule.rule if request.url_rule else "unmatched"
    current_app.extensions["prodsearch.metrics"].requests.labels(endpoint, str(response.status_code)).inc()
    return response


def headers(response: Response) -> Response:
    response.headers["X-Content-Type-Options"] = "nosniff"
    if request.endpoint in ("page.index", "page.product"):
        response.headers["Content-Security-Policy"] = PAGE_POLICY
        response.headers["X-Frame-Options"] = "DENY"  # frame-ancestors for browsers without CSP 2
        response.headers["Cache-Control"] = "no-cache"  # a reload may change its catalogue: ask each time
    elif request.endpoint != "page.static":
        response.headers["Cache-Control"] = "no-store"  # answers of the moment, and errors
    return response
