"""`prodsearch search` and `prodsearch serve`: one query from the shell, or the page and JSON API."""

from __future__ import annotations

import json
import signal
from pathlib import Path
from typing import Any

import click

from indexer.products import split_category
from prodsearch.options import backend_options, index_argument
from search.indexes import IndexLocation
from search.pipeline import MAX_K, MODES
from web.config import ServerLimits, ServiceConfig
from web.lane import REQUEST_THREADS


@click.command()
@index_argument
@click.argument("query")
@click.option("--mode", type=click.Choice(MODES), default="hybrid", show_default=True)
@click.option("--k", "k", type=click.IntRange(1, MAX_K), default=10, show_default=True, help="Hits to show.")
@click.option("--category", default="", help="Category path prefix, e.g. 'Home > Kitchen'.")
@click.option("--brand", multiple=True, help="Brand (repeat for any of several).")
@click.option("--price-min", type=click.FloatRange(min=0))
@click.option("--price-max", type=click.FloatRange(min=0))
@click.option("--reranker", type=click.Path(path_type=Path), help="Cross-encoder model directory (for --mode rerank).")
@click.option("--sort", help="FIELD:asc or FIELD:desc (price:asc, rating:desc): the relevant hits by that field.")
@click.option("--in-stock/--out-of-stock", default=None, help="Only products in stock (or only those out of it).")
@click.option("--no-rules", is_flag=True, help="Without the shop's rules (to compare).")
@click.option(
    "--distinct/--all-variants", default=None, help="One hit per group_id (the best variant), or every variant."
)
@click.option("--explain", is_flag=True, help="Show each stage's score and rank.")
@click.option("--no-spelling", is_flag=True, help="Search the words as typed, without spelling correction.")
@click.option(
    "--no-understanding", is_flag=True, help="Search the query as words only: prices, colours, sizes are no filters."
)
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
    sort: str | None,
    in_stock: bool | None,
    no_rules: bool,
    distinct: bool | None,
    explain: bool,
    no_spelling: bool,
    no_understanding: bool,
    as_json: bool,
) -> None:
    """Search the served version of INDEX for QUERY."""
    from models import load_cross_encoder
    from search import Filters, SearchPipeline, SearchRequest
    from search.request import Sort
    from search.serialize import response_json

    model = load_cross_encoder(reranker) if reranker else None
    settings, shop, ranker = location.settings().load(), location.merchandising(), location.ranker()
    pipeline = SearchPipeline(location.open(), model, settings, merchandising=shop, ranker=ranker)
    filters = Filters(split_category(category), brand, price_min, price_max, in_stock=in_stock)
    request = SearchRequest(
        query,
        mode,
        size=k,
        filters=filters,
        explain=explain,
        spelling=not no_spelling,
        understand=not no_understanding,
        sort=Sort.parse(sort) if sort else None,
        rules=not no_rules,
        distinct=distinct,
    )
    response = pipeline.search(request)
    if as_json:
        click.echo(json.dumps(response_json(response, pipeline.backend.label), indent=2))
        return
    if response.rerank_off:
        click.echo(f"rerank is off: {response.rerank_off}; showing hybrid results", err=True)
    if response.corrected_query:
        click.echo(f"showing results for {response.corrected_query!r} (--no-spelling searches {query!r})", err=True)
    for span in response.understood:
        click.echo(f"understood {span.describe()}", err=True)
    if response.relaxed:
        click.echo(
            "no product meets every understood filter: they only rank (--no-understanding ignores them)", err=True
        )
    if response.rules:
        click.echo(f"rules applied: {', '.join(response.rules)}", err=True)
    if response.redirect:
        click.echo(f"a rule redirects this query to {response.redirect}", err=True)
    if response.no_match:
        click.echo(f"no word of {query!r} is known to the catalogue or the language: check the spelling", err=True)
    for rank, hit in enumerate(response.hits, start=1):
        product = hit.product
        price = f"{product.price:.2f} {product.currency or ''}".strip() if product.price is not None else ""
        click.echo(f"{rank:>3}. {hit.score:8.3f}  {product.title}  [{product.brand or '-'}]  {price}")
        if hit.variants and hit.variants.count > 1:
            click.echo(f"       {hit.variants.count} variants, differing in {', '.join(hit.variants.differ) or '-'}")
        if hit.explain:
            click.echo(f"       {hit.explain}")
    click.echo(f"{response.total} candidates, {response.timings_ms['total']:.1f} ms" if response.hits else "no results")


@click.command()
@click.argument("index")
@backend_options
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option("--reranker", type=click.Path(path_type=Path), help="Cross-encoder model directory; enables rerank mode.")
@click.option(
    "--threads",
    type=click.IntRange(1, 64),
    default=4,
    show_default=True,
    help=f"Request threads; {REQUEST_THREADS} more are added, as long or heavily filtered searches may hold"
    f" {REQUEST_THREADS} while they take turns.",
)
@click.option(
    "--connections",
    type=click.IntRange(1),
    default=ServerLimits.connections,
    show_default=True,
    help="Open connections; one more is answered 503 with Retry-After.",
)
@click.option(
    "--idle-timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=ServerLimits.idle_timeout,
    show_default=True,
    help="Seconds a connection may send and receive nothing before it is closed.",
)
def serve(
    index: str,
    backend: str,
    es_url: str | None,
    host: str,
    port: int,
    reranker: Path | None,
    threads: int,
    connections: int,
    idle_timeout: float,
) -> None:
    """Serve the search page and JSON API for INDEX (follows new index versions by itself)."""
    import logging

    from web import close_app, create_app, make_server

    config = ServiceConfig.from_env(index=index, backend=backend, es_url=es_url, reranker_dir=reranker)
    app = create_app(config)  # opens the index with its tuned settings and follows its new versions
    live = app.extensions["prodsearch.live"]
    logging.basicConfig()  # warnings to stderr: a version that failed to load, the connection limit reached
    server = make_server(app, host, port, threads, ServerLimits(connections=connections, idle_timeout=idle_timeout))
    click.echo(f"serving {index} ({live.version}) at http://{host}:{port}/  (Ctrl+C stops)")
    signal.signal(signal.SIGTERM, _stop)  # a service manager's stop is as clean as Ctrl+C: events are written
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
        close_app(app)


def _stop(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt
