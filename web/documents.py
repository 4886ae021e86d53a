"""The document API: products written over HTTP (PUT, PATCH, DELETE, POST a batch) and the tasks they start.

See docs/design.md#live-writes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from indexer.changelog import Change, LogFull
from indexer.elastic import Superseded
from indexer.errors import JobError
from indexer.products import Product, RecordError, validate_record
from search.tasks import WritesRefused
from web.admin import Refused, authorize, json_body, refused
from web.config import ServerLimits

documents = Blueprint("documents", __name__)

MAX_BATCH = 10_000  # products in one POST /api/products
MAX_BATCH_BYTES = ServerLimits.write_body_bytes
WAIT_SECONDS = 10.0  # ?wait=true waits this long for the write to be searchable
NDJSON = "application/x-ndjson"

documents.errorhandler(Refused)(refused)


@documents.errorhandler(WritesRefused)
def not_the_writer(error: WritesRefused) -> tuple[Response, int]:
    return jsonify(error="not the writer", detail=str(error)), 409


@documents.errorhandler(Superseded)
def superseded(error: Superseded) -> tuple[Response, int]:
    return jsonify(error="conflict", detail=str(error)), 409


@documents.errorhandler(JobError)
def busy(error: JobError) -> tuple[Response, int, dict[str, str]]:
    # an indexing job holds the index (an Elasticsearch alias's lock): nothing was written; retry shortly
    return jsonify(error="busy", detail=f"{error}; nothing was written: retry"), 503, {"Retry-After": "5"}


@documents.errorhandler(LogFull)
def not_stored(error: LogFull) -> tuple[Response, int]:
    return jsonify(error="not stored", detail=str(error)), 507


documents.before_request(lambda: authorize(basic=False))  # bearer only: shops' systems, not browsers


def etag(product: Product) -> str:
    """The product's entity tag: changes with any field; If-Match compares it."""
    return '"' + hashlib.sha256(product.to_json().encode("utf-8")).hexdigest()[:20] + '"'


@documents.put("/api/products/<path:product_id>")
def put(product_id: str) -> tuple[Response, int, dict[str, str]]:
    record = _object()
    if record.get("id", product_id) != product_id:
        raise _bad_id(product_id, f"the body's id {record['id']!r} is not the URL's {product_id!r}")
    product = _valid({**record, "id": product_id})
    return _write(product_id, lambda current: ([product], []))


@documents.patch("/api/products/<path:product_id>")
def patch(product_id: str) -> tuple[Response, int, dict[str, str]]:
    changes = _object()
    if changes.get("id", product_id) != product_id:
        raise _bad_id(product_id, "a patch cannot change a product's id; PUT it under the new id")

    def patched(current: Product | None) -> tuple[list[Product], list[str]]:
        return [_valid(merge_patch(_existing(product_id, current).to_record(), changes))], []

    return _write(product_id, patched)


@documents.delete("/api/products/<path:product_id>")
def delete(product_id: str) -> tuple[Response, int, dict[str, str]]:
    _args()
    return _write(product_id, lambda current: ([], [_existing(product_id, current).id]))


@documents.post("/api/products")
def batch() -> tuple[Response, int, dict[str, str]]:
    items = _batch_items()
    if len(items) > MAX_BATCH:
        raise Refused(413, "batch too big", f"{len(items):,} products; send at most {MAX_BATCH:,} a request")
    products, problems, seen = [], [], {}
    for position, item in enumerate(items):
        try:
            product = validate_record(item)
        except RecordError as error:
            item_id = item.get("id") if isinstance(item, dict) else None
            problems += [_problem(position, item_id, p.field, p.message) for p in error.problems]
            continue
        if product.id in seen:
            problems.append(_problem(position, product.id, "id", f"id {product.id!r} is also item {seen[product.id]}"))
        seen.setdefault(product.id, position)
        products.append(product)
    if problems:
        bad = len({problem["position"] for problem in problems})
        detail = f"{bad} of {len(items)} products are invalid; nothing was stored: fix them and send the batch again"
        raise Refused(400, "invalid products", detail, items=problems)
    if not products:
        raise Refused(400, "invalid products", "the batch is empty; send a JSON array or NDJSON of products")
    return _write(None, lambda current: (products, []), count=len(products))


@documents.get("/api/tasks/<int:task>")
def task(task: int) -> Response | tuple[Response, int]:
    live = current_app.extensions["prodsearch.live"]
    status = live.tasks.status(task, live.log.last if hasattr(live, "log") else 0)
    if status is None:
        return jsonify(error="not found", detail=f"no write {task} here; tasks are numbered from 1"), 404
    return jsonify(task=task, status=status)


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396: objects merge key by key, null removes a key, anything else replaces."""
    if not isinstance(patch, dict):
        return patch
    merged = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = merge_patch(merged.get(key), value)
    return merged


def _write(
    product_id: str | None, make: Callable[[Product | None], tuple[list[Product], list[str]]], **extra: Any
) -> tuple[Response, int, dict[str, str]]:
    """Logs what `make` makes of the product as the last write left it, after If-Match; 202 with the task, or
    200 once searchable with ?wait=true."""
    wait = _args()
    expected = request.headers.get("If-Match")
    live = current_app.extensions["prodsearch.live"]

    def prepare(latest: Callable[[str], Product | None]) -> tuple[list[Product], list[str]]:
        current = latest(product_id) if product_id is not None else None
        if expected is not None and expected.strip() != "*" and (current is None or etag(current) != expected.strip()):
            now = etag(current) if current is not None else None
            raise Refused(409, "conflict", f"If-Match {expected} is not the product's ETag {now}: it changed", etag=now)
        if expected is not None and expected.strip() == "*" and current is None:
            raise Refused(409, "conflict", f"If-Match * but there is no product {product_id!r}", etag=None)
        return make(current)

    change: Change = live.write(prepare)
    status = "applied" if wait and live.wait(change.sequence, WAIT_SECONDS) else "enqueued"
    body = {"task": change.sequence, "status": status, **extra}
    headers = {"Location": f"/api/tasks/{change.sequence}"}
    if product_id is not None:
        body["id"] = product_id
        if change.upserts:
            body["etag"] = headers["ETag"] = etag(change.upserts[0])
    return jsonify(body), 200 if status == "applied" else 202, headers


def _args() -> bool:
    """?wait=true|false, the one parameter a write takes."""
    for name in request.args:
        if name != "wait":
            raise Refused(400, f"invalid parameter '{name}'", f"unknown parameter {name!r}; writes take only wait")
    wait = request.args.get("wait", "false").lower()
    if wait not in ("true", "false", "1", "0"):
        raise Refused(400, "invalid parameter 'wait'", f"wait must be true or false, got {wait!r}", parameter="wait")
    return wait in ("true", "1")


def _existing(product_id: str, current: Product | None) -> Product:
    if current is None:
        raise Refused(404, "not found", f"no product with id {product_id!r}; PUT it to create it")
    return current


def _valid(record: dict[str, Any]) -> Product:
    try:
        return validate_record(record)
    except RecordError as error:
        problems = [_problem(0, record.get("id"), p.field, p.message) for p in error.problems]
        raise Refused(400, "invalid product", str(error), items=problems) from None


def _bad_id(product_id: str, message: str) -> Refused:
    return Refused(400, "invalid product", message, items=[_problem(0, product_id, "id", message)])


def _problem(position: int, product_id: Any, field: str | None, message: str) -> dict[str, Any]:
    return {
        "position": position,
        "id": product_id if isinstance(product_id, str) else None,
        "field": field,
        "message": message,
    }


def _object() -> dict[str, Any]:
    body = json_body(request.get_data(cache=False))
    if not isinstance(body, dict):
        raise Refused(400, "invalid product", f"the body must be a JSON object, not {type(body).__name__}")
    return body


def _batch_items() -> list[Any]:
    data = request.get_data(cache=False)
    if request.mimetype == NDJSON:
        items = []
        for number, line in enumerate(data.splitlines(), start=1):
            if line.strip():
                items.append(json_body(line, f"line {number}"))
        return items
    body = json_body(data)
    if not isinstance(body, list):
        raise Refused(
            400, "invalid products", f"the body must be a JSON array (or {NDJSON}), not {type(body).__name__}"
        )
    return body
