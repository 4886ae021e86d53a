"""Options that several verbs share, each handed to the command as one value, and the job report's lines."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import click

from evaluation.judgments import PARTS
from indexer.elastic import ElasticConfig
from indexer.writes import WriteReport
from search.indexes import BACKENDS, IndexLocation
from web.config import ServiceConfig


def backend_options(command):
    """--backend and --es-url; the cluster's credentials come from ES_API_KEY or ES_USERNAME/ES_PASSWORD."""
    # no envvar: ElasticConfig.from_env reads ES_URL, where no --es-url is given
    command = click.option("--es-url", help=f"Elasticsearch URL [default: ES_URL, else {ElasticConfig.url}].")(command)
    return click.option(
        "--backend",
        type=click.Choice(BACKENDS),
        envvar="PRODSEARCH_BACKEND",
        default=ServiceConfig.backend,
        show_default=True,
        help="Where the index lives: a directory, or an Elasticsearch alias.",
    )(command)


def index_argument(command):
    """INDEX with --backend and --es-url, handed to the command as one IndexLocation `location`."""

    @functools.wraps(command)
    def with_location(*args, index: str, backend: str, es_url: str | None, **kwargs):
        return command(*args, location=IndexLocation.of(index, backend, es_url), **kwargs)

    return click.argument("index")(backend_options(with_location))


@dataclass(frozen=True)
class Judgments:
    """The judgment files a command was given, and which part of the seeded split by query to use."""

    queries_path: Path | None
    qrels_path: Path | None
    part: str
    share: float
    seed: int

    def load(self) -> tuple[dict[str, str], dict[str, dict[str, int]]]:
        from evaluation.judgments import load_judgments

        if self.queries_path is None or self.qrels_path is None:
            raise click.UsageError("give both --queries and --qrels")
        return load_judgments(self.queries_path, self.qrels_path, self.part, self.share, self.seed)

    def load_queries(self) -> tuple[dict[str, str], dict[str, dict[str, int]] | None]:
        """As `load`, and with --queries alone (all of them, None): the parts split judged queries, so a
        part needs the judgments that say which those are."""
        from evaluation.judgments import read_queries

        if self.qrels_path is not None:
            return self.load()
        if self.queries_path is None:
            raise click.UsageError("give --queries: the queries shoppers search (and --qrels to validate on)")
        if self.part != "all":
            raise click.UsageError(f"--part {self.part} needs --qrels: the parts split the judged queries")
        return read_queries(self.queries_path), None


def judgment_options(command):
    """--queries/--qrels and the seeded split that eval, tune and train share, handed over as `judgments`."""

    @functools.wraps(command)
    def with_judgments(*args, queries_path, qrels_path, part, share, seed, **kwargs):
        return command(*args, judgments=Judgments(queries_path, qrels_path, part, share, seed), **kwargs)

    existing = click.Path(exists=True, dir_okay=False, path_type=Path)
    options = [
        click.option("--queries", "queries_path", type=existing, help="qid<TAB>query lines."),
        click.option("--qrels", "qrels_path", type=existing, help="TREC qrels: qid 0 product_id grade."),
        click.option(
            "--part",
            type=click.Choice(PARTS),
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


def whole_number(name: str, low: int, high: int, default: int, text: str):
    """An integer option within low..high, its default shown."""
    return click.option(name, type=click.IntRange(low, high), default=default, show_default=True, help=text)


def print_report(report: WriteReport, where: str | Path) -> None:
    """What an indexing job did: skipped lines and fields on stderr, then the version served."""
    for problem in report.skipped:
        click.echo(f"skipped {problem}", err=True)
    if report.ignored_fields:
        click.echo(f"ignored unknown fields: {', '.join(report.ignored_fields)}", err=True)
    if report.unknown_deletes:
        click.echo(
            f"{len(report.unknown_deletes)} ids to delete were not in the index: "
            f"{', '.join(report.unknown_deletes[:10])}",
            err=True,
        )
    if not report.published:
        click.echo(f"{where}: nothing changed, still serving {report.version}")
        return
    listed = f" ({', '.join(f'{key} {value}' for key, value in report.changes.items())})" if report.changes else ""
    click.echo(f"{where}: serving {report.version} with {report.products} products{listed} in {report.seconds:.1f} s")
    if report.removed:
        click.echo(f"removed {', '.join(report.removed)}")
