"""What shoppers searched and what they did with the results, as figures a shop can act on.

See docs/design.md#analytics-queries.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, case, distinct, func, select, true

from events.errors import EventsError
from events.records import normalised
from events.schema import EVENTS, SEARCHES
from events.store import EventStore

DAY_MS = 86_400_000
POSITIONS = 20  # click-through rate is reported for positions 1..POSITIONS
MAX_DAYS = 731  # the daily series keeps at most the latest two years
CLOCK_MARGIN_MS = 3_600_000  # events this long before `since` are still read, in case of skewed clocks
MAX_LIMIT = 1000  # queries in one list
CHUNK = 500  # spellings in one IN (...): far below any database's limit on parameters
AGE = re.compile(r"(\d+)\s*([mhdw])")
AGE_MS = {"m": 60_000, "h": 3_600_000, "d": DAY_MS, "w": 7 * DAY_MS}


@dataclass(frozen=True)
class QueryFigures:
    query: str  # the spelling used most in the group
    searches: int
    sessions: int  # distinct shoppers' sessions among the searches that sent one
    with_results: int  # searches that showed at least one product
    clicked: int  # searches with at least one click
    clicks: int  # click events
    add_to_carts: int
    purchases: int
    zero_results: int  # searches that found nothing
    click_through: float  # clicked / searches
    zero_result_share: float  # zero_results / searches


@dataclass(frozen=True)
class Totals:
    searches: int
    sessions: int
    clicked: int
    clicks: int
    add_to_carts: int
    purchases: int
    zero_results: int
    click_through: float | None  # None: no searches
    zero_result_share: float | None


@dataclass(frozen=True)
class PositionFigures:
    position: int
    shown: int  # searches that showed this position
    clicked: int  # of those, searches in which the result here was clicked
    click_through: float | None  # None: no search showed it


@dataclass(frozen=True)
class DayFigures:
    day: str  # YYYY-MM-DD, UTC
    searches: int
    zero_results: int
    clicked: int
    zero_result_share: float | None  # None: no searches that day
    click_through: float | None


@dataclass(frozen=True)
class Overview:
    totals: Totals
    top: tuple[QueryFigures, ...]
    zero_results: tuple[QueryFigures, ...]
    unclicked: tuple[QueryFigures, ...]


@dataclass(frozen=True)
class Report:
    since: int | None
    until: int
    limit: int
    min_searches: int
    totals: Totals
    top: tuple[QueryFigures, ...]
    zero_results: tuple[QueryFigures, ...]
    unclicked: tuple[QueryFigures, ...]
    positions: tuple[PositionFigures, ...]
    days: tuple[DayFigures, ...]

    def to_json(self) -> dict[str, Any]:
        as_dict = asdict(self)
        return {"since": _iso(self.since), "until": _iso(self.until)} | {
            key: value for key, value in as_dict.items() if key not in ("since", "until")
        }


def report(store: EventStore, since: int | None, until: int, limit: int = 20, min_searches: int = 3) -> Report:
    """Every figure for searches made from `since` (None: all) up to now; `until` (epoch ms, normally now)
    ends the daily series. One transaction; a database that fails is EventsUnavailable."""
    with store.transaction() as connection:
        found = overview(connection, since, limit, min_searches)
        return Report(
            since=since,
            until=until,
            limit=limit,
            min_searches=min_searches,
            totals=found.totals,
            top=found.top,
            zero_results=found.zero_results,
            unclicked=found.unclicked,
            positions=tuple(positions(connection, since)),
            days=tuple(days(connection, since, until)),
        )


def overview(connection: Connection, since: int | None, limit: int = 20, min_searches: int = 3) -> Overview:
    """The totals and the three query lists from one pass over the period's searches."""
    _check_bounds(limit, min_searches)
    groups = _query_groups(connection, since)
    lists = [_ranked(groups, kind, limit, min_searches) for kind in ("top", "zero", "unclicked")]
    figures = _with_sessions(connection, since, [group for ranked in lists for group in ranked])
    top, zero, unclicked = (tuple(figures[group.key] for group in ranked) for ranked in lists)
    return Overview(_totals(connection, since, groups), top, zero, unclicked)


def top_queries(connection: Connection, since: int | None, limit: int = 20) -> list[QueryFigures]:
    """The most searched queries, most searches first."""
    return _listed(connection, since, "top", limit, 1)


def zero_result_queries(connection: Connection, since: int | None, limit: int = 20) -> list[QueryFigures]:
    """Queries that found nothing, most such searches first: words the catalogue or the search lacks."""
    return _listed(connection, since, "zero", limit, 1)


def unclicked_queries(
    connection: Connection, since: int | None, limit: int = 20, min_searches: int = 3
) -> list[QueryFigures]:
    """Queries that showed products at least `min_searches` times and were never clicked: results nobody wanted."""
    return _listed(connection, since, "unclicked", limit, min_searches)


def positions(connection: Connection, since: int | None) -> list[PositionFigures]:
    """Click-through rate at positions 1..POSITIONS: how far down shoppers look."""
    first = (SEARCHES.c.page - 1) * SEARCHES.c.size + 1
    layouts = connection.execute(
        select(SEARCHES.c.page, SEARCHES.c.size, SEARCHES.c.shown, func.count())
        .where(_since(since), SEARCHES.c.shown > 0, first <= POSITIONS)
        .group_by(SEARCHES.c.page, SEARCHES.c.size, SEARCHES.c.shown)
    ).all()
    shown = Counter[int]()
    for page, size, count, searches in layouts:
        start = (page - 1) * size + 1
        for position in range(max(1, start), min(POSITIONS, start + count - 1) + 1):
            shown[position] += int(searches)
    clicked = dict(
        connection.execute(
            select(EVENTS.c.position, func.count(distinct(EVENTS.c.search_id)))
            .join(SEARCHES, SEARCHES.c.search_id == EVENTS.c.search_id)
            .where(
                _since(since),
                EVENTS.c.type == "click",
                EVENTS.c.position.between(1, POSITIONS),
                EVENTS.c.position >= first,
                EVENTS.c.position < first + SEARCHES.c.shown,
            )
            .group_by(EVENTS.c.position)
        ).all()
    )
    return [
        PositionFigures(p, shown[p], int(clicked.get(p, 0)), _share(int(clicked.get(p, 0)), shown[p]))
        for p in range(1, POSITIONS + 1)
    ]


def days(connection: Connection, since: int | None, until: int) -> list[DayFigures]:
    """Searches, zero-result share and click-through rate for each UTC day from `since` to `until`."""
    per_search = _per_search(since).subquery()
    day = (per_search.c.at // DAY_MS).label("day")
    rows = connection.execute(
        select(day, func.count(), _count_where(per_search.c.total == 0), _count_where(per_search.c.clicks > 0))
        .group_by(day)
        .order_by(day)
    ).all()
    found = {int(number): (int(searches), int(zero), int(clicked)) for number, searches, zero, clicked in rows}
    numbers = set(found) | ({since // DAY_MS} if since is not None else set())
    if not numbers:
        return []
    last = max(*numbers, until // DAY_MS)
    first = max(min(numbers), last - MAX_DAYS + 1)
    series = []
    for number in range(first, last + 1):
        searches, zero, clicked = found.get(number, (0, 0, 0))
        label = (date(1970, 1, 1) + timedelta(days=number)).isoformat()
        series.append(DayFigures(label, searches, zero, clicked, _share(zero, searches), _share(clicked, searches)))
    return series


def parse_since(text: str, now: int) -> int | None:
    """Epoch ms from an age or a date, None for 'all'. A day or week age counts whole UTC days with today:
    7d is today and the six days before it, so a daily chart never starts with a part of a day."""
    cleaned = text.strip().lower()
    if cleaned == "all":
        return None
    if match := AGE.fullmatch(cleaned):
        amount, unit = int(match.group(1)), match.group(2)
        if amount > 0 and unit in "dw":
            return (now // DAY_MS - amount * AGE_MS[unit] // DAY_MS + 1) * DAY_MS
        if amount > 0:
            return now - amount * AGE_MS[unit]
    try:
        return int(datetime.combine(date.fromisoformat(cleaned), datetime.min.time(), UTC).timestamp() * 1000)
    except ValueError:
        raise EventsError(
            f"since: {text!r} is neither an age (30d, 12w, 36h, 90m), a date (2026-11-01) nor 'all'"
        ) from None


COUNTS = ("searches", "with_results", "clicked", "clicks", "add_to_carts", "purchases", "zero_results")


@dataclass
class _Group:
    """One normalised query while it is counted: its spellings and the sums over them (COUNTS)."""

    key: str
    spellings: Counter[str] = field(default_factory=Counter)
    counts: Counter[str] = field(default_factory=Counter)


def _per_search(since: int | None):
    """One row a search: its query, time, total, and how many clicks, add-to-carts and purchases it got.

    See docs/design.md#analytics-queries.
    """

    def of_type(kind: str):
        return func.sum(case((EVENTS.c.type == kind, 1), else_=0)).label(kind)

    actions = select(EVENTS.c.search_id, of_type("click"), of_type("add_to_cart"), of_type("purchase"))
    if since is not None:
        actions = actions.where(EVENTS.c.at >= since - CLOCK_MARGIN_MS)
    summed = actions.group_by(EVENTS.c.search_id).subquery()
    return (
        select(
            SEARCHES.c.search_id,
            SEARCHES.c.query,
            SEARCHES.c.at,
            SEARCHES.c.total,
            SEARCHES.c.shown,
            func.coalesce(summed.c.click, 0).label("clicks"),
            func.coalesce(summed.c.add_to_cart, 0).label("add_to_carts"),
            func.coalesce(summed.c.purchase, 0).label("purchases"),
        )
        .select_from(SEARCHES.outerjoin(summed, summed.c.search_id == SEARCHES.c.search_id))
        .where(_since(since))
    )


def _query_groups(connection: Connection, since: int | None) -> list[_Group]:
    """Every normalised query of the period with its sums; the database groups exact spellings, Python merges."""
    per_search = _per_search(since).subquery()
    rows = connection.execute(
        select(
            per_search.c.query,
            func.count(),
            _count_where(per_search.c.shown > 0),
            _count_where(per_search.c.clicks > 0),
            func.sum(per_search.c.clicks),
            func.sum(per_search.c.add_to_carts),
            func.sum(per_search.c.purchases),
            _count_where(per_search.c.total == 0),
        ).group_by(per_search.c.query)
    )
    groups: dict[str, _Group] = {}
    for query, *counts in rows:
        key = normalised(query)
        group = groups.setdefault(key, _Group(key))
        group.spellings[query] += int(counts[0])
        group.counts.update({name: int(count or 0) for name, count in zip(COUNTS, counts, strict=True)})
    return list(groups.values())


def _ranked(groups: list[_Group], kind: str, limit: int, min_searches: int) -> list[_Group]:
    """The groups one list shows, in its order; ties by the query, so the order never depends on the database."""
    if kind == "top":
        chosen, order = list(groups), "searches"
    elif kind == "zero":
        chosen, order = [group for group in groups if group.counts["zero_results"]], "zero_results"
    else:
        chosen = [g for g in groups if g.counts["with_results"] >= min_searches and not g.counts["clicked"]]
        order = "with_results"
    return sorted(chosen, key=lambda group: (-group.counts[order], group.key))[:limit]


def _with_sessions(connection: Connection, since: int | None, groups: list[_Group]) -> dict[str, QueryFigures]:
    """Each group's figures with its distinct sessions, counted over the exact spellings of the groups listed."""
    unique = {group.key: group for group in groups}
    spellings = sorted({spelling for group in unique.values() for spelling in group.spellings})
    sessions: dict[str, set[str]] = {key: set() for key in unique}
    for start in range(0, len(spellings), CHUNK):
        rows = connection.execute(
            select(SEARCHES.c.query, SEARCHES.c.session)
            .where(
                _since(since),
                SEARCHES.c.session.is_not(None),
                SEARCHES.c.query.in_(spellings[start : start + CHUNK]),
            )
            .distinct()
        )
        for query, session in rows:
            sessions[normalised(query)].add(session)
    return {key: _figures(group, len(sessions[key])) for key, group in unique.items()}


def _totals(connection: Connection, since: int | None, groups: list[_Group]) -> Totals:
    """The sums over every query, and the distinct sessions, which no sum of the queries' counts gives."""
    summed = Counter[str]()
    for group in groups:
        summed.update(group.counts)
    sessions = connection.execute(
        select(func.count(distinct(SEARCHES.c.session))).where(_since(since), SEARCHES.c.session.is_not(None))
    ).scalar()
    searches, clicked, zero = summed["searches"], summed["clicked"], summed["zero_results"]
    return Totals(
        searches=searches,
        sessions=int(sessions),
        clicked=clicked,
        clicks=summed["clicks"],
        add_to_carts=summed["add_to_carts"],
        purchases=summed["purchases"],
        zero_results=zero,
        click_through=_share(clicked, searches),
        zero_result_share=_share(zero, searches),
    )


def _figures(group: _Group, sessions: int) -> QueryFigures:
    values = {name: group.counts[name] for name in COUNTS}
    # the most used spelling, tidied; ties go to the one that sorts first, so every database shows the same
    spelling = min(group.spellings, key=lambda text: (-group.spellings[text], text))
    return QueryFigures(
        query=" ".join(spelling.split()),
        sessions=sessions,
        click_through=values["clicked"] / values["searches"],  # a group has one search at least
        zero_result_share=values["zero_results"] / values["searches"],
        **values,
    )


def _listed(connection: Connection, since: int | None, kind: str, limit: int, min_searches: int) -> list:
    _check_bounds(limit, min_searches)
    ranked = _ranked(_query_groups(connection, since), kind, limit, min_searches)
    figures = _with_sessions(connection, since, ranked)
    return [figures[group.key] for group in ranked]


def _check_bounds(limit: int, min_searches: int) -> None:
    if not 1 <= limit <= MAX_LIMIT:
        raise EventsError(f"limit: a number of queries within 1..{MAX_LIMIT}, got {limit}")
    if min_searches < 1:
        raise EventsError(f"min_searches: at least 1, got {min_searches}")


def _since(since: int | None):
    return SEARCHES.c.at >= since if since is not None else true()


def _count_where(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _iso(ms: int | None) -> str | None:
    return None if ms is None else datetime.fromtimestamp(ms // 1000, UTC).isoformat().replace("+00:00", "Z")
