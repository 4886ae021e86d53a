"""The OpenAPI 3.1 document, generated from the parameter and response models so it cannot drift from them."""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic.json_schema import models_json_schema

from search.rules import RuleBody
from web.documents import MAX_BATCH, MAX_BATCH_BYTES, NDJSON
from web.events import MAX_EVENTS, BeaconIn, EventIn
from web.openapi_merchandising import REF, json_response, merchandising_paths
from web.openapi_merchandising import if_match as if_match_header
from web.params import ATTRIBUTE_DESCRIPTION, ATTRIBUTE_NAME, MAX_VALUE, MAX_VALUES, SIMILAR, documented
from web.schemas import (
    RESPONSES,
    Accepted,
    AlsoViewedProducts,
    Error,
    Health,
    Product,
    Search,
    SimilarProducts,
    Suggestions,
    Task,
    WriteError,
    Written,
)
from web.suggest import SuggestParams

ERRORS = {
    400: "A parameter is missing or invalid; `parameter` names it and `detail` says the fix.",
    401: "No `Authorization: Bearer` header.",
    403: "The bearer token is not PRODSEARCH_EVENTS_TOKEN (or a beacon from another origin).",
    404: "No product with that id.",
    500: "The service failed on this request; it was logged.",
    503: "The search backend (an Elasticsearch cluster) did not answer.",
}


def _get(
    summary: str, ok: dict[str, Any], errors: tuple[int, ...], said: dict[int, str] | None = None, **extra: Any
) -> dict[str, Any]:
    """A GET operation; `said`: descriptions of its own for some error statuses."""
    described = ERRORS | (said or {})
    responses = {"200": ok} | {str(status): json_response(Error, described[status]) for status in errors}
    return {"get": {"summary": summary, **extra, "responses": responses}}


def _search_parameters() -> list[dict[str, Any]]:
    """One query parameter per SearchParams field, with the schema that validates it."""
    declared = documented()
    parameters = []
    for name, field in declared["properties"].items():
        schema = {key: value for key, value in field.items() if key not in ("title", "description")}
        if schema.get("default", ...) is None:
            del schema["default"]  # None only stands for "absent", which a query string says by leaving it out
        required = name in declared.get("required", ())
        parameters.append(
            {"name": name, "in": "query", "required": required, "description": field["description"], "schema": schema}
        )
    # OpenAPI has no way to name a family of parameters, so the attribute filters get one entry by example; the
    # bounds across parameters (names, values together) can only be said in its description
    attribute = {"name": ATTRIBUTE_NAME, "in": "query", "description": ATTRIBUTE_DESCRIPTION, "required": False}
    values = {"type": "array", "maxItems": MAX_VALUES, "items": {"type": "string", "maxLength": MAX_VALUE}}
    return [*parameters, {**attribute, "schema": values}]


def _similar_parameters() -> list[dict[str, Any]]:
    """The search's own parameters that /api/products/{id}/similar takes: k and the filters."""
    return [parameter for parameter in _search_parameters() if parameter["name"] in (*SIMILAR, ATTRIBUTE_NAME)]


def _post(summary: str, body: dict[str, Any], errors: dict[int, str]) -> dict[str, Any]:
    responses = {"202": json_response(Accepted, "Stored, with the search ids this service has no record of.")}
    responses |= {str(status): json_response(Error, text) for status, text in errors.items()}
    request_body = {"required": True, "content": {"application/json": {"schema": body}}}
    return {"post": {"summary": summary, "requestBody": request_body, "responses": responses}}


@cache
def openapi_document() -> dict[str, Any]:
    models = [*RESPONSES, EventIn, BeaconIn, RuleBody]
    _, schemas = models_json_schema([(model, "validation") for model in models], ref_template=REF)
    event = {"$ref": REF.format(model="EventIn")}
    events_body = {"oneOf": [event, {"type": "array", "items": event, "minItems": 1, "maxItems": MAX_EVENTS}]}
    event_errors = {
        400: "An event is invalid; `field` names it (`[3].position` in a list) and `detail` says the fix.",
        401: ERRORS[401],
        403: ERRORS[403],
        404: "The service logs no events (PRODSEARCH_EVENTS_DB=off).",
        413: "The body is over 1 MiB.",
        500: ERRORS[500],
        503: "The events database is behind or does not answer: nothing of the request was stored; retry.",
    }
    beacon_errors = {
        400: "Invalid, or not a product that the named search showed; `field` names which.",
        403: "Sent from another origin than the served page.",
        404: event_errors[404],
        413: event_errors[413],
        500: ERRORS[500],
        503: event_errors[503],
    }
    backend = (500, 503)  # every route that touches the index can find Elasticsearch down
    return {
        "openapi": "3.1.0",
        "info": {"title": "prodsearch", "version": "1", "description": "Product search over one shop's catalogue."},
        "paths": {
            "/api/search": _get(
                "Search the catalogue",
                json_response(Search, "Hits, facets and timings."),
                (400, 401, 403, *backend),
                {
                    401: "rules=false without an `Authorization` header (it is the merchandiser's preview).",
                    403: "rules=false with a token that is not PRODSEARCH_ADMIN_TOKEN, or the service has none.",
                },
                parameters=_search_parameters(),
            ),
            "/api/suggest": _suggest(),
            "/api/products/{id}": _get(
                "One product with every stored field (its ETag in the header)",
                json_response(Product, "The product."),
                (404, *backend),
                parameters=[ID],
            )
            | _writes(),
            "/api/products/{id}/similar": _get(
                "Products like this one by meaning, never it or its variants, stock-aware",
                json_response(SimilarProducts, "The nearest products."),
                (400, 404, *backend),
                parameters=[ID, *_similar_parameters()],
            ),
            "/api/products/{id}/also-viewed": _get(
                "What shoppers also viewed and bought with this product, then similar ones; stock-aware",
                json_response(AlsoViewedProducts, "Products acted on in the same sessions, then similar products."),
                (400, 404, *backend),
                parameters=[ID, *_similar_parameters()],
            ),
            "/api/products": {"post": _write("Upsert a batch of whole products, all or nothing", _batch_body(), 413)},
            "/api/tasks/{task}": _get(
                "Whether a write is searchable here yet (bearer PRODSEARCH_ADMIN_TOKEN)",
                json_response(Task, "The write's state."),
                (401, 403, 404, 500),
                parameters=[
                    {"name": "task", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}
                ],
            ),
            "/api/events": _post("Shoppers' actions from the shop's backend (bearer token)", events_body, event_errors),
            "/api/beacon": _post(
                "A click on the served page, on a product the named search showed",
                {"$ref": REF.format(model="BeaconIn")},
                beacon_errors,
            ),
            "/healthz": _get("Served index version and counts", json_response(Health, "Serving."), backend),
            "/metrics": _get(
                "Prometheus metrics",
                {"description": "Prometheus text format", "content": {"text/plain": {"schema": {"type": "string"}}}},
                (500,),
            ),
            "/api/openapi.json": _get(
                "This document",
                {"description": "OpenAPI 3.1", "content": {"application/json": {"schema": {"type": "object"}}}},
                (500,),
            ),
        }
        | merchandising_paths(_search_parameters()),
        "components": {"schemas": schemas["$defs"]},
    }


ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
WAIT = {
    "name": "wait",
    "in": "query",
    "required": False,
    "description": "true: answer 200 once the write is searchable (at most 10 s), instead of 202 at once.",
    "schema": {"type": "boolean", "default": False},
}
WRITE_ERRORS = {
    400: "The body, a product or a parameter is invalid; `items` lists every problem by position and field.",
    401: "No `Authorization: Bearer` header.",
    403: "The bearer token is not PRODSEARCH_ADMIN_TOKEN, or the service has none (writes are off).",
    404: "No product with that id (PATCH, DELETE).",
    409: "If-Match is not the product's ETag, or another process is the index's writer (the detail names it).",
    413: f"More than {MAX_BATCH:,} products or {MAX_BATCH_BYTES // 2**20} MiB.",
    500: ERRORS[500],
    503: "An indexing job holds the index (an Elasticsearch alias's lock): nothing was written; retry.",
    507: "The write could not be stored (disk full): nothing of it was kept; retry once there is room.",
}
PRODUCT_BODY = {
    "type": "object",
    "description": "A product as a catalogue line: title required; the id is the URL's.",
    "required": ["title"],
}


def _write(summary: str, body: dict[str, Any] | None, *extra: int, parameters: list | None = None) -> dict[str, Any]:
    ok = {
        "200": json_response(Written, "Searchable (?wait=true)."),
        "202": json_response(Written, "Stored; searchable within ~1 s."),
    }
    statuses = (400, 401, 403, 409, 500, 503, 507, *extra)
    responses = ok | {str(status): json_response(WriteError, WRITE_ERRORS[status]) for status in sorted(statuses)}
    operation: dict[str, Any] = {"summary": summary, "parameters": [*(parameters or []), WAIT], "responses": responses}
    if body is not None:
        operation["requestBody"] = {"required": True, "content": body}
    return operation


def _writes() -> dict[str, Any]:
    """PUT, PATCH and DELETE of one product (bearer PRODSEARCH_ADMIN_TOKEN; If-Match optional)."""
    if_match = if_match_header("The ETag the product must still have (from GET); 409 if it changed.")
    whole = {"application/json": {"schema": PRODUCT_BODY}}
    patch = {
        "application/merge-patch+json": {"schema": {"type": "object"}},
        "application/json": {"schema": {"type": "object"}},
    }
    return {
        "put": _write("Create or replace a product", whole, parameters=[ID, if_match]),
        "patch": _write(
            "Change some fields (JSON merge patch: null removes one)", patch, 404, parameters=[ID, if_match]
        ),
        "delete": _write("Delete a product", None, 404, parameters=[ID, if_match]),
    }


def _batch_body() -> dict[str, Any]:
    items = {"type": "array", "items": PRODUCT_BODY | {"required": ["id", "title"]}, "maxItems": MAX_BATCH}
    return {"application/json": {"schema": items}, NDJSON: {"schema": {"type": "string"}}}


def _suggest() -> dict[str, Any]:
    """GET /api/suggest, its parameters from SuggestParams."""
    parameters = [
        {
            "name": name,
            "in": "query",
            "required": False,
            "description": field["description"],
            "schema": {key: value for key, value in field.items() if key not in ("title", "description")},
        }
        for name, field in SuggestParams.model_json_schema()["properties"].items()
    ]
    ok = json_response(Suggestions, "Suggestions, best first.")
    return _get("Suggestions for what a shopper has typed", ok, (400, 500, 503), parameters=parameters)
