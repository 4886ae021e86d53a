"""One console script, one verb per stage; each body calls a library function and prints."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path

import click

from indexer import BuildSettings, build_index, open_index, update_index
from indexer.catalogue import CatalogueError
from indexer.dense import KINDS
from indexer.jobs import JobReport
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
    "--out", "out", required=True, type=click.Path(path_type=Path), help="Index directory (versions are kept inside)."
)
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
def build(catalog: Path, out: Path, skip_invalid: bool, encoding: str, **overrides) -> None:
    """Index CATALOG (JSONL or CSV) as a new version of OUT."""
    settings = BuildSettings().with_overrides(**overrides)
    report = build_index(catalog, out, settings, skip_invalid, encoding, progress=True)
    print_report(report, out)


@index.command()
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--upsert", "upsert", type=click.Path(path_type=Path), help="Catalogue of new or changed products.")
@click.option("--delete", "delete", type=click.Path(path_type=Path), help="File of product ids to delete, one a line.")
@click.option("--skip-invalid", is_flag=True, help="Apply the valid lines and report the rest.")
@click.option("--encoding", default="utf-8", show_default=True, help="Text encoding of the upsert catalogue.")
def update(directory: Path, upsert: Path | None, delete: Path | None, skip_invalid: bool, encoding: str) -> None:
    """Upsert and delete products; only changed texts are embedded again."""
    report = update_index(directory, upsert, delete, skip_invalid, encoding, progress=True)
    print_report(report, directory)


@index.command()
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--encoder", required=True, help="Encoder name or a sentence-transformers model directory.")
def reembed(directory: Path, encoder: str) -> None:
    """Embed the served products again with ENCODER, as a new version (keyword index unchanged in content)."""
    from indexer.jobs import reembed_index

    print_report(reembed_index(directory, encoder, progress=True), directory)


@index.command()
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the whole manifest as JSON.")
def info(directory: Path, as_json: bool) -> None:
    """Summarise the served version of DIRECTORY."""
    version = open_index(directory)
    manifest = version.manifest
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


def print_report(report: JobReport, root: Path) -> None:
    manifest = report.manifest
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
        click.echo(f"{root}: nothing changed, still serving {manifest.version}")
        return
    changes = ", ".join(f"{key} {value}" for key, value in manifest.changes.items())
    click.echo(
        f"{root}: serving {manifest.version} with {manifest.products} products "
        f"({changes}) in {manifest.build_seconds:.1f} s"
    )
    if report.pruned:
        click.echo(f"pruned {', '.join(report.pruned)}")


@main.command()
@click.argument("directory", type=click.Path(path_type=Path))
@click.argument("query")
@click.option("--mode", type=click.Choice(MODES), default="hybrid", show_default=True)
@click.option("--k", "k", type=click.IntRange(1, 100), default=10, show_default=True, help="Hits to show.")
@click.option("--category", default="", help="Category path prefix, e.g. 'Home > Kitchen'.")
@click.option("--brand", multiple=True, help="Brand (repeat for any of several).")
@click.option("--price-min", type=click.FloatRange(min=0))
@click.option("--price-max", type=click.FloatRange(min=0))
@click.option("--reranker", type=click.Path(path_type=Path), help="Cross-encoder model directory (for --mode rerank).")
@click.option("--explain", is_flag=True, help="Show each stage's score and rank.")
@click.option("--json", "as_json", is_flag=True, help="Print the response as JSON.")
def search(
    directory: Path,
    query: str,
    mode: str,
    k: int,
    category: str,
    brand: tuple[str, ...],
    price_min: float | None,
    price_max: float | None,
    reranker: Path | None,
    explain: bool,
    as_json: bool,
) -> None:
    """Search the served version of DIRECTORY for QUERY."""
    from search import Filters, SearchPipeline, SearchRequest
    from search.reranker import CrossEncoderReranker
    from search.serialize import response_json
    from search.settings_file import load_search_settings

    settings = load_search_settings(directory)
    pipeline = SearchPipeline(
        open_index(directory), reranker=CrossEncoderReranker(reranker) if reranker else None, settings=settings
    )
    filters = Filters(tuple(p.strip() for p in category.split(">") if p.strip()), brand, price_min, price_max)
    response = pipeline.search(SearchRequest(query, mode, size=k, filters=filters, explain=explain))
    if as_json:
        reranker_loaded = pipeline.reranker is not None
        click.echo(json.dumps(response_json(response, pipeline.version.manifest.version, reranker_loaded), indent=2))
        return
    if mode == "rerank" and not response.rerank:
        click.echo("rerank is off: no --reranker given, showing hybrid results", err=True)
    for rank, hit in enumerate(response.hits, start=1):
        product = hit.product
        price = f"{product.price:.2f} {product.currency or ''}".strip() if product.price is not None else ""
        click.echo(f"{rank:>3}. {hit.score:8.3f}  {product.title}  [{product.brand or '-'}]  {price}")
        if hit.explain:
            click.echo(f"       {hit.explain}")
    click.echo(f"{response.total} candidates, {response.timings_ms['total']:.1f} ms" if response.hits else "no results")


@main.command()
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option("--reranker", type=click.Path(path_type=Path), help="Cross-encoder model directory; enables rerank mode.")
@click.option("--threads", type=click.IntRange(1, 64), default=4, show_default=True, help="Request threads.")
def serve(directory: Path, host: str, port: int, reranker: Path | None, threads: int) -> None:
    """Serve the search page and JSON API for DIRECTORY (reloads new index versions by itself)."""
    import waitress

    from search.settings_file import load_search_settings
    from web import ServiceConfig, create_app

    config = ServiceConfig.from_env(index_dir=directory, reranker_dir=reranker)
    app = create_app(config.with_search(load_search_settings(config.index_dir)))
    live = app.extensions["prodsearch.live"]
    live.start()
    click.echo(f"serving {directory} ({live.version}) at http://{host}:{port}/  (Ctrl+C stops)")
    waitress.serve(app, host=host, port=port, threads=threads, ident="prodsearch")


from prodsearch import relevance  # noqa: E402, F401  (registers eval, tune and train on main)
