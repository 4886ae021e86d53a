"""What an experiment's searches and clicks say: each arm's searches, sessions and clicks, the winner, a p-value from
a test that fits the method, and how many sessions a decision needs. Live traffic (read from the events database)
and simulated shoppers (evaluation.simulate) go through the same `verdict`. See docs/design.md#experiments.
"""

from __future__ import annotations

import json
import math
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from scipy import stats
from sqlalchemy import select

from events.schema import EVENTS, SEARCHES
from events.store import EventStore

ALPHA = 0.05  # a winner is declared below this p-value
POWER = 0.8  # the chance of finding the effect seen so far, which the sessions still needed are sized for
MIN_SESSIONS = 10  # per arm (a/b) or with a preference (interleaving): fewer tell nothing


@dataclass(frozen=True)
class ExperimentSearch:
    """One search that took part: its (hashed) session, its arm, and which of the ids it showed were clicked."""

    session: str
    arm: str  # "a", "b" or "interleaved"
    results: tuple[str, ...]
    clicked: frozenset[str]
    teams: str | None = None  # interleaved: for each id shown, the arm that put it there

    def credit(self) -> dict[str, int]:
        """Clicks per arm: in an interleaved list each click counts for the arm that put the product there."""
        if self.teams is None:
            return {self.arm: len(self.clicked)}
        credit = {"a": 0, "b": 0}
        for product_id, team in zip(self.results, self.teams, strict=False):
            if product_id in self.clicked and team in credit:  # "-": a rule pinned it there, for neither arm
                credit[team] += 1
        return credit


@dataclass(frozen=True)
class ArmCount:
    searches: int = 0
    sessions: int = 0
    clicks: int = 0  # interleaving: the clicks credited to this arm

    def to_json(self) -> dict[str, Any]:
        rate = self.clicks / self.searches if self.searches else 0.0
        return {"searches": self.searches, "sessions": self.sessions, "clicks": self.clicks, "clicks_per_search": rate}


@dataclass(frozen=True)
class Verdict:
    method: str
    arms: dict[str, ArmCount]
    sessions: int  # sessions that took part
    winner: str  # "a", "b" or "none"
    p_value: float | None  # None: too few sessions to test
    test: str
    sessions_needed: int | None  # in all, for a decision at the effect seen so far; None: no effect seen yet
    note: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def more_sessions_needed(self) -> int | None:
        return None if self.sessions_needed is None else max(0, self.sessions_needed - self.sessions)

    def to_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "winner": self.winner,
            "p_value": self.p_value,
            "test": self.test,
            "sessions": self.sessions,
            "sessions_needed": self.sessions_needed,
            "more_sessions_needed": self.more_sessions_needed,
            "arms": {name: count.to_json() for name, count in self.arms.items()},
            "note": self.note,
        } | self.details


def verdict(
    method: str, searches: Iterable[ExperimentSearch], alpha: float = ALPHA, planned: int | None = None
) -> Verdict:
    """Interleaving: each session prefers the arm its clicks credit more; a two-sided binomial (sign) test of the
    sessions with a preference. A/B: each session's clicks per search; Welch's t-test between the arms. With
    `planned` sessions, no winner before they are in."""
    sessions: dict[str, list[ExperimentSearch]] = defaultdict(list)
    for search in searches:
        sessions[search.session].append(search)
    found = _interleaved(sessions, alpha) if method == "interleave" else _ab(sessions, alpha)
    if planned is None:
        note = "no sample size was planned: a winner called at the first p < 0.05 seen may not be one"
        return replace(found, note=found.note or note) if found.winner != "none" else found
    if found.sessions < planned:
        note = f"{found.sessions:,} of the {planned:,} planned sessions: the winner is decided when all are in"
        return replace(found, winner="none", note=note)
    return found


def _interleaved(sessions: dict[str, list[ExperimentSearch]], alpha: float) -> Verdict:
    wins = {"a": 0, "b": 0}
    clicks = {"a": 0, "b": 0}
    searches = 0
    for found in sessions.values():
        credit = {"a": 0, "b": 0}
        for search in found:
            searches += 1
            for arm, count in search.credit().items():
                credit[arm] += count
        for arm in credit:
            clicks[arm] += credit[arm]
        if credit["a"] != credit["b"]:
            wins["a" if credit["a"] > credit["b"] else "b"] += 1
    arms = {arm: ArmCount(searches, len(sessions), clicks[arm]) for arm in ("a", "b")}
    decided = wins["a"] + wins["b"]
    details = {"preferred": dict(wins), "ties": len(sessions) - decided}
    test = "two-sided binomial (sign) test of the sessions that preferred one arm"
    if decided < MIN_SESSIONS:
        note = f"{decided} sessions preferred an arm; at least {MIN_SESSIONS} are needed to test"
        return Verdict("interleave", arms, len(sessions), "none", None, test, None, note, details)
    p_value = float(stats.binomtest(wins["b"], decided, 0.5).pvalue)
    share = wins["b"] / decided
    needed = None
    if share != 0.5 and decided:
        z_alpha, z_power = stats.norm.ppf(1 - alpha / 2), stats.norm.ppf(POWER)
        preferring = (z_alpha * 0.5 + z_power * math.sqrt(share * (1 - share))) ** 2 / (share - 0.5) ** 2
        needed = math.ceil(preferring * len(sessions) / decided)  # sessions with a tie count too
    winner = ("b" if share > 0.5 else "a") if p_value < alpha else "none"
    return Verdict("interleave", arms, len(sessions), winner, p_value, test, needed, details=details)


def _ab(sessions: dict[str, list[ExperimentSearch]], alpha: float) -> Verdict:
    rates: dict[str, list[float]] = {"a": [], "b": []}
    counts = {"a": [0, 0, 0], "b": [0, 0, 0]}  # searches, sessions, clicks
    for found in sessions.values():
        arm = found[0].arm
        clicks = sum(len(search.clicked) for search in found)
        rates[arm].append(clicks / len(found))
        counts[arm][0] += len(found)
        counts[arm][1] += 1
        counts[arm][2] += clicks
    arms = {arm: ArmCount(*counts[arm]) for arm in ("a", "b")}
    test = "Welch's t-test of each session's clicks per search"
    if min(len(rates["a"]), len(rates["b"])) < MIN_SESSIONS:
        note = f"each arm needs at least {MIN_SESSIONS} sessions to test"
        return Verdict("ab", arms, len(sessions), "none", None, test, None, note)
    mean_a, mean_b = (sum(rates[arm]) / len(rates[arm]) for arm in ("a", "b"))
    if all(rate == rates["a"][0] for rate in (*rates["a"], *rates["b"])):
        return Verdict("ab", arms, len(sessions), "none", 1.0, test, None, "every session alike: no difference seen")
    p_value = float(stats.ttest_ind(rates["a"], rates["b"], equal_var=False).pvalue)
    needed = None
    if mean_a != mean_b:
        variance = (statistics.variance(rates["a"]) + statistics.variance(rates["b"])) / 2
        z_alpha, z_power = stats.norm.ppf(1 - alpha / 2), stats.norm.ppf(POWER)
        needed = 2 * math.ceil(2 * (z_alpha + z_power) ** 2 * variance / (mean_a - mean_b) ** 2)
    winner = ("b" if mean_b > mean_a else "a") if p_value < alpha else "none"
    return Verdict("ab", arms, len(sessions), winner, p_value, test, needed)


def logged(store: EventStore, name: str, since_ms: int = 0) -> list[ExperimentSearch]:
    """The experiment's searches since it started as the service logged them, with the products clicked on each
    (a click, or an add-to-cart or purchase that came without one, counts once). Searches without a session are not
    its."""
    columns = (SEARCHES.c.search_id, SEARCHES.c.session, SEARCHES.c.arm, SEARCHES.c.results, SEARCHES.c.teams)
    taking_part = (SEARCHES.c.experiment == name) & SEARCHES.c.session.is_not(None) & (SEARCHES.c.at >= since_ms)
    with store.transaction() as connection:
        rows = connection.execute(select(*columns).where(taking_part)).all()
        acted = connection.execute(
            select(EVENTS.c.search_id, EVENTS.c.product_id)
            .distinct()
            .where(EVENTS.c.search_id.in_(select(SEARCHES.c.search_id).where(taking_part)))
        ).all()
    clicked: dict[str, set[str]] = defaultdict(set)
    for row in acted:
        clicked[row.search_id].add(row.product_id)
    return [
        ExperimentSearch(row.session, row.arm, shown, frozenset(clicked[row.search_id] & set(shown)), row.teams)
        for row in rows
        for shown in [tuple(json.loads(row.results))]
    ]


def reported(store: EventStore, name: str, method: str, since_ms: int = 0, planned: int | None = None) -> Verdict:
    """The verdict on an experiment's logged searches since it started: what its report and the analytics page show."""
    return verdict(method, logged(store, name, since_ms), planned=planned)
