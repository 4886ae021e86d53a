"""Query understanding: a query's constraints (price, colour, size, material, brand, category) as filters and boosts.

See docs/design.md#query-understanding.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import cached_property, lru_cache

from indexer.products import Product, join_category
from indexer.text import TOKEN, has_chinese, normal_aligned, word_bounds
from indexer.vocabulary import Vocabulary
from search.filters import Filters
from search.gibberish import is_gibberish
from search.prices import PriceSpan, find_prices

FILTER, BOOST = "filter", "boost"
PRICE = "price"
LONGEST = 6  # tokens in the longest phrase looked for

# Attribute keys by the role their values play, in the languages the engine speaks
ROLES = {
    "colour": {"colour", "color", "colours", "colors", "颜色", "色彩", "顏色"},
    "size": {"size", "sizes", "capacity", "volume", "尺码", "尺寸", "容量", "规格", "净含量"},
    "material": {"material", "materials", "fabric", "材质", "材料", "面料", "鞋面材质"},
}
FILTER_ROLES = {"colour", "size", "material", "brand"}
KINDS = ("brand", "colour", "size", "material", "category", "attribute")  # the order readings are shown in
SPAN_KINDS = ("price", *KINDS)
EFFECTS = (FILTER, BOOST)
# Colour families: a catalogue colour belongs to each family whose word it contains
COLOUR_FAMILIES = {
    "red": ("red", "红"),
    "blue": ("blue", "navy", "蓝", "藏青"),
    "green": ("green", "绿"),
    "yellow": ("yellow", "黄"),
    "black": ("black", "黑"),
    "white": ("white", "白"),
    "grey": ("grey", "灰"),
    "pink": ("pink", "粉"),
    "purple": ("purple", "紫"),
    "orange": ("orange", "橙"),
    "brown": ("brown", "棕", "咖啡色"),
    "silver": ("silver", "银"),
    "gold": ("gold", "金色"),
}
# Spellings of one word, written as the first
VARIANTS = {"gray": "grey", "color": "colour", "aluminum": "aluminium", "litre": "l", "liter": "l", "ltr": "l"}
# Units after a number, as one canonical token
UNITS = {
    "l": "l", "litres": "l", "liters": "l", "lt": "l", "升": "l", "ml": "ml", "毫升": "ml",
    "cm": "cm", "厘米": "cm", "公分": "cm", "mm": "mm", "毫米": "mm", "m": "m", "米": "m",
    "kg": "kg", "公斤": "kg", "千克": "kg", "g": "g", "克": "g", "w": "w", "瓦": "w",
}  # fmt: skip
LETTER_SIZES = {"xs": "extra small", "s": "small", "m": "medium", "l": "large", "xl": "extra large"}
# Words that join constraints and name nothing ("red kettle for under 50", "红色的连衣裙")
CONNECTING = {"a", "an", "the", "for", "with", "and", "or", "in", "of", "to", "my", "的", "和", "与", "或", "款"}
SIZE_CUES = ("size", "sz", "尺码")  # a one- or two-letter size ("M", "XL") only counts beside one
SIZES_AFTER = ("码", "号")  # M码


@dataclass(frozen=True)
class Reading:
    """One thing a phrase can mean: a kind, an attribute key for attribute kinds, and catalogue values."""

    kind: str  # colour, size, material, brand, category or attribute
    key: str | None  # the attribute key, for attribute kinds
    values: tuple[str, ...]  # any of them

    def admits(self, product: Product) -> bool:
        wanted = {value.lower() for value in self.values}
        if self.kind == "brand":
            return (product.brand or "").lower() in wanted
        if self.kind == "category":
            path = join_category(product.category).lower()
            return any(path == value or path.startswith(value + " >") for value in wanted)
        return any(value.lower() in wanted for value in product.attributes.get(self.key or "", ()))


@dataclass(frozen=True)
class Span:
    """A part of the query that was understood: where it is, what it means, and what it became."""

    start: int
    end: int
    text: str  # as typed
    kind: str  # price, or the first reading's kind
    readings: tuple[Reading, ...] = ()  # more than one: an ambiguous phrase, which only boosts
    price: tuple[float | None, float | None] | None = None  # (min, max), for a price
    effect: str = FILTER  # FILTER or BOOST
    relaxed: bool = False  # a filter made a boost, because the filters together left no hits
    currency: str | None = None  # the catalogue's, for a price

    def describe(self) -> str:
        """One line for a shell: 'under 50' -> price <= 50 (filter)."""
        if self.price is not None:
            low, high = self.price
            bounds = ([f">= {low:g}"] if low is not None else []) + ([f"<= {high:g}"] if high is not None else [])
            meaning = f"price {' and '.join(bounds)}"
        else:
            meaning = " or ".join(
                f"{reading.key or reading.kind}: {', '.join(reading.values[:4])}{', ...' * (len(reading.values) > 4)}"
                for reading in self.readings
            )
        return f"{self.text!r} -> {meaning} ({self.effect})"

    def admits(self, product: Product) -> bool:
        """Whether a product meets what this span asks for."""
        if self.price is not None:
            low, high = self.price
            if product.price is None:
                return False
            return (low is None or product.price >= low) and (high is None or product.price <= high)
        return any(reading.admits(product) for reading in self.readings)


@dataclass(frozen=True)
class Understanding:
    query: str
    text: str  # what the legs search: the query without its price phrases
    spans: tuple[Span, ...] = ()

    @property
    def boosts(self) -> tuple[Span, ...]:
        return tuple(span for span in self.spans if span.effect == BOOST)

    @property
    def kinds(self) -> tuple[Span, ...]:
        """Filters that say "this or that" (a category or a type-like attribute, or one colour under two
        attribute keys): checked on the retrieved candidates, since a filter inside retrieval cannot."""
        return tuple(
            span
            for span in self.spans
            if span.effect == FILTER
            and span.price is None
            and (span.kind not in FILTER_ROLES or len(span.readings) > 1)
        )

    def filters(self, given: Filters) -> Filters:
        """The request's own filters, with the understood ones added where the request set none of that kind."""
        spans = [span for span in self.spans if span.effect == FILTER and span not in self.kinds]
        prices = [span.price for span in spans if span.price is not None]
        low, high = given.price_min, given.price_max
        if prices and low is None and high is None:
            lows = [p[0] for p in prices if p[0] is not None]
            highs = [p[1] for p in prices if p[1] is not None]
            low, high = (max(lows) if lows else None), (min(highs) if highs else None)
            if low is not None and high is not None and low > high:
                low = high = None  # contradictory phrases: neither is trusted
        readings = [reading for span in spans for reading in span.readings]
        brands = given.brands or tuple(v for reading in readings if reading.kind == "brand" for v in reading.values)
        attributes: dict[str, list[str]] = defaultdict(list)
        for reading in readings:
            if reading.key is not None:
                attributes[reading.key].extend(v for v in reading.values if v not in attributes[reading.key])
        given_keys = {key for key, _ in given.attributes}
        added = tuple((key, tuple(values)) for key, values in attributes.items() if key not in given_keys)
        return replace(given, brands=brands, price_min=low, price_max=high, attributes=given.attributes + added)

    def relaxed(self, spans: tuple[Span, ...] | None = None) -> Understanding:
        """The same understanding with these filters (all, by default) made boosts: for when they leave nothing."""
        chosen = self.spans if spans is None else spans
        return replace(
            self,
            spans=tuple(
                replace(span, effect=BOOST, relaxed=True) if span in chosen and span.effect == FILTER else span
                for span in self.spans
            ),
        )


@dataclass(frozen=True)
class _Entry:
    kind: str
    key: str | None
    value: str


class Understander:
    """Finds the catalogue's vocabulary and price phrases in queries; built once per index version."""

    def __init__(self, vocabulary: Vocabulary) -> None:
        self.vocabulary = vocabulary

    def warm(self) -> None:
        """Builds the phrase table and the gibberish model now rather than on the first query."""
        self.understand("warm up 50元以下 under 50")
        is_gibberish("warm")

    @cached_property
    def phrases(self) -> dict[tuple[str, ...], list[_Entry]]:
        phrases: dict[tuple[str, ...], list[_Entry]] = defaultdict(list)

        def add(text: str, entry: _Entry) -> None:
            words = tuple(word for _, _, word in tokens(text))
            if words and len(words) <= LONGEST and entry not in phrases[words]:
                phrases[words].append(entry)

        for brand in self.vocabulary.brands:
            add(brand, _Entry("brand", None, brand))
        for path in self.vocabulary.categories:
            for depth in range(1, len(path) + 1):
                add(path[depth - 1], _Entry("category", None, " > ".join(path[:depth])))
        for key, values in self.vocabulary.attributes.items():
            role = role_of(key, values)
            for value in values:
                add(value, _Entry(role, key, value))
                if role == "size":
                    for name in _size_names(value):
                        add(name, _Entry(role, key, value))
            if role == "colour":  # a family's name stands for all its colours; "navy" only for navy
                members: dict[str, list[str]] = defaultdict(list)
                for value in values:
                    for family in families_of(value):
                        members[family].append(value)
                for family, found in members.items():
                    words = COLOUR_FAMILIES[family]
                    for name in [family] + [name for word in words if len(word) == 1 for name in (word, word + "色")]:
                        for member in found:
                            add(name, _Entry(role, key, member))
        return dict(phrases)

    def understand(self, query: str) -> Understanding:
        normal = normal_aligned(query)
        prices = find_prices(normal) if self.vocabulary.priced else []
        taken = [(price.start, price.end) for price in prices]
        spans = [self._price_span(query, price) for price in prices]
        found = tokens(normal)
        bounds = word_bounds(normal) if has_chinese(normal) else None
        position = 0
        while position < len(found):
            match = self._longest(normal, found, position, taken, bounds)
            if match is None:
                position += 1
                continue
            length, entries, start, end = match
            spans.append(_span(query, start, end, entries))
            taken.append((start, end))
            position += length
        spans.sort(key=lambda span: span.start)
        if spans and all(_covered(start, end, taken) or word in CONNECTING for start, end, word in found):
            # nothing else to match by text: the words naming the kind of product are meant as a constraint too
            spans = [replace(span, effect=FILTER) if _kind_filter(span) else span for span in spans]
        text = _without(query, [(span.start, span.end) for span in spans if span.price is not None])
        return Understanding(query, text if text.strip() else query, tuple(spans))

    def _longest(
        self,
        normal: str,
        found: tuple[tuple[int, int, str], ...],
        position: int,
        taken: list[tuple[int, int]],
        bounds: set[int] | None,
    ) -> tuple[int, list[_Entry], int, int] | None:
        for length in range(min(LONGEST, len(found) - position), 0, -1):
            words = tuple(word for _, _, word in found[position : position + length])
            entries = self.phrases.get(words)
            start, end = found[position][0], found[position + length - 1][1]
            if not entries or any(start < b and a < end for a, b in taken):
                continue
            if _needs_cue(words) and all(entry.kind != "brand" for entry in entries):
                cue = _cue(found, position)
                if cue is None:
                    continue
                start, end = min(start, cue[0]), max(end, cue[1])
            if bounds is not None and not _on_word_bounds(normal, start, end, bounds):
                continue
            return length, entries, start, end
        return None

    def _price_span(self, query: str, price: PriceSpan) -> Span:
        text = query[price.start : price.end]
        return Span(
            price.start, price.end, text, PRICE, price=(price.low, price.high), currency=self.vocabulary.currency
        )


def _span(query: str, start: int, end: int, entries: list[_Entry]) -> Span:
    values: dict[tuple[str, str | None], list[str]] = defaultdict(list)
    for entry in entries:
        values[entry.kind, entry.key].append(entry.value)
    readings = tuple(Reading(kind, key, tuple(dict.fromkeys(found))) for (kind, key), found in values.items())
    readings = tuple(sorted(readings, key=lambda reading: KINDS.index(reading.kind)))
    alone = len({reading.kind for reading in readings}) == 1 and readings[0].kind in FILTER_ROLES
    return Span(start, end, query[start:end], readings[0].kind, readings, effect=FILTER if alone else BOOST)


def role_of(key: str, values: Iterable[str]) -> str:
    """colour, size or material by the key's name (or, for colours, by most values naming a colour family)."""
    name = key.strip().lower()
    for role, names in ROLES.items():
        if name in names:
            return role
    values = list(values)
    coloured = sum(bool(families_of(value)) for value in values)
    return "colour" if values and coloured / len(values) >= 0.6 else "attribute"


def families_of(value: str) -> list[str]:
    """The colour families of a catalogue colour: those whose word it has as a word ("dark red"), or, in
    Chinese, ends with ("番茄红", "正红色"; not "蓝牙", Bluetooth)."""
    normal = normal_aligned(value)
    latin = {word for _, _, word in tokens(normal)}
    bare = normal.removesuffix("色")
    return [
        family
        for family, words in COLOUR_FAMILIES.items()
        if any(bare.endswith(word.removesuffix("色")) if has_chinese(word) else word in latin for word in words)
    ]


@lru_cache(maxsize=4096)
def tokens(text: str) -> tuple[tuple[int, int, str], ...]:
    """(start, end, word) of each word, number and Chinese character of normalised text; numbers in one
    form (1,7 and 1.70 as 1.7), units after a number in one form (litres, L and 升 as l), plural -s dropped."""
    found: list[tuple[int, int, str]] = []
    for match in TOKEN.finditer(normal_aligned(text)):
        word = match.group()
        if word[0].isdecimal():
            word = _number(word)
        found.append((match.start(), match.end(), word))
    merged: list[tuple[int, int, str]] = []
    index = 0
    while index < len(found):
        start, end, word = found[index]
        after_number = bool(merged) and merged[-1][2][0].isdecimal()
        pair = word + found[index + 1][2] if index + 1 < len(found) else ""
        if after_number and has_chinese(word) and pair in UNITS:
            merged.append((start, found[index + 1][1], UNITS[pair]))
            index += 2
            continue
        if after_number and word in UNITS:
            word = UNITS[word]
        elif not has_chinese(word) and not word[0].isdecimal():
            word = _singular(VARIANTS.get(word, word))
        merged.append((start, end, word))
        index += 1
    return tuple(merged)


def _number(text: str) -> str:
    whole, _, fraction = text.replace(",", ".").partition(".")
    if fraction and len(fraction) == 3 and "," in text:  # 1,000: a thousands separator
        return str(int(whole + fraction))
    value = float(f"{whole}.{fraction}" if fraction else whole)
    return f"{value:g}"


def _singular(word: str) -> str:
    if len(word) > 4 and word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _size_names(value: str) -> list[str]:
    """Other ways to say a size: "large" for L, "10" (after "size") for "UK 10"."""
    words = [word for _, _, word in tokens(value)]
    if len(words) == 1 and words[0] in LETTER_SIZES:
        return [LETTER_SIZES[words[0]]]
    if len(words) == 2 and words[0].isalpha() and len(words[0]) <= 3 and words[1][0].isdecimal():
        return [words[1]]
    return []


def _needs_cue(words: tuple[str, ...]) -> bool:
    """A one- or two-letter word or a bare number, which names a size only beside a cue ("size M", "M码")."""
    (word, *more) = words
    short = len(word) <= 2 and word.isalpha() and not has_chinese(word)
    return not more and (short or word[0].isdecimal())


def _kind_filter(span: Span) -> bool:
    """A span naming the kind of product that can be checked: not ambiguous between two filterable roles."""
    return span.kind not in FILTER_ROLES | {PRICE} and not any(r.kind in FILTER_ROLES for r in span.readings)


def _on_word_bounds(text: str, start: int, end: int, bounds: set[int]) -> bool:
    """Whether a phrase's Chinese edges are where words start and end."""
    return (start in bounds or not has_chinese(text[start])) and (end in bounds or not has_chinese(text[end - 1]))


def _covered(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    return any(low <= start and end <= high for low, high in spans)


def _cue(found: tuple[tuple[int, int, str], ...], position: int) -> tuple[int, int] | None:
    """Where the size cue beside a token is ("size M", "尺码M", "M码"), if there is one."""
    if position and found[position - 1][2] in SIZE_CUES:
        return found[position - 1][:2]
    if position >= 2 and found[position - 2][2] + found[position - 1][2] in SIZE_CUES:
        return found[position - 2][0], found[position - 1][1]
    if position + 1 < len(found) and found[position + 1][2] in SIZES_AFTER:
        return found[position + 1][:2]
    return None


def without(query: str, span: Span) -> str:
    """The query less one understood span: what to search to undo it."""
    return _without(query, [(span.start, span.end)])


def _without(text: str, cuts: list[tuple[int, int]]) -> str:
    for start, end in sorted(cuts, reverse=True):
        text = text[:start] + " " + text[end:]
    return " ".join(text.split())
