"""The eval command on the sample judgments: report shape, run files, chart."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import JUDGMENTS, prodsearch


def test_eval_json_report_and_files(sample_index: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    result = prodsearch(
        "eval",
        str(sample_index),
        *JUDGMENTS,
        "--rel-threshold",
        "3",
        "--out",
        str(out),
        "--json",
        check=True,
    )
    report = json.loads(result.stdout)
    assert list(report["modes"]) == ["bm25", "dense", "hybrid"] and report["queries"] == 35
    for scores in report["modes"].values():
        assert {"ndcg@10", "mrr@10", "recall@100", "p@10", "ndcg@10_judged"} <= scores.keys()
        assert all(0.0 <= scores[name] <= 1.0 for name in ("ndcg@10", "mrr@10", "recall@100"))
        assert scores["latency_ms"]["p95"] >= scores["latency_ms"]["mean"] * 0.5
    assert report["modes"]["hybrid"]["ndcg@10"] > 0.5  # the sample is easy; far lower means a broken pipeline
    assert set(report["significance"]) == {"dense", "hybrid"}
    assert report["compared_with"] == {"dense": "bm25", "hybrid": "bm25"}
    assert json.loads((out / "report.json").read_text()) == report
    lines = (out / "run.hybrid.trec").read_text().splitlines()
    qid, q0, doc, rank, score, tag = lines[0].split()
    assert (q0, rank, tag) == ("Q0", "1", "prodsearch-hybrid") and doc.startswith("SKU-")
    assert (out / "chart.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_eval_table_and_bad_modes(sample_index: Path) -> None:
    arguments = [
        "eval",
        str(sample_index),
        *JUDGMENTS,
    ]
    table = prodsearch(*arguments, "--modes", "bm25,hybrid", check=True).stdout
    assert table.splitlines()[0].split() == ["bm25", "hybrid"] and "paired t-test" in table
    assert prodsearch(*arguments, "--modes", "bm25,fuzzy").returncode == 2
    result = prodsearch(*arguments, "--modes", "rerank")
    assert result.returncode == 2 and "needs --reranker" in result.stderr


def test_eval_against_the_mode_before(sample_index: Path) -> None:
    result = prodsearch(
        "eval", str(sample_index), *JUDGMENTS, "--modes", "bm25,dense,hybrid", "--against", "previous", check=True
    )
    report = json.loads(
        prodsearch(
            "eval", str(sample_index), *JUDGMENTS, "--modes", "bm25,dense,hybrid", "--against", "previous", "--json"
        ).stdout
    )
    assert report["compared_with"] == {"dense": "bm25", "hybrid": "dense"}
    ndcg = {label: scores["ndcg@10"] for label, scores in report["modes"].items()}
    row = next(line for line in result.stdout.splitlines() if line.startswith("ndcg@10 "))
    assert f"({ndcg['hybrid'] - ndcg['dense']:+.4f})" in row and "against the mode before" in result.stdout
