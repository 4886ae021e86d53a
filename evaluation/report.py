"""Side-by-side evaluation of search modes: table, JSON report, TREC run files and a chart."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from evaluation.judgments import Qrels, judged_queries
from evaluation.metrics import SIGNIFICANCE, MetricSet, Run, evaluate_run, mean, paired_p_value
from search import SearchPipeline, SearchRequest

DEPTH = 100


def run_mode(
    pipeline: SearchPipeline, queries: dict[str, str], mode: str, progress: bool = False
) -> tuple[Run, list[float]]:
    """The top 100 of every query, and each query's latency in ms."""
    run: Run = {}
    latencies = []
    for qid, text in tqdm(queries.items(), desc=mode, unit="query", disable=not progress):
        started = time.perf_counter()
        response = pipeline.search(SearchRequest(text, mode, size=DEPTH))
        latencies.append((time.perf_counter() - started) * 1000)
        run[qid] = [(hit.product.id, hit.score) for hit in response.hits]
    return run, latencies


def evaluate_modes(
    pipelines: Sequence[tuple[str, str, SearchPipeline]],
    queries: dict[str, str],
    qrels: Qrels,
    metrics: MetricSet = MetricSet(),
    progress: bool = False,
    against: str = "first",
) -> tuple[dict[str, Any], dict[str, Run]]:
    """(report, runs) for each (label, mode, pipeline); each later label is compared with the first
    one, or with the one before it (`against="previous"`: does each stage beat the stage before?)."""
    judged = judged_queries(queries, qrels)
    report: dict[str, Any] = {"modes": {}, "queries": len(judged), "rel_threshold": metrics.rel, "significance": {}}
    runs: dict[str, Run] = {}
    per_query: dict[str, dict[str, dict[str, float]]] = {}
    for label, mode, pipeline in pipelines:
        run, latencies = run_mode(pipeline, judged, mode, progress)
        runs[label] = run
        per_query[label] = evaluate_run(run, qrels, metrics)
        scores = {name: round(mean(values), 4) for name, values in per_query[label].items()}
        scores["latency_ms"] = {
            "mean": round(float(np.mean(latencies)), 2),
            "p95": round(float(np.percentile(latencies, 95)), 2),
        }
        report["modes"][label] = scores
    labels = list(report["modes"])
    report["compared_with"] = {
        label: labels[0] if against == "first" else labels[index] for index, label in enumerate(labels[1:])
    }
    for label, reference in report["compared_with"].items():
        report["significance"][label] = {
            name: paired_p_value(per_query[reference][name], per_query[label][name]) for name in per_query[label]
        }
    report["baseline"] = labels[0]
    report["index_version"] = pipelines[0][2].backend.label
    return report, runs


def format_table(report: dict[str, Any]) -> str:
    """Modes as columns; each later column shows its delta to the mode it is compared with and * where p < 0.05."""
    labels = list(report["modes"])
    metrics = [name for name in next(iter(report["modes"].values())) if name != "latency_ms"]
    width = max(22, *(len(label) + 2 for label in labels))
    lines = [f"{'':<16}" + "".join(f"{label:>{width}}" for label in labels)]
    for metric in metrics:
        cells = []
        for index, label in enumerate(labels):
            value = report["modes"][label][metric]
            if index == 0:
                cells.append(f"{value:>{width}.4f}")
                continue
            delta = value - report["modes"][report["compared_with"][label]][metric]
            p_value = report["significance"][label][metric]
            marker = "*" if p_value is not None and p_value < SIGNIFICANCE else " "
            cells.append(f"{f'{value:.4f} ({delta:+.4f}){marker}':>{width}}")
        lines.append(f"{metric:<16}" + "".join(cells))
    for key in ("mean", "p95"):
        lines.append(
            f"{'latency ' + key + ' ms':<16}"
            + "".join(f"{report['modes'][label]['latency_ms'][key]:>{width}.2f}" for label in labels)
        )
    lines.append(
        f"{report['queries']} judged queries; relevant = grade >= {report['rel_threshold']}; "
        f"(+delta) against {labels[0] if len(set(report['compared_with'].values())) <= 1 else 'the mode before'}; "
        f"* = paired t-test p < {SIGNIFICANCE}"
    )
    return "\n".join(lines)


def write_report(report: dict[str, Any], runs: dict[str, Run], directory: Path) -> list[Path]:
    """report.json, one TREC run file per mode and chart.png under `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    written = [directory / "report.json"]
    written[0].write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    for label, run in runs.items():
        path = directory / f"run.{label}.trec"
        with open(path, "w", encoding="utf-8") as handle:
            for qid, hits in run.items():
                for rank, (doc, score) in enumerate(hits, start=1):
                    handle.write(f"{qid} Q0 {doc} {rank} {score:.6f} prodsearch-{label}\n")
        written.append(path)
    written.append(_chart(report, directory / "chart.png"))
    return written


def _chart(report: dict[str, Any], path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    labels = list(report["modes"])
    metrics = [name for name in report["modes"][labels[0]] if name != "latency_ms"]
    figure, axes = pyplot.subplots(figsize=(2 + 1.6 * len(metrics), 4))
    width = 0.8 / len(labels)
    for index, label in enumerate(labels):
        positions = [m + index * width for m in range(len(metrics))]
        axes.bar(positions, [report["modes"][label][name] for name in metrics], width, label=label)
    axes.set_xticks([m + width * (len(labels) - 1) / 2 for m in range(len(metrics))], metrics)
    axes.set_ylim(0, 1)
    axes.set_title(f"{report['queries']} queries, index {report['index_version']}")
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    pyplot.close(figure)
    return path
