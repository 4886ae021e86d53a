"""Nonsense gets no hits, judged queries keep theirs: both counted through the pipeline on one index.

See docs/design.md#nonsense-queries.
"""

from __future__ import annotations

import argparse
import random
import string
from pathlib import Path

import numpy as np

from benchmarks.search_latency import read_queries
from indexer import open_index
from search import EmbeddedBackend, SearchPipeline, SearchRequest
from search.gibberish import is_gibberish

KEYBOARD = ["qwertyuiop", "asdfghjkl", "zxcvbnm"]


def nonsense(count: int, seed: int = 13) -> list[str]:
    """Random letter strings of the kinds people mash: runs from a keyboard row, repeats, random words."""
    chance = random.Random(seed)
    made = []
    for number in range(count):
        kind = number % 3
        if kind == 0:
            row = chance.choice(KEYBOARD)
            start = chance.randrange(len(row) - 3)
            made.append(row[start : start + chance.randint(4, len(row) - start)])
        elif kind == 1:
            made.append(chance.choice(string.ascii_lowercase) * chance.randint(4, 10))
        else:
            words = [
                "".join(chance.choices(string.ascii_lowercase, k=chance.randint(4, 9)))
                for _ in range(chance.randint(1, 3))
            ]
            made.append(" ".join(words))
    return made


def best_scores(pipeline: SearchPipeline, queries: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Per query: whether its keyword leg found anything, and its best dense score."""
    keyword, dense = [], []
    for query in queries:
        spelled = pipeline.spelled(query)
        keyword.append(bool(pipeline.keyword.search(spelled, 1)))
        hits = pipeline.dense.search(spelled, 1)
        dense.append(hits[0].score if hits else -1.0)
    return np.array(keyword), np.array(dense)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("index", type=Path)
    parser.add_argument("queries", type=Path)
    parser.add_argument("--nonsense", type=int, default=300)
    args = parser.parse_args()
    version = open_index(args.index)
    pipeline = SearchPipeline(EmbeddedBackend(version))
    judged = read_queries(args.queries, 1_000_000)
    found, scores = best_scores(pipeline, judged)
    orphans = scores[~found]
    print(f"{args.index}: {version.manifest.products} products, encoder {version.manifest.encoder}")
    print(f"judged queries: {len(judged)}, with no keyword hit: {len(orphans)}")
    if len(orphans):
        print(
            "  their best dense score: min {:.3f}  p5 {:.3f}  median {:.3f}".format(*np.percentile(orphans, [0, 5, 50]))
        )
        for query, score in sorted(zip(np.array(judged)[~found], orphans, strict=True), key=lambda pair: pair[1])[:5]:
            print(f"    {score:.3f}  {query}")
    made = nonsense(args.nonsense)
    found, scores = best_scores(pipeline, made)
    print(f"nonsense queries: {len(made)}, with a keyword hit (after spelling): {int(found.sum())}")
    print(
        "  their best dense score: median {:.3f}  p95 {:.3f}  max {:.3f}".format(*np.percentile(scores, [50, 95, 100]))
    )
    for query, score in sorted(zip(made, scores, strict=True), key=lambda pair: -pair[1])[:5]:
        print(f"    {score:.3f}  {query}")
    gibberish = [query for query in judged if is_gibberish(query)]
    lost = [query for query in judged if not pipeline.search(SearchRequest(query)).hits]
    print(f"judged queries read as gibberish: {len(gibberish)} {gibberish[:10]}")
    print(f"judged queries with no hits in hybrid mode: {len(lost)} {lost[:10]}")
    empty = [query for query in made if not pipeline.search(SearchRequest(query)).hits]
    print(f"nonsense queries with no hits: {len(empty)} of {len(made)} ({len(empty) / len(made):.1%})")
    print(f"  still answered: {[query for query in made if query not in empty][:8]}")


if __name__ == "__main__":
    main()
