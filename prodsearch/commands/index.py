"""`prodsearch index build|update|reembed|info`: the indexing jobs and what an index holds."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import click

from indexer import BuildSettings, build_index, open_index, update_index
from indexer.analysis import AUTO, LANGUAGES
from indexer.dense import KINDS
from prodsearch.options import backend_options, index_argument, print_report
from search.indexes import IndexLocation


@click.group()
def index() -> None:
    """Build, update and inspect an index directory."""


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
        from indexer.elastic import ElasticConfig, elastic_info

        summary = elastic_info(location.elastic, location.name)
        if as_json:
            click.echo(json.dumps(summary, indent=2, sort_keys=True))
            return
        click.echo(
            f"{location.name}: index {summary['index']} at {ElasticConfig.redacted(location.elastic.url)} "
            f"({summary['job']}, "
            f"{summary.get('updated_at') or summary['created_at']})\n"
            f"  products  {summary['documents']}\n"
            f"  encoder   {summary['encoder']} ({summary['dimension']}-d, weights {summary['encoder_sha256'][:12]})\n"
            f"  catalogue {summary['catalogue']} ({summary['catalogue_sha256'][:12]})"
        )
        return
    directory = Path(location.name)
    version = open_index(directory)
    manifest = version.manifest
    if as_json:
        click.echo(json.dumps(asdict(manifest), indent=2, sort_keys=True))
        return
    click.echo(
        f"{directory}: version {manifest.version} "
        f"({manifest.job}, {manifest.created_at}, {manifest.build_seconds:.1f} s)\n"
        f"  products  {manifest.products}\n"
        f"  language  {version.settings.language}\n"
        f"  encoder   {manifest.encoder} ({manifest.dimension}-d, weights {manifest.encoder_sha256[:12]})\n"
        f"  dense     {manifest.dense_kind}\n"
        f"  catalogue {manifest.catalogue} ({manifest.catalogue_sha256[:12]})\n"
        f"  changes   {', '.join(f'{key} {value}' for key, value in manifest.changes.items())}"
    )
