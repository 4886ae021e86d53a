"""The live-writes benchmark, briefly, on the sample index: every figure printed, the server stopped cleanly,
and the index it was given left as it was."""

from __future__ import annotations

import re
from pathlib import Path

from tests.helpers import benchmark

FIGURES = (
    "field-only upserts acknowledged (2xx)",
    "field-only upserts applied (searchable)",
    "new products, first POST to last applied",
    "search idle p50",
    "search idle p99",
    "search during writes p50",
    "search during writes p99",
    "search p99 during writes / idle",
    "write stream during the searches",
    "to searchable idle p50",
    "to searchable idle p99",
    "to searchable idle max",
    "to searchable during writes p50",
    "to searchable during writes p99",
    "to searchable during writes max",
)


def test_the_shortest_run_prints_every_figure(sample_index: Path) -> None:
    before = sorted(path.relative_to(sample_index) for path in sample_index.rglob("*"))
    short = ["--seconds", "0.5", "--batch", "100", "--new-batch", "20", "--searches", "10", "--probes", "2"]
    result = benchmark("live_writes", str(sample_index), *short, timeout=120)
    rows = [re.split(r"\s{2,}", line.strip()) for line in result.stdout.split("\nfigure")[-1].splitlines()[1:]]
    table = {row[0]: row[1] for row in rows if len(row) == 3}  # figure, value, unit
    for figure in FIGURES:
        value = next((value for name, value in table.items() if name.startswith(figure)), None)
        assert value is not None and float(value.replace(",", "")) > 0, f"{figure}: {value!r} in {table}"
    assert table["probes not found within 30 s (idle, during)"] == "0, 0"
    assert "(all applied)" in result.stdout and "exit code 0; 0 lines in its stderr\n" in result.stdout
    assert "index: 300 products" in result.stdout
    assert sorted(path.relative_to(sample_index) for path in sample_index.rglob("*")) == before  # it wrote a copy


def test_the_in_process_apply_benchmark_compares_with_the_encoder(sample_index: Path) -> None:
    before = sorted(path.relative_to(sample_index) for path in sample_index.rglob("*"))
    result = benchmark("live_apply", str(sample_index), "--batches", "2", "--batch", "10", timeout=120)
    applied = re.search(r"applied live: 20 new products in 2 applies of 10: ([\d,]+)/s", result.stdout)
    alone = re.search(r"encoder alone, same batches: ([\d,]+)/s; live is (\d+)% of it", result.stdout)
    assert applied and alone and int(alone.group(2)) > 0, result.stdout
    assert sorted(path.relative_to(sample_index) for path in sample_index.rglob("*")) == before
