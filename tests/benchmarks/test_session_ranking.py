"""The session-ranking benchmark, briefly, on the sample index: a row per strength and the latency lines printed."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import JUDGMENTS, benchmark


def test_the_shortest_run_prints_every_figure(sample_index: Path) -> None:
    short = ["--part", "all", "--seeds", "1", "--boosts", "0,0.1", "--latency", "3", "--runs", "1"]
    result = benchmark("session_ranking", str(sample_index), *JUDGMENTS, *short)
    lines = result.stdout.splitlines()
    assert "300 products, 300 with a category or brand" in lines[0]
    without = float(next(line for line in lines if line.startswith("nDCG@10 without")).split()[-1])
    off = next(line for line in lines if line.startswith(" 0.00")).split()
    # boost | same intent: nDCG, delta, p, changed | other intent: the same; at 0 nothing moves
    assert float(off[1]) == without and off[2:5] == ["+0.0000", "n/a", "0%"] and off[7:10] == ["+0.0000", "n/a", "0%"]
    assert any(line.startswith(" 0.10") for line in lines)
    assert any("the session stage p50" in line for line in lines)
