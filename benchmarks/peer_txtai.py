"""txtai's hybrid search over the products and queries benchmarks.peers hands it; run in txtai's own venv.

See docs/design.md#peers.
"""

from __future__ import annotations

import json
import sys
import time
from importlib.metadata import version


def main() -> None:
    import txtai

    products_path, model, queries_path, out_path = sys.argv[1:5]
    with open(products_path, encoding="utf-8") as lines:
        rows = [json.loads(line) for line in lines]
    with open(queries_path, encoding="utf-8") as file:
        queries = json.load(file)
    embeddings = txtai.Embeddings(path=model, hybrid=True, content=False)
    started = time.perf_counter()
    embeddings.index((row["id"], row["text"], None) for row in rows)
    build_seconds = time.perf_counter() - started
    for text in list(queries.values())[:20]:  # warm up
        embeddings.search(text, 10)
    runs, latencies = {}, []
    for qid, text in queries.items():
        started = time.perf_counter()
        hits = embeddings.search(text, 10)
        latencies.append((time.perf_counter() - started) * 1000)
        runs[qid] = [[str(product_id), float(score)] for product_id, score in hits]
    result = {"version": version("txtai"), "build_seconds": build_seconds, "latencies_ms": latencies, "runs": runs}
    with open(out_path, "w", encoding="utf-8") as out:
        json.dump(result, out)


if __name__ == "__main__":
    main()
