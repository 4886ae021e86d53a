"""Price phrases in English and Chinese queries: "under 50", "between €100 and 300", "50元以下", "300元左右".

See docs/design.md#prices.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

AROUND = 0.2
CURRENCY = r"(?:€|\$|£|¥|eur(?:os?)?|euros?|usd|dollars?|gbp|pounds?|rmb|cny|yuan|元|块钱|块|圆)"
NUMBER = r"(\d+(?:[.,]\d+)?)"
# A number with its currency on either side; a unit word after it makes it no price
AMOUNT = rf"(?:{CURRENCY}\s*)?{NUMBER}(?:\s*{CURRENCY})?"
UNITS = (
    r"cm|mm|ml|l|litres?|liters?|kg|g|lbs?|oz|ft|feet|in|inch|inches|gb|tb|mah|hz|w|watts?|v|volts?"
    r"|m|metres?|meters?|pcs?|packs?|gal|cu|x|yr|years?|days?"
)
ZH_UNITS = "码|号|升|毫|厘|米|克|寸|瓦|伏|件|个|只|双|人|岁|年|天"
UNIT_AFTER = rf"(?!\d|\s*[.,]\d|\s*(?:%|(?:{UNITS})\b|{ZH_UNITS}))"
EN_MAX = (
    r"under|below|less\s+than|cheaper\s+than|lower\s+than|max(?:imum)?|up\s+to|at\s+most"
    r"|no\s+more\s+than|not\s+more\s+than|within|<=?|≤"
)
EN_MIN = r"over|above|more\s+than|at\s+least|min(?:imum)?|starting\s+at|from|>=?|≥"
EN_AROUND = r"around|about|approx(?:imately)?|roughly|~"
ZH_MAX_BEFORE, ZH_MAX_AFTER = "低于|少于|不超过|不到|不高于|小于|最多|最高|预算", "以内|以下|之内|内"
ZH_MIN_BEFORE, ZH_MIN_AFTER = "高于|超过|大于|多于|至少|不低于|最低", "以上|起"

PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (kind, re.compile(pattern, re.IGNORECASE))
    for kind, pattern in [
        # ranges first, so "from 100 to 150" is not read as "from 100"
        ("range", rf"(?:between\s+|from\s+)?{AMOUNT}\s*(?:and|to|-|–|~|到|至)\s*{AMOUNT}{UNIT_AFTER}"),
        ("max", rf"(?:{EN_MAX})\s*{AMOUNT}{UNIT_AFTER}"),
        (
            "max",
            rf"{AMOUNT}{UNIT_AFTER}\s*(?:or\s+less|or\s+under|and\s+under|or\s+below|and\s+below|or\s+cheaper|max)\b",
        ),
        ("max", rf"(?:{ZH_MAX_BEFORE})\s*{AMOUNT}"),
        ("max", rf"{AMOUNT}\s*(?:{ZH_MAX_AFTER})"),
        ("min", rf"(?:{EN_MIN})\s*{AMOUNT}{UNIT_AFTER}"),
        ("min", rf"{AMOUNT}{UNIT_AFTER}\s*(?:or\s+more|and\s+up|and\s+above|or\s+above|plus|\+)"),
        ("min", rf"(?:{ZH_MIN_BEFORE})\s*{AMOUNT}"),
        ("min", rf"{AMOUNT}\s*(?:{ZH_MIN_AFTER})"),
        ("around", rf"(?:{EN_AROUND})\s*{AMOUNT}{UNIT_AFTER}"),
        ("around", rf"{AMOUNT}\s*左右"),
    ]
]
BOUNDARY_BEFORE = re.compile(r"[A-Za-z0-9.,-]$")


@dataclass(frozen=True)
class PriceSpan:
    start: int
    end: int
    low: float | None
    high: float | None


def find_prices(text: str) -> list[PriceSpan]:
    """The price phrases of normalised text, earliest first, none overlapping."""
    found: list[PriceSpan] = []
    for kind, pattern in PATTERNS:
        for match in pattern.finditer(text):
            start, end = match.span()
            if any(start < span.end and span.start < end for span in found):
                continue
            if _glued(text, start, match) or not _has_currency_or_cue(kind, match):
                continue
            numbers = [_value(group) for group in match.groups() if group is not None]
            span = _span(kind, start, end, numbers)
            if span is not None:
                found.append(span)
    return sorted(found, key=lambda span: span.start)


def _glued(text: str, start: int, match: re.Match[str]) -> bool:
    """A match that starts inside a word or a model number ("WH-1000", "x2-4") is no price."""
    first = match.group()[0]
    return bool(start and BOUNDARY_BEFORE.search(text[:start]) and (first.isdecimal() or first in "-"))


def _has_currency_or_cue(kind: str, match: re.Match[str]) -> bool:
    """A bare "100-200" is a price range; "2-3" (people, pieces, years) is not, unless a currency says so."""
    if kind != "range":
        return True
    text = match.group()
    numbers = [_value(group) for group in match.groups() if group is not None]
    currency = re.search(CURRENCY, text, re.IGNORECASE) is not None
    return currency or text.lower().startswith(("between", "from")) or min(numbers) >= 10


def _value(number: str) -> float:
    whole, _, fraction = number.replace(",", ".").partition(".")
    if len(fraction) == 3 and "," in number:  # 1,000: a thousands separator
        return float(whole + fraction)
    return float(f"{whole}.{fraction}" if fraction else whole)


def _span(kind: str, start: int, end: int, numbers: list[float]) -> PriceSpan | None:
    if kind == "range":
        low, high = numbers
        return PriceSpan(start, end, low, high) if low <= high else None
    (value,) = numbers
    if kind == "max":
        return PriceSpan(start, end, None, value)
    if kind == "min":
        return PriceSpan(start, end, value, None)
    return PriceSpan(start, end, round(value * (1 - AROUND), 2), round(value * (1 + AROUND), 2))
