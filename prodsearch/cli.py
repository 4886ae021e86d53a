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

# Bad input (a catalogue, a flag, a missing index) exits 2; anything else that fails exits 1.
INPUT_ERRORS = (CatalogueError, ValueError, FileNotFoundError, UnicodeDecodeError)


class Command(click.Group):
    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
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
@click.option("--out", "out", required=True, type=click.Path(path_type=Path), help="Index directory (versions are kept inside).")
@click.option("--encoder", help="Bi-encoder name or a sentence-transformers model directory.")
@click.option("--dense-index", "dense_kind", type=click.Choice(KINDS), help="FAISS index: exact (flat), hnsw, or auto by size.")
@click.option("--hnsw-threshold", "dense_hnsw_threshold", type=click.IntRange(min=0), help="auto uses HNSW above this many products.")
@click.option("--batch-size", type=click.IntRange(min=1), help="Texts per encoder batch.")
@click.option("--keep", "keep_versions", type=click.IntRange(min=1), help="Versions to keep (older ones are pruned).")
@click.option("--skip-invalid", is_flag=True, help="Index the valid lines and report the rest.")
@click.option("--encoding", default="utf-8", show_default=True, help="Text encoding of the catalogue.")
def build(catalog: Path, out: Path, skip_invalid: bool, encoding: str, **overrides) -> None:
    """Index CATALOG (JSONL or CSV) as a new version of OUT."""
    settings = BuildSettings().with_overrides(**overrides)
    report = build_index(catalog, out, settings, skip_invalid, encoding, progress=True)
    _print_report(report, out)


@index.command()
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--upsert", "upsert", type=click.Path(path_type=Path), help="Catalogue of new or changed products.")
@click.option("--delete", "delete", type=click.Path(path_type=Path), help="File of product ids to delete, one a line.")
@click.option("--skip-invalid", is_flag=True, help="Apply the valid lines and report the rest.")
@click.option("--encoding", default="utf-8", show_default=True, help="Text encoding of the upsert catalogue.")
def update(directory: Path, upsert: Path | None, delete: Path | None, skip_invalid: bool, encoding: str) -> None:
    """Upsert and delete products; only changed texts are embedded again."""
    report = update_index(directory, upsert, delete, skip_invalid, encoding, progress=True)
    _print_report(report, directory)


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
        f"{directory}: version {manifest.version} ({manifest.job}, {manifest.created_at}, {manifest.build_seconds:.1f} s)\n"
        f"  products  {manifest.products}\n"
        f"  encoder   {manifest.encoder} ({manifest.dimension}-d, weights {manifest.encoder_sha256[:12]})\n"
        f"  dense     {manifest.dense_kind}\n"
        f"  catalogue {manifest.catalogue} ({manifest.catalogue_sha256[:12]})\n"
        f"  changes   {', '.join(f'{key} {value}' for key, value in manifest.changes.items())}"
    )


def _print_report(report: JobReport, root: Path) -> None:
    manifest = report.manifest
    for problem in report.skipped:
        click.echo(f"skipped {problem}", err=True)
    if report.ignored_fields:
        click.echo(f"ignored unknown fields: {', '.join(report.ignored_fields)}", err=True)
    if report.unknown_deletes:
        click.echo(f"{len(report.unknown_deletes)} ids to delete were not in the index: {', '.join(report.unknown_deletes[:10])}", err=True)
    if not report.published:
        click.echo(f"{root}: nothing changed, still serving {manifest.version}")
        return
    changes = ", ".join(f"{key} {value}" for key, value in manifest.changes.items())
    click.echo(f"{root}: serving {manifest.version} with {manifest.products} products ({changes}) in {manifest.build_seconds:.1f} s")
    if report.pruned:
        click.echo(f"pruned {', '.join(report.pruned)}")


@main.command()
@click.argument("directory", type=click.Path(path_type=Path))
@click.argument("query")
@click.option("--mode", type=click.Choice(["bm25", "dense"]), default="bm25", show_default=True)
@click.option("--k", "k", type=click.IntRange(1, 100), default=10, show_default=True, help="Hits to show.")
@click.option("--json", "as_json", is_flag=True, help="Print the hits as JSON.")
def search(directory: Path, query: str, mode: str, k: int, as_json: bool) -> None:
    """Search the served version of DIRECTORY for QUERY."""
    from search import DenseRetriever, KeywordRetriever

    version = open_index(directory)
    retriever = KeywordRetriever(version) if mode == "bm25" else DenseRetriever(version)
    hits = retriever.search(query, k)
    products = [version.products[version.row_of[hit.product_id]] for hit in hits]
    if as_json:
        records = [{"id": p.id, "title": p.title, "brand": p.brand, "price": p.price, "score": h.score} for p, h in zip(products, hits)]
        click.echo(json.dumps({"query": query, "mode": mode, "hits": records}, indent=2))
        return
    for rank, (product, hit) in enumerate(zip(products, hits), start=1):
        price = f"{product.price:.2f} {product.currency or ''}".strip() if product.price is not None else ""
        click.echo(f"{rank:>3}. {hit.score:8.3f}  {product.title}  [{product.brand or '-'}]  {price}")
    if not hits:
        click.echo("no results")
