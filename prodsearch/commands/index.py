"""`prodsearch index build|update|switch|reembed|info`: the indexing jobs and what an index holds."""

from __future__ import annotations

import json
from pathlib import Path

import click

from indexer import BuildSettings, DirectoryWriter
from indexer.analysis import AUTO, LANGUAGES
from indexer.dense import KINDS
from indexer.writes import build_from_file, update_from_files
from prodsearch.options import backend_options, index_argument, print_report
from search.indexes import IndexLocation


@click.group()
def index() -> None:
    """Build, update, switch and inspect an index (a directory, or an Elasticsearch alias)."""


@index.command()
@click.argument("catalog", type=click.Path(path_type=Path))
@click.option(
    "--out", "out", required=True, help="Index directory (versions are kept inside), or the Elasticsearch alias."
)
@backend_options
@click.option(
    "--language",
    type=click.Choice([*LANGUAGES, AUTO]),
    help="Text analysis: en, zh, or auto (the default) from the catalogue's share of Chinese characters.",
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
def build(
    catalog: Path, out: str, skip_invalid: bool, encoding: str, backend: str, es_url: str | None, **overrides
) -> None:
    """Index CATALOG (JSONL or CSV) as a new version of OUT."""
    settings = BuildSettings().with_overrides(**overrides)
    writer = IndexLocation.of(out, backend, es_url).writer()
    print_report(build_from_file(writer, catalog, settings, skip_invalid, encoding, progress=True), out)


@index.command()
@index_argument
@click.option("--upsert", "upsert", type=click.Path(path_type=Path), help="Catalogue of new or changed products.")
@click.option(
    "--delete",
    "delete",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="File of product ids to delete, one a line.",
)
@click.option("--skip-invalid", is_flag=True, help="Apply the valid lines and report the rest.")
@click.option("--encoding", default="utf-8", show_default=True, help="Text encoding of the upsert catalogue.")
def update(
    location: IndexLocation, upsert: Path | None, delete: Path | None, skip_invalid: bool, encoding: str
) -> None:
    """Upsert and delete products; only changed texts are embedded again."""
    report = update_from_files(location.writer(), upsert, delete, skip_invalid, encoding, progress=True)
    print_report(report, location.name)


@index.command()
@index_argument
@click.argument("version")
def switch(location: IndexLocation, version: str) -> None:
    """Serve VERSION of INDEX, one kept beside the served one (`index info` lists them): a rollback."""
    print_report(location.writer().switch(version), location.name)


@index.command()
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--encoder", required=True, help="Encoder name or a sentence-transformers model directory.")
def reembed(directory: Path, encoder: str) -> None:
    """Embed the served products again with ENCODER, as a new version (keyword index unchanged in content)."""
    print_report(DirectoryWriter(directory).reembed(encoder, progress=True), directory)


@index.command()
@index_argument
@click.option("--json", "as_json", is_flag=True, help="Print all the index records (its manifest) as JSON.")
def info(location: IndexLocation, as_json: bool) -> None:
    """Summarise the served version of INDEX."""
    summary = location.writer().info()
    if as_json:
        click.echo(json.dumps(summary.record, indent=2, sort_keys=True))
        return
    lines = {
        "products": str(summary.products),
        "language": summary.language,
        "encoder": f"{summary.encoder} ({summary.dimension}-d, weights {summary.encoder_sha256[:12]})",
        "catalogue": f"{summary.catalogue} ({summary.catalogue_sha256[:12]})",
        **summary.details,
        "versions": " ".join(summary.versions),
    }
    click.echo(f"{location.name}: serving {summary.version} ({summary.job}, {summary.written_at})")
    for name, value in lines.items():
        click.echo(f"  {name:<9} {value}")
