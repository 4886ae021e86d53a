"""The merchandiser's API in the OpenAPI document: synonyms, rules, ranking and the preview (web/merchandising.py)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from web.schemas import Deleted, Error, Preview, RankingOne, RuleList, RuleOne, SynonymList, SynonymOne

REF = "#/components/schemas/{model}"
ERRORS = {
    400: "The body is invalid; `field` names the part at fault and `detail` says the fix.",
    401: "No `Authorization: Bearer` header.",
    403: "The bearer token is not PRODSEARCH_ADMIN_TOKEN, or the service has none.",
    404: "No entry with that id.",
    409: "If-Match names another version than the settings' now (`version` says which): read them again.",
    500: "The service failed on this request; it was logged.",
    503: "The search backend (an Elasticsearch cluster) did not answer.",
}
ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "string", "pattern": "^[A-Za-z0-9._-]{1,128}$"}}


def if_match(description: str) -> dict[str, Any]:
    """The optional If-Match header of a change, 409 when what it names has moved."""
    return {
        "name": "If-Match",
        "in": "header",
        "required": False,
        "schema": {"type": "string"},
        "description": description,
    }


IF_MATCH = if_match('The settings\' version the change is made on (the ETag of a read, e.g. "7"); 409 if it moved.')


def _operation(
    summary: str, ok: type[BaseModel], errors: tuple[int, ...], body: str | None = None, parameters: list | None = None
) -> dict[str, Any]:
    responses = {"200": json_response(ok, summary)}
    responses |= {str(status): json_response(Error, ERRORS[status]) for status in errors}
    operation: dict[str, Any] = {"summary": f"{summary} (bearer PRODSEARCH_ADMIN_TOKEN)", "responses": responses}
    if parameters:
        operation["parameters"] = parameters
    if body is not None:
        schema = {"$ref": REF.format(model=body)}
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": schema}}}
    return operation


def json_response(model: type[BaseModel], description: str) -> dict[str, Any]:
    schema = {"$ref": REF.format(model=model.__name__)}
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def merchandising_paths(search_parameters: list[dict[str, Any]]) -> dict[str, Any]:
    reads, one = (401, 403, 500, 503), (401, 403, 404, 500, 503)
    writes, removals = (400, 401, 403, 409, 500, 503), (401, 403, 404, 409, 500, 503)
    summary = "A query with the shop's rules and without them"
    preview = _operation(summary, Preview, (400, 401, 403, 500, 503), parameters=search_parameters)
    preview["requestBody"] = {
        "required": False,
        "description": "A rule (with its id) to preview as if it were stored; empty: the stored rules only.",
        "content": {"application/json": {"schema": {"$ref": REF.format(model="RuleRecord")}}},
    }
    return {
        "/api/synonyms": {"get": _operation("Every synonym entry", SynonymList, reads)},
        "/api/synonyms/{id}": {
            "get": _operation("One synonym entry", SynonymOne, one, parameters=[ID]),
            "put": _operation(
                "Store a synonym entry, in effect within 1 s", SynonymOne, writes, "SynonymBody", [ID, IF_MATCH]
            ),
            "delete": _operation("Remove a synonym entry", Deleted, removals, parameters=[ID, IF_MATCH]),
        },
        "/api/rules": {"get": _operation("Every rule", RuleList, reads)},
        "/api/rules/{id}": {
            "get": _operation("One rule", RuleOne, one, parameters=[ID]),
            "put": _operation("Store a rule, in effect within 1 s", RuleOne, writes, "RuleBody", [ID, IF_MATCH]),
            "delete": _operation("Remove a rule", Deleted, removals, parameters=[ID, IF_MATCH]),
        },
        "/api/ranking": {
            "get": _operation("Business ranking, stock, variants and sorting settings", RankingOne, reads),
            "put": _operation("Replace the ranking settings", RankingOne, writes, "Ranking", [IF_MATCH]),
        },
        "/api/preview": {"post": preview},
    }
