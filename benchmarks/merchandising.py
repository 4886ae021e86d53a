"""What the shop's synonyms and rules cost a search: hybrid latency with none, and with many made from the
catalogue's own words, interleaved. `python -m benchmarks.merchandising INDEX --queries Q.tsv`
"""

from __future__ import annotations

import argparse
import platform
import random
import time
from pathlib import Path

import numpy as np

from benchmarks.search_latency import read_queries
from indexer import open_index
from search import EmbeddedBackend, SearchPipeline, SearchRequest
from search.merchandising import FixedMerchandising, Merchandising
from search.phrases import tokens
from search.rules import Rule
from search.synonyms import Synonym


def shop(products: list, rules: int, synonyms: int, queries: list[str] = (), seed: int = 7) -> Merchandising:
    """A large shop's settings: a synonym entry for each catalogue word (with a made-up word and phrase) and the
    rest over made-up words; rules on catalogue words and word pairs (exact and contained) that pin, hide and
    boost, and the rest on made-up queries. Queries meet a few of them, as a shop's do."""
    rng = random.Random(seed)
    words = sorted({word for product in products for word in tokens(product.title) if len(word) > 2})
    ids = [product.id for product in products]
    entries = []
    for number in range(synonyms):
        word = words[number] if number < len(words) else f"made{number}"
        entries.append(Synonym(f"s{number}", (word, f"alias{number}", f"other{number} phrase")))
    made = []
    for number in range(rules):
        first, second = rng.sample(words, 2)
        query = (first, f"{first} {second}", f"made up query {number}")[number % 3]
        if queries:  # the worst case: every query the benchmark searches meets rules
            query = queries[number % len(queries)]
        body = {
            "condition": {"query": query, "match": "contains" if number % 2 else "exact"},
            "pin": [{"id": rng.choice(ids), "position": 1 + number % 5}],
            "hide": [rng.choice(ids)],
            "boost": [{"filter": {"brand": "Acme"}, "strength": 0.3}],
        }
        made.append(Rule.from_json(f"r{number}", body))
    return Merchandising(synonyms={e.id: e for e in entries}, rules={r.id: r for r in made})


def timed(pipeline: SearchPipeline, queries: list[str]) -> list[float]:
    timings = []
    for query in queries:
        started = time.perf_counter()
        pipeline.search(SearchRequest(query, "hybrid"))
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("index", type=Path)
    parser.add_argument("--queries", type=Path, required=True, help="A queries TSV (id, text).")
    parser.add_argument("--limit", type=int, default=300, help="Queries per run.")
    parser.add_argument("--runs", type=int, default=5, help="Runs of each, interleaved.")
    parser.add_argument("--rules", type=int, default=1_000)
    parser.add_argument("--synonyms", type=int, default=10_000)
    parser.add_argument("--rules-on-queries", action="store_true", help="Rules on the benchmark's own queries.")
    arguments = parser.parse_args()

    version = open_index(arguments.index)
    backend = EmbeddedBackend(version)
    queries = read_queries(arguments.queries, arguments.limit)
    started = time.perf_counter()
    many = shop(version.products, arguments.rules, arguments.synonyms, queries if arguments.rules_on_queries else ())
    compiled_indexes = (many.synonym_index, many.rule_index)  # once per version of the settings, as a service does
    compiled = time.perf_counter() - started
    plain = SearchPipeline(backend)
    loaded = SearchPipeline(backend, merchandising=FixedMerchandising(many))
    met = sum(bool(loaded.search(SearchRequest(q, "hybrid")).rules) for q in queries)
    expanded = sum(bool(many.synonym_index.expand(q)) for q in queries)
    timed(plain, queries[:30])  # warm the encoder and caches
    runs: dict[str, list[float]] = {"none": [], "loaded": []}
    for _ in range(arguments.runs):
        runs["none"] += timed(plain, queries)
        runs["loaded"] += timed(loaded, queries)
    synonyms, rules = compiled_indexes
    print(f"{arguments.index}: {len(version.products):,} products; {platform.processor() or platform.machine()}")
    print(f"{len(rules):,} rules and {len(synonyms):,} synonym entries, compiled in {compiled:.2f} s")
    print(f"{len(queries)} queries x {arguments.runs} runs; meeting a rule: {met}, with synonyms: {expanded}")
    medians = {}
    for name, values in runs.items():
        p50, p95 = np.percentile(values, [50, 95])
        medians[name] = p50
        print(f"  {name:<7} hybrid p50 {p50:7.2f} ms   p95 {p95:7.2f} ms")
    print(f"  p50 grows by {medians['loaded'] - medians['none']:+.2f} ms")


if __name__ == "__main__":
    main()
