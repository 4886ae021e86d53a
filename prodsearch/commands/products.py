"""`prodsearch products put|patch|delete|import`: change a running service's products through its document API."""

from __future__ import annotations

import functools
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import click

from indexer.errors import IndexerError, JobError

DEFAULT_URL = "http://127.0.0.1:8000"  # where `prodsearch serve` listens unless told otherwise
TOKEN_ENV = "PRODSEARCH_ADMIN_TOKEN"
TIMEOUT = 120.0  # seconds for one request: with --wait the answer comes once the write is searchable
WAIT_SECONDS = 600.0  # how long --wait polls a task that is still enqueued
MAX_BATCH = 10_000  # the service refuses (413) a larger batch
MAX_LISTED = 50  # bad lines listed in one error; the count says how many more
START = "start it with 'prodsearch serve INDEX', or pass --url (default: PRODSEARCH_URL)"

HINTS = {  # what to do about a refusal, by its status
    401: f"set {TOKEN_ENV} to the service's admin token (or pass --token)",
    413: "send fewer products at once (--batch-size)",
    507: "free space on the service's disk and send it again",
}

Row = tuple[str, Any]  # where in the file ("line 17", "item 17") and what it holds


class Refused(IndexerError):
    """The service refused a request (4xx); `body` is its answer."""

    def __init__(self, message: str, body: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.body = body or {}


@dataclass(frozen=True)
class Api:
    """The document API of the service at `url`, called with the admin token."""

    url: str
    token: str | None = field(default=None, repr=False)

    def call(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> dict[str, Any]:
        data = None if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
        headers = {**(headers or {}), **({"Content-Type": "application/json"} if data is not None else {})}
        headers |= {"Authorization": f"Bearer {self.token}"} if self.token else {}
        request = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                answer = response.read()
        except urllib.error.HTTPError as error:
            raise refusal(error, f"{method} {self.url}{path}") from None
        except (urllib.error.URLError, TimeoutError, ConnectionError) as error:  # no connection, or it broke
            reason = getattr(error, "reason", error)
            if isinstance(reason, ConnectionRefusedError):
                raise JobError(f"nothing answers at {self.url}: the service is not running there; {START}") from None
            raise JobError(f"no answer from {self.url}: {reason}") from None
        try:
            return json.loads(answer or b"{}")
        except ValueError:
            raise JobError(f"{self.url} answered {path} with something other than JSON; is it prodsearch?") from None

    def write(self, method: str, product_id: str, body: Any, wait: bool, if_match: str | None) -> dict[str, Any]:
        """PUT, PATCH or DELETE one product; with `wait`, the answer once the change is searchable."""
        path = "/api/products/" + urllib.parse.quote(product_id, safe="/") + ("?wait=true" if wait else "")
        answer = self.call(method, path, body, {"If-Match": if_match} if if_match else None)
        if wait and answer.get("status") != "applied":  # the service stopped waiting before the change applied
            answer = {**answer, **self.wait_for(answer["task"])}
        return answer

    def wait_for(self, task: int) -> dict[str, Any]:
        """The task once applied (and every task before it); JobError when it failed or takes too long."""
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            answer = self.call("GET", f"/api/tasks/{task}")
            status, detail = answer.get("status"), answer.get("detail") or f"waited {WAIT_SECONDS:.0f} s"
            if status == "applied":
                return answer
            if status != "enqueued" or time.monotonic() > deadline:  # failed, or slower than anyone waits
                raise JobError(f"task {task} is {status} ({detail}); see {self.url}/api/tasks/{task}")
            time.sleep(0.2)


def refusal(error: urllib.error.HTTPError, what: str) -> Exception:
    """The service's answer as one line: Refused (bad input, exit 2), or JobError (exit 1) where it cannot write."""
    try:
        body = json.loads(error.read() or b"{}")
    except ValueError:
        body = {}
    body = body if isinstance(body, dict) else {}
    said = ": ".join(str(part) for part in (body.get("error"), body.get("detail")) if part) or error.reason
    message = f"{what}: {said} (HTTP {error.code})" + (f"; {HINTS[error.code]}" if error.code in HINTS else "")
    if error.code >= 500 or body.get("error") == "not the writer":  # the input may be fine: retry, or ask the writer
        return JobError(message)
    return Refused(message, body)


def connection(command):
    """--url, --token and --wait; the first two handed to the command as one Api `api`."""

    @functools.wraps(command)
    def with_api(*args: Any, url: str, token: str | None, **kwargs: Any) -> Any:
        return command(*args, api=Api(url.rstrip("/"), token.strip() if token else None), **kwargs)

    url_help = f"The service [default: PRODSEARCH_URL, else {DEFAULT_URL}]."
    token_help = f"Admin token [default: {TOKEN_ENV}; prefer it: a flag shows in the process list]."
    with_api = click.option("--wait", is_flag=True, help="Return once the change is searchable.")(with_api)
    with_api = click.option("--token", envvar=TOKEN_ENV, help=token_help)(with_api)
    return click.option("--url", envvar="PRODSEARCH_URL", default=DEFAULT_URL, help=url_help)(with_api)


if_match_option = click.option("--if-match", metavar="ETAG", help="Change it only if its ETag is still this, else 409.")


@click.group()
def products() -> None:
    """Put, patch, delete and import products on a running service; writes need PRODSEARCH_ADMIN_TOKEN."""


@products.command()
@click.argument("product_id", metavar="ID")
@click.argument("source", metavar="FILE", type=click.File("r", encoding="utf-8"))
@if_match_option
@connection
def put(api: Api, product_id: str, source: IO[str], wait: bool, if_match: str | None) -> None:
    """Store product ID whole from FILE, one JSON object ('-' reads stdin), replacing what ID held."""
    record = parse_object(source.read(), source.name)
    show("put", product_id, api.write("PUT", product_id, record, wait, if_match))


@products.command()
@click.argument("product_id", metavar="ID")
@click.argument("change", metavar="JSON|@FILE")
@if_match_option
@connection
def patch(api: Api, product_id: str, change: str, wait: bool, if_match: str | None) -> None:
    """Change some fields of product ID with a JSON merge patch (RFC 7396: null removes a field).

    Give the JSON itself, as '{"price": 9.5}', or @FILE holding it ('@-' reads stdin).
    """
    where = "the patch"
    if change.startswith("@"):
        with click.open_file(change[1:], encoding="utf-8") as source:
            change, where = source.read(), change[1:]
    show("patch", product_id, api.write("PATCH", product_id, parse_object(change, where), wait, if_match))


@products.command()
@click.argument("product_id", metavar="ID")
@if_match_option
@connection
def delete(api: Api, product_id: str, wait: bool, if_match: str | None) -> None:
    """Delete product ID."""
    show("delete", product_id, api.write("DELETE", product_id, None, wait, if_match))


@products.command("import")
@click.argument("catalogue", metavar="FILE", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--batch-size", type=click.IntRange(1, MAX_BATCH), default=500, show_default=True, help="Products a request."
)
@connection
def import_(api: Api, catalogue: Path, batch_size: int, wait: bool) -> None:
    """Send a catalogue in batches, each stored all or nothing; a product replaces the one with its ID.

    FILE is JSONL (one product a line) or a JSON array, checked whole before anything is sent.
    """
    rows = read_rows(catalogue)
    started = time.monotonic()
    tasks = send(api, catalogue, rows, batch_size)
    if wait:
        api.wait_for(tasks[-1])
    seconds, applied = max(time.monotonic() - started, 1e-6), ", all applied" if wait else ""
    sent = f"sent {_many(len(rows), 'product')} in {_many(len(tasks), 'batch')} (tasks {tasks[0]}..{tasks[-1]})"
    click.echo(f"{sent}{applied} in {seconds:.1f} s: {len(rows) / seconds:,.1f} products/s")


def parse_object(text: str, where: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError as error:
        raise IndexerError(f"{where} is not JSON: {error}") from None
    if not isinstance(value, dict):
        raise IndexerError(f"{where} holds a JSON {type(value).__name__}; give one JSON object")
    return value


def read_rows(path: Path) -> list[Row]:
    """Every product of a JSONL file or JSON array, by place; IndexerError listing each line that is not one."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise IndexerError(f"{path} is not UTF-8 text (byte {error.start}); save it as UTF-8") from None
    if text.lstrip().startswith("["):
        try:
            rows = [(f"item {number}", value) for number, value in enumerate(json.loads(text), 1)]
        except ValueError as error:
            raise IndexerError(f"{path} is not a JSON array: {error}") from None
    else:  # split on newlines only: JSON strings may hold U+2028, which splitlines() would cut
        lines = enumerate(text.split("\n"), 1)
        rows = [(f"line {number}", _parsed(line)) for number, line in lines if line.strip()]
    problems = [f"{path}, {place}: {_not_a_product(value)}" for place, value in rows if not isinstance(value, dict)]
    if problems:
        raise IndexerError(_listed(f"{path}: nothing was sent", problems))
    if not rows:
        raise IndexerError(f"{path} holds no products")
    return rows


def _parsed(line: str) -> Any:
    try:
        return json.loads(line)
    except ValueError as error:  # kept in its place: every bad line is listed, not only the first
        return error


def _not_a_product(value: Any) -> str:
    if isinstance(value, json.JSONDecodeError):
        return f"not JSON ({value.msg}, column {value.colno})"
    return f"a product is a JSON object, not {type(value).__name__}"


def send(api: Api, path: Path, rows: list[Row], batch_size: int) -> list[int]:
    """The task of each batch sent; an error stops at the first batch refused and says what was stored."""
    from models.progress import bar

    tasks: list[int] = []
    batches = -(-len(rows) // batch_size)
    with bar(total=len(rows), unit="product", desc="sending") as progress:
        for start in range(0, len(rows), batch_size):
            batch = rows[start : start + batch_size]
            try:
                tasks.append(api.call("POST", "/api/products", [record for _, record in batch])["task"])
            except (IndexerError, JobError) as error:
                before = f"{_many(start, 'product')} before it stored as tasks {tasks[0]}..{tasks[-1]}" if tasks else ""
                raise _stopped(error, path, batch, f"batch {len(tasks) + 1} of {batches}", before) from None
            progress.update(len(batch))
    return tasks


def _stopped(error: Exception, path: Path, batch: list[Row], which: str, before: str) -> Exception:
    """What stopped an import at `batch`, and what the batches `before` it stored."""
    items = error.body.get("items") if isinstance(error, Refused) else None
    if not items:
        return type(error)(f"{which} was not stored ({before}): {error}") if before else error
    problems = [f"{path}, {batch[item['position']][0]}: {_message(item)}" for item in items]
    head = f"{which} was refused, none of it stored ({before or 'nothing before it'}); fix these and import again:"
    return IndexerError(_listed(head, problems))


def _many(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 'es' if noun.endswith('ch') else 's'}"


def _message(item: dict[str, Any]) -> str:
    message, name = str(item.get("message")), item.get("field")  # the service's message may name the field already
    return message if not name or f"'{name}'" in message else f"field '{name}': {message}"


def _listed(head: str, problems: list[str]) -> str:
    more = [f"  ... and {len(problems) - MAX_LISTED} more"] if len(problems) > MAX_LISTED else []
    return "\n".join([head, *[f"  {problem}" for problem in problems[:MAX_LISTED]], *more])


def show(verb: str, product_id: str, answer: dict[str, Any]) -> None:
    etag = f", etag {answer['etag']}" if answer.get("etag") else ""
    click.echo(f"{verb} {product_id}: task {answer.get('task')} {answer.get('status')}{etag}")
