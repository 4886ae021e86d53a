"""`prodsearch analytics DB`: what shoppers searched and did, as tables, JSON or a chart (docs/analytics.md)."""

from __future__ import annotations

import json
import time
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:  # the command loads SQLAlchemy only when it runs
    from events.analytics import Report

QUERY_WIDTH = 32  # terminal columns for a query; longer ones are cut with …
BAR_WIDTH = 30  # columns of the longest text bar


@click.command()
@click.argument("db", envvar="PRODSEARCH_EVENTS_DB")  # a SQLite path or a postgresql:// URL
@click.option(
    "--since",
    default="30d",
    show_default=True,
    help="An age (30d: today and the 29 days before; 12w, 36h), a date (2026-11-01, UTC) or 'all'.",
)
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True, help="Queries in each list.")
@click.option(
    "--min-searches",
    type=click.IntRange(1),
    default=3,
    show_default=True,
    help="How often a query must have shown products to count as unclicked.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document instead of tables.")
@click.option("--chart", type=click.Path(dir_okay=False, path_type=Path), help="Also draw the series as a PNG.")
def analytics(db: str, since: str, limit: int, min_searches: int, as_json: bool, chart: Path | None) -> None:
    """Top, zero-result and unclicked queries, click-through by position, and a daily series from DB.

    DB is the events database, a SQLite path or a postgresql:// URL [default: PRODSEARCH_EVENTS_DB]."""
    from events import EventsError, EventStore
    from events.analytics import parse_since, report
    from events.store import is_postgres

    if not is_postgres(db) and not Path(db).expanduser().is_file():
        raise EventsError(f"no events database at {db}: give the file the service writes (PRODSEARCH_EVENTS_DB)")
    now = int(time.time() * 1000)
    start = parse_since(since, now)
    store = EventStore(db)
    try:
        found = report(store, start, now, limit, min_searches)
    finally:
        store.close()
    if as_json:
        click.echo(json.dumps({"database": store.where} | found.to_json(), ensure_ascii=False, indent=2))
    else:
        click.echo(format_report(found, store.where))
    if chart is not None:
        from events.analytics_chart import write_chart

        click.echo(f"chart: {write_chart(found, chart)}", err=True)


def format_report(found: Report, where: str) -> str:
    """The report as tables for a terminal; the rates in per cent, bars where a shape says more than numbers."""
    totals = found.totals
    period = f"since {found.to_json()['since'][:10]}" if found.since is not None else "of all time"
    lines = [
        f"Searches {period} in {where} (days in UTC)",
        f"  {totals.searches:,} searches, {totals.sessions:,} sessions, "
        f"click-through {_percent(totals.click_through)}, zero results {_percent(totals.zero_result_share)}, "
        f"{totals.add_to_carts:,} add-to-carts, {totals.purchases:,} purchases",
        "",
        "Top queries",
    ]
    headers = ("query", "searches", "sessions", "clicks", "click-through", "add-to-carts", "purchases", "zero results")
    lines += _table(
        headers,
        [
            (
                q.query,
                q.searches,
                q.sessions,
                q.clicks,
                _percent(q.click_through),
                q.add_to_carts,
                q.purchases,
                _percent(q.zero_result_share),
            )
            for q in found.top
        ],
    )
    lines += ["", "Zero-result queries: nothing found"]
    lines += _table(
        ("query", "zero results", "searches", "sessions"),
        [(q.query, q.zero_results, q.searches, q.sessions) for q in found.zero_results],
    )
    lines += ["", f"Unclicked queries: showed products {found.min_searches} times or more, never clicked"]
    lines += _table(
        ("query", "with results", "searches", "sessions"),
        [(q.query, q.with_results, q.searches, q.sessions) for q in found.unclicked],
    )
    lines += ["", "Click-through by position: searches clicked there / searches that showed it"]
    top = max(p.click_through or 0.0 for p in found.positions)
    for p in found.positions:
        bar = _bar(p.click_through or 0.0, top)
        lines.append(f"  {p.position:>3}  {_percent(p.click_through):>6}  {p.clicked:>7,} / {p.shown:<7,}  {bar}")
    lines += ["", "By day (UTC): searches, click-through, zero results"]
    most = max([day.searches for day in found.days], default=0)
    for day in found.days:
        rates = f"{_percent(day.click_through):>6}  {_percent(day.zero_result_share):>6}"
        lines.append(f"  {day.day}  {day.searches:>7,}  {rates}  {_bar(day.searches, most)}")
    return "\n".join(lines)


def _table(headers: tuple[str, ...], rows: list[tuple]) -> list[str]:
    """A query column, then right-aligned columns as wide as their header or widest value; '(none)' for no rows."""
    cells = [[f"{cell:,}" if isinstance(cell, int) else str(cell) for cell in row[1:]] for row in rows]
    widths = [max([len(header), *(len(row[n]) for row in cells)]) for n, header in enumerate(headers[1:])]
    lines = [_query(headers[0]) + "".join(f"  {h:>{w}}" for h, w in zip(headers[1:], widths, strict=True))]
    for row, texts in zip(rows, cells, strict=True):
        lines.append(_query(row[0]) + "".join(f"  {t:>{w}}" for t, w in zip(texts, widths, strict=True)))
    return lines if rows else [*lines, "  (none)"]


def _query(text: str) -> str:
    """The query in QUERY_WIDTH terminal columns: cut with … when longer, padded when shorter."""
    if _width(text) > QUERY_WIDTH:
        while _width(text) > QUERY_WIDTH - 1:
            text = text[:-1]
        text += "…"
    return "  " + text + " " * (QUERY_WIDTH - _width(text))


def _width(text: str) -> int:
    """Terminal columns: Chinese characters take two, so the columns after a Chinese query still line up."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _bar(value: float, top: float) -> str:
    return "█" * round(BAR_WIDTH * value / top) if top else ""


def _percent(share: float | None) -> str:
    return "–" if share is None else f"{share * 100:.1f}%"
