"""Spelling correction: the speller's build time and memory, then correct() latency on short and pasted queries.

See docs/design.md#speller-cost.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import resource
import string
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from indexer.catalogue import read_catalogue
from search.spelling import Speller, catalogue_words, english_words


def random_word(rng: random.Random, shortest: int, longest: int) -> str:
    return "".join(rng.choices(string.ascii_lowercase, k=rng.randint(shortest, longest)))


def with_typo(query: str, rng: random.Random) -> str:
    """The query with one inner letter of one of its longer words replaced; as typed when it has none."""
    words = query.split()
    long = [number for number, word in enumerate(words) if len(word) >= 5 and word.isalpha()]
    if not long:
        return query
    number = rng.choice(long)
    word = words[number]
    at = rng.randrange(1, len(word))
    words[number] = word[:at] + rng.choice(string.ascii_lowercase.replace(word[at], "")) + word[at + 1 :]
    return " ".join(words)


def long_query(rng: random.Random, characters: int) -> str:
    words: list[str] = []
    while sum(len(word) + 1 for word in words) < characters:
        words.append(random_word(rng, 5, 10))
    return " ".join(words)[:characters]


def timed(correct: Callable[[str], str], queries: list[str]) -> tuple[list[str], np.ndarray]:
    """Each query's correction and its time in milliseconds."""
    corrected, times = [], []
    for query in queries:
        started = time.perf_counter()
        corrected.append(correct(query))
        times.append((time.perf_counter() - started) * 1000)
    return corrected, np.array(times)


def show(label: str, times: np.ndarray) -> None:
    p50, p99 = np.percentile(times, [50, 99])
    print(f"{label}: {len(times)} queries, p50 {p50:.3f} ms, p99 {p99:.3f} ms, max {times.max():.3f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("catalogue", type=Path, nargs="?", default=Path("data/sample/products.jsonl"))
    parser.add_argument("--queries", type=Path, default=Path("data/sample/queries.tsv"), help="id<TAB>query lines")
    parser.add_argument("--extra-words", type=int, default=0, help="random words added to the vocabulary")
    parser.add_argument("--long-queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    counts = catalogue_words(read_catalogue(args.catalogue, skip_invalid=True).products)
    catalogue_size = len(counts)
    counts.update(random_word(rng, 4, 12) for _ in range(args.extra_words))
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, python {platform.python_version()}")

    started = time.perf_counter()
    english = english_words()
    print(f"English dictionary: {len(english)} words, loaded once in {time.perf_counter() - started:.2f} s")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    speller = Speller(counts)
    build = time.perf_counter() - started
    grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    print(
        f"build: {len(counts)} words ({catalogue_size} from {args.catalogue}, {args.extra_words} random), "
        f"{build:.2f} s, peak RSS grew {grown:.0f} MiB"
    )

    lines = args.queries.read_text(encoding="utf-8").splitlines()
    queries = [line.split("\t", 1)[1] for line in lines if "\t" in line]
    _, times = timed(speller.correct, queries)
    show("real queries as typed", times)
    typos = [with_typo(query, rng) for query in queries]
    corrected, times = timed(speller.correct, typos)
    changed = sum(typo != query for typo, query in zip(typos, queries, strict=True))
    restored = sum(fixed == query != typo for fixed, typo, query in zip(corrected, typos, queries, strict=True))
    show("real queries with one typo", times)
    print(f"  typos made: {changed}, corrected back to the query: {restored}")

    pasted = [long_query(rng, 512) for _ in range(args.long_queries)]
    _, times = timed(speller.correct, pasted)
    show("512-character queries of random words", times)
    print(f"  words per query: {min(len(query.split()) for query in pasted)} or more")


if __name__ == "__main__":
    main()
