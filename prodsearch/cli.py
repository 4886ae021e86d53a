"""One console script, one verb per stage; each body calls a library function and prints."""

from __future__ import annotations

import functools
import json
import sys
from dataclasses import asdict
from pathlib import Path

import click

from indexer import BuildSettings, build_index, open_index, update_index
from indexer.catalogue import CatalogueError
from indexer.dense import KINDS
from indexer.elastic import ElasticReport
from indexer.jobs import JobReport
from search.indexes import BACKENDS, IndexLocation
from search.pipeline import MODES

# Bad input (a catalogue, a flag, a missing index) exits 2; anything else that fails exits 1.
INPUT_ERRORS = (CatalogueError, ValueError, FileNotFoundError, UnicodeDecodeError, OSError)


class Command(click.Group):
    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise  # click's own: --help, usage errors (exit 2), Ctrl+C
        except INPUT_ERRORS as error:
            click.echo(f"error: {error}", err=True)
            sys.exit(2)
        except RuntimeError as error:
            click.echo(f"error: {error}", err=True)
            sys.exit(1)


def backend_options(command):
    """--backend and --es-url; the cluster's credentials come from ES_API_KEY or ES_USERNAME/ES_PASSWORD."""
    command = click.option(
        "--es-url", envvar="ES_URL", help="Elasticsearch URL [default: ES_URL, else http://localhost:9200]."
    )(command)
    return click.option(
        "--backend",
        type=click.Choice(BACKENDS),
        envvar="PRODSEARCH_BACKEND",
        default="embedded",
        show_default=True,
        help="Where the index lives: a directory, or an Elasticsearch alias.",
    )(command)


def index_argument(command):
    """INDEX with --backend and --es-url, handed to the command as one IndexLocation `location`."""

    @functools.wraps(command)
    def with_location(*args, index: str, backend: str, es_url: str | None, **kwargs):
        return command(*args, location=IndexLocation.of(index, backend, es_url), **kwargs)

    return click.argument("index")(backend_options(with_location))


@click.group(cls=Command)
@click.version_option(package_name="prodsearch")
def main() -> None:
    """Semantic product search: index a catalogue, search it, serve it."""


@main.group(cls=Command)
def index() -> None:
    """Build, update and inspect an index directory."""


@index.command()
@click.argument("catalog", type=click.Path(path_type=Path))
@click.option(
    "--out", "out", required=True, help="Index directory (versions are kept inside), or the Elasticsearch alias."
)
@backend_options
@click.option("--encoder", help="Bi-encoder name or a sentence-transformers model directory.")
@click.option(
    "--dense-index", "dense_kind", type=click.Choice(KINDS), help="FAISS index: exact (flat), hnsw, or auto by size."
)
@click.option(
    "--hnsw-threshold",
    "dense_hnsw_threshold",
    type=click.IntRange(min=0),
    help="auto uses HNSW above this many products.",
)
@click.option("--batch-size", type=click.IntRange(min=1), help="Texts per encoder batch.")
@click.option("--keep", "keep_versions", type=click.IntRange(min=1), help="Versions to keep (older ones are pruned).")
@click.option("--skip-invalid", is_flag=True, help="Index the valid lines and report the rest.")
@click.option("--encoding", default="utf-8", show_default=True, help="Text encoding of the catalogue.")
def build(
    catalog: Path, out: str, skip_invalid: bool, encoding: str, backend: str, es_url: str | None, **overrides
) -> None:
    """Index CATALOG (JSONL or CSV) as a new version of OUT."""
    settings = BuildSettings().with_overrides(**overrides)
    location = IndexLocation.of(out, backend, es_url)
    if location.elastic is not None:
        from indexer.elastic import build_elastic

        report = build_elastic(catalog, location.elastic, out, settings, skip_invalid, encoding, progress=True)
    else:
        report = build_index(catalog, Path(out), settings, skip_invalid, encoding, progress=True)
    print_report(report, out)


@index.command()
@index_argument
@click.option("--upsert", "upsert", type=click.Path(path_type=Path), help="Catalogue of new or changed products.")
@click.option("--delete", "delete", type=click.Path(path_type=Path), help="File of product ids to delete, one a line.")
@click.option("--skip-invalid", is_flag=True, help="Apply the valid lines and report the rest.")
@click.option("--encoding", default="utf-8", show_default=True, help="Text encoding of the upsert catalogue.")
def update(
    location: IndexLocation, upsert: Path | None, delete: Path | None, skip_invalid: bool, encoding: str
) -> None:
    """Upsert and delete products; only changed texts are embedded again."""
    if location.elastic is not None:
        from indexer.elastic import update_elastic

        report = update_elastic(location.elastic, location.name, upsert, delete, skip_invalid, encoding, True)
    else:
        report = update_index(Path(location.name), upsert, delete, skip_invalid, encoding, progress=True)
    print_report(report, location.name)


@index.command()
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--encoder", required=True, help="Encoder name or a sentence-transformers model directory.")
def reembed(directory: Path, encoder: str) -> None:
    """Embed the served products again with ENCODER, as a new version (keyword index unchanged in content)."""
    from indexer.jobs import reembed_index

    print_report(reembed_index(directory, encoder, progress=True), directory)


@index.command()
@index_argument
@click.option("--json", "as_json", is_flag=True, help="Print the whole manifest as JSON.")
def info(location: IndexLocation, as_json: bool) -> None:
    """Summarise the served version of INDEX."""
    if location.elastic is not None:
        from indexer.elastic import elastic_info

        summary = elastic_info(location.elastic, location.name)
        if as_json:
            click.echo(json.dumps(summary, indent=2, sort_keys=True))
            return
        click.echo(
            f"{location.name}: index {summary['index']} at {location.elastic.url} ({summary['job']}, "
            f"{summary.get('updated_at') or summary['created_at']})\n"
            f"  products  {summary['documents']}\n"
            f"  encoder   {summary['encoder']} ({summary['dimension']}-d, weights {summary['encoder_sha256'][:12]})\n"
            f"  catalogue {summary['catalogue']} ({summary['catalogue_sha256'][:12]})"
        )
        return
    directory = Path(location.name)
    manifest = open_index(directory).manifest
    if as_json:
        click.echo(json.dumps(asdict(manifest), indent=2, sort_keys=True))
        return
    click.echo(
        f"{directory}: version {manifest.version} "
        f"({manifest.job}, {manifest.created_at}, {manifest.build_seconds:.1f} s)\n"
        f"  products  {manifest.products}\n"
        f"  encoder   {manifest.encoder} ({manifest.dimension}-d, weights {manifest.encoder_sha256[:12]})\n"
        f"  dense     {manifest.dense_kind}\n"
        f"  catalogue {manifest.catalogue} ({manifest.catalogue_sha256[:12]})\n"
        f"  changes   {', '.join(f'{key} {value}' for key, value in manifest.changes.items())}"
    )


def print_report(report: JobReport | ElasticReport, where: str | Path) -> None:
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
    if isinstance(report, ElasticReport):
        version, products, changes, seconds = report.index, report.products, report.changes, report.seconds
        gone = ("removed", report.removed)
    else:
        manifest = report.manifest
        version, products, changes = manifest.version, manifest.products, manifest.changes
        seconds = manifest.build_seconds
        gone = ("pruned", report.pruned)
    if not report.published:
        click.echo(f"{where}: nothing changed, still serving {version}")
        return
    listed = ", ".join(f"{key} {value}" for key, value in changes.items())
    click.echo(f"{where}: serving {version} with {products} products ({listed}) in {seconds:.1f} s")
    if gone[1]:
        click.echo(f"{gone[0]} {', '.join(gone[1])}")


@main.command()
@index_argument
@click.argument("query")
@click.option("--mode", type=click.Choice(MODES), default="hybrid", show_default=True)
@click.option("--k", "k", type=click.IntRange(1, 100), default=10, show_default=True, help="Hits to show.")
@click.option("--category", default="", help="Category path prefix, e.g. 'Home > Kitchen'.")
@click.option("--brand", multiple=True, help="Brand (repeat for any of several).")
@click.option("--price-min", type=click.FloatRange(min=0))
@click.option("--price-max", type=click.FloatRange(min=0))
@click.option("--reranker", type=click.Path(path_type=Path), help="Cross-encoder model directory (for --mode rerank).")
@click.option("--explain", is_flag=True, help="Show each stage's score and rank.")
@click.option("--no-spelling", is_flag=True, help="Search the words as typed, without spelling correction.")
@click.option("--json", "as_json", is_flag=True, help="Print the response as JSON.")
def search(
    location: IndexLocation,
    query: str,
    mode: str,
    k: int,
    category: str,
    brand: tuple[str, ...],
    price_min: float | None,
    price_max: float | None,
    reranker: Path | None,
    explain: bool,
    no_spelling: bool,
    as_json: bool,
) -> None:
    """Search the served version of INDEX for QUERY."""
    from models import load_cross_encoder
    from search import Filters, SearchPipeline, SearchRequest
    from search.serialize import response_json

    model = load_cross_encoder(reranker) if reranker else None
    pipeline = SearchPipeline(location.open(), model, location.settings().load())
    filters = Filters(tuple(p.strip() for p in category.split(">") if p.strip()), brand, price_min, price_max)
    request = SearchRequest(query, mode, size=k, filters=filters, explain=explain, spelling=not no_spelling)
    response = pipeline.search(request)
    if as_json:
        reranker_loaded = pipeline.reranker is not None
        click.echo(json.dumps(response_json(response, pipeline.backend.label, reranker_loaded), indent=2))
        return
    if mode == "rerank" and not response.rerank:
        click.echo("rerank is off: no --reranker given, showing hybrid results", err=True)
    if response.corrected_query:
        click.echo(f"showing results for {response.corrected_query!r} (--no-spelling searches {query!r})", err=True)
    for rank, hit in enumerate(response.hits, start=1):
        product = hit.product
        price = f"{product.price:.2f} {product.currency or ''}".strip() if product.price is not None else ""
        click.echo(f"{rank:>3}. {hit.score:8.3f}  {product.title}  [{product.brand or '-'}]  {price}")
        if hit.explain:
            click.echo(f"       {hit.explain}")
    click.echo(f"{response.total} candidates, {response.timings_ms['total']:.1f} ms" if response.hits else "no results")


@main.command()
@click.argument("index")
@backend_options
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option("--reranker", type=click.Path(path_type=Path), help="Cross-encoder model directory; enables rerank mode.")
@click.option("--threads", type=click.IntRange(1, 64), default=4, show_default=True, help="Request threads.")
def serve(
    index: str, backend: str, es_url: str | None, host: str, port: int, reranker: Path | None, threads: int
) -> None:
    """Serve the search page and JSON API for INDEX (follows new index versions by itself)."""
    import waitress

    from web import ServiceConfig, create_app

    config = ServiceConfig.from_env(index=index, backend=backend, es_url=es_url, reranker_dir=reranker)
    app = create_app(config.with_search(config.location().settings().load()))
    live = app.extensions["prodsearch.live"]
    live.start()
    click.echo(f"serving {index} ({live.version}) at http://{host}:{port}/  (Ctrl+C stops)")
    waitress.serve(app, host=host, port=port, threads=threads, ident="prodsearch")


from prodsearch import relevance  # noqa: E402, F401  (registers eval, tune and train on main)
