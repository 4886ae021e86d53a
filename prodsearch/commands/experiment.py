"""`prodsearch experiment start|report|stop|list|simulate`: A/B tests and interleaving on live traffic, kept with the
shop's settings, and the same experiments under simulated shoppers. See docs/design.md#experiments."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from prodsearch.options import Judgments, index_argument, judgment_options
from search.indexes import IndexLocation

if TYPE_CHECKING:
    from events.experiments import Verdict

METHOD = click.Choice(["interleave", "ab"])


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@click.group()
def experiment() -> None:
    """Experiments: arm B (a mode or a settings file) against what is served, on shoppers' sessions."""


@experiment.command("start")
@index_argument
@click.argument("name")
@click.option("--b", "b_arm", required=True, metavar="MODE|FILE", help="A mode, or a JSON settings file.")
@click.option("--method", type=METHOD, default="interleave", show_default=True)
@click.option(
    "--traffic",
    type=click.FloatRange(0, 1, min_open=True),
    default=0.5,
    show_default=True,
    help="The share of sessions that take part.",
)
@click.option(
    "--sessions",
    type=click.IntRange(10),
    help="Decide at this many sessions, planned now (`simulate` sizes it): a winner is called only then. "
    "Without it, at the first p < 0.05, which looking every day can fool.",
)
def start(location: IndexLocation, name: str, b_arm: str, method: str, traffic: float, sessions: int | None) -> None:
    """Start experiment NAME on the served default (searches that name no mode); one runs at a time."""
    from search.experiments import Experiment, arm_of

    arm = arm_of(b_arm)
    planned = {"sessions": sessions} if sessions is not None else {}
    record = {"name": name, "method": method, "traffic": traffic, "b": arm, "started_at": _now()} | planned
    chosen = Experiment.from_json(record)
    version = location.merchandising().change(lambda current: current.started(chosen)).version
    click.echo(f"{name} started ({method}, {traffic:.0%} of sessions, B: {arm.label}); settings version {version}")


@experiment.command("stop")
@index_argument
@click.argument("name")
def stop(location: IndexLocation, name: str) -> None:
    """Stop experiment NAME: every session is served A again; its report stays."""
    version = location.merchandising().change(lambda current: current.stopped(name, _now())).version
    click.echo(f"{name} stopped; settings version {version}")


@experiment.command("delete")
@index_argument
@click.argument("name")
def delete(location: IndexLocation, name: str) -> None:
    """Forget stopped experiment NAME (its logged searches stay in the events database); the name is free again."""
    version = location.merchandising().change(lambda current: current.without_experiment(name)).version
    click.echo(f"{name} deleted; settings version {version}")


@experiment.command("list")
@index_argument
def listed(location: IndexLocation) -> None:
    """Every experiment, one JSON object a line."""
    for found in location.merchandising().current().experiments.values():
        click.echo(json.dumps(found.to_json(), ensure_ascii=False))


@experiment.command("report")
@index_argument
@click.argument("name")
@click.option(
    "--events",
    "events_db",
    envvar="PRODSEARCH_EVENTS_DB",
    help="The events database [default: PRODSEARCH_EVENTS_DB, else the service's beside the index].",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def report(location: IndexLocation, name: str, events_db: str | None, as_json: bool) -> None:
    """Each arm's searches, sessions and clicks, the winner, the p-value and the sessions a decision needs."""
    from events import EventsError, EventStore
    from events.experiments import reported
    from search.errors import UnknownResource
    from web.config import ServiceConfig

    found = location.merchandising().current().experiments.get(name)
    if found is None:
        raise UnknownResource("experiment", name)
    where = events_db or ServiceConfig(index=location.name, backend=location.backend).events_location()
    if where.lower() == "off":
        raise EventsError("events are off (PRODSEARCH_EVENTS_DB=off): no searches were logged to report on")
    store = EventStore(where)
    try:
        result = reported(store, name, found.method, found.started_ms, found.sessions)
    finally:
        store.close()
    record = {"experiment": found.to_json()} | result.to_json()
    click.echo(json.dumps(record, ensure_ascii=False, indent=2) if as_json else format_verdict(result, found.b.label))


@experiment.command("simulate")
@index_argument
@judgment_options
@click.option("--a", "a_arm", default="hybrid", show_default=True, metavar="MODE|FILE")
@click.option("--b", "b_arm", required=True, metavar="MODE|FILE")
@click.option("--method", type=METHOD, default="interleave", show_default=True)
@click.option("--sessions", type=click.IntRange(1, 10_000_000), default=1000, show_default=True)
@click.option(
    "--runs",
    type=click.IntRange(1, 10_000),
    default=1,
    show_default=True,
    help="Repeat with seeds 0..RUNS-1 and count the winners (A against A: how often one is declared).",
)
@click.option("--reranker", type=click.Path(path_type=Path), help="Cross-encoder model directory (for rerank).")
@click.option("--eta", type=click.FloatRange(0), default=1.0, show_default=True, help="Position bias: (1/rank)**eta.")
@click.option(
    "--noise",
    type=click.FloatRange(0, 1),
    default=0.05,
    show_default=True,
    help="Click chance on a product judged irrelevant that was looked at.",
)
@click.option(
    "--top",
    type=click.FloatRange(0, 1),
    default=0.9,
    show_default=True,
    help="Click chance on a product of the highest grade that was looked at.",
)
@click.option("--json", "as_json", is_flag=True)
def simulate_command(
    location: IndexLocation,
    judgments: Judgments,
    a_arm: str,
    b_arm: str,
    method: str,
    sessions: int,
    runs: int,
    reranker: Path | None,
    eta: float,
    noise: float,
    top: float,
    as_json: bool,
) -> None:
    """Simulated shoppers, clicking as a position-based model draws from the judgments, served A and B by the
    code that serves live traffic; prints the report's winner, p-value and sessions."""
    from evaluation.simulate import ClickModel, Responses, repeated, simulate
    from models import load_cross_encoder
    from search import SearchPipeline
    from search.experiments import arm_of

    queries, qrels = judgments.load()
    a, b = arm_of(a_arm), arm_of(b_arm)
    model = load_cross_encoder(reranker) if reranker else None
    settings, shop, ranker = location.settings().load(), location.merchandising(), location.ranker()
    pipeline = SearchPipeline(location.open(), model, settings, merchandising=shop, ranker=ranker)
    clicks = ClickModel(eta, noise, top)
    responses = Responses()

    def once(seed: int) -> Verdict:
        return simulate(pipeline, queries, qrels, a, b, method, sessions, seed, clicks, responses=responses)

    result = once(0)
    record = {"a": a.label, "b": b.label, "click_model": vars(clicks)} | result.to_json()
    if runs > 1:
        record["repeated"] = repeated(runs, once)
    if as_json:
        click.echo(json.dumps(record, indent=2))
        return
    click.echo(format_verdict(result, b.label, a.label))
    if runs > 1:
        summary = record["repeated"]
        click.echo(
            f"over {runs} runs: a won {summary['winners']['a']}, b won {summary['winners']['b']}, "
            f"none {summary['winners']['none']} (a winner declared in {summary['decided_rate']:.1%})"
        )


def format_verdict(result: Verdict, b_label: str, a_label: str = "served") -> str:
    labels = {"a": a_label, "b": b_label}
    lines = [f"{'arm':<4} {'':<24} {'searches':>9} {'sessions':>9} {'clicks':>8} {'clicks/search':>14}"]
    for arm, count in result.arms.items():
        rate = count.clicks / count.searches if count.searches else 0.0
        lines.append(
            f"{arm:<4} {labels[arm][:24]:<24} {count.searches:>9,} {count.sessions:>9,} "
            f"{count.clicks:>8,} {rate:>14.3f}"
        )
    p_value = "n/a" if result.p_value is None else f"{result.p_value:.4g}"
    lines.append(f"winner: {result.winner}   p-value: {p_value} ({result.test})")
    if result.sessions_needed is not None:
        lines.append(
            f"sessions: {result.sessions:,}; a decision at this effect needs about "
            f"{result.sessions_needed:,} ({result.more_sessions_needed:,} more)"
        )
    else:
        lines.append(f"sessions: {result.sessions:,}; no difference seen yet to size a decision by")
    if result.note:
        lines.append(result.note)
    return "\n".join(lines)
