"""`prodsearch eval` and `prodsearch tune`: search modes side by side on judged queries, and fusion tuning."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import click

from prodsearch.options import Judgments, index_argument, judgment_options
from search.indexes import IndexLocation
from search.pipeline import MODES

METRICS = ("ndcg@10", "mrr@10", "recall@100", "p@10", "ndcg@10_judged")


VARIANTS = {
    "": "the index's tuned settings and feature ranker, as the service searches",
    "default": "the defaults in code instead of the tuned settings, and no feature ranker",
    "words": "the tuned settings, the query only words (no understanding of prices, colours, sizes, brands)",
}


def parse_modes(modes: str, reranker: Path | None) -> list[tuple[str, str, str]]:
    """(label, mode, variant) for each comma-separated MODE[:VARIANT]; see VARIANTS."""
    chosen = [(label, *label.partition(":")[::2]) for label in (part.strip() for part in modes.split(",")) if label]
    bad = [label for label, mode, variant in chosen if mode not in MODES or variant not in VARIANTS]
    if bad or not chosen:
        raise click.BadParameter(
            f"unknown mode {bad[0] if bad else ''!r}; use {', '.join(MODES)}, optionally :default or :words",
            param_hint="--modes",
        )
    if any(mode == "rerank" for _, mode, _ in chosen) and reranker is None:
        raise click.BadParameter("the rerank mode needs --reranker MODEL_DIR", param_hint="--modes")
    return chosen


@click.command("eval")
@index_argument
@judgment_options
@click.option(
    "--modes",
    default="bm25,dense,hybrid",
    show_default=True,
    help="Comma-separated, the first is the baseline; MODE:default ignores the index's tuned settings, "
    "MODE:words searches the query as words only.",
)
@click.option("--reranker", type=click.Path(path_type=Path), help="Cross-encoder model directory (needed by rerank).")
@click.option(
    "--rel-threshold",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Lowest grade counted relevant by MRR, P and recall.",
)
@click.option(
    "--out", "out", type=click.Path(path_type=Path), help="Write report.json, TREC run files and chart.png here."
)
@click.option(
    "--against",
    type=click.Choice(["first", "previous"]),
    default="first",
    show_default=True,
    help="Compare each mode with the first one, or with the one before it (does each stage beat the last?).",
)
@click.option("--no-spelling", is_flag=True, help="Search the queries as typed, without spelling correction.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON instead of the table.")
def evaluate(
    location: IndexLocation,
    judgments: Judgments,
    modes: str,
    reranker: Path | None,
    rel_threshold: int,
    out: Path | None,
    against: str,
    no_spelling: bool,
    as_json: bool,
) -> None:
    """Evaluate search modes side by side on judged queries."""
    from evaluation import MetricSet, evaluate_modes
    from evaluation.report import format_table, write_report
    from models import load_cross_encoder
    from search import SearchPipeline, SearchSettings

    chosen = parse_modes(modes, reranker)
    queries, qrels = judgments.load()
    backend = location.open()
    model = load_cross_encoder(reranker) if reranker else None
    spelling = {"spelling": False} if no_spelling else {}
    tuned = replace(location.settings().load(), **spelling)
    settings = {"": tuned, "default": SearchSettings(**spelling), "words": replace(tuned, understanding=False)}
    shop = location.merchandising()  # scored as shoppers are served: with the shop's synonyms, rules and ranking
    ranker = location.ranker()  # the tuned variants search as the service does; "default" is the code's alone
    built = {
        variant: SearchPipeline(
            backend, model, settings[variant], merchandising=shop, ranker=None if variant == "default" else ranker
        )
        for variant in {v for _, _, v in chosen}
    }
    pipelines = [(label, mode, built[variant]) for label, mode, variant in chosen]
    for label, mode, pipeline in pipelines:
        plan = pipeline.rerank_plan()
        if mode == "rerank" and isinstance(plan, str):
            click.echo(f"{label}: rerank is off: {plan}; it shows hybrid results", err=True)
    report, runs = evaluate_modes(
        pipelines, queries, qrels, MetricSet(rel=rel_threshold), progress=not as_json, against=against
    )
    if out:
        for path in write_report(report, runs, out):
            click.echo(f"wrote {path}", err=True)
    click.echo(json.dumps(report, indent=2) if as_json else format_table(report))


@click.command()
@index_argument
@judgment_options
@click.option("--metric", type=click.Choice(METRICS), default="ndcg@10", show_default=True)
@click.option("--rel-threshold", type=click.IntRange(min=1), default=1, show_default=True)
@click.option(
    "--reranker",
    type=click.Path(path_type=Path),
    help="Also tune how many fused hits this cross-encoder reorders and how much its score counts "
    "beside the fused one (rerank_depth, rerank_weight).",
)
@click.option("--reset", is_flag=True, help="Forget the tuned settings: back to the defaults in code.")
def tune(
    location: IndexLocation,
    judgments: Judgments,
    metric: str,
    rel_threshold: int,
    reranker: Path | None,
    reset: bool,
) -> None:
    """Search fusion method, weight or constant, dense floor and depth; save the best with the index."""
    from evaluation import MetricSet
    from evaluation.tuning import (
        RERANK_QUERIES,
        cheapest_rerank,
        choose_fusion,
        describe,
        format_fusion,
        format_rerank,
        tune_fusion,
        tune_rerank,
        tuning_record,
    )
    from models import load_cross_encoder
    from search import SearchPipeline

    store = location.settings()
    if reset:
        click.echo("tuned settings removed; using the defaults" if store.reset() else "no tuned settings to remove")
        return
    queries, qrels = judgments.load()
    metrics = MetricSet(rel=rel_threshold)
    pipeline = SearchPipeline(location.open(), merchandising=location.merchandising())
    results = tune_fusion(pipeline, queries, qrels, metric, metrics, progress=True)
    choice = choose_fusion(results)
    best, judged = choice.settings, sum(qid in qrels for qid in queries)
    click.echo(format_fusion(results, choice, metric, judged))
    record = tuning_record(choice, metric, judged, judgments.part, pipeline.backend.label)
    if reranker is not None:
        cross_encoder = load_cross_encoder(reranker)
        reranking = SearchPipeline(pipeline.backend, cross_encoder, best, merchandising=pipeline.merchandising)
        weights = tune_rerank(reranking, queries, qrels, metric, metrics, seed=judgments.seed)
        click.echo(format_rerank(weights, min(judged, RERANK_QUERIES)))
        (depth, weight), rerank_score = cheapest_rerank(weights)
        best = replace(best, rerank_depth=depth, rerank_weight=weight)
        record = replace(record, reranker=str(reranker), rerank_score=round(rerank_score, 4))
    path = store.save(best, record)
    rerank = ""
    if best.rerank_weight is not None:
        rerank = f" rerank_depth={best.rerank_depth} rerank_weight={best.rerank_weight:.1f}"
    click.echo(
        f"saved {describe(best)}{rerank} "
        f"({metric} {choice.score:.4f}, defaults {choice.default_score:.4f}) to {path}; undo with --reset"
    )
