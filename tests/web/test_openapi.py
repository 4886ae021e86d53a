"""The OpenAPI document against the app it describes: every error status, every parameter's bounds, closed schemas."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import jsonschema
import pytest
from flask.testing import FlaskClient

from indexer.errors import ClusterUnavailable
from search.merchandising import Ranking
from search.rules import Boost, Condition, FilterBody, RuleBody
from tests.helpers import EmptyBackend
from web import ServiceConfig, create_app
from web.schemas import RuleRecord, SynonymBody

pytestmark = pytest.mark.fast

ERROR_STATUSES = {
    ("get", "/api/search"): {"400", "401", "403", "500", "503"},
    ("get", "/api/suggest"): {"400", "500", "503"},
    ("get", "/api/products/{id}"): {"404", "500", "503"},
    ("get", "/api/products/{id}/similar"): {"400", "404", "500", "503"},
    ("get", "/api/products/{id}/also-viewed"): {"400", "404", "500", "503"},
    ("put", "/api/products/{id}"): {"400", "401", "403", "409", "500", "503", "507"},
    ("patch", "/api/products/{id}"): {"400", "401", "403", "404", "409", "500", "503", "507"},
    ("delete", "/api/products/{id}"): {"400", "401", "403", "404", "409", "500", "503", "507"},
    ("post", "/api/products"): {"400", "401", "403", "409", "413", "500", "503", "507"},
    ("get", "/api/tasks/{task}"): {"401", "403", "404", "500"},
    ("post", "/api/events"): {"400", "401", "403", "404", "413", "500", "503"},
    ("post", "/api/beacon"): {"400", "403", "404", "413", "500", "503"},
    ("get", "/healthz"): {"500", "503"},
    ("get", "/metrics"): {"500"},
    ("get", "/api/openapi.json"): {"500"},
    ("get", "/api/synonyms"): {"401", "403", "500", "503"},
    ("get", "/api/synonyms/{id}"): {"401", "403", "404", "500", "503"},
    ("put", "/api/synonyms/{id}"): {"400", "401", "403", "409", "500", "503"},
    ("delete", "/api/synonyms/{id}"): {"401", "403", "404", "409", "500", "503"},
    ("get", "/api/rules"): {"401", "403", "500", "503"},
    ("get", "/api/rules/{id}"): {"401", "403", "404", "500", "503"},
    ("put", "/api/rules/{id}"): {"400", "401", "403", "409", "500", "503"},
    ("delete", "/api/rules/{id}"): {"401", "403", "404", "409", "500", "503"},
    ("get", "/api/ranking"): {"401", "403", "500", "503"},
    ("put", "/api/ranking"): {"400", "401", "403", "409", "500", "503"},
    ("post", "/api/preview"): {"400", "401", "403", "500", "503"},
}
MERCHANDISING = {(method, path) for method, path in ERROR_STATUSES if path in ("/api/preview", "/api/ranking")}
MERCHANDISING |= {(method, path) for method, path in ERROR_STATUSES if path.startswith(("/api/synonyms", "/api/rules"))}
SUCCESS = {"get": {"200"}, "post": {"202"}, "put": {"200", "202"}, "patch": {"200", "202"}, "delete": {"200", "202"}}
WRITES = {("post", "/api/products"), ("put", "/api/products/{id}"), ("patch", "/api/products/{id}")}
WRITES |= {("delete", "/api/products/{id}")}
# absent rather than null when they do not apply; in request bodies, what a client may leave out
OPTIONAL_KEYS = {
    "Hit": {"explain", "variants"},
    "Search": {"experiment"},
    "AlsoViewedHit": {"explain", "variants"},
    "Error": {"parameter", "field", "version"},
    "EventIn": {"position", "session"},
    "BeaconIn": {"type", "position", "session"},
    "WriteError": {"items", "etag", "parameter"},
    "Written": {"id", "etag", "count"},
    "SynonymEntry": {"root"},
    "Suggestion": {"image"},
}
# request bodies as well as answers: a rule, a filter or ranking settings state only what they change
OPTIONAL_KEYS |= {
    model.__name__: {name for name, field in model.model_fields.items() if not field.is_required()}
    for model in (RuleBody, RuleRecord, Condition, FilterBody, Boost, Ranking, SynonymBody)
}


class FakeLive:
    """Stands in for LiveSearch: its pipeline raises `error`, or else has a backend with no products."""

    def __init__(self, error: Exception | None = None) -> None:
        self.error = error

    @property
    def pipeline(self) -> Any:
        if self.error is not None:
            raise self.error
        return SimpleNamespace(backend=EmptyBackend())


def client(error: Exception | None = None) -> FlaskClient:
    return create_app(ServiceConfig(index="unused", events_db="off"), live=FakeLive(error)).test_client()


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return client().get("/api/openapi.json").get_json()


def validate(document: dict[str, Any], schema: dict[str, Any], body: Any) -> None:
    jsonschema.Draft202012Validator({**schema, "components": document["components"]}).validate(body)


def response_schema(document: dict[str, Any], path: str, status: int) -> dict[str, Any]:
    responses = document["paths"][path]["get"]["responses"]
    assert str(status) in responses, f"{path} answers {status} but the document does not list it"
    return responses[str(status)]["content"]["application/json"]["schema"]


def test_every_path_lists_its_error_statuses_with_the_error_schema(document: dict[str, Any]) -> None:
    assert {(method, path) for path, item in document["paths"].items() for method in item} == set(ERROR_STATUSES)
    for (method, path), statuses in ERROR_STATUSES.items():
        responses = document["paths"][path][method]["responses"]
        success = {"200"} if (method, path) in MERCHANDISING else SUCCESS[method]
        success |= {"200", "202"} if (method, path) in WRITES else set()
        assert set(responses) - success == statuses, path
        for status in statuses:
            schema = responses[status]["content"]["application/json"]["schema"]
            error = "WriteError" if (method, path) in WRITES else "Error"  # the merchandiser's: Error, with field
            assert schema == {"$ref": f"#/components/schemas/{error}"}
            assert responses[status]["description"]


@pytest.mark.parametrize(
    "path, error, status",
    [
        ("/api/search?q=kettle", ClusterUnavailable("Elasticsearch at http://es:9200 did not answer"), 503),
        ("/api/products/SKU-1", ClusterUnavailable("Elasticsearch at http://es:9200 did not answer"), 503),
        ("/healthz", ClusterUnavailable("Elasticsearch at http://es:9200 did not answer"), 503),
        ("/api/search?q=kettle", RuntimeError("a bug"), 500),
        ("/api/products/SKU-1", RuntimeError("a bug"), 500),
        ("/healthz", RuntimeError("a bug"), 500),
        ("/api/products/SKU-1", None, 404),
        ("/api/search?q=kettle&k=0", None, 400),
    ],
)
def test_real_error_bodies_match_their_documented_status(
    document: dict[str, Any], path: str, error: Exception | None, status: int
) -> None:
    response = client(error).get(path)
    assert response.status_code == status
    documented_path = "/api/products/{id}" if path.startswith("/api/products/") else path.split("?")[0]
    validate(document, response_schema(document, documented_path, status), response.get_json())


def test_werkzeug_404_and_405_are_error_bodies_too(document: dict[str, Any]) -> None:
    for response, status in ((client().get("/api/nothing"), 404), (client().post("/api/search?q=kettle"), 405)):
        assert response.status_code == status
        validate(document, {"$ref": "#/components/schemas/Error"}, response.get_json())


def _examples(schema: dict[str, Any]) -> tuple[list[Any], list[Any]]:
    """Values the schema accepts and values it refuses, at its edges."""
    if "enum" in schema:
        return list(schema["enum"]), [f"not-{schema['enum'][0]}", ""]
    if "examples" in schema:
        return list(schema["examples"]), [f"not {schema['examples'][0]}"]
    kind = schema["type"]
    if kind == "integer":
        low, high = schema["minimum"], schema["maximum"]
        return [low, high, f" {low} "], [low - 1, high + 1, "1.5", "ten", ""]
    if kind == "number":
        low = schema.get("minimum")
        accepted = ["12.5", "1e2"] + ([low] if low is not None else ["-2.5"])
        return accepted, ["cheap", "nan", "inf"] + ([low - 0.5] if low is not None else [])
    if kind == "boolean":
        return ["true", "false", "1", "0", "TRUE"], ["maybe", "yes"]
    if kind == "array":
        return [["a", "b"]], []
    if "maxLength" in schema:
        return ["x" * schema["maxLength"]], ["x" * (schema["maxLength"] + 1), "   "]
    return ["Home > Kitchen"], []


def test_validation_enforces_exactly_the_documented_parameters(document: dict[str, Any]) -> None:
    # the backend is down, so a request that passes validation is a 503 and one that fails it a 400
    api = client(ClusterUnavailable("down"))
    for parameter in document["paths"]["/api/search"]["get"]["parameters"]:
        name = parameter["name"].replace("NAME", "colour")
        accepted, refused = _examples(parameter["schema"])
        for value in accepted:
            response = api.get("/api/search", query_string={"q": "kettle", name: value})
            preview = name == "rules" and str(value).strip().lower() in ("false", "0")  # needs the admin token
            assert response.status_code == (403 if preview else 503), (name, value, response.get_json())
        for value in refused:
            response = api.get("/api/search", query_string={"q": "kettle", name: value})
            assert response.status_code == 400 and response.get_json()["parameter"] == name, (name, value)
        if parameter["required"]:
            assert api.get("/api/search", query_string={"k": 5}).get_json()["parameter"] == name
    assert api.get("/api/search?q=kettle&colour=red").get_json()["parameter"] == "colour"


def test_response_schemas_are_closed_and_their_keys_required(document: dict[str, Any]) -> None:
    # additionalProperties: false makes a key added to search/serialize.py but not to web/schemas.py fail the
    # HTTP tests; required makes a key dropped from it fail them too
    for name, schema in document["components"]["schemas"].items():
        jsonschema.Draft202012Validator.check_schema(schema)
        assert schema["type"] == "object" and "additionalProperties" in schema, name
        if schema["additionalProperties"] is not False:
            assert name == "Timings"  # its stages vary by mode; only the total is fixed
        assert set(schema["properties"]) - set(schema.get("required", ())) == OPTIONAL_KEYS.get(name, set()), name
