"""Query understanding's cost: building its phrase table from an index's vocabulary, and per query.

See docs/design.md#understanding-cost.
"""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path

import numpy as np

from benchmarks.search_latency import percentiles, read_queries
from indexer import open_index
from search.understanding import Understander

LONGEST_QUERY = 512


def timed(understander: Understander, queries: list[str]) -> list[float]:
    milliseconds = []
    for query in queries:
        started = time.perf_counter()
        understander.understand(query)
        milliseconds.append((time.perf_counter() - started) * 1000)
    return milliseconds


def long_queries(words: list[str], count: int, seed: int = 13) -> list[str]:
    chance = random.Random(seed)
    made = []
    for _ in range(count):
        query = ""
        while len(query) < LONGEST_QUERY:
            query += " " + chance.choice([*words, "under 50", "100到200元", "size M", "1.7 l"])
        made.append(query[:LONGEST_QUERY])
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("index", type=Path)
    parser.add_argument("queries", type=Path, nargs="+")
    args = parser.parse_args()
    version = open_index(args.index)
    started = time.perf_counter()
    understander = Understander(version.vocabulary)
    understander.warm()
    built = time.perf_counter() - started
    vocabulary = version.vocabulary
    values = sum(len(v) for v in vocabulary.attributes.values())
    print(
        f"{args.index}: {version.manifest.products} products; {len(vocabulary.brands)} brands, "
        f"{len(vocabulary.categories)} categories, {values} attribute values; phrase table "
        f"{len(understander.phrases)} phrases, built in {built * 1000:.0f} ms"
    )
    queries = [query for path in args.queries for query in read_queries(path, 1_000_000)]
    timed(understander, queries[:50])  # warm caches
    print(f"{len(queries)} queries as typed:        {percentiles(timed(understander, queries))}")
    words = sorted({word for query in queries for word in query.split()})
    made = long_queries(words, 300)
    print(f"{len(made)} queries of 512 characters:  {percentiles(timed(understander, made))}")
    print(f"mean spans per long query: {np.mean([len(understander.understand(q).spans) for q in made]):.1f}")


if __name__ == "__main__":
    main()
