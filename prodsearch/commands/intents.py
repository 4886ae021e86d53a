"""`prodsearch intents`: the share of top-k hits that meet each judged query's constraint (price, colour, size...)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path

import click

from prodsearch.options import index_argument
from search.indexes import IndexLocation
from search.pipeline import MAX_K, MODES, SearchRequest


def request_maker(mode: str, k: int, understand: bool) -> Callable[[str], SearchRequest]:
    """How each intent's query becomes a request; `understand` is passed only where SearchRequest has that field."""
    if "understand" in {field.name for field in dataclasses.fields(SearchRequest)}:
        return lambda query: SearchRequest(query, mode, size=k, understand=understand)
    if understand:
        raise click.UsageError(
            "this build's SearchRequest has no 'understand' field, so queries cannot be understood yet; "
            "run with --no-understand for the baseline"
        )
    return lambda query: SearchRequest(query, mode, size=k)


@click.command()
@index_argument
@click.option(
    "--intents",
    "intents_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="id<TAB>query<TAB>constraint_json lines, e.g. data/sample/intents.tsv.",
)
@click.option("--mode", type=click.Choice(MODES), default="hybrid", show_default=True)
@click.option("--k", "k", type=click.IntRange(1, MAX_K), default=10, show_default=True, help="Hits judged per query.")
@click.option("--reranker", type=click.Path(path_type=Path), help="Cross-encoder model directory (for --mode rerank).")
@click.option(
    "--understand/--no-understand",
    default=True,
    show_default=True,
    help="Turn the query's price, colour, size... into filters and boosts, or search the words alone (the baseline).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON instead of one line per query.")
def intents(
    location: IndexLocation,
    intents_path: Path,
    mode: str,
    k: int,
    reranker: Path | None,
    understand: bool,
    as_json: bool,
) -> None:
    """Search each judged intent and report the share of hits that meet its constraint, and the mean share."""
    from evaluation.intents import format_intents, load_intents, report_json, share_met
    from models import load_cross_encoder
    from search import SearchPipeline

    judged = load_intents(intents_path)
    request = request_maker(mode, k, understand)
    model = load_cross_encoder(reranker) if reranker else None
    pipeline = SearchPipeline(location.open(), model, location.settings().load())
    report = share_met(judged, lambda query: [hit.product for hit in pipeline.search(request(query)).hits])
    click.echo(json.dumps(report_json(report), indent=2, ensure_ascii=False) if as_json else format_intents(report))
