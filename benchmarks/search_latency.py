"""Search latency per mode, in process and over HTTP, and throughput with concurrent clients.

See docs/design.md#search-latency.
"""

from __future__ import annotations

import argparse
import os
import platform
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import requests

from indexer import open_index
from models import load_cross_encoder
from search import EmbeddedBackend, SearchPipeline, SearchRequest


def read_queries(path: Path, limit: int) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.split("\t", 1)[1] for line in lines if "\t" in line][:limit]


def percentiles(milliseconds: list[float]) -> str:
    p50, p95, p99 = np.percentile(milliseconds, [50, 95, 99])
    return f"p50 {p50:6.2f}  p95 {p95:6.2f}  p99 {p99:6.2f} ms"


def in_process(pipeline: SearchPipeline, queries: list[str], mode: str) -> list[float]:
    for query in queries[:20]:  # warm caches and lazy initialisation
        pipeline.search(SearchRequest(query, mode))
    timings = []
    for query in queries:
        started = time.perf_counter()
        pipeline.search(SearchRequest(query, mode))
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(index: Path, *flags: str) -> tuple[subprocess.Popen, str]:
    """`prodsearch serve INDEX FLAGS...` as a child process on a free loopback port, once it answers /healthz."""
    port = free_port()
    command = [sys.executable, "-m", "prodsearch", "serve", str(index), "--port", str(port), *flags]
    # a benchmark's searches are not shoppers': they stay out of the shop's events unless a database is named
    environment = {"PRODSEARCH_EVENTS_DB": "off"} | os.environ
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=environment)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if requests.get(url + "/healthz", timeout=1).ok:
                return server, url
        except requests.RequestException:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("the server did not answer /healthz within 120 s")


def over_http(session: requests.Session, url: str, query: str, mode: str) -> float:
    started = time.perf_counter()
    response = session.get(url + "/api/search", params={"q": query, "mode": mode}, timeout=60)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"{query!r} ({mode}): HTTP {response.status_code} {response.text[:200]}")
    return elapsed


def concurrent(url: str, queries: list[str], mode: str, clients: int) -> float:
    """Queries per second with `clients` clients sending queries back to back."""
    sessions = [requests.Session() for _ in range(clients)]
    shares = [queries[i::clients] for i in range(clients)]
    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        work = zip(sessions, shares, strict=True)
        list(pool.map(lambda pair: [over_http(pair[0], url, q, mode) for q in pair[1]], work))
    return len(queries) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("index", type=Path)
    parser.add_argument("queries", type=Path, help="qid<TAB>query lines")
    parser.add_argument("--queries", dest="limit", type=int, default=1000)
    parser.add_argument("--modes", default="bm25,dense,hybrid")
    parser.add_argument("--reranker", type=Path, help="cross-encoder directory; adds the rerank mode")
    parser.add_argument("--clients", type=int, default=2)
    args = parser.parse_args()

    modes = args.modes.split(",") + (["rerank"] if args.reranker and "rerank" not in args.modes else [])
    queries = read_queries(args.queries, args.limit)
    version = open_index(args.index)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores; index {version.manifest.version}: "
        f"{version.manifest.products} products, {version.manifest.dense_kind}; {len(queries)} queries"
    )
    reranker = load_cross_encoder(args.reranker) if args.reranker else None
    pipeline = SearchPipeline(EmbeddedBackend(version), reranker)
    print("in process")
    for mode in modes:
        print(f"  {mode:<7} {percentiles(in_process(pipeline, queries, mode))}")
    del pipeline, version

    server, url = start_server(args.index, *(["--reranker", str(args.reranker)] if args.reranker else []))
    try:
        print(f"over HTTP ({url}, waitress)")
        session = requests.Session()
        for mode in modes:
            for query in queries[:20]:
                over_http(session, url, query, mode)
            timings = [over_http(session, url, query, mode) for query in queries]
            rate = concurrent(url, queries, mode, args.clients)
            print(f"  {mode:<7} {percentiles(timings)}   {args.clients} clients: {rate:6.1f} queries/s")
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
