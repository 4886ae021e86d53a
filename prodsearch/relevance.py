"""The relevance verbs: eval, tune and train, all reading judgments the same way."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, replace
from pathlib import Path

import click

from prodsearch.cli import Command, index_argument, main, print_report
from search.indexes import IndexLocation
from search.pipeline import MODES


@dataclass(frozen=True)
class Judgments:
    """The judgment files a command was given, and which part of the seeded split by query to use."""

    queries_path: Path | None
    qrels_path: Path | None
    part: str
    share: float
    seed: int

    def load(self):
        """(queries, qrels), the queries restricted to the chosen part."""
        from evaluation import read_qrels, read_queries
        from evaluation.judgments import split_queries

        if self.queries_path is None or self.qrels_path is None:
            raise click.UsageError("give both --queries and --qrels")
        queries, qrels = read_queries(self.queries_path), read_qrels(self.qrels_path)
        if self.part != "all":
            train, held_out = split_queries([qid for qid in queries if qid in qrels], self.share, self.seed)
            keep = set(train if self.part == "train" else held_out)
            queries = {qid: text for qid, text in queries.items() if qid in keep}
        return queries, qrels


def judgment_options(command):
    """--queries/--qrels and the seeded split that eval, tune and train share, handed over as `judgments`."""

    @functools.wraps(command)
    def with_judgments(*args, queries_path, qrels_path, part, share, seed, **kwargs):
        return command(*args, judgments=Judgments(queries_path, qrels_path, part, share, seed), **kwargs)

    options = [
        click.option("--queries", "queries_path", type=click.Path(path_type=Path), help="qid<TAB>query lines."),
        click.option(
            "--qrels", "qrels_path", type=click.Path(path_type=Path), help="TREC qrels: qid 0 product_id grade."
        ),
        click.option(
            "--part",
            type=click.Choice(["all", "train", "held-out"]),
            default="all",
            show_default=True,
            help="Use only this part of the queries, split by query id.",
        ),
        click.option(
            "--share", type=click.FloatRange(0.05, 0.95), default=0.7, show_default=True, help="The train part's share."
        ),
        click.option("--seed", type=int, default=13, show_default=True, help="Seed of the split."),
    ]
    for option in reversed(options):
        with_judgments = option(with_judgments)
    return with_judgments


@main.command("eval")
@index_argument
@judgment_options
@click.option(
    "--modes",
    default="bm25,dense,hybrid",
    show_default=True,
    help="Comma-separated, the first is the baseline; MODE:default ignores the index's tuned settings.",
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

    labels = [label.strip() for label in modes.split(",") if label.strip()]
    chosen = [(label, *label.partition(":")[::2]) for label in labels]
    bad = [label for label, mode, variant in chosen if mode not in MODES or variant not in ("", "default")]
    if bad or not chosen:
        raise click.BadParameter(
            f"unknown mode {bad[0] if bad else ''!r}; use {', '.join(MODES)}, optionally :default", param_hint="--modes"
        )
    if any(mode == "rerank" for _, mode, _ in chosen) and reranker is None:
        raise click.BadParameter("the rerank mode needs --reranker MODEL_DIR", param_hint="--modes")
    queries, qrels = judgments.load()
    backend = location.open()
    model = load_cross_encoder(reranker) if reranker else None
    spelling = {"spelling": False} if no_spelling else {}
    tuned = SearchPipeline(backend, model, replace(location.settings().load(), **spelling))
    defaults = SearchPipeline(backend, model, SearchSettings(**spelling))
    pipelines = [(label, mode, defaults if variant else tuned) for label, mode, variant in chosen]
    report, runs = evaluate_modes(
        pipelines, queries, qrels, MetricSet(rel=rel_threshold), progress=not as_json, against=against
    )
    if out:
        for path in write_report(report, runs, out):
            click.echo(f"wrote {path}", err=True)
    click.echo(json.dumps(report, indent=2) if as_json else format_table(report))


@main.command()
@index_argument
@judgment_options
@click.option(
    "--metric",
    type=click.Choice(["ndcg@10", "mrr@10", "recall@100", "p@10", "ndcg@10_judged"]),
    default="ndcg@10",
    show_default=True,
)
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
    from dataclasses import replace
    from datetime import UTC, datetime

    from evaluation import MetricSet
    from evaluation.metrics import paired_p_value
    from evaluation.report import SIGNIFICANCE
    from evaluation.tuning import (
        RERANK_DEPTHS,
        RERANK_QUERIES,
        cheapest_rerank,
        describe,
        tune_fusion,
        tune_rerank,
    )
    from models import load_cross_encoder
    from search import SearchPipeline, SearchSettings

    store = location.settings()
    if reset:
        click.echo("tuned settings removed; using the defaults" if store.reset() else "no tuned settings to remove")
        return
    queries, qrels = judgments.load()
    pipeline = SearchPipeline(location.open())
    results = tune_fusion(pipeline, queries, qrels, metric, MetricSet(rel=rel_threshold), progress=True)
    default, default_values = next(
        (score, values) for settings, score, values in results if settings == SearchSettings()
    )
    click.echo(f"{'':>4} {'setting':<42} {metric}")
    for rank, (settings, score, _) in enumerate(results[:15], start=1):
        click.echo(f"{rank:>4} {describe(settings):<42} {score:.4f}")
    click.echo(
        f"{'':>4} {'(defaults) ' + describe(SearchSettings()):<42} {default:.4f}   searched {len(results)} settings"
    )
    best, score, values = results[0]
    judged = sum(qid in qrels for qid in queries)
    p_value = paired_p_value(default_values, values)
    if best != SearchSettings() and (p_value is None or p_value >= SIGNIFICANCE):  # likely noise
        click.echo(
            f"the best setting beats the defaults by {score - default:+.4f}, not significantly on {judged} queries "
            f"(paired p {'n/a' if p_value is None else f'{p_value:.2g}'}): keeping the default fusion"
        )
        best, score = SearchSettings(), default
    extra = {"p_value_against_defaults": None if p_value is None else round(p_value, 6)}
    if reranker is not None:
        model = load_cross_encoder(reranker)
        weights = tune_rerank(
            SearchPipeline(pipeline.backend, model, best),
            queries,
            qrels,
            metric,
            MetricSet(rel=rel_threshold),
            seed=judgments.seed,
        )
        click.echo(f"rerank_weight by rerank_depth, on {min(judged, RERANK_QUERIES)} queries")
        for depth in RERANK_DEPTHS:
            row = sorted((weight, value) for (at, weight), value in weights if at == depth)
            click.echo(f"{depth:>4}  " + "  ".join(f"{weight:.1f}: {value:.4f}" for weight, value in row))
        (depth, weight), rerank_score = cheapest_rerank(weights)
        best = replace(best, rerank_depth=depth, rerank_weight=weight)
        extra |= {"reranker": str(reranker), "rerank_score": round(rerank_score, 4)}
    path = store.save(
        best,
        {
            "metric": metric,
            "score": round(score, 4),
            "default_score": round(default, 4),
            "queries": judged,
            "part": judgments.part,
            "index_version": pipeline.backend.label,
            "tuned_at": datetime.now(UTC).isoformat(timespec="seconds"),
            **extra,
        },
    )
    click.echo(
        f"saved {describe(best)} rerank_depth={best.rerank_depth} rerank_weight={best.rerank_weight:.1f} "
        f"({metric} {score:.4f}, "
        f"defaults {default:.4f}) to {path}; undo with --reset"
    )


@main.group(cls=Command)
def train() -> None:
    """Fine-tune models on relevance judgments."""


def training_options(command):
    """INDEX, the judgments, --out and --epochs: what every training verb takes."""
    command = click.option("--epochs", type=click.IntRange(1, 20), default=1, show_default=True)(command)
    command = click.option(
        "--out", "out", required=True, type=click.Path(path_type=Path), help="Model directory to write."
    )(command)
    return index_argument(judgment_options(command))


def training_inputs(location: IndexLocation, out: Path, judgments: Judgments | None):
    """(pipeline with the index's tuned settings, queries, qrels), with `out` created; no judgments: empty."""
    from search import SearchPipeline

    queries, qrels = judgments.load() if judgments else ({}, {})
    out.mkdir(parents=True, exist_ok=True)
    return SearchPipeline(location.open(), settings=location.settings().load()), queries, qrels


def whole_number(name: str, low: int, high: int, default: int, text: str):
    """An integer option within low..high, its default shown."""
    return click.option(name, type=click.IntRange(low, high), default=default, show_default=True, help=text)


def negative_options(default: int, each: str):
    """--negatives and --negatives-from-rank: how many unjudged hybrid hits, from which rank, are hard negatives."""

    def decorate(command):
        command = whole_number(
            "--negatives-from-rank", 0, 49, 10, "Skip this many top hybrid hits for negatives; 0 suits deep pools."
        )(command)
        text = f"Unjudged hybrid hits added to each {each} as hard negatives."
        return whole_number("--negatives", 0, 49, default, text)(command)

    return decorate


@train.command("reranker")
@training_options
@click.option("--max-pairs", type=click.IntRange(min=1), help="Train on at most this many (query, product) pairs.")
@whole_number("--batch-size", 1, 512, 32, "About this many (query, product) pairs a training step.")
@whole_number("--max-length", 16, 512, 128, "Tokens of query and product the model reads; fewer train faster.")
@negative_options(3, "training query")
@click.option(
    "--loss",
    type=click.Choice(["lambda", "bce"]),
    default="lambda",
    show_default=True,
    help="lambda: each query's products ordered as nDCG would (listwise); bce: every pair on its own.",
)
@click.option(
    "--init",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Go on from this cross-encoder (say, one trained on another catalogue) instead of all-MiniLM-L6-v2.",
)
def train_reranker_command(
    location: IndexLocation,
    judgments: Judgments,
    out: Path,
    epochs: int,
    max_pairs: int | None,
    batch_size: int,
    max_length: int,
    negatives: int,
    negatives_from_rank: int,
    loss: str,
    init: Path | None,
) -> None:
    """Fine-tune a cross-encoder from all-MiniLM-L6-v2 on the judgments, with hybrid hard negatives."""
    from training import TrainingSettings, train_reranker

    pipeline, queries, qrels = training_inputs(location, out, judgments)
    settings = TrainingSettings(
        epochs=epochs,
        max_pairs=max_pairs,
        seed=judgments.seed,
        batch_size=batch_size,
        max_length=max_length,
        negatives=negatives,
        negatives_from_rank=negatives_from_rank,
        loss=loss,
        init=str(init.resolve()) if init else None,
    )
    report = train_reranker(pipeline, queries, qrels, out, settings, progress=True)
    click.echo(
        f"{out}: best validation nDCG@10 {report['best_validation_ndcg@10']:.4f} "
        f"(hybrid {report['validation_hybrid_ndcg@10']:.4f}) "
        f"on {report['validation_queries']} held-out queries; {report['pairs']} pairs, "
        f"{report['seconds']:.0f} s on {report['device']}"
    )


@train.command("encoder")
@training_options
@click.option(
    "--min-grade",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Lowest grade that makes a training pair.",
)
@click.option(
    "--pseudo-queries",
    type=click.IntRange(min=1),
    help="Train on this many catalogue products with queries cut from their own titles, categories, "
    "brands and attributes; no judgments needed (given, they only validate).",
)
@negative_options(0, "(query, product) pair")
@click.option("--reembed", is_flag=True, help="Re-embed INDEX with the trained encoder afterwards (a new version).")
def train_encoder_command(
    location: IndexLocation,
    judgments: Judgments,
    out: Path,
    epochs: int,
    min_grade: int,
    pseudo_queries: int | None,
    negatives: int,
    negatives_from_rank: int,
    reembed: bool,
) -> None:
    """Fine-tune the bi-encoder on (query, relevant product) pairs with in-batch and hard negatives."""
    from indexer.jobs import reembed_index
    from training import EncoderTrainingSettings, train_encoder

    if reembed and location.elastic is not None:
        raise click.UsageError(
            "--reembed re-embeds index directories; for Elasticsearch build again with --encoder MODEL_DIR"
        )
    unjudged = pseudo_queries and judgments.queries_path is None and judgments.qrels_path is None
    pipeline, queries, qrels = training_inputs(location, out, None if unjudged else judgments)
    settings = EncoderTrainingSettings(
        epochs=epochs,
        min_grade=min_grade,
        seed=judgments.seed,
        pseudo_queries=pseudo_queries or 0,
        negatives=negatives,
        negatives_from_rank=negatives_from_rank,
    )
    report = train_encoder(pipeline, queries, qrels, out, settings, progress=True)
    done = f"{report['pairs']} pairs from {report['pairs_from']}, {report['seconds']:.0f} s"
    if report["best_validation_ndcg@10"] is None:
        click.echo(f"{out}: trained without validation (no judgments); {done}")
    else:
        click.echo(
            f"{out}: best validation nDCG@10 {report['best_validation_ndcg@10']:.4f} "
            f"(untrained {report['history'][0]['ndcg@10']:.4f}, hybrid top 50 reordered by cosine) "
            f"on {report['validation_queries']} held-out queries; {done}"
        )
    if reembed:
        print_report(reembed_index(Path(location.name), str(out.resolve()), progress=True), location.name)
