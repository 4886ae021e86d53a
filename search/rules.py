"""Merchandising rules: a condition on the query and what to do to its results (pin, hide, boost, bury, filter,
redirect), and the order rules that disagree are settled in. See docs/design.md#rules.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from indexer.products import Product, split_category
from indexer.text import normal
from search.errors import ResourceError, check_id, validated
from search.filters import Filters
from search.fusion import spread
from search.phrases import PhraseIndex, phrase_key
from search.understanding import Understanding

MAX_PINS = 50
MAX_IDS = 1_000  # hidden products per rule
STRENGTH = 0.5  # a boost of strength 1 moves a product by this share of the candidates' score range


class FilterBody(BaseModel):
    """A filter as a rule writes it: the fields of the search API's filter parameters."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    category: str | None = Field(default=None, max_length=1_000)
    brand: list[str] = Field(default_factory=list, max_length=100)
    price_min: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    price_max: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    in_stock: bool | None = None
    attributes: dict[str, list[str]] = Field(default_factory=dict, max_length=50)

    @field_validator("brand", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    def filters(self) -> Filters:
        attributes = tuple((key, tuple(values)) for key, values in sorted(self.attributes.items()) if values)
        return Filters(
            category=split_category(self.category or ""),
            brands=tuple(self.brand),
            price_min=self.price_min,
            price_max=self.price_max,
            attributes=attributes,
            in_stock=self.in_stock,
        )


class Condition(BaseModel):
    """When a rule applies; every field given must hold, and a rule with none applies to every query."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    query: str | None = Field(default=None, min_length=1, max_length=200)
    match: Literal["exact", "contains"] = "exact"  # the whole query (normalised), or a phrase of it
    category: str | None = Field(default=None, min_length=1, max_length=1_000)  # understood in the query
    brand: str | None = Field(default=None, min_length=1, max_length=200)  # understood in the query


class Pin(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, max_length=256)
    position: int = Field(ge=1, le=100)  # 1: the first hit


class Boost(BaseModel):
    """Products that pass `filter` move up (strength > 0) or down (bury: strength < 0)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    filter: FilterBody
    strength: float = Field(ge=-1, le=1, allow_inf_nan=False)

    @field_validator("strength")
    @classmethod
    def _moves(cls, value: float) -> float:
        if value == 0:
            raise ValueError("a strength of 0 does nothing; use 0 < strength <= 1 to boost, -1 <= strength < 0 to bury")
        return value


class RuleBody(BaseModel):
    """One rule as PUT /api/rules/<id> takes it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    condition: Condition = Field(default_factory=Condition)
    active_from: datetime | None = None
    active_until: datetime | None = None
    enabled: bool = True
    description: str = Field(default="", max_length=1_000)
    pin: list[Pin] = Field(default_factory=list, max_length=MAX_PINS)
    hide: list[str] = Field(default_factory=list, max_length=MAX_IDS)
    boost: list[Boost] = Field(default_factory=list, max_length=20)
    filter: FilterBody | None = None
    redirect: str | None = Field(default=None, max_length=2_048)

    @field_validator("active_from", "active_until")
    @classmethod
    def _zoned(cls, value: datetime | None) -> datetime | None:
        return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value

    @field_validator("redirect")
    @classmethod
    def _web_address(cls, value: str | None) -> str | None:
        if value is None:
            return value
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in value):
            raise ValueError(f"{value[:80]!r} is not an http or https URL; a redirect must be one, such as https://...")
        return value

    @model_validator(mode="after")
    def _does_something(self) -> RuleBody:
        if self.active_from and self.active_until and self.active_from >= self.active_until:
            raise ValueError("active_from must be before active_until")
        if not (self.pin or self.hide or self.boost or self.filter or self.redirect):
            raise ValueError("the rule has no consequence; give one of pin, hide, boost, filter or redirect")
        positions = [pin.position for pin in self.pin]
        if len(set(positions)) != len(positions):
            raise ValueError("two pins share a position; give each pinned product its own")
        if both := sorted({pin.id for pin in self.pin} & set(self.hide)):
            raise ValueError(
                f"{both[0]!r} is pinned and hidden; a hidden product is never shown, so keep one of the two"
            )
        return self


@dataclass(frozen=True)
class Rule:
    id: str
    body: RuleBody

    @classmethod
    def from_json(cls, rule_id: str, record: Any) -> Rule:
        check_id(rule_id, "rule")
        if not isinstance(record, dict):
            raise ResourceError("body", "a rule is a JSON object with a condition and consequences")
        return cls(rule_id, validated(RuleBody, {k: v for k, v in record.items() if k != "id"}))

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, **self.body.model_dump(mode="json", exclude_defaults=True)}

    def active(self, now: datetime) -> bool:
        body = self.body
        if not body.enabled:
            return False
        return (body.active_from is None or body.active_from <= now) and (
            body.active_until is None or now < body.active_until
        )

    @property
    def order(self) -> tuple[int, str]:
        """Rules are settled in this order: an exact query first, then a contained phrase, then an understood
        category or brand, then rules for every query; ties by id."""
        condition = self.body.condition
        if condition.query is not None:
            rank = 0 if condition.match == "exact" else 1
        else:
            rank = 2 if condition.category or condition.brand else 3
        return rank, self.id


class Rules:
    """The rules of a shop, indexed so that finding those of one query does not read every rule."""

    def __init__(self, rules: Iterable[Rule] = ()) -> None:
        self.rules = {rule.id: rule for rule in rules}
        self.exact: dict[str, list[Rule]] = {}
        self.understood: dict[tuple[str, str], list[Rule]] = {}  # by ("brand" | "category", normal value)
        self.others: list[Rule] = []  # for every query
        contained: list[tuple[str, Rule]] = []
        for rule in self.rules.values():
            condition = rule.body.condition
            if condition.query is None and condition.brand:
                self.understood.setdefault(("brand", normal(condition.brand)), []).append(rule)
            elif condition.query is None and condition.category:
                self.understood.setdefault(("category", normal(condition.category)), []).append(rule)
            elif condition.query is None:
                self.others.append(rule)
            elif condition.match == "exact":
                self.exact.setdefault(phrase_key(condition.query), []).append(rule)
            else:
                contained.append((condition.query, rule))
        self.contained = PhraseIndex(contained)

    def __len__(self) -> int:
        return len(self.rules)

    def matching(self, query: str, understood: Understanding, now: datetime) -> tuple[Rule, ...]:
        """The active rules whose condition the query meets, in the order they are settled (Rule.order)."""
        found = [*self.exact.get(phrase_key(query), ()), *self.contained.found(query), *self.others]
        values = understood_values(understood) if understood.spans else {"brand": set(), "category": set()}
        for brand in values["brand"]:
            found += self.understood.get(("brand", brand), ())
        for category in values["category"]:
            parts = category.split(" > ")
            for depth in range(1, len(parts) + 1):  # a rule on "home > kitchen" holds for what is below it
                found += self.understood.get(("category", " > ".join(parts[:depth])), ())
        unique = {rule.id: rule for rule in found if rule.active(now) and meets(rule, values)}
        return tuple(sorted(unique.values(), key=_order))


def _order(rule: Rule) -> tuple[int, str]:
    return rule.order


def understood_values(understood: Understanding) -> dict[str, set[str]]:
    """The brands and categories read in the query, normalised."""
    values: dict[str, set[str]] = {"brand": set(), "category": set()}
    for span in understood.spans:
        for reading in span.readings:
            if reading.kind in values:
                values[reading.kind].update(normal(value) for value in reading.values)
    return values


def meets(rule: Rule, understood: dict[str, set[str]]) -> bool:
    condition = rule.body.condition
    if condition.brand and normal(condition.brand) not in understood["brand"]:
        return False
    if condition.category:
        wanted = normal(condition.category)
        return any(value == wanted or value.startswith(wanted + " >") for value in understood["category"])
    return True


@dataclass(frozen=True)
class Outcome:
    """What the matched rules do to one search, settled in rule order."""

    applied: tuple[str, ...] = ()  # the rules' ids
    filters: Filters = Filters()
    redirect: str | None = None
    hidden: frozenset[str] = frozenset()
    boosts: tuple[tuple[str, Filters, float], ...] = ()  # (rule id, filter, strength)
    pins: tuple[tuple[str, str, int], ...] = ()  # (rule id, product id, position from 1)

    @classmethod
    def of(cls, rules: tuple[Rule, ...]) -> Outcome:
        """Filters: each field is set by the first rule that sets it. Redirect: the first rule's. Hide: every
        rule's, and a hidden product is never pinned. Boosts: all of them add up. Pins: a position or a product
        already taken by an earlier rule keeps the earlier pin."""
        filters, redirect, hidden, boosts, pins = Filters(), None, set(), [], []
        taken_positions: set[int] = set()
        taken_ids: set[str] = set()
        for rule in rules:
            body = rule.body
            if body.filter is not None:
                filters = merged(filters, body.filter.filters())
            redirect = redirect or body.redirect
            hidden.update(body.hide)
            boosts.extend((rule.id, boost.filter.filters(), boost.strength) for boost in body.boost)
        for rule in rules:
            for pin in rule.body.pin:
                if pin.id in hidden or pin.id in taken_ids or pin.position in taken_positions:
                    continue
                taken_ids.add(pin.id)
                taken_positions.add(pin.position)
                pins.append((rule.id, pin.id, pin.position))
        return cls(tuple(rule.id for rule in rules), filters, redirect, frozenset(hidden), tuple(boosts), tuple(pins))


def merged(first: Filters, then: Filters) -> Filters:
    """`first`, with each field it leaves open taken from `then`; attributes key by key."""
    changes = {
        name: getattr(then, name)
        for name in ("category", "brands", "price_min", "price_max", "in_stock")
        if getattr(first, name) in ((), None) and getattr(then, name) not in ((), None)
    }
    keys = {key for key, _ in first.attributes}
    added = tuple((key, values) for key, values in then.attributes if key not in keys)
    if added:
        changes["attributes"] = first.attributes + added
    return replace(first, **changes)


def boosted(scored: list[tuple[str, float]], products: dict[str, Product], outcome: Outcome) -> dict[str, float]:
    """Each candidate's move: STRENGTH of the score range times the strengths of the boosts it passes."""
    if not outcome.boosts or not scored:
        return {}
    unit = STRENGTH * spread(scored)
    moves = {}
    for product_id, _ in scored:
        product = products.get(product_id)
        if product is not None:
            move = sum(strength for _, filters, strength in outcome.boosts if filters.admits(product))
            if move:
                moves[product_id] = unit * move
    return moves
