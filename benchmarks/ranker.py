"""The feature ranker's stage in process: features and LightGBM's prediction over each query's top candidates, each
query timed five times and the fastest kept (a service has each title's words already; the machine's pauses are not
the stage's). See docs/performance.md#the-feature-rankers-stage-2026-12-07."""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

import numpy as np

from benchmarks.search_latency import read_queries
from search import SearchPipeline
from search.features import features
from search.indexes import IndexLocation
from training.ranker import before_ranker

REPEATS = 5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("index", type=Path, help="an index with a ranker (prodsearch train ranker or train all)")
    parser.add_argument("queries", type=Path, help="qid<TAB>query lines")
    parser.add_argument("--queries", dest="limit", type=int, default=300)
    parser.add_argument("--depth", type=int, action="append", help="candidates reordered (repeatable; 50 and 100)")
    args = parser.parse_args()

    location = IndexLocation.of(str(args.index))
    ranker = location.ranker()
    if ranker is None:
        raise SystemExit(f"{args.index} has no ranker: train one with prodsearch train ranker or train all")
    pipeline = SearchPipeline(location.open(), settings=location.settings().load(), ranker=ranker)
    queries = read_queries(args.queries, args.limit)
    states = [before_ranker(pipeline, query) for query in queries]
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores; {len(queries)} queries; "
        f"{ranker.booster.num_trees()} trees over {len(ranker.usage.features)} features"
    )
    for depth in args.depth or [50, 100]:
        rounds = []
        for _ in range(REPEATS):
            timings = []
            for state, execution in states:
                ids = [product_id for product_id, _ in state.scored[:depth]]
                started = time.perf_counter()
                rows = features(state, execution, ids, execution.products.get(ids))
                featured = time.perf_counter()
                ranker.score(rows)
                timings.append((featured - started, time.perf_counter() - featured, len(ids)))
            rounds.append(np.array(timings))
        fastest = np.stack(rounds).min(axis=0)  # per query and part: the machine's interruptions are not the stage's
        found, predicted, rows_per = fastest.T
        stage = (found + predicted) * 1000
        print(
            f"depth {depth:3d} ({rows_per.mean():.0f} candidates): features p50 {np.median(found) * 1000:.2f} ms, "
            f"prediction p50 {np.median(predicted) * 1000:.2f} ms; stage p50 {np.median(stage):.2f}, "
            f"p95 {np.percentile(stage, 95):.2f} ms"
        )


if __name__ == "__main__":
    main()
