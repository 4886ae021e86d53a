"""The product record: validation of one catalogue row and its canonical stored form."""

from __future__ import annotations

import hashlib
import json
import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator

from indexer.images import image_problem

CATEGORY_SEPARATOR = ">"
KNOWN_FIELDS = (
    "id", "title", "description", "category", "brand", "price", "currency", "attributes", "url",
    "in_stock", "stock", "group_id", "image",
)  # fmt: skip
# Any other top-level field whose value is a number (rating, margin, ...) is kept as one of the product's
# `numbers`, for sorting and business ranking; its name must be one a sort parameter can carry.
NUMBER_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
MAX_NUMBERS = 50  # numeric fields per product
PLAIN_NUMBER = re.compile(r"^-?(0|[1-9]\d*)(\.\d+)?$")

AttributeValue = str | int | float | bool

# Bounds on one catalogue row, in characters after trimming, so that one hostile or broken row
# cannot cost the build gigabytes (the encoder and the keyword index take every character).
# The longest description of the shipped and public catalogues is 19,436 characters.
MAX_ID_CHARS = 256
MAX_CHARS = {"title": 1_000, "description": 50_000, "brand": 200, "category": 1_000, "currency": 16, "url": 2_048}
MAX_ATTRIBUTES = 100  # names per product
MAX_ATTRIBUTE_VALUES = 100  # values per name
MAX_ATTRIBUTE_CHARS = 1_000  # one name or one value
# Characters an id may not hold: it is a path in the API's URL and a line of an ids file.
_UNSERVABLE = ("Cc", "Cf", "Cs", "Zl", "Zp")  # controls (newline, tab, NUL), invisible formats, surrogates


def split_category(path: str) -> tuple[str, ...]:
    """'Home > Kitchen' as ('Home', 'Kitchen'); blank parts are dropped."""
    return tuple(part.strip() for part in path.split(CATEGORY_SEPARATOR) if part.strip())


def join_category(parts: Sequence[str]) -> str:
    """('Home', 'Kitchen') as 'Home > Kitchen', the form responses, facets and Elasticsearch use."""
    return f" {CATEGORY_SEPARATOR} ".join(parts)


@dataclass(frozen=True)
class Product:
    """One product as stored in an index; `category` is the path from the root down."""

    id: str
    title: str
    description: str = ""
    category: tuple[str, ...] = ()
    brand: str | None = None
    price: float | None = None
    currency: str | None = None
    attributes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    url: str | None = None
    in_stock: bool = True
    stock: int | None = None  # units on hand, when the shop says
    group_id: str | None = None  # the variants of one product (sizes, colours) share it
    numbers: dict[str, float] = field(default_factory=dict)  # other numeric fields: rating, margin, ...
    image: str | None = None  # the picture's absolute http(s) URL (indexer.images)

    def number(self, name: str) -> float | None:
        """The value of a numeric field (price, stock or one of `numbers`), None where the product has none."""
        if name == "price":
            return self.price
        if name == "stock":
            return None if self.stock is None else float(self.stock)
        return self.numbers.get(name)

    def embedding_text(self) -> str:
        """What the bi-encoder sees: title and description."""
        return f"{self.title}. {self.description}" if self.description else self.title

    def content_hash(self) -> str:
        """Changes exactly when the embedding text changes, so updates re-embed only those products."""
        return hashlib.sha256(self.embedding_text().encode("utf-8")).hexdigest()[:16]

    def category_path(self) -> str:
        return join_category(self.category)

    def to_json(self) -> str:
        record = asdict(self)
        record["category"] = list(self.category)
        record["attributes"] = {key: list(values) for key, values in self.attributes.items()}
        if self.image is None:
            # left out rather than null: a product without one keeps the stored form, and so the ETag and the
            # Elasticsearch document, that it had before images, and updates do not rewrite every product
            del record["image"]
        return json.dumps(record, ensure_ascii=False, sort_keys=True)

    def to_record(self) -> dict[str, Any]:
        return json.loads(self.to_json())

    @classmethod
    def from_json(cls, line: str) -> Product:
        return cls.from_record(json.loads(line))

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Product:
        record = dict(record)
        record["category"] = tuple(record["category"])
        record["attributes"] = {key: tuple(values) for key, values in record["attributes"].items()}
        return cls(**record)  # written before stock, variants, numbers or images: their defaults


class ProductRecord(BaseModel):
    """Validation of one raw catalogue row; unknown fields are ignored (and reported by the reader)."""

    model_config = ConfigDict(extra="allow", str_strip_whitespace=True, coerce_numbers_to_str=True)

    id: str = Field(min_length=1, max_length=MAX_ID_CHARS)
    title: str = Field(min_length=1)
    description: str | None = None
    category: str | list[str] | None = None
    brand: str | None = None
    price: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    currency: str | None = None
    attributes: dict[str, AttributeValue | list[AttributeValue]] | None = None
    url: str | None = None
    in_stock: bool = True
    stock: int | None = Field(default=None, ge=0)
    group_id: str | None = Field(default=None, max_length=MAX_ID_CHARS)
    image: str | None = None

    @field_validator("id", mode="before")
    @classmethod
    def _id_is_servable(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip():
            problem = id_problem(value)
            if problem:
                raise ValueError(problem)
        return value

    @field_validator("title", "description", "brand", "currency", "url", "category")
    @classmethod
    def _text_is_bounded(cls, value: str | list[str] | None, info: ValidationInfo) -> str | list[str] | None:
        if value is None:
            return value
        text = value if isinstance(value, str) else CATEGORY_SEPARATOR.join(value)
        limit = MAX_CHARS[info.field_name]
        if len(text) > limit:
            raise ValueError(
                f"{len(text):,} characters, more than the {limit:,} a {info.field_name} may have; shorten it"
            )
        return value

    @field_validator("image")
    @classmethod
    def _image_is_loadable(cls, value: str | None) -> str | None:
        if value:  # "" (an empty CSV cell, a blank JSON string) is no image
            problem = image_problem(value)
            if problem:
                raise ValueError(problem)
        return value

    @field_validator("attributes")
    @classmethod
    def _attributes_are_bounded(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is None:
            return value
        if len(value) > MAX_ATTRIBUTES:
            raise ValueError(f"{len(value):,} names, more than the {MAX_ATTRIBUTES} a product may have; keep fewer")
        for key, values in value.items():
            values = values if isinstance(values, list) else [values]
            if len(values) > MAX_ATTRIBUTE_VALUES:
                raise ValueError(
                    f"{key[:40]!r} has {len(values):,} values, more than the {MAX_ATTRIBUTE_VALUES} a name may have"
                )
            for text in (key, *(v for v in values if isinstance(v, str))):
                if len(text) > MAX_ATTRIBUTE_CHARS:
                    raise ValueError(
                        f"{text[:40]!r}... is {len(text):,} characters, more than the {MAX_ATTRIBUTE_CHARS:,} "
                        "an attribute name or value may have; shorten it"
                    )
        return value

    @field_validator("price", "stock", mode="before")
    @classmethod
    def _price_is_a_number(cls, value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError("must be a number, not true/false")
        if isinstance(value, str) and value.strip() == "":
            return None
        return value

    @field_validator("in_stock", mode="before")
    @classmethod
    def _in_stock_is_yes_or_no(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip() == "":
            return True
        return value

    @model_validator(mode="after")
    def _stock_says_in_stock(self) -> ProductRecord:
        if "in_stock" not in self.model_fields_set and self.stock is not None:
            self.in_stock = self.stock > 0  # a stock of 0 and nothing said of in_stock: out of stock
        return self

    def numeric_fields(self) -> dict[str, float]:
        """The other top-level fields whose values are numbers, or text written as a plain number (a CSV column),
        the first MAX_NUMBERS by name; a code with leading zeros ("00123") is text, not a number."""
        numbers = {}
        for name, value in (self.model_extra or {}).items():
            if len(numbers) == MAX_NUMBERS or not NUMBER_NAME.match(name) or isinstance(value, bool):
                continue
            if isinstance(value, str) and PLAIN_NUMBER.match(value.strip()):
                value = float(value)
            if isinstance(value, (int, float)) and math.isfinite(value):
                numbers[name] = float(value)
        return numbers

    def to_product(self) -> Product:
        parts = split_category(self.category) if isinstance(self.category, str) else self.category or []
        attributes = {}
        for key, value in (self.attributes or {}).items():
            values = value if isinstance(value, list) else [value]
            attributes[key.strip()] = tuple(_attribute_text(v) for v in values)
        return Product(
            id=self.id,
            title=self.title,
            description=self.description or "",
            category=tuple(part.strip() for part in parts if part.strip()),
            brand=self.brand or None,
            price=self.price,
            currency=self.currency or None,
            attributes=attributes,
            url=self.url or None,
            in_stock=self.in_stock,
            stock=self.stock,
            group_id=self.group_id or None,
            numbers=self.numeric_fields(),
            image=self.image or None,
        )


def _attribute_text(value: AttributeValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def id_problem(product_id: str) -> str | None:
    """Why the API could not serve a product with this id, or None; an id is kept exactly as written."""
    for position, character in enumerate(product_id, start=1):
        if unicodedata.category(character) in _UNSERVABLE:
            return (
                f"contains the control character U+{ord(character):04X} at character {position}; "
                "an id is a URL path and a line of an ids file: remove it"
            )
    if product_id != product_id.strip():
        return "has spaces around it; ids are kept exactly as written, so remove them from the catalogue"
    if product_id.startswith("/"):
        return "starts with '/', which the URL /api/products/ID cannot carry; remove it"
    if any(segment in (".", "..") for segment in product_id.split("/")):
        return "has a '.' or '..' segment between slashes, which clients resolve away in the URL /api/products/ID"
    return None


@dataclass(frozen=True)
class FieldProblem:
    field: str | None  # the field at fault (dotted below attributes), None: the record as a whole
    message: str

    def __str__(self) -> str:
        return self.message


class RecordError(ValueError):
    """One raw row that is not a product; `problems` holds one entry per bad field."""

    def __init__(self, problems: list[FieldProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(map(str, problems)))


def validate_record(record: dict[str, Any]) -> Product:
    """A Product from one raw row, or RecordError (a ValueError) with one problem per bad field."""
    if not isinstance(record, dict):
        raise RecordError([FieldProblem(None, f"a product is a JSON object, not {type(record).__name__}")])
    try:
        return ProductRecord.model_validate(record).to_product()
    except ValidationError as error:
        raise RecordError([_describe(problem) for problem in error.errors()]) from None


def _describe(problem: dict[str, Any]) -> FieldProblem:
    where = ".".join(str(part) for part in problem["loc"])
    if problem["type"] == "missing":
        return FieldProblem(where, f"field '{where}' is required")
    seen = problem.get("input")
    shown = "" if isinstance(seen, (dict, list)) else f" (got {_short(repr(seen))})"
    message = problem["msg"].removeprefix("Value error, ")
    return FieldProblem(where or None, f"field '{where or 'record'}': {message}{shown}")


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else f"{text[: limit - 20]}... ({len(text):,} characters)"
