"""txtai's hybrid search over the products and queries benchmarks.peers hands it; run in txtai's own venv.

    python benchmarks/peer_txtai.py PRODUCTS.jsonl MODEL_DIR QUERIES.json OUT.json

PRODUCTS.jsonl: {"id", "text"} lines; QUERIES.json: {qid: query}. txtai indexes each text for BM25 and
for the dense vectors of MODEL_DIR (hybrid=True: its BM25 scores and the cosines, combined as txtai
does), then answers each query's top 10, one at a time. OUT.json gets the build time, each query's
latency and hits. Only the standard library and txtai are imported here.
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
