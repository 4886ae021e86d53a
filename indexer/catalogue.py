"""Reading a product catalogue (JSONL or CSV) with a line number on every problem."""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from indexer.errors import CatalogueNotFoundError, IndexerError
from indexer.products import KNOWN_FIELDS, Product, validate_record

MAX_LISTED_ERRORS = 50
FORMATS = ("jsonl", "csv")
MAX_LINE_BYTES = 1_000_000  # one product; its fields have their own limits (indexer.products)


@dataclass(frozen=True)
class LineError:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


class _Unreadable(Exception):
    """A line past which the file cannot be read reliably (a CSV quote that never closes)."""

    def __init__(self, error: LineError) -> None:
        self.error = error


class CatalogueError(IndexerError):
    """The catalogue cannot be indexed as it is; `errors` holds every bad line."""

    def __init__(self, path: Path, errors: list[LineError], hint: str = "") -> None:
        self.path = path
        self.errors = errors
        listed = [f"  {error}" for error in errors[:MAX_LISTED_ERRORS]]
        if len(errors) > MAX_LISTED_ERRORS:
            listed.append(f"  ... and {len(errors) - MAX_LISTED_ERRORS} more")
        head = f"{path}: {len(errors)} invalid line{'s' if len(errors) != 1 else ''}"
        super().__init__("\n".join([head + (f" ({hint})" if hint else ""), *listed]))


@dataclass(frozen=True)
class Catalogue:
    products: list[Product]
    skipped: list[LineError]
    ignored_fields: tuple[str, ...]
    sha256: str
    lines: int


def read_catalogue(path: Path, skip_invalid: bool = False, encoding: str = "utf-8") -> Catalogue:
    """Every valid product of the file; raises CatalogueError unless skip_invalid."""
    path = Path(path)
    if not path.is_file():
        raise CatalogueNotFoundError(f"catalogue not found: {path}")
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise IndexerError(f"unknown encoding {encoding!r}; use a Python codec name such as utf-8 or latin-1") from None
    data = path.read_bytes()
    rows = _csv_rows(data, encoding) if _format_of(path) == "csv" else _jsonl_rows(data, encoding)

    products: list[Product] = []
    errors: list[LineError] = []
    first_line_of: dict[str, int] = {}
    ignored: set[str] = set()
    lines = 0
    try:
        for line, row in rows:
            lines = line
            if isinstance(row, LineError):
                errors.append(row)
                continue
            try:
                product = validate_record(row)
            except ValueError as error:
                errors.append(LineError(line, str(error)))
                continue
            ignored.update(key for key in row if key not in KNOWN_FIELDS and key not in product.numbers)
            if product.id in first_line_of:
                errors.append(
                    LineError(line, f"duplicate id {product.id!r} (first seen on line {first_line_of[product.id]})")
                )
                continue
            first_line_of[product.id] = line
            products.append(product)
    except _Unreadable as unreadable:
        raise CatalogueError(path, [*errors, unreadable.error], "nothing was indexed; fix them first") from None

    if errors and not skip_invalid:
        raise CatalogueError(path, errors, "nothing was indexed; fix them or pass --skip-invalid")
    if not products:
        raise CatalogueError(path, errors or [LineError(lines, "the catalogue has no products")])
    return Catalogue(products, errors, tuple(sorted(ignored)), hashlib.sha256(data).hexdigest(), lines)


def _format_of(path: Path) -> str:
    suffixes = [s.lower().lstrip(".") for s in path.suffixes]
    for suffix in reversed(suffixes):
        if suffix in ("jsonl", "ndjson", "json"):
            return "jsonl"
        if suffix == "csv":
            return "csv"
    raise IndexerError(f"{path}: unknown catalogue format; name it .jsonl or .csv")


def _decode(raw: bytes, line: int, encoding: str) -> str | LineError:
    try:
        return raw.decode("utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding)
    except UnicodeDecodeError as error:
        return LineError(
            line,
            f"not valid {encoding} (byte 0x{raw[error.start]:02x} at column {error.start + 1}); "
            "save the catalogue as UTF-8 or pass --encoding",
        )


def _json(text: str, number: int) -> Any | LineError:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        return LineError(number, f"broken JSON: {error.msg} (column {error.colno})")
    except RecursionError:
        return LineError(number, "JSON nested too deeply to read; a product is one object of text, numbers and lists")
    except ValueError as error:  # e.g. an integer of more than 4,300 digits
        return LineError(number, f"unreadable JSON: {str(error)[:120]}")


def _jsonl_rows(data: bytes, encoding: str) -> Iterator[tuple[int, dict[str, Any] | LineError]]:
    for number, raw in enumerate(data.splitlines(), start=1):
        if len(raw) > MAX_LINE_BYTES:
            yield number, _too_long(number, len(raw))
            continue
        text = _decode(raw, number, encoding)
        if isinstance(text, LineError):
            yield number, text
            continue
        if not text.strip():
            continue
        record = _json(text, number)
        if isinstance(record, LineError):
            yield number, record
            continue
        if not isinstance(record, dict):
            yield number, LineError(number, f"expected a JSON object, got {type(record).__name__}")
            continue
        yield number, record


def _csv_rows(data: bytes, encoding: str) -> Iterator[tuple[int, dict[str, Any] | LineError]]:
    lines = data.splitlines(keepends=True)
    decoded: list[str] = []
    for number, raw in enumerate(lines, start=1):
        text = _decode(raw, number, encoding)
        if isinstance(text, LineError):
            yield number, text
            decoded.append("\n")  # keep line numbers aligned for the rows after it
        else:
            decoded.append(text)
    reader = csv.DictReader(io.StringIO("".join(decoded), newline=""))
    if reader.fieldnames is None:
        return
    start = 2
    while True:
        number = start
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:  # the parser cannot find where this row ends, so nor any row after it
            raise _Unreadable(
                LineError(
                    number,
                    f"unreadable CSV ({error}): a field longer than {csv.field_size_limit():,} characters or a "
                    "quote that never closes; nothing after it can be read reliably",
                )
            ) from None
        start = reader.line_num + 1
        if all(value in (None, "") for value in row.values()):
            continue
        size = sum(len(value) for value in row.values() if isinstance(value, str))
        if size > MAX_LINE_BYTES:
            yield number, _too_long(number, size, "characters")
            continue
        if None in row:
            yield (
                number,
                LineError(
                    number, f"{len(reader.fieldnames) + len(row[None])} columns, header has {len(reader.fieldnames)}"
                ),
            )
            continue
        yield number, _csv_record(row, number)


def _too_long(number: int, size: int, unit: str = "bytes") -> LineError:
    return LineError(
        number,
        f"{size:,} {unit}, more than the {MAX_LINE_BYTES:,} one product may take; "
        "shorten its description or attributes (docs/limits.md lists every limit)",
    )


def _csv_record(row: dict[str, str], number: int) -> dict[str, Any] | LineError:
    record: dict[str, Any] = {}
    attributes: dict[str, Any] = {}
    for key, value in row.items():
        key = key.strip()
        if value is None or value.strip() == "":
            continue
        if key == "attributes":
            parsed = _json(value, number)
            if isinstance(parsed, LineError):
                return LineError(number, f"field 'attributes': {parsed.message}")
            if not isinstance(parsed, dict):
                return LineError(number, 'field \'attributes\': expected a JSON object such as {"colour": "red"}')
            attributes.update(parsed)
        elif key.startswith("attributes."):
            attributes[key.removeprefix("attributes.")] = value
        else:
            record[key] = value
    if attributes:
        record["attributes"] = attributes
    return record
