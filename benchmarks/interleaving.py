"""What an experiment adds to a search over HTTP: p50/p95 of the served default from sessions outside it, in arm B of an
A/B test, and interleaved. `python -m benchmarks.interleaving INDEX --queries Q.tsv [--b bm25] [--queries-used 300]`
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import requests

from benchmarks.search_latency import start_server
from evaluation.judgments import read_queries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("index", type=Path)
    parser.add_argument("--queries", type=Path, required=True)
    parser.add_argument("--queries-used", type=int, default=300)
    parser.add_argument("--b", default="bm25", help="Arm B: a mode or a settings file.")
    arguments = parser.parse_args()

    texts = list(read_queries(arguments.queries).values())
    chosen = random.Random(7).sample(texts, min(arguments.queries_used, len(texts)))
    with tempfile.TemporaryDirectory() as scratch:
        # a copy's settings: the experiments started here must not reach the index's own
        index = Path(shutil.copytree(arguments.index, Path(scratch) / "index", symlinks=True))
        timings = {method: measure(index, chosen, method, arguments.b) for method in ("ab", "interleave")}
    print(f"{arguments.index}: {len(chosen)} queries, k=10; {platform.processor() or platform.machine()}")
    for label, values in (("outside", timings["ab"]["outside"]), *((name, timings[m][name]) for m, name in (
        ("ab", "a"), ("ab", "b"), ("interleave", "interleaved")))):  # fmt: skip
        p50, p95 = np.percentile(values, [50, 95])
        print(f"{label:<12} p50 {p50:6.2f} ms  p95 {p95:6.2f} ms  ({len(values)} searches)")


def measure(index: Path, queries: list[str], method: str, b: str) -> dict[str, list[float]]:
    """Each query searched from a session outside the experiment and from sessions inside it, in turn."""
    prodsearch = [sys.executable, "-m", "prodsearch", "experiment"]
    name = f"bench-{method}"
    started = [*prodsearch, "start", str(index), name, "--b", b, "--method", method, "--traffic", "0.5"]
    subprocess.run(started, check=True, stdout=subprocess.DEVNULL)
    # experiments run only where events are logged: to a scratch database beside the copied index
    os.environ["PRODSEARCH_EVENTS_DB"] = str(index.parent / f"{name}-events.sqlite")
    server, url = start_server(index)
    timings: dict[str, list[float]] = {"outside": [], "a": [], "b": [], "interleaved": []}
    try:
        session = requests.Session()
        session.get(f"{url}/api/suggest", params={"q": "a"}, timeout=300)  # its build would share the cores
        for number, query in enumerate(queries):
            for shopper in (f"shopper-{number}-{n}" for n in range(8)):
                started = time.perf_counter()
                answer = session.get(f"{url}/api/search", params={"q": query, "k": 10},
                                     headers={"X-Prodsearch-Session": shopper})  # fmt: skip
                took = (time.perf_counter() - started) * 1000
                answer.raise_for_status()
                timings[answer.json().get("experiment", {}).get("arm", "outside")].append(took)
    finally:
        server.terminate()
        server.wait(timeout=60)
        subprocess.run([*prodsearch, "stop", str(index), name], check=True, stdout=subprocess.DEVNULL)
    return timings


if __name__ == "__main__":
    main()
