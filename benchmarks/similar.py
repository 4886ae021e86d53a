"""Similar products over HTTP: p50/p95/p99 of GET /api/products/<id>/similar?k=10 for random products of an index,
from a real `prodsearch serve`. `python -m benchmarks.similar INDEX [--products 300]`
"""

from __future__ import annotations

import argparse
import platform
import random
import time
from pathlib import Path
from urllib.parse import quote

import numpy as np
import requests

from benchmarks.search_latency import start_server
from indexer import open_index


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("index", type=Path)
    parser.add_argument("--products", type=int, default=300, help="Random products asked about.")
    parser.add_argument("--k", type=int, default=10)
    arguments = parser.parse_args()

    products = open_index(arguments.index).products
    chosen = random.Random(7).sample([product.id for product in products], min(arguments.products, len(products)))
    server, url = start_server(arguments.index)
    try:
        session = requests.Session()
        # the service builds its suggester in the background once it answers: the first suggestion waits for it
        session.get(f"{url}/api/suggest", params={"q": "a"}, timeout=300)
        for product_id in chosen[:20]:  # warm up
            session.get(f"{url}/api/products/{quote(product_id, safe='')}/similar", params={"k": arguments.k})
        timings, found = [], 0
        for product_id in chosen:
            started = time.perf_counter()
            answer = session.get(f"{url}/api/products/{quote(product_id, safe='')}/similar", params={"k": arguments.k})
            timings.append((time.perf_counter() - started) * 1000)
            answer.raise_for_status()
            found += len(answer.json()["hits"])
    finally:
        server.terminate()
        server.wait(timeout=60)
    p50, p95, p99 = np.percentile(timings, [50, 95, 99])
    print(f"{arguments.index}: {len(products):,} products; {platform.processor() or platform.machine()}")
    print(f"{len(chosen)} products asked, k={arguments.k}, {found / len(chosen):.1f} hits each over HTTP")
    print(f"similar: p50 {p50:.2f} ms  p95 {p95:.2f} ms  p99 {p99:.2f} ms")


if __name__ == "__main__":
    main()
