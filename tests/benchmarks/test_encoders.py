"""The encoders benchmark, briefly: one sample index against itself prints a row per index and mode, with no gain."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import JUDGMENTS, benchmark


def test_an_index_against_itself_is_level(sample_index: Path) -> None:
    result = benchmark("encoders", str(sample_index), str(sample_index), *JUDGMENTS)
    lines = result.stdout.splitlines()
    assert f"{sample_index}: 1:all-MiniLM-L6-v2-int8, 300 products" in lines[1]
    for mode in ("dense", "hybrid"):
        first, second = (line.split() for line in lines if line.startswith(("  1:", "  2:")) and f" {mode} " in line)
        assert first[3] == second[3]  # nDCG@10
        assert "paired p" not in " ".join(first) and "paired p n/a against the first" in " ".join(second)
