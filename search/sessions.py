"""A shopper's interests within one session: the categories and brands of what it acted on, as shares of its weighted
actions, and the in-memory store that keeps them per hashed session id until the session goes idle.
See docs/design.md#session-aware-ranking."""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property

from indexer.fields import brand_key
from indexer.products import Product
from search.errors import SearchError

IDLE_S = 30 * 60  # a session's interests vanish this long after its last action
CAPACITY = 100_000  # sessions kept; the one whose last action is oldest goes first
MAX_KEYS = 50  # category paths and brands kept per session: the weakest go, so a crawler costs no more
SLACK = 1e-9  # shares summed in floating point may pass 1 by a rounding error


@dataclass(frozen=True)
class Interests:
    """Each category path's and brand's share (0..1, together at most 1 per kind) of a session's weighted actions."""

    categories: dict[tuple[str, ...], float] = field(default_factory=dict)  # the acted-on products' full paths
    brands: dict[str, float] = field(default_factory=dict)  # by brand_key: trimmed, lower-cased, as filters compare

    def __post_init__(self) -> None:
        categories: dict[tuple[str, ...], float] = {}
        for path, share in self.categories.items():
            parts = tuple(part.strip() for part in path if part.strip())
            if parts:
                categories[parts] = categories.get(parts, 0.0) + share
        brands: dict[str, float] = {}
        for brand, share in self.brands.items():
            if brand.strip():
                brands[brand_key(brand)] = brands.get(brand_key(brand), 0.0) + share
        for kind, shares in (("categories", categories), ("brands", brands)):
            bad = [share for share in shares.values() if not (math.isfinite(share) and share >= 0)]
            if bad or sum(shares.values()) > 1 + SLACK:
                raise SearchError(
                    f"interests: the {kind}' weights must be shares of the session's actions, each at least 0 and "
                    f"together at most 1, got {sorted(shares.values())[:5]}; build them with Interests.of(actions)"
                )
        object.__setattr__(self, "categories", categories)
        object.__setattr__(self, "brands", brands)

    @classmethod
    def of(cls, actions: Iterable[tuple[Product, float]]) -> Interests:
        """The interests of (product, weight) actions: each category path and brand over all the actions' weight."""
        categories: dict[tuple[str, ...], float] = {}
        brands: dict[str, float] = {}
        total = 0.0
        for product, weight in actions:
            if weight <= 0:
                continue
            total += weight
            if product.category:
                categories[product.category] = categories.get(product.category, 0.0) + weight
            if product.brand and product.brand.strip():
                brands[brand_key(product.brand)] = brands.get(brand_key(product.brand), 0.0) + weight
        if not total:
            return cls()
        return cls(
            {path: weight / total for path, weight in categories.items()},
            {brand: weight / total for brand, weight in brands.items()},
        )

    @property
    def empty(self) -> bool:
        return not self.categories and not self.brands

    @cached_property
    def _levels(self) -> dict[tuple[str, ...], float]:
        """What sharing each prefix of an acted-on path is worth: level i of a path of n levels counts
        i / (1 + ... + n) of its share, so a product sharing k levels matches k(k+1) / n(n+1) of it."""
        levels: dict[tuple[str, ...], float] = {}
        for path, share in self.categories.items():
            whole = len(path) * (len(path) + 1) / 2
            for depth in range(1, len(path) + 1):
                levels[path[:depth]] = levels.get(path[:depth], 0.0) + share * depth / whole
        return levels

    def lift(self, product: Product) -> float:
        """How well the product matches the session, 0..1: the mean of its category and brand matches, over those
        of the two the session has any of."""
        signals, matched = 0, 0.0
        if self.categories:
            signals += 1
            levels = self._levels
            matched += sum(levels.get(product.category[:depth], 0.0) for depth in range(1, len(product.category) + 1))
        if self.brands:
            signals += 1
            matched += self.brands.get(brand_key(product.brand), 0.0) if product.brand else 0.0
        return min(matched / signals, 1.0) if signals else 0.0


@dataclass
class _Session:
    """One session's weighted actions so far (mutable; the store's lock guards it)."""

    seen: float  # the clock at its last action
    total: float = 0.0
    categories: dict[tuple[str, ...], float] = field(default_factory=dict)
    brands: dict[str, float] = field(default_factory=dict)
    built: Interests | None = None  # the interests as last read, until the next action

    def add(self, product: Product, weight: float) -> None:
        self.total += weight
        self.built = None
        if product.category:
            self.categories[product.category] = self.categories.get(product.category, 0.0) + weight
            _keep_strongest(self.categories)
        if product.brand and product.brand.strip():
            self.brands[brand_key(product.brand)] = self.brands.get(brand_key(product.brand), 0.0) + weight
            _keep_strongest(self.brands)

    def interests(self) -> Interests:
        if self.built is None:
            self.built = Interests(
                {path: weight / self.total for path, weight in self.categories.items()},
                {brand: weight / self.total for brand, weight in self.brands.items()},
            )
        return self.built


def _keep_strongest(weights: dict) -> None:
    if len(weights) > MAX_KEYS:
        del weights[min(weights, key=weights.__getitem__)]  # its weight stays in the total: a fading interest


class SessionInterests:
    """Thread-safe, in memory only: per hashed session id, the interests of its actions, gone IDLE_S after the
    last one; at most CAPACITY sessions, the least recently active going first."""

    def __init__(
        self, idle_s: float = IDLE_S, capacity: int = CAPACITY, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if idle_s <= 0 or capacity < 1:
            raise SearchError(f"session interests need idle_s > 0 and capacity >= 1, got {idle_s} and {capacity}")
        self.idle_s, self.capacity, self.clock = idle_s, capacity, clock
        self._sessions: OrderedDict[str, _Session] = OrderedDict()  # least recently active first
        self._lock = threading.Lock()

    def record(self, session: str, product: Product, weight: float) -> None:
        """One action of the session on the product, weighing `weight` (click 1, add-to-cart 3, purchase 5)."""
        if weight <= 0:
            return
        now = self.clock()
        with self._lock:
            self._forget_idle(now)
            entry = self._sessions.get(session)
            if entry is None:
                if not product.category and not (product.brand and product.brand.strip()):
                    return  # nothing to lift by: no session is kept for it
                entry = self._sessions[session] = _Session(now)
            entry.seen = now
            entry.add(product, weight)
            self._sessions.move_to_end(session)
            while len(self._sessions) > self.capacity:
                self._sessions.popitem(last=False)

    def interests(self, session: str) -> Interests | None:
        """The session's interests; None when it has none, or its last action is IDLE_S old."""
        now = self.clock()
        with self._lock:
            entry = self._sessions.get(session)
            if entry is None:
                return None
            if now - entry.seen >= self.idle_s:
                del self._sessions[session]
                return None
            return entry.interests()

    def __len__(self) -> int:
        with self._lock:
            self._forget_idle(self.clock())
            return len(self._sessions)

    def _forget_idle(self, now: float) -> None:
        while self._sessions:
            oldest = next(iter(self._sessions.values()))
            if now - oldest.seen < self.idle_s:
                return
            self._sessions.popitem(last=False)
