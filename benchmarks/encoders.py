"""One catalogue embedded by several encoders (`prodsearch index reembed COPY --encoder NAME`), side by side on
judged queries: each mode's nDCG@10 and MRR@10 paired against the first index, latency, build cost. Usage in
docs/relevance.md#which-encoder-for-english-2026-12-07."""

from __future__ import annotations

import argparse
import os
import platform
from pathlib import Path

from evaluation.judgments import load_judgments
from evaluation.metrics import MetricSet, format_p
from evaluation.report import evaluate_modes
from indexer import open_index
from search import EmbeddedBackend, SearchPipeline
from search.indexes import IndexLocation


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("indexes", nargs="+", type=Path, help="Indexes of one catalogue, the first the baseline.")
    parser.add_argument("--queries", type=Path, required=True)
    parser.add_argument("--qrels", type=Path, required=True)
    parser.add_argument("--part", default="all", choices=("all", "train", "held-out"))
    parser.add_argument("--modes", default="dense,hybrid")
    parser.add_argument("--rel-threshold", type=int, default=1)
    arguments = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores; {len(arguments.indexes)} indexes")
    queries, qrels = load_judgments(arguments.queries, arguments.qrels, arguments.part)
    pipelines = []
    for number, directory in enumerate(arguments.indexes, start=1):
        version = open_index(directory)
        manifest = version.manifest
        name = f"{number}:{Path(manifest.encoder).name}"  # numbered: one encoder may embed two of them
        print(f"{directory}: {name}, {manifest.products} products, {manifest.job} took {manifest.build_seconds:.0f} s")
        settings = IndexLocation.of(directory).settings().load()
        pipelines.append((name, SearchPipeline(EmbeddedBackend(version), settings=settings)))
    for mode in arguments.modes.split(","):
        labelled = [(f"{name} {mode}", mode, pipeline) for name, pipeline in pipelines]
        report, _ = evaluate_modes(labelled, queries, qrels, MetricSet(rel=arguments.rel_threshold))
        print(f"\n{mode}, {report['queries']} queries ({arguments.part}):")
        for label, figures in report["modes"].items():
            compared = report["significance"].get(label)
            against = "" if compared is None else f"  paired p {format_p(compared['ndcg@10'])} against the first"
            latency = figures["latency_ms"]
            print(
                f"  {label:<40} nDCG@10 {figures['ndcg@10']:.4f}  MRR@10 {figures['mrr@10']:.4f}  "
                f"mean {latency['mean']:.1f} ms, p95 {latency['p95']:.1f} ms{against}"
            )


if __name__ == "__main__":
    main()
