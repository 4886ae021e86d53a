"""Judged intents: queries with a constraint every hit of a correct top 10 meets, and the share of hits that do."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evaluation.judgments import JudgmentsError
from indexer.products import Product, join_category, split_category

KEYS = ("price_min", "price_max", "brand", "category", "attributes")


class IntentsError(JudgmentsError):
    """An intents file that cannot be read; the message names the file, the line and the fix."""


@dataclass(frozen=True)
class Constraint:
    """What every hit must meet; each part that is set must hold, values within a part are any-of, case-insensitive."""

    price_min: float | None = None  # inclusive
    price_max: float | None = None  # inclusive
    brands: tuple[str, ...] = ()
    category: tuple[str, ...] = ()  # a prefix of the product's category path
    attributes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Intent:
    id: str
    query: str
    constraint: Constraint


@dataclass(frozen=True)
class Miss:
    """A hit that does not meet its intent's constraint, and why."""

    rank: int
    product_id: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class IntentResult:
    intent: Intent
    hits: int
    met: int
    misses: tuple[Miss, ...]

    @property
    def share(self) -> float:
        """Met over hits returned; 0.0 when nothing came back, since every shipped constraint can be met."""
        return self.met / self.hits if self.hits else 0.0


@dataclass(frozen=True)
class IntentReport:
    results: tuple[IntentResult, ...]

    @property
    def mean(self) -> float:
        """The mean share over all intents, those with no hits counting 0.0."""
        return sum(result.share for result in self.results) / len(self.results) if self.results else 0.0

    @property
    def empty(self) -> tuple[str, ...]:
        """Ids of the intents whose query returned no hits at all."""
        return tuple(result.intent.id for result in self.results if not result.hits)


def _fold(text: str) -> str:
    return text.strip().casefold()


def _money(amount: float) -> str:
    return f"{amount:.2f}".removesuffix(".00")


def failures(product: Product, constraint: Constraint) -> list[str]:
    """Why the product does not meet the constraint, one short reason per part; empty when it does."""
    reasons = []
    price = product.price
    if constraint.price_min is not None or constraint.price_max is not None:
        if price is None:
            reasons.append("no price")
        elif constraint.price_min is not None and price < constraint.price_min:
            reasons.append(f"price {_money(price)} < {_money(constraint.price_min)}")
        elif constraint.price_max is not None and price > constraint.price_max:
            reasons.append(f"price {_money(price)} > {_money(constraint.price_max)}")
    if constraint.brands and _fold(product.brand or "") not in {_fold(brand) for brand in constraint.brands}:
        reasons.append(f"brand {product.brand or '(none)'} not {'/'.join(constraint.brands)}")
    wanted = tuple(_fold(part) for part in constraint.category)
    if wanted and tuple(_fold(part) for part in product.category[: len(wanted)]) != wanted:
        reasons.append(f"category {product.category_path() or '(none)'} not under {join_category(constraint.category)}")
    attributes = {_fold(key): values for key, values in product.attributes.items()}
    for key, allowed in constraint.attributes.items():
        have = attributes.get(_fold(key), ())
        if not {_fold(value) for value in have} & {_fold(value) for value in allowed}:
            reasons.append(f"{key} {'/'.join(have) or '(none)'} not {'/'.join(allowed)}")
    return reasons


def meets(product: Product, constraint: Constraint) -> bool:
    """Whether the product meets every part of the constraint."""
    return not failures(product, constraint)


def share_met(intents: Sequence[Intent], search: Callable[[str], Sequence[Product]]) -> IntentReport:
    """How many of the hits each intent's query returns meet its constraint (1.0 when all do, 0.0 for none).

    See docs/design.md#intents.
    """
    results = []
    for intent in intents:
        products = search(intent.query)
        misses = []
        for rank, product in enumerate(products, start=1):
            reasons = failures(product, intent.constraint)
            if reasons:
                misses.append(Miss(rank, product.id, tuple(reasons)))
        results.append(IntentResult(intent, len(products), len(products) - len(misses), tuple(misses)))
    return IntentReport(tuple(results))


def load_intents(path: Path) -> list[Intent]:
    """`id<TAB>query<TAB>constraint_json` lines (blank lines skipped), read with the file and line on every error."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as error:
        raise IntentsError(f"{path} is not UTF-8 text ({error}); save it as UTF-8") from None
    intents: list[Intent] = []
    seen: set[str] = set()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path}: line {number}"
        fields = line.split("\t")
        if len(fields) != 3 or not fields[0].strip() or not fields[1].strip():
            raise IntentsError(
                f"{where}: expected 'id<TAB>query<TAB>constraint_json' (3 fields), got {len(fields)}: {line[:60]!r}"
            )
        qid, query, text = (part.strip() for part in fields)
        if qid in seen:
            raise IntentsError(f"{where}: intent id {qid!r} appears twice; give each line its own id")
        seen.add(qid)
        try:
            record = json.loads(text)
        except json.JSONDecodeError as error:
            raise IntentsError(
                f"{where}: the constraint is not valid JSON ({error.msg} at column {error.colno})"
            ) from None
        intents.append(Intent(qid, query, parse_constraint(record, where)))
    if not intents:
        raise IntentsError(f"{path}: no intents; write 'id<TAB>query<TAB>constraint_json' lines")
    return intents


def parse_constraint(record: Any, where: str = "constraint") -> Constraint:
    """A Constraint from its JSON object, or IntentsError saying which key is wrong and how to write it."""
    if not isinstance(record, dict):
        raise IntentsError(f'{where}: the constraint must be a JSON object like {{"price_max": 50}}, got {record!r}')
    unknown = sorted(set(record) - set(KEYS))
    if unknown:
        raise IntentsError(f"{where}: unknown constraint key {unknown[0]!r}; use {', '.join(KEYS)}")
    if not record:
        raise IntentsError(f"{where}: the constraint is empty, so every product meets it; set one of {', '.join(KEYS)}")
    low, high = _price(record, "price_min", where), _price(record, "price_max", where)
    if low is not None and high is not None and low > high:
        raise IntentsError(f"{where}: price_min {_money(low)} is above price_max {_money(high)}; swap them")
    category = record.get("category")
    if "category" in record and (not isinstance(category, str) or not split_category(category)):
        raise IntentsError(f"{where}: 'category' must be a path like \"Home > Kitchen\", got {category!r}")
    attributes = record.get("attributes", {})
    if "attributes" in record and (not isinstance(attributes, dict) or not attributes):
        raise IntentsError(
            f'{where}: \'attributes\' must be a non-empty object like {{"colour": ["red"]}}, got {attributes!r}'
        )
    return Constraint(
        low,
        high,
        _names(record["brand"], "brand", where) if "brand" in record else (),
        split_category(category) if category else (),
        {key: _names(values, f"attributes.{key}", where) for key, values in attributes.items()},
    )


def _price(record: dict[str, Any], key: str, where: str) -> float | None:
    value = record.get(key)
    if value is None and key not in record:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise IntentsError(f"{where}: {key!r} must be a number of 0 or more, like 50 or 49.99, got {value!r}")
    return float(value)


def _names(values: Any, key: str, where: str) -> tuple[str, ...]:
    if not isinstance(values, list) or not values or not all(isinstance(v, str) and v.strip() for v in values):
        raise IntentsError(
            f'{where}: {key!r} must be a non-empty list of names, like ["red", "crimson"], got {values!r}'
        )
    return tuple(value.strip() for value in values)


def format_intents(report: IntentReport, misses_shown: int = 3) -> str:
    """One line per intent (id, share, hits, query, the first misses' reasons), then the mean share."""
    lines = []
    width = max((len(result.intent.id) for result in report.results), default=2)
    for result in report.results:
        line = (
            f"{result.intent.id:<{width}}  {result.share:4.2f}  {result.met:>2}/{result.hits:<2}  {result.intent.query}"
        )
        shown = [f"#{miss.rank} {', '.join(miss.reasons)}" for miss in result.misses[:misses_shown]]
        if len(result.misses) > misses_shown:
            shown.append(f"+{len(result.misses) - misses_shown} more")
        if shown:
            line += "  | " + "; ".join(shown)
        elif not result.hits:
            line += "  | no hits"
        lines.append(line)
    lines.append(f"mean share {report.mean:.3f} over {len(report.results)} intents ({len(report.empty)} with no hits)")
    return "\n".join(lines)


def report_json(report: IntentReport) -> dict[str, Any]:
    """The report as plain JSON: the mean, the intents with no hits, and each intent's share and misses."""
    return {
        "mean_share": round(report.mean, 4),
        "intents": len(report.results),
        "no_hits": list(report.empty),
        "results": [
            {
                "id": result.intent.id,
                "query": result.intent.query,
                "share": round(result.share, 4),
                "hits": result.hits,
                "met": result.met,
                "misses": [
                    {"rank": miss.rank, "id": miss.product_id, "reasons": list(miss.reasons)} for miss in result.misses
                ],
            }
            for result in report.results
        ],
    }
