"""`prodsearch train reranker|encoder|distil|ranker`: fine-tune the cross-encoder or the bi-encoder on judgments,
distil one, or fit the feature ranker."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from models.backbones import BACKBONES, ENCODER_BACKBONES, RERANKER_BACKBONES
from models.cross_encoders import MAX_TOKENS, USAGE_FILE
from prodsearch.options import Judgments, index_argument, judgment_options, print_report, whole_number
from search.indexes import IndexLocation
from training import EncoderTrainingSettings, TrainingSettings
from training.all import STEPS as TRAIN_ALL_STEPS
from training.distil import DistilSettings
from training.mining import NEGATIVE_POOL
from training.reranker import LOSSES

if TYPE_CHECKING:
    from events.clicks import ClickJudgments

RERANKER = TrainingSettings()  # the defaults the options show
# A query's clicks say little (on Home Depot's simulated shoppers, 16 a query, a reranker that gains 0.008
# nDCG@10 showed t = 3.2 on 2,439 queries, and t 0.7 to 2.2 on 1,200), but clicked queries are many: half validate.
CLICK_VALIDATION = {"validation_share": 0.5, "max_validation_queries": 3000}
DISTIL = DistilSettings()
ENCODER = EncoderTrainingSettings()


@click.group()
def train() -> None:
    """Fine-tune models on relevance judgments."""


def training_options(command):
    """INDEX, the judgments (or the events to make them from), --out and --epochs: what every training verb takes."""
    command = click.option(
        "--no-debias",
        is_flag=True,
        help="With --events: take click rates as they are, without the position-bias correction.",
    )(command)
    command = click.option(
        "--events",
        "events_db",
        help="Learn from shoppers' clicks in this events database (a SQLite path or postgresql:// URL) "
        "instead of --queries/--qrels, corrected for position bias (events.clicks).",
    )(command)
    command = click.option("--epochs", type=click.IntRange(1, 20), default=1, show_default=True)(command)
    command = click.option(
        "--out", "out", required=True, type=click.Path(path_type=Path), help="Model directory to write."
    )(command)
    return index_argument(judgment_options(command))


def training_inputs(
    location: IndexLocation, out: Path, judgments: Judgments | None, events_db: str | None = None, debias: bool = True
):
    """(pipeline with the index's tuned settings, queries, qrels, click rates), with `out` created; no judgments:
    empty. With `events_db`, the judgments are made from the clicks logged there, and their rates come with
    them (events.clicks.ClickJudgments.rates); else the rates are None."""
    from search import SearchPipeline

    rates = None
    if events_db is not None:
        if judgments is not None and (judgments.queries_path or judgments.qrels_path):
            raise click.UsageError("give --events or --queries/--qrels, not both")
        judged = click_judgments(events_db, debias)
        queries, qrels, rates = judged.queries, judged.qrels, judged.rates
    else:
        queries, qrels = judgments.load() if judgments else ({}, {})
    out.mkdir(parents=True, exist_ok=True)
    return SearchPipeline(location.open(), settings=location.settings().load()), queries, qrels, rates


def click_judgments(events_db: str, debias: bool) -> ClickJudgments:
    """Judgments from the clicks in an events database, saying what the logs held and how clicks were weighed."""
    from events import EventStore
    from events.clicks import click_judgments as judged_from

    store = EventStore(events_db)
    judged = judged_from(store.impressions(), debias)
    store.close()
    if not judged.queries:
        raise click.UsageError(f"no search in {store.where} has a click: nothing to learn from yet")
    click.echo(
        f"{judged.impressions} impressions, {judged.clicks} clicks, {len(judged.queries)} queries with a click "
        f"in {store.where}"
    )
    if not debias:
        click.echo("click rates taken as they are (--no-debias)")
    elif all(value == 1.0 for value in judged.examination):
        click.echo("no query showed one product at two positions: position bias cannot be measured, not corrected")
    else:
        shown = ", ".join(f"{k}: {value:.2f}" for k, value in enumerate(judged.examination[:10], start=1))
        click.echo(f"examination by position, estimated from the logs (clicks count 1/this): {shown}")
    return judged


def negative_options(default: int, each: str):
    """--negatives and --negatives-from-rank: how many unjudged hybrid hits, from which rank, are hard negatives."""

    def decorate(command):
        command = whole_number(
            "--negatives-from-rank",
            0,
            NEGATIVE_POOL - 1,
            RERANKER.negatives_from_rank,
            "Skip this many top hybrid hits for negatives; 0 suits deep pools.",
        )(command)
        text = f"Unjudged hybrid hits added to each {each} as hard negatives."
        return whole_number("--negatives", 0, NEGATIVE_POOL - 1, default, text)(command)

    return decorate


def base_option(what: str, defaults: dict[str, str]):
    """--base: the shipped backbone or model folder a training starts from."""
    return click.option(
        "--base",
        help=f"{what}: {', '.join(BACKBONES)} or a model folder [default: by the index's language, "
        f"{defaults['en']} for English, {defaults['zh']} for Chinese].",
    )


@train.command("reranker")
@training_options
@click.option("--max-pairs", type=click.IntRange(min=1), help="Train on at most this many (query, product) pairs.")
@whole_number("--batch-size", 1, 512, RERANKER.batch_size, "About this many (query, product) pairs a training step.")
@whole_number(
    "--max-length",
    16,
    MAX_TOKENS,
    RERANKER.max_length,
    "Tokens of query and product the model reads; fewer train faster.",
)
@negative_options(RERANKER.negatives, "training query")
@click.option(
    "--loss",
    type=click.Choice(LOSSES),
    default=RERANKER.loss,
    show_default=True,
    help="lambda: each query's products ordered as nDCG would (listwise); bce: every pair on its own.",
)
@base_option("Backbone for a fresh scoring head", RERANKER_BACKBONES)
@click.option(
    "--init",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Go on from this cross-encoder (say, one trained on another catalogue) instead of a fresh head on --base.",
)
def train_reranker_command(
    location: IndexLocation,
    judgments: Judgments,
    out: Path,
    init: Path | None,
    events_db: str | None,
    no_debias: bool,
    **options,
) -> None:
    """Fine-tune a cross-encoder on the judgments, with hybrid hard negatives, and choose how deep and with
    what weight it reranks on held-out validation queries (or that it should not, if it does not beat hybrid)."""
    from evaluation.metrics import format_p
    from training import train_reranker

    pipeline, queries, qrels, rates = training_inputs(location, out, judgments, events_db, not no_debias)
    start = str(init.resolve()) if init else None
    validation = CLICK_VALIDATION if rates is not None else {}
    settings = TrainingSettings(seed=judgments.seed, init=start, **validation, **options)
    report = train_reranker(pipeline, queries, qrels, out, settings, progress=True, click_rates=rates)
    usage = report.usage
    click.echo(
        f"{out}: best validation {usage.metric} {usage.reranked:.4f} against hybrid {usage.hybrid:.4f} "
        f"on {usage.queries} held-out queries, reranking the top {usage.depth} "
        f"at weight {usage.weight:.1f}; {report.pairs} pairs, {report.seconds:.0f} s on {report.device}"
    )
    if not usage.beats_hybrid:
        click.echo(
            f"the model did not beat hybrid on its validation queries by enough to be sure (paired p "
            f"{format_p(usage.p_value)}): the rerank mode will show hybrid's order with it (more judged queries, "
            f"--epochs or --init may help; {out / USAGE_FILE} records the choice)"
        )
    else:
        click.echo(f"for a search box, distil it: prodsearch train distil INDEX --teacher {out} --queries Q --out DIR")


@train.command("distil")
@index_argument
@judgment_options
@click.option(
    "--teacher",
    required=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="The trained cross-encoder to distil (from 'train reranker').",
)
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Model directory to write.")
@whole_number("--layers", 1, 24, DISTIL.layers, "Layers of the teacher the student keeps, spread evenly.")
@whole_number("--max-length", 16, MAX_TOKENS, DISTIL.max_length, "Tokens of query and product the student reads.")
@whole_number("--depth", 2, 200, DISTIL.depth, "Hybrid hits per query the teacher scores for the student.")
@whole_number("--epochs", 1, 20, DISTIL.epochs, "Passes over the queries.")
@whole_number("--max-queries", 1, 1_000_000, DISTIL.max_queries, "Distil on at most this many queries.")
def train_distil_command(location: IndexLocation, judgments: Judgments, teacher: Path, out: Path, **options) -> None:
    """Distil a trained reranker into a shallower student that reads fewer tokens, fast enough for a search box.

    No judgments needed; with --qrels, held-out queries choose its depth and weight (docs/design.md#distillation).
    """
    from evaluation.metrics import format_p
    from search import SearchPipeline
    from training.distil import distil_reranker

    queries, qrels = judgments.load_queries()
    out.mkdir(parents=True, exist_ok=True)
    pipeline = SearchPipeline(location.open(), settings=location.settings().load())
    settings = DistilSettings(seed=judgments.seed, **options)
    report = distil_reranker(pipeline, teacher, queries, qrels, out, settings, progress=True)
    done = f"{report.pairs} pairs of {report.queries} queries, {report.seconds:.0f} s on {report.device}"
    usage, taught = report.usage, report.teacher_usage
    if usage is None or taught is None:
        shape = f"{len(report.layers)} layers, {settings.max_length} tokens"
        click.echo(f"{out}: {shape}; {done}; reranks as its teacher was chosen to")
        return
    click.echo(
        f"{out}: validation nDCG@10 {usage.reranked:.4f} against teacher {taught.reranked:.4f} and hybrid "
        f"{usage.hybrid:.4f} on {usage.queries} held-out queries (kept {report.kept_share_of_gain} of the "
        f"teacher's gain), reranking the top {usage.depth} at weight {usage.weight:.1f}; {done}"
    )
    if not usage.beats_hybrid:
        click.echo(
            f"the student did not beat hybrid on its validation queries by enough to be sure (paired p "
            f"{format_p(usage.p_value)}): rerank mode will show hybrid's order"
        )


@train.command("all")
@index_argument
@judgment_options
@click.option("--events", "events_db", help="Learn from the shoppers' clicks in this events database instead.")
@click.option("--no-debias", is_flag=True, help="With --events: click rates as they are, without position bias.")
@click.option("--budget", default="90m", show_default=True, help="Stop starting steps after this long: 90m, 2h, 600s.")
@click.option(
    "--steps",
    help=f"Comma-separated, run in this order: {','.join(TRAIN_ALL_STEPS)} [default: every step the backend can run].",
)
def train_all_command(
    location: IndexLocation,
    judgments: Judgments,
    events_db: str | None,
    no_debias: bool,
    budget: str,
    steps: str | None,
) -> None:
    """Every step that can help (the encoder fine-tuned and the catalogue embedded with it, fusion tuning, the
    feature ranker), each kept only where it beat the served default on judged queries it was not fitted on; resumes
    after a kill; writes INDEX/train-all.md and .json (over Elasticsearch, ALIAS.train-all/ here)."""
    from training.all import REPORT, train_all, work_folder

    if events_db is not None:
        if judgments.queries_path or judgments.qrels_path:
            raise click.UsageError("give --events or --queries/--qrels, not both")
        judged = click_judgments(events_db, not no_debias)
        queries, qrels = judged.queries, judged.qrels
    else:
        queries, qrels = judgments.load()
    chosen = None if steps is None else tuple(name.strip() for name in steps.split(",") if name.strip())
    results = train_all(location, queries, qrels, judgments.seed, _seconds(budget), click.echo, chosen)
    kept = [result.name for result in results if result.kept]
    click.echo(f"kept: {', '.join(kept) or 'nothing'}; report: {work_folder(location) / REPORT}.md")


def _seconds(text: str) -> float:
    """90m, 2h, 600s, or a number of minutes."""
    units = {"s": 1, "m": 60, "h": 3600}
    number, unit = (text[:-1], text[-1]) if text[-1:] in units else (text, "m")
    try:
        value = float(number) * units[unit]
    except ValueError:
        raise click.BadParameter(f"{text!r}: give a time such as 90m, 2h or 600s", param_hint="--budget") from None
    if value <= 0:
        raise click.BadParameter(f"{text!r}: give a time above zero", param_hint="--budget")
    return value


@train.command("ranker")
@index_argument
@judgment_options
@whole_number("--depth", 10, 500, 50, "Hybrid candidates per query the ranker reorders (as RankerSettings).")
def train_ranker_command(location: IndexLocation, judgments: Judgments, depth: int) -> None:
    """Train the feature ranker (LightGBM lambdarank over the pipeline's features) and keep it with INDEX (a file
    beside CURRENT, or a document of the alias's settings index), where the hybrid mode uses it with no flag if it
    beat hybrid on the validation queries (docs/design.md#feature-ranker)."""
    from evaluation.metrics import format_p
    from search import SearchPipeline
    from training.ranker import RankerSettings, train_ranker

    queries, qrels = judgments.load()
    pipeline = SearchPipeline(location.open(), settings=location.settings().load())
    ranker = train_ranker(pipeline, queries, qrels, RankerSettings(depth=depth, seed=judgments.seed))
    where = location.keep_ranker(ranker)
    check, trained = ranker.usage.validation, ranker.usage.trained
    click.echo(
        f"{where}: validation nDCG@10 {check['ranker_ndcg@10']:.4f} against hybrid {check['hybrid_ndcg@10']:.4f} "
        f"on {check['queries']} queries (gain {check['gain']:+.4f}, 95% {check['gain_95'][0]:+.4f} to "
        f"{check['gain_95'][1]:+.4f}, paired p {format_p(check['p_value'])}); {trained['trees']} trees on "
        f"{trained['queries']} queries in {trained['seconds']:.0f} s"
    )
    if not ranker.usage.beats_hybrid:
        click.echo("it did not beat hybrid by enough to be sure: the hybrid mode keeps its own order")


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
@whole_number("--max-length", 16, MAX_TOKENS, ENCODER.max_length, "Tokens of query and product the model reads.")
@negative_options(ENCODER.negatives, "(query, product) pair")
@base_option("Model to fine-tune", ENCODER_BACKBONES)
@click.option("--reembed", is_flag=True, help="Re-embed INDEX with the trained encoder afterwards (a new version).")
def train_encoder_command(
    location: IndexLocation,
    judgments: Judgments,
    out: Path,
    pseudo_queries: int | None,
    reembed: bool,
    events_db: str | None,
    no_debias: bool,
    **options,
) -> None:
    """Fine-tune the bi-encoder on (query, relevant product) pairs with in-batch and hard negatives."""
    from indexer.jobs import DirectoryWriter
    from training import train_encoder

    if reembed and location.elastic is not None:
        raise click.UsageError(
            "--reembed re-embeds index directories; for Elasticsearch build again with --encoder MODEL_DIR"
        )
    unjudged = pseudo_queries and judgments.queries_path is None and judgments.qrels_path is None
    given = None if unjudged else judgments
    pipeline, queries, qrels, rates = training_inputs(location, out, given, events_db, not no_debias)
    validation = CLICK_VALIDATION if rates is not None else {}
    settings = EncoderTrainingSettings(seed=judgments.seed, pseudo_queries=pseudo_queries or 0, **validation, **options)
    report = train_encoder(pipeline, queries, qrels, out, settings, progress=True, click_rates=rates)
    done = f"{report.pairs} pairs from {report.pairs_from}, {report.seconds:.0f} s"
    if report.best_validation is None:
        click.echo(f"{out}: trained without validation (no judgments); {done}")
    else:
        click.echo(
            f"{out}: best validation {report.validation_metric} {report.best_validation:.4f} "
            f"(untrained {report.history[0].validation:.4f}, hybrid top 50 reordered by cosine) "
            f"on {report.validation_queries} held-out queries; {done}"
        )
    if reembed:
        print_report(DirectoryWriter(Path(location.name)).reembed(str(out.resolve()), progress=True), location.name)
