"""`/analytics`: the shop owner's page of what shoppers searched and did, behind PRODSEARCH_ANALYTICS_TOKEN.

See docs/design.md#the-analytics-page.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, Response, current_app, jsonify, render_template, request

from events import EventLog, EventsError, EventStore
from events.analytics import MAX_LIMIT, DayFigures, days, overview, parse_since, positions
from events.errors import EventsUnavailable
from events.experiments import Verdict, reported
from events.records import now_ms
from indexer.errors import ClusterUnavailable
from search.experiments import Experiment
from web.admin import basic_password, same
from web.analytics_labels import LABELS
from web.charts import HEIGHT, WIDTH, bar_chart, line_chart
from web.labels import page_language
from web.page import OWN_POLICY  # its style, charts and links are all its own, and it shows no images

analytics = Blueprint("analytics", __name__, template_folder="templates")

TOKEN_VARIABLE = "PRODSEARCH_ANALYTICS_TOKEN"
REALM = "prodsearch analytics"
PERIODS = ("7d", "30d", "90d", "all")
DEFAULT_PERIOD = "30d"
EXPERIMENTS = 5  # shown on the page; `prodsearch experiment report` tells of any
NAVY, BLUE, ORANGE = "#1f3b57", "#1f6fb2", "#d9822b"
CHART_POLICY = "default-src 'none'"  # an SVG opened on its own may run nothing and load nothing


class AnalyticsRefused(Exception):
    def __init__(self, status: int, error: str, detail: str, challenge: bool = False) -> None:
        super().__init__(detail)
        self.status, self.error, self.detail, self.challenge = status, error, detail, challenge


@analytics.errorhandler(AnalyticsRefused)
def refused(error: AnalyticsRefused) -> tuple[Response, int, dict[str, str]]:
    # a browser shows its login prompt for a 401 that names Basic; a wrong bearer token is a plain 403
    headers = {"WWW-Authenticate": f'Basic realm="{REALM}", charset="UTF-8"'} if error.challenge else {}
    return jsonify(error=error.error, detail=error.detail), error.status, headers


@analytics.errorhandler(EventsError)
def bad_input(error: EventsError) -> tuple[Response, int]:
    if isinstance(error, EventsUnavailable):
        return jsonify(error="events database unavailable", detail=str(error)), 503
    return jsonify(error="invalid parameter", detail=str(error)), 400


@analytics.before_request
def guard() -> None:
    """Every URL of the blueprint, charts included: events on, a token configured, and that token sent."""
    _events()
    expected = current_app.extensions["prodsearch.config"].analytics_token
    if not expected:
        raise AnalyticsRefused(404, "analytics are off", f"set {TOKEN_VARIABLE} to open /analytics")
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer":
        if not same(credentials.strip(), expected):
            raise AnalyticsRefused(403, "forbidden", f"the bearer token is not the one in {TOKEN_VARIABLE}")
        return
    if scheme.lower() == "basic":
        # a wrong password asks again: a browser that got 403 would keep sending it until it is restarted
        if not same(basic_password(credentials), expected):
            raise AnalyticsRefused(401, "unauthorized", f"the password is not the token in {TOKEN_VARIABLE}", True)
        return
    detail = f"send Authorization: Bearer <the token in {TOKEN_VARIABLE}>, or the token as a Basic password"
    raise AnalyticsRefused(401, "unauthorized", detail, True)


@analytics.after_request
def policy(response: Response) -> Response:
    if request.endpoint == "analytics.page":
        response.headers["Content-Security-Policy"] = OWN_POLICY
        response.headers["X-Frame-Options"] = "DENY"
    elif request.endpoint is not None and request.endpoint.startswith("analytics."):
        response.headers["Content-Security-Policy"] = CHART_POLICY
    return response


@analytics.get("/analytics")
def page() -> str:
    since, period = _period()
    limit = _whole("limit", 20, 1, MAX_LIMIT)
    min_searches = _whole("min_searches", 3, 1, 1_000_000)
    locale, labels = _language()
    store = _events().store
    with store.transaction() as connection:
        found = overview(connection, since, limit, min_searches)
    return render_template(
        "analytics.html",
        locale=locale,
        labels=labels,
        periods=[(value, _period_label(value, None, labels)) for value in PERIODS],
        period=period,
        period_label=_period_label(period, since, labels),
        totals=found.totals,
        top=found.top,
        zero=found.zero_results,
        unclicked=found.unclicked,
        unclicked_title=labels["unclicked"].format(min=min_searches),
        percent=_percent,
        count=lambda number: f"{number:,}",
        chart_width=WIDTH,
        chart_height=HEIGHT,
        experiments=_experiments(store),
    )


def _experiments(store: EventStore) -> list[tuple[Experiment, Verdict]]:
    """The shop's experiments, the running one first and then the latest started, each with its verdict so far
    (over all its searches: an experiment's period is its own, not the page's)."""
    kept = current_app.extensions["prodsearch.live"].pipeline.merchandising.current().experiments.values()
    latest = sorted(kept, key=lambda found: (found.running, found.started_at), reverse=True)[:EXPERIMENTS]
    return [(found, reported(store, found.name, found.method, found.started_ms, found.sessions)) for found in latest]


@analytics.get("/analytics/searches.svg")
def searches_chart() -> Response:
    since, _ = _period()
    _, labels = _language()
    series = _days(since)
    svg = bar_chart(
        labels["chart_searches"],
        [day.day[5:] for day in series],
        [day.searches for day in series],
        NAVY,
        percent=False,
        empty=labels["no_data"] if not any(day.searches for day in series) else "",
    )
    return _svg(svg)


@analytics.get("/analytics/rates.svg")
def rates_chart() -> Response:
    since, _ = _period()
    _, labels = _language()
    series = _days(since)
    lines = [
        (labels["click_through"], BLUE, [day.click_through for day in series]),
        (labels["zero_share"], ORANGE, [day.zero_result_share for day in series]),
    ]
    return _svg(line_chart(labels["chart_rates"], [day.day[5:] for day in series], lines, labels["no_data"]))


@analytics.get("/analytics/positions.svg")
def positions_chart() -> Response:
    since, _ = _period()
    _, labels = _language()
    with _events().store.transaction() as connection:
        found = positions(connection, since)
    empty = labels["no_data"] if not any(p.shown for p in found) else ""
    values = [p.click_through for p in found]
    svg = bar_chart(labels["chart_positions"], [str(p.position) for p in found], values, BLUE, True, empty)
    return _svg(svg)


def _events() -> EventLog:
    events = current_app.extensions.get("prodsearch.events")
    if events is None:
        detail = "this service logs no events (PRODSEARCH_EVENTS_DB=off), so there is nothing to analyse"
        raise AnalyticsRefused(404, "analytics are off", detail)
    return events


def _period() -> tuple[int | None, str]:
    """(since in epoch ms, the period as asked) from ?since=, an age, a date or 'all' as the command takes."""
    period = request.args.get("since", DEFAULT_PERIOD).strip().lower() or DEFAULT_PERIOD
    return parse_since(period, now_ms()), period


def _days(since: int | None) -> list[DayFigures]:
    with _events().store.transaction() as connection:
        return days(connection, since, now_ms())


def _whole(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not raw.isdecimal() or not low <= int(raw) <= high:
        raise EventsError(f"{name}: a whole number within {low}..{high}, got {raw!r}")
    return int(raw)


def _language() -> tuple[str, dict[str, str]]:
    """(locale, labels) of the served catalogue's language, as the search page picks them; English when
    the cluster cannot say."""
    try:
        code = current_app.extensions["prodsearch.live"].pipeline.backend.describe().language
    except ClusterUnavailable:
        code = "en"
    language = page_language(code)
    return language.locale, LABELS.get(language.code, LABELS["en"])


def _period_label(period: str, since: int | None, labels: dict[str, str]) -> str:
    """'Last 30 days' for an age in days, 'All time', else 'Since' the day it starts."""
    if since is None and period.lower() == "all":
        return labels["all_time"]
    if period.endswith("d") and period[:-1].isdecimal():
        return labels["last_days"].format(days=int(period[:-1]))
    day = datetime.fromtimestamp((since or 0) // 1000, UTC).date().isoformat()
    return labels["since_date"].format(date=day)


def _percent(share: float | None) -> str:
    return "–" if share is None else f"{share * 100:.1f}%"


def _svg(svg: str) -> Response:
    return Response(svg, mimetype="image/svg+xml")
