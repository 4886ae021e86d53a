"""Suggestions as you type: the suggester's build time and memory, then suggest() latency in process.

See docs/design.md#suggester-cost.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import random
import resource
import time
from collections import Counter
from pathlib import Path

from benchmarks.search_latency import percentiles, read_queries
from indexer import open_index
from search.suggest import KINDS, Suggester


def resident_mib() -> float:
    """This process's resident memory now (Linux)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def prefixes(queries: list[str]) -> list[str]:
    """Every distinct beginning of the queries, as typed one character at a time."""
    return list(dict.fromkeys(query[:end] for query in queries for end in range(1, len(query) + 1)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("index", type=Path)
    parser.add_argument("queries", type=Path, nargs="+", help="id<TAB>query lines")
    parser.add_argument("--popular", type=int, default=2000, help="queries passed as queries that worked")
    parser.add_argument("--prefixes", type=int, default=20_000, help="prefixes timed, at most")
    parser.add_argument("--k", type=int, default=8)
    parser.add_argument("--passes", type=int, default=3, help="times each prefix is timed, the cache cleared between")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, python {platform.python_version()}")
    version = open_index(args.index)
    queries = [query for path in args.queries for query in read_queries(path, 1_000_000)]
    popular = [(query, rng.randint(2, 500), rng.randint(1, 100)) for query in rng.sample(queries, args.popular)]
    started = time.perf_counter()
    Suggester(version.products[:200], popular[:10])  # loads what Chinese text needs (jieba, pypinyin) once
    print(f"first 200 products, libraries loading: {time.perf_counter() - started:.2f} s, RSS {resident_mib():.0f} MiB")
    gc.collect()
    before, peak_before = resident_mib(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    suggester = Suggester(version.products, popular)
    built = time.perf_counter() - started
    gc.collect()
    retained = resident_mib() - before
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - peak_before
    kinds = Counter(KINDS[kind] for kind in suggester.kinds)
    print(
        f"{args.index}: {version.manifest.products} products, {args.popular} popular queries -> "
        f"{len(suggester)} suggestions ({', '.join(f'{kinds[kind]} {kind}' for kind in KINDS)}), "
        f"{suggester.starts} word starts, {suggester.ranked_ahead} prefixes ranked ahead"
    )
    print(f"build: {built:.2f} s; memory kept {retained:.0f} MiB, peak RSS grew {peak:.0f} MiB")

    typed = prefixes(queries)
    rng.shuffle(typed)
    typed = typed[: args.prefixes]
    passes, answered = [], 0
    for _ in range(args.passes):
        suggester._found.cache_clear()  # every pass asks the suggester anew, never its cache
        milliseconds = []
        for text in typed:
            started = time.perf_counter()
            found = suggester.suggest(text, args.k)
            milliseconds.append((time.perf_counter() - started) * 1000)
            answered += bool(found)
        passes.append(milliseconds)
    print(f"{len(typed)} prefixes, k={args.k}, each once: {percentiles(passes[0])}, max {max(passes[0]):.2f} ms")
    fastest = [min(times) for times in zip(*passes, strict=True)]
    print(f"  the fastest of {args.passes} for each (less the machine's noise): {percentiles(fastest)}")
    print(f"  answered with at least one suggestion: {answered / len(typed) / args.passes:.1%}")
    slowest = sorted(zip(fastest, typed, strict=True), reverse=True)[:5]
    print("  slowest at their fastest: " + ", ".join(f"{text!r} {ms:.2f} ms" for ms, text in slowest))
    for text in ("k", "ke", "kett", "kettel", "stainles", "whirlpool micro", "蓝", "蓝牙耳", "lyej"):
        shown = [suggestion.text for suggestion in suggester.suggest(text, 3)]
        print(f"  {text!r}: {shown}")


if __name__ == "__main__":
    main()
