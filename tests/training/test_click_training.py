"""A reranker trained on logged clicks instead of judgments, their position bias estimated from the logs."""

from __future__ import annotations

import json
from pathlib import Path

from evaluation import read_qrels, read_queries
from tests.helpers import JUDGMENTS, SAMPLE, logged_clicks, prodsearch

SAMPLE_JUDGED = (read_queries(SAMPLE / "queries.tsv"), read_qrels(SAMPLE / "qrels.tsv"))


def test_a_reranker_learns_from_logged_clicks_corrected_for_position(sample_index: Path, tmp_path: Path) -> None:
    arguments = ["--max-pairs", "32", "--batch-size", "16", "--max-length", "32", "--base", "all-MiniLM-L6-v2"]
    logged_clicks(tmp_path / "moved.sqlite", *SAMPLE_JUDGED, moved=True)
    out = tmp_path / "from-clicks"
    result = prodsearch(
        "train",
        "reranker",
        str(sample_index),
        "--events",
        str(tmp_path / "moved.sqlite"),
        "--out",
        str(out),
        *arguments,
        check=True,
    )
    assert "examination by position, estimated from the logs" in result.stdout
    report = json.loads((out / "training.json").read_text())
    assert report["pairs"] == 32 and (out / "reranking.json").is_file()
    # clicks validate by the click-estimated DCG of each order, on half the clicked queries
    assert report["validation_metric"] == "click dcg@10" and "best validation click dcg@10" in result.stdout
    assert abs(report["validation_queries"] - report["fit_queries"]) <= 1

    logged_clicks(tmp_path / "fixed.sqlite", *SAMPLE_JUDGED, moved=False)
    result = prodsearch(
        "train",
        "reranker",
        str(sample_index),
        "--events",
        str(tmp_path / "fixed.sqlite"),
        "--out",
        str(tmp_path / "x"),
        "--no-debias",
        *[*arguments[2:], "--max-pairs", "16"],  # one step: only the message matters
        check=True,
    )
    assert "click rates taken as they are (--no-debias)" in result.stdout


def test_logs_without_a_click_or_with_judgments_too_are_refused(sample_index: Path, tmp_path: Path) -> None:
    from events import EventStore

    EventStore(str(tmp_path / "empty.sqlite"), create=True).close()
    result = prodsearch(
        "train", "reranker", str(sample_index), "--events", str(tmp_path / "empty.sqlite"), "--out", str(tmp_path / "x")
    )
    assert result.returncode == 2 and "has a click: nothing to learn from yet" in result.stderr
    result = prodsearch(
        "train",
        "reranker",
        str(sample_index),
        "--events",
        str(tmp_path / "empty.sqlite"),
        *JUDGMENTS,
        "--out",
        str(tmp_path / "x"),
    )
    assert result.returncode == 2 and "give --events or --queries/--qrels, not both" in result.stderr
