"""Metric values on a hand-made run and qrels, against numbers worked out by hand."""

from __future__ import annotations

from math import log2
from pathlib import Path

import pytest

from evaluation import MetricSet, evaluate_run, read_qrels, read_queries
from evaluation.judgments import split_queries
from evaluation.metrics import mean, paired_p_value

pytestmark = pytest.mark.fast

QRELS = {"q1": {"a": 3, "b": 1, "c": 0, "d": 2}, "q2": {"x": 2}, "q3": {"m": 1}}
RUN = {
    "q1": [("b", 9.0), ("z", 8.0), ("a", 7.0), ("c", 6.0)],  # z is unjudged
    "q2": [("y", 1.0)],  # nothing relevant retrieved
    "q3": [],  # empty result
}


def test_graded_ndcg_with_explicit_log2() -> None:
    values = evaluate_run(RUN, QRELS)
    dcg = 1 / log2(2) + 0 + 3 / log2(4) + 0
    ideal = 3 / log2(2) + 2 / log2(3) + 1 / log2(4)
    assert values["ndcg@10"]["q1"] == pytest.approx(dcg / ideal)
    judged_dcg = 1 / log2(2) + 3 / log2(3) + 0  # z removed: b, a, c
    assert values["ndcg@10_judged"]["q1"] == pytest.approx(judged_dcg / ideal)
    assert values["ndcg@10"]["q2"] == 0.0 and values["ndcg@10"]["q3"] == 0.0
    assert mean(values["ndcg@10"]) == pytest.approx(dcg / ideal / 3)  # empty runs count as zeros


def test_binary_metrics_follow_the_threshold() -> None:
    loose = evaluate_run(RUN, QRELS, MetricSet(rel=1))
    assert loose["mrr@10"]["q1"] == 1.0  # b (grade 1) first
    assert loose["p@10"]["q1"] == pytest.approx(2 / 10)
    assert loose["recall@100"]["q1"] == pytest.approx(2 / 3)  # a, b of a, b, d
    strict = evaluate_run(RUN, QRELS, MetricSet(rel=3))
    assert strict["mrr@10"]["q1"] == pytest.approx(1 / 3)  # a is third
    assert strict["recall@100"]["q1"] == 1.0 and strict["p@10"]["q1"] == pytest.approx(0.1)


def test_paired_test() -> None:
    assert paired_p_value({"a": 1.0, "b": 0.5}, {"a": 1.0, "b": 0.5}) is None
    p = paired_p_value({f"q{i}": 0.2 for i in range(20)}, {f"q{i}": 0.6 + 0.01 * i for i in range(20)})
    assert p is not None and p < 0.001
    # every query better by the same amount: no variance to test against, and no doubt either
    assert paired_p_value({f"q{i}": 0.5 for i in range(5)}, {f"q{i}": 1.0 for i in range(5)}) == 0.0


def test_reading_judgments(tmp_path: Path) -> None:
    (tmp_path / "q.tsv").write_text("q1\tred kettle\nq2\tpan\n", encoding="utf-8")
    (tmp_path / "qrels").write_text("q1 0 a 3\nq1 0 b 0\n", encoding="utf-8")
    assert read_queries(tmp_path / "q.tsv") == {"q1": "red kettle", "q2": "pan"}
    assert read_qrels(tmp_path / "qrels") == {"q1": {"a": 3, "b": 0}}
    (tmp_path / "bad").write_text("q1 0 a 3\nq1 a three\n", encoding="utf-8")
    with pytest.raises(ValueError, match="line 2: expected TREC qrels"):
        read_qrels(tmp_path / "bad")


def test_split_is_by_query_and_seeded() -> None:
    qids = [f"q{i}" for i in range(10)]
    train, held_out = split_queries(qids, 0.7, seed=1)
    assert len(train) == 7 and set(train) | set(held_out) == set(qids) and not set(train) & set(held_out)
    assert split_queries(qids, 0.7, seed=1) == (train, held_out)
