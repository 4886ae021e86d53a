"""The merchandiser's API: synonyms, rules and ranking as versioned resources, and a preview of a query with and
without rules, behind the admin token. See docs/design.md#merchandising.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from search.errors import RequestError, ResourceError, UnknownResource
from search.merchandising import Merchandising, MerchandisingStore, ranking_of
from search.rules import Rule
from search.serialize import response_json
from search.synonyms import Synonym
from web.admin import Refused, authorize, json_body, refused
from web.params import parse_search

merchandising = Blueprint("merchandising", __name__)
merchandising.before_request(authorize)
merchandising.errorhandler(Refused)(refused)


@merchandising.errorhandler(UnknownResource)
def unknown(error: UnknownResource) -> tuple[Response, int]:
    return jsonify(error="not found", detail=str(error)), 404


@merchandising.errorhandler(RequestError)
def bad_parameter(error: RequestError) -> tuple[Response, int]:  # the preview's search parameters
    return jsonify(error=f"invalid parameter '{error.parameter}'", detail=str(error), parameter=error.parameter), 400


@merchandising.errorhandler(ResourceError)
def invalid(error: ResourceError) -> tuple[Response, int]:
    return jsonify(error=f"invalid {error.field}", detail=str(error), field=error.field), 400


def _store() -> MerchandisingStore:
    return current_app.extensions["prodsearch.live"].pipeline.merchandising


def _body() -> Any:
    return json_body(request.get_data(cache=False))


class Outdated(Exception):
    def __init__(self, version: int, expected: str) -> None:
        super().__init__(f"the shop's settings are at version {version}, not {expected}: read them again and retry")
        self.version = version


@merchandising.errorhandler(Outdated)
def outdated(error: Outdated) -> tuple[Response, int, dict[str, str]]:
    return jsonify(error="conflict", detail=str(error), version=error.version), 409, {"ETag": f'"{error.version}"'}


def _change(edit: Callable[[Merchandising], Merchandising]) -> Merchandising:
    """The store changed by `edit`, if the settings are still at the version `If-Match` names (when it is sent):
    two merchandisers editing at once do not overwrite each other unawares."""
    expected = request.headers.get("If-Match", "").strip().strip('"')

    def checked(current: Merchandising) -> Merchandising:
        if expected and expected != "*" and expected != str(current.version):
            raise Outdated(current.version, expected)
        return edit(current)

    return _store().change(checked)


@merchandising.after_request
def version_tag(response: Response) -> Response:
    """The settings' version as the ETag, for If-Match on the next change."""
    body = response.get_json(silent=True) if response.is_json else None
    if isinstance(body, dict) and isinstance(body.get("version"), int) and response.status_code == 200:
        response.headers["ETag"] = f'"{body["version"]}"'
    return response


def _resource(kind: str, parse: Callable[[str, Any], Any]) -> None:
    """GET the list, and GET, PUT and DELETE one, of a kind of the shop's settings (synonym, rule)."""
    plural = f"{kind}s"

    def listed() -> Response:
        current = _store().current()
        return jsonify(
            version=current.version, **{plural: [entry.to_json() for entry in getattr(current, plural).values()]}
        )

    def one(resource_id: str) -> Response:
        current = _store().current()
        if resource_id not in getattr(current, plural):
            raise UnknownResource(kind, resource_id)
        return jsonify(version=current.version, **{kind: getattr(current, plural)[resource_id].to_json()})

    def put(resource_id: str) -> Response:
        entry = parse(resource_id, _body())
        changed = _change(lambda current: current.with_entries(plural, [entry]))
        return jsonify(version=changed.version, **{kind: entry.to_json()})

    def delete(resource_id: str) -> Response:
        changed = _change(lambda current: current.without(kind, resource_id))
        return jsonify(version=changed.version, deleted=resource_id)

    merchandising.add_url_rule(f"/api/{plural}", f"list_{plural}", listed, methods=["GET"])
    merchandising.add_url_rule(f"/api/{plural}/<resource_id>", f"get_{kind}", one, methods=["GET"])
    merchandising.add_url_rule(f"/api/{plural}/<resource_id>", f"put_{kind}", put, methods=["PUT"])
    merchandising.add_url_rule(f"/api/{plural}/<resource_id>", f"delete_{kind}", delete, methods=["DELETE"])


_resource("synonym", Synonym.from_json)
_resource("rule", Rule.from_json)


@merchandising.post("/api/preview")
def preview() -> Response:
    """The search the query string asks for, with the shop's rules and without them; a body with a rule (an `id`
    and its fields) previews it as if it were stored."""
    data = request.get_data(cache=False)
    trial = ()
    if data.strip():
        body = json_body(data)
        if not isinstance(body, dict):
            raise ResourceError("body", "the body is a rule to preview: a JSON object with an id, or nothing")
        trial = (Rule.from_json(str(body.get("id", "preview")), body),)
    asked = parse_search(request.args, current_app.extensions["prodsearch.config"].default_mode)
    pipeline = current_app.extensions["prodsearch.live"].pipeline
    label = pipeline.backend.label
    with_rules = pipeline.search(replace(asked, rules=True, preview=trial))
    without = pipeline.search(replace(asked, rules=False, preview=()))
    answers = [response_json(response, label) | {"search_id": None} for response in (with_rules, without)]
    return jsonify(**{"with": answers[0], "without": answers[1]})


@merchandising.get("/api/ranking")
def ranking() -> Response:
    current = _store().current()
    return jsonify(version=current.version, ranking=current.ranking.model_dump(mode="json"))


@merchandising.put("/api/ranking")
def put_ranking() -> Response:
    chosen = ranking_of(_body())
    changed = _change(lambda current: current.with_ranking(chosen))
    return jsonify(version=changed.version, ranking=chosen.model_dump(mode="json"))
