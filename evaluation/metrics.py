"""Metrics through ir_measures (pytrec_eval underneath): nDCG with linear graded gains, MRR, P, recall.

Every query with judgments counts: a query whose run is empty scores 0, it is not dropped.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import ir_measures
from ir_measures import RR, P, R, nDCG

from evaluation.judgments import Qrels

Run = dict[str, list[tuple[str, float]]]  # qid -> [(product_id, score)] best first
Judge = Callable[[Run], dict[str, float]]  # a run -> its value for each query
SIGNIFICANCE = 0.05  # a paired difference counts when p is below this
CLICK_DCG = "click dcg@10"  # what by_clicks measures, as reports name it


@dataclass(frozen=True)
class MetricSet:
    """The report's metrics; `rel` is the lowest grade that counts as relevant for binary metrics."""

    rel: int = 1

    def measures(self) -> dict[str, object]:
        return {
            "ndcg@10": nDCG @ 10,
            "mrr@10": RR(rel=self.rel) @ 10,
            "recall@100": R(rel=self.rel) @ 100,
            "p@10": P(rel=self.rel) @ 10,
            "ndcg@10_judged": nDCG(judged_only=True) @ 10,
        }


def evaluate_run(run: Run, qrels: Qrels, metrics: MetricSet = MetricSet()) -> dict[str, dict[str, float]]:
    """metric name -> {qid: value} for every judged query in the run's query set."""
    judged = [qid for qid in run if qid in qrels]
    measures = metrics.measures()
    names = {measure: name for name, measure in measures.items()}
    per_query = {name: dict.fromkeys(judged, 0.0) for name in measures}
    trec_qrels = [ir_measures.Qrel(qid, doc, grade) for qid in judged for doc, grade in qrels[qid].items()]
    trec_run = [
        ir_measures.ScoredDoc(qid, doc, float(len(run[qid]) - rank))  # rank-derived scores: ties never reorder
        for qid in judged
        for rank, (doc, _) in enumerate(run[qid])
    ]
    for metric in ir_measures.iter_calc(list(measures.values()), trec_qrels, trec_run):
        per_query[names[metric.measure]][metric.query_id] = metric.value
    return per_query


def condensed(run: Run, qrels: Mapping[str, Mapping[str, object]]) -> Run:
    """The run without the products its query's judgments do not grade: Sakai's condensed list.

    See docs/design.md#metrics-on-partial-judgments.
    """
    return {qid: [(doc, score) for doc, score in hits if doc in qrels.get(qid, {})] for qid, hits in run.items()}


def by_judgments(qrels: Qrels, metric: str = "ndcg@10", metrics: MetricSet = MetricSet()) -> Judge:
    """Runs judged by one metric of `metrics` on graded judgments."""
    return lambda run: evaluate_run(run, qrels, metrics)[metric]


def by_clicks(rates: Mapping[str, Mapping[str, float]], k: int = 10) -> Judge:
    """Runs judged by shoppers' clicks: DCG@k of the click estimates over the products shoppers were shown.

    See docs/design.md#metrics-on-partial-judgments.
    """

    def judge(run: Run) -> dict[str, float]:
        return {
            qid: sum(rates[qid][doc] / math.log2(rank + 2) for rank, (doc, _) in enumerate(hits[:k]))
            for qid, hits in condensed(run, rates).items()
            if qid in rates
        }

    return judge


def mean(values: Mapping[str, float]) -> float:
    return sum(values.values()) / len(values) if values else 0.0


def interval_95(gains: Sequence[float]) -> tuple[float, float]:
    """The 95% interval of the mean of per-query gains (normal approximation); NaN for fewer than two."""
    if len(gains) < 2:
        return (math.nan, math.nan)
    average = sum(gains) / len(gains)
    deviation = math.sqrt(sum((gain - average) ** 2 for gain in gains) / (len(gains) - 1))
    half = 1.96 * deviation / math.sqrt(len(gains))
    return (average - half, average + half)


def validation_judge(qrels: Qrels, click_rates: Mapping[str, Mapping[str, float]] | None) -> tuple[Judge, str]:
    """(judge, its name) a trainer validates with: nDCG@10 of the judgments, or for judgments made from clicks,
    what the clicks say of each order (by_clicks on their rates)."""
    return (by_judgments(qrels), "ndcg@10") if click_rates is None else (by_clicks(click_rates), CLICK_DCG)


def format_p(value: float | None) -> str:
    """A paired_p_value as the reports print it."""
    return "n/a" if value is None else f"{value:.2g}"


def paired_p_value(first: Mapping[str, float], second: Mapping[str, float]) -> float | None:
    """Two-sided paired t-test over the queries both have; None where it is undefined."""
    from scipy import stats  # 1.2 s to import: only the commands that compare pay for it

    qids = sorted(first.keys() & second.keys())
    a: Sequence[float] = [first[q] for q in qids]
    b: Sequence[float] = [second[q] for q in qids]
    if len(qids) < 2 or all(x == y for x, y in zip(a, b, strict=True)):
        return None
    if len({round(x - y, 12) for x, y in zip(a, b, strict=True)}) == 1:  # one difference for every query
        return 0.0
    return float(stats.ttest_rel(a, b).pvalue)
