"""The OpenAPI 3.1 document of the JSON API (its schemas are checked against real responses in tests)."""

from __future__ import annotations

from typing import Any

from search.pipeline import MAX_PAGE, MODES
from web.params import MAX_QUERY

_NUMBER_OR_NULL = {"type": ["number", "null"]}
_STRING_OR_NULL = {"type": ["string", "null"]}
_INT_OR_NULL = {"type": ["integer", "null"]}

ERROR = {
    "type": "object",
    "required": ["error", "detail"],
    "properties": {"error": {"type": "string"}, "detail": {"type": "string"}, "parameter": {"type": "string"}},
}
PRODUCT = {
    "type": "object",
    "required": ["id", "title", "brand", "category", "price", "currency", "description"],
    "properties": {
        "id": {"type": "string"},
        "title": {"type": "string"},
        "brand": _STRING_OR_NULL,
        "category": _STRING_OR_NULL,
        "price": _NUMBER_OR_NULL,
        "currency": _STRING_OR_NULL,
        "description": {"type": "string"},
        "url": _STRING_OR_NULL,
        "attributes": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
    },
}
EXPLAIN = {
    "type": "object",
    "properties": {
        "keyword_score": _NUMBER_OR_NULL,
        "keyword_rank": _INT_OR_NULL,
        "dense_score": _NUMBER_OR_NULL,
        "dense_rank": _INT_OR_NULL,
        "fused_score": _NUMBER_OR_NULL,
        "rerank_score": _NUMBER_OR_NULL,
    },
}
FACET_VALUES = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["value", "count"],
        "properties": {"value": {"type": "string"}, "count": {"type": "integer"}},
    },
}
SEARCH = {
    "type": "object",
    "required": [
        "query",
        "corrected_query",
        "mode",
        "total",
        "page",
        "size",
        "index_version",
        "rerank",
        "hits",
        "facets",
        "timings_ms",
    ],
    "properties": {
        "query": {"type": "string"},
        "corrected_query": {
            "type": ["string", "null"],
            "description": "What was searched instead of the query, when spelling correction changed it.",
        },
        "mode": {"enum": list(MODES)},
        "total": {"type": "integer", "minimum": 0},
        "page": {"type": "integer", "minimum": 1},
        "size": {"type": "integer", "minimum": 1},
        "index_version": {"type": "string"},
        "rerank": {"type": "string"},
        "hits": {
            "type": "array",
            "items": {
                "allOf": [
                    {"$ref": "#/components/schemas/Product"},
                    {
                        "type": "object",
                        "required": ["score"],
                        "properties": {
                            "score": {"type": "number"},
                            "explain": {"$ref": "#/components/schemas/Explain"},
                        },
                    },
                ]
            },
        },
        "facets": {
            "type": "object",
            "required": ["category", "brand", "price"],
            "properties": {
                "category": FACET_VALUES,
                "brand": FACET_VALUES,
                "price": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["min", "max", "count"],
                        "properties": {"min": {"type": "number"}, "max": _NUMBER_OR_NULL, "count": {"type": "integer"}},
                    },
                },
            },
        },
        "timings_ms": {"type": "object", "required": ["total"], "additionalProperties": {"type": "number"}},
    },
}
HEALTH = {
    "type": "object",
    "required": ["status", "index_version", "products", "encoder", "reranker"],
    "properties": {
        "status": {"const": "ok"},
        "index_version": {"type": "string"},
        "products": {"type": "integer"},
        "encoder": {"type": "string"},
        "dense": {"type": "string"},
        "reranker": {"enum": ["on", "off"]},
    },
}


def _parameter(name: str, schema: dict[str, Any], description: str, required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "schema": schema, "description": description}


def _json(schema_name: str, description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema_name}"}}},
    }


def openapi_document() -> dict[str, Any]:
    bad = _json("Error", "A parameter is missing or invalid; `parameter` names it.")
    return {
        "openapi": "3.1.0",
        "info": {"title": "prodsearch", "version": "1", "description": "Product search over one shop's catalogue."},
        "paths": {
            "/api/search": {
                "get": {
                    "summary": "Search the catalogue",
                    "parameters": [
                        _parameter(
                            "q",
                            {"type": "string", "minLength": 1, "maxLength": MAX_QUERY},
                            "The shopper's words.",
                            True,
                        ),
                        _parameter(
                            "mode",
                            {"enum": list(MODES)},
                            "bm25, dense, hybrid (default) or rerank (hybrid, then the cross-encoder).",
                        ),
                        _parameter(
                            "k", {"type": "integer", "minimum": 1, "maximum": 100, "default": 10}, "Hits per page."
                        ),
                        _parameter(
                            "page", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1}, "Page number."
                        ),
                        _parameter("category", {"type": "string"}, "Category path prefix, e.g. 'Home > Kitchen'."),
                        _parameter(
                            "brand", {"type": "array", "items": {"type": "string"}}, "Brand; repeat for any of several."
                        ),
                        _parameter("price_min", {"type": "number", "minimum": 0}, "Lowest price."),
                        _parameter("price_max", {"type": "number", "minimum": 0}, "Highest price."),
                        _parameter(
                            "explain",
                            {"enum": ["0", "1", "true", "false"]},
                            "Add each stage's score and rank to every hit.",
                        ),
                        _parameter("min_score", {"type": "number"}, "Drop hits whose final score is below this."),
                        _parameter(
                            "spell",
                            {"enum": ["0", "1", "true", "false"]},
                            "1 (default): words no product uses are corrected to catalogue words; 0: search as typed.",
                        ),
                        {
                            "name": "attr.NAME",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "string"},
                            "description": "Attribute filter, e.g. attr.colour=red; repeat a name for several values.",
                        },
                    ],
                    "responses": {"200": _json("Search", "Hits, facets and timings."), "400": bad},
                }
            },
            "/api/products/{id}": {
                "get": {
                    "summary": "One product with every stored field",
                    "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
                    "responses": {
                        "200": _json("Product", "The product."),
                        "404": _json("Error", "No product with that id."),
                    },
                }
            },
            "/healthz": {
                "get": {"summary": "Served index version and counts", "responses": {"200": _json("Health", "Serving.")}}
            },
            "/metrics": {
                "get": {
                    "summary": "Prometheus metrics",
                    "responses": {
                        "200": {
                            "description": "Prometheus text format",
                            "content": {"text/plain": {"schema": {"type": "string"}}},
                        }
                    },
                }
            },
            "/api/openapi.json": {
                "get": {"summary": "This document", "responses": {"200": {"description": "OpenAPI 3.1"}}}
            },
        },
        "components": {
            "schemas": {"Error": ERROR, "Product": PRODUCT, "Explain": EXPLAIN, "Search": SEARCH, "Health": HEALTH}
        },
    }
