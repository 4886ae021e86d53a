"""JSON endpoints: search, product, health, metrics, and the OpenAPI document."""

from __future__ import annotations

import time

from flask import Blueprint, Response, current_app, jsonify, request

from search.also_viewed import also_viewed
from search.errors import RequestError
from search.interleaving import serve
from search.live import FixedSearch, LiveSearch
from search.pipeline import SearchPipeline, SearchRequest
from search.response import SearchResponse
from search.serialize import hit_json, product_json, response_json
from search.similar import UnknownProduct, similar
from web.admin import Refused, authorize, refused
from web.documents import etag
from web.events import log_search, shopper_session
from web.lane import Busy, is_heavy
from web.metrics import CONTENT_TYPE
from web.openapi import openapi_document
from web.params import parse_search, parse_similar
from web.sessions import personal

api = Blueprint("api", __name__)


def _live() -> LiveSearch | FixedSearch:
    return current_app.extensions["prodsearch.live"]


@api.errorhandler(RequestError)
def bad_request(error: RequestError) -> tuple[Response, int]:
    return jsonify(error=f"invalid parameter '{error.parameter}'", detail=str(error), parameter=error.parameter), 400


api.errorhandler(Refused)(refused)


@api.errorhandler(Busy)
def busy(error: Busy) -> tuple[Response, int, dict[str, str]]:
    detail = f"too many long or heavily filtered searches at once; retry in a second ({error})"
    return jsonify(error="busy", detail=detail), 503, {"Retry-After": "1"}


@api.get("/api/search")
def search() -> Response:
    started = time.perf_counter()
    search_request = parse_search(request.args, current_app.extensions["prodsearch.config"].default_mode)
    if not search_request.rules:
        authorize()  # a search without the shop's rules is the merchandiser's preview
    pipeline = _live().pipeline  # one pipeline for the whole request, even if a reload swaps it meanwhile
    shop = pipeline.merchandising.current()
    # the served default takes part in the shop's running experiment; a search that names its mode does not
    # (and only where events are on: an experiment nobody can report on would cost searches for nothing)
    logged = current_app.extensions.get("prodsearch.events") is not None
    experiment = shop.experiment if logged and "mode" not in request.args else None
    session = shopper_session()
    personalised = personal(search_request, session, shop)  # with the session's interests, where they lift
    served = serve(pipeline, personalised, experiment, session, _run)
    response = served.response
    took = time.perf_counter() - started
    current_app.extensions["prodsearch.metrics"].latency.labels(response.mode).observe(took)
    search_id = log_search(search_request, served, pipeline.backend.label, took * 1000)
    body = response_json(response, pipeline.backend.label) | {"search_id": search_id}
    if served.experiment is not None:  # the shop's own front end may want to say so, as Algolia's abTestID
        body["experiment"] = {"name": served.experiment, "arm": served.arm}
    return jsonify(body)


def _run(pipeline: SearchPipeline, search_request: SearchRequest) -> SearchResponse:
    """One search, in the heavy lane where it is long or heavily filtered."""
    if is_heavy(search_request):
        return current_app.extensions["prodsearch.heavy"].run(lambda: pipeline.search(search_request))
    return pipeline.search(search_request)


@api.get("/api/products/<path:product_id>/similar")
def similar_products(product_id: str) -> tuple[Response, int] | Response:
    """Products like this one, by meaning; an id that itself ends in /similar is read as the product's id."""
    k, filters = parse_similar(request.args)
    pipeline = _live().pipeline
    try:
        found = similar(pipeline, product_id, k, filters)
    except UnknownProduct as error:
        return jsonify(error="not found", detail=str(error)), 404
    return jsonify(
        product=product_json(found.product),
        hits=[hit_json(hit) for hit in found.hits],
        index_version=pipeline.backend.label,
        took_ms=round(found.took_ms, 3),
    )


@api.get("/api/products/<path:product_id>/also-viewed")
def also_viewed_products(product_id: str) -> tuple[Response, int] | Response:
    """What shoppers also viewed and bought with this product, then similar products; each hit says which."""
    k, filters = parse_similar(request.args)
    pipeline = _live().pipeline
    related = current_app.extensions["prodsearch.also_viewed"].related(product_id)
    try:
        found = also_viewed(pipeline, product_id, k, filters, related)
    except UnknownProduct as error:
        return jsonify(error="not found", detail=str(error)), 404
    return jsonify(
        product=product_json(found.product),
        hits=[hit_json(hit.hit) | {"source": hit.source} for hit in found.hits],
        index_version=pipeline.backend.label,
        took_ms=round(found.took_ms, 3),
    )


@api.get("/api/products/<path:product_id>")
def product(product_id: str) -> tuple[Response, int] | Response:
    backend = _live().pipeline.backend
    found = backend.products([product_id])
    if product_id not in found:
        return jsonify(error="not found", detail=f"no product with id {product_id!r} in index {backend.label}"), 404
    return jsonify(product_json(found[product_id], full=True)), 200, {"ETag": etag(found[product_id])}


@api.get("/healthz")
def health() -> Response:
    live = _live()
    pipeline = live.pipeline
    problem = getattr(live, "problem", None)  # set while CURRENT names a version that cannot be served
    return jsonify(
        status="degraded" if problem else "ok",
        index_version=pipeline.backend.label,
        **pipeline.backend.describe().to_json(),
        reranker="on" if pipeline.reranker is not None else "off",
        ranker="off" if pipeline.ranker is None else "on" if pipeline.ranker.usage.beats_hybrid else "not used",
        problem=problem,
        writes="on" if getattr(live, "writer", False) else "elsewhere" if getattr(live, "lock", None) else "off",
        live_sequence=live.tasks.applied,
    )


@api.get("/metrics")
def metrics() -> Response:
    return Response(current_app.extensions["prodsearch.metrics"].render(), content_type=CONTENT_TYPE)


@api.get("/api/openapi.json")
def openapi() -> Response:
    return jsonify(openapi_document())
