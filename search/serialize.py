"""Responses and products as JSON-ready dicts: one shape for the HTTP API and `prodsearch search --json`."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from indexer import Product
from search.response import ResultHit, SearchResponse
from search.understanding import Span, without

DESCRIPTION_CHARS = 240


def product_json(product: Product, full: bool = False) -> dict[str, Any]:
    description = product.description
    if not full and len(description) > DESCRIPTION_CHARS:
        description = description[:DESCRIPTION_CHARS].rsplit(" ", 1)[0] + "…"
    record: dict[str, Any] = {
        "id": product.id,
        "title": product.title,
        "brand": product.brand,
        "category": product.category_path() or None,
        "price": product.price,
        "currency": product.currency,
        "description": description,
        "url": product.url,
        "image": product.image,  # null when the catalogue has none: the page shows its placeholder
        "in_stock": product.in_stock,
        "group_id": product.group_id,
    }
    if full:
        record["attributes"] = {key: list(values) for key, values in product.attributes.items()}
        record |= {"stock": product.stock, "numbers": product.numbers}
    return record


def hit_json(hit: ResultHit) -> dict[str, Any]:
    record = product_json(hit.product)
    record["score"] = hit.score
    if hit.explain is not None:
        record["explain"] = asdict(hit.explain)
    if hit.variants is not None:
        record["variants"] = asdict(hit.variants)
    return record


def response_json(response: SearchResponse, version: str) -> dict[str, Any]:
    rerank = "on" if response.rerank else "off"
    if response.rerank_off:
        rerank = f"off: {response.rerank_off}; hits are hybrid"
    return {
        "query": response.query,
        "corrected_query": response.corrected_query,
        "mode": response.mode,
        "total": response.total,
        "page": response.page,
        "size": response.size,
        "index_version": version,
        "rerank": rerank,
        "hits": [hit_json(hit) for hit in response.hits],
        "facets": asdict(response.facets),
        "understood": [span_json(span, response) for span in response.understood],
        "relaxed": response.relaxed,
        "no_match": response.no_match,
        "timings_ms": response.timings_ms,
        "sort": response.sort,
        "rules": list(response.rules),
        "redirect": response.redirect,
        "synonyms": list(response.synonyms),
    }


def span_json(span: Span, response: SearchResponse) -> dict[str, Any]:
    """One understood part of the query: what it became, and the query to search to undo it."""
    reading = span.readings[0] if span.readings else None
    low, high = span.price or (None, None)
    return {
        "text": span.text,
        "start": span.start,
        "end": span.end,
        "kind": span.kind,
        "key": reading.key if reading else None,
        "values": list(reading.values) if reading else [],
        "price_min": low,
        "price_max": high,
        "effect": span.effect,
        "relaxed": span.relaxed,
        "currency": span.currency,
        "undo": without(response.corrected_query or response.query, span),
    }
