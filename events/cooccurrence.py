"""Shoppers also viewed and bought: which products the same sessions acted on, folded in one event at a time.

See docs/design.md#also-viewed.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from typing import NamedTuple

from events.popularity import WEIGHTS

SESSION_PRODUCTS = 50  # a session pairs the products it acted on most recently, at most this many


class Pair(NamedTuple):
    sessions: int  # distinct sessions that acted on both products
    strength: float  # summed over those sessions: the weight of the weaker of the two products' strongest actions


class _Tally:
    """Mutable counts behind a Pair, or behind a product's total (sessions holding it, its summed weight)."""

    __slots__ = ("sessions", "weight")

    def __init__(self) -> None:
        self.sessions = 0
        self.weight = 0.0


class _Session:
    __slots__ = ("last", "products")

    def __init__(self) -> None:
        self.last = 0  # epoch ms of its latest event
        self.products: OrderedDict[str, float] = OrderedDict()  # its strongest weight per product, oldest first


class CoOccurrence:
    """Pairs of products acted on in the same sessions, kept exact as events arrive; one writer at a time."""

    def __init__(self, session_products: int = SESSION_PRODUCTS) -> None:
        if session_products < 2:
            raise ValueError(f"session_products must be 2 or more to pair anything, got {session_products}")
        self.session_products = session_products
        self._sessions: OrderedDict[str, _Session] = OrderedDict()  # the longest quiet first
        self._totals: dict[str, _Tally] = {}  # per product, over the sessions holding it
        self._pairs: dict[str, dict[str, _Tally]] = {}  # both directions of a pair share one tally

    @property
    def sessions(self) -> int:
        return len(self._sessions)

    @property
    def products(self) -> int:
        return len(self._totals)

    def add(self, session: str, product_id: str, event_type: str, at: int) -> None:
        """Folds in one event: the product joins the session at the action's weight, or rises to it."""
        weight = WEIGHTS.get(event_type, 0.0)
        if weight <= 0 or not session:  # an action that says nothing of the product, or no session to pair in
            return
        held = self._sessions.get(session)
        if held is None:
            held = self._sessions[session] = _Session()
        self._sessions.move_to_end(session)
        held.last = max(held.last, at)
        before = held.products.get(product_id)
        if before is None:
            if len(held.products) >= self.session_products:
                self._leave(held.products, next(iter(held.products)))
            self._join(held.products, product_id, weight)
        elif weight > before:
            self._rise(held.products, product_id, before, weight)
        held.products.move_to_end(product_id)

    def expire(self, before_ms: int) -> int:
        """Takes out every session whose latest event is older than `before_ms`; returns how many."""
        expired = 0
        while self._sessions:
            session, held = next(iter(self._sessions.items()))
            if held.last >= before_ms:
                break
            while held.products:
                self._leave(held.products, next(iter(held.products)))
            del self._sessions[session]
            expired += 1
        return expired

    def pair(self, first: str, second: str) -> Pair | None:
        """What the sessions that acted on both products add up to; None if none did."""
        tally = self._pairs.get(first, {}).get(second)
        return None if tally is None else Pair(tally.sessions, tally.weight)

    def related(self, product_id: str, min_sessions: int) -> list[tuple[str, float]]:
        """(other product, score) for every product acted on with this one in at least `min_sessions` sessions,
        best first; score = strength / sqrt(total weight of one x of the other), within 0..1."""
        if min_sessions < 1:
            raise ValueError(f"min_sessions must be 1 or more, got {min_sessions}")
        mine = self._totals.get(product_id)
        if mine is None:
            return []
        scored = []
        for other, tally in self._pairs.get(product_id, {}).items():
            if tally.sessions < min_sessions:
                continue
            denominator = math.sqrt(mine.weight * self._totals[other].weight)
            if denominator > 0:
                scored.append((other, tally.weight / denominator, tally.sessions))
        scored.sort(key=lambda found: (-found[1], -found[2], found[0]))
        return [(other, score) for other, score, _ in scored]

    def _tally(self, first: str, second: str) -> _Tally:
        tally = self._pairs.setdefault(first, {}).get(second)
        if tally is None:
            tally = self._pairs[first][second] = _Tally()
            self._pairs.setdefault(second, {})[first] = tally
        return tally

    def _join(self, products: OrderedDict[str, float], product_id: str, weight: float) -> None:
        for other, other_weight in products.items():
            tally = self._tally(product_id, other)
            tally.sessions += 1
            tally.weight += min(weight, other_weight)
        products[product_id] = weight
        total = self._totals.setdefault(product_id, _Tally())
        total.sessions += 1
        total.weight += weight

    def _rise(self, products: OrderedDict[str, float], product_id: str, before: float, after: float) -> None:
        for other, other_weight in products.items():
            if other != product_id:
                self._pairs[product_id][other].weight += min(after, other_weight) - min(before, other_weight)
        products[product_id] = after
        self._totals[product_id].weight += after - before

    def _leave(self, products: OrderedDict[str, float], product_id: str) -> None:
        """Takes one product out of a session with everything it added, as if the session had never held it."""
        weight = products.pop(product_id)
        for other, other_weight in products.items():
            tally = self._pairs[product_id][other]
            tally.sessions -= 1
            tally.weight -= min(weight, other_weight)
            if tally.sessions == 0:  # gone, not kept at zero: memory follows the pairs seen in the window
                self._unpair(product_id, other)
                self._unpair(other, product_id)
        total = self._totals[product_id]
        total.sessions -= 1
        total.weight -= weight
        if total.sessions == 0:
            del self._totals[product_id]

    def _unpair(self, first: str, second: str) -> None:
        neighbours = self._pairs[first]
        del neighbours[second]
        if not neighbours:
            del self._pairs[first]
