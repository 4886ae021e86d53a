"""What a catalogue costs as it grows: build time, memory, disk, load time and query latency per size.

See docs/design.md#cost-curve.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from benchmarks.peers import measured
from benchmarks.search_latency import in_process
from evaluation.judgments import read_queries


def generated(products: list[dict], count: int, seed: int = 13) -> Iterator[dict]:
    """`count` catalogue records made from the real ones, as the module says."""
    rng = random.Random(seed)
    if count <= len(products):
        yield from rng.sample(products, count)
        return
    yield from products
    for number in range(count - len(products)):
        base, other = rng.choice(products), rng.choice(products)
        head, tail = base["title"].split(), other["title"].split()
        title = " ".join(head[: max(1, len(head) // 2)] + tail[len(tail) // 2 :])
        yield base | {"id": f"gen{number:07d}", "title": title}


def answer(index: Path, queries_path: Path, modes: list[str], reranker: Path | None, out: Path) -> None:
    """In a child process: load time (the index opened, checked and made searchable, after the imports and
    the reranker), then each mode's p50 and p99 over the queries."""
    from indexer import open_index
    from models import load_cross_encoder
    from search import EmbeddedBackend, SearchPipeline

    model = load_cross_encoder(reranker) if reranker else None
    started = time.perf_counter()
    pipeline = SearchPipeline(EmbeddedBackend(open_index(index)), model)
    result: dict = {"load_seconds": time.perf_counter() - started, "dense": pipeline.backend.describe().dense}
    queries = list(json.loads(queries_path.read_text(encoding="utf-8")).values())
    for mode in modes:
        latencies = in_process(pipeline, queries, mode)
        result[mode] = [float(value) for value in np.percentile(latencies, [50, 99])]
    out.write_text(json.dumps(result), encoding="utf-8")


def disk_bytes(root: Path) -> int:
    return sum(path.stat().st_size for path in root.rglob("*") if path.is_file())


def main() -> None:
    if sys.argv[1:2] == ["answer"]:  # the serving child
        _, _, index, queries, modes, reranker, out = sys.argv
        answer(Path(index), Path(queries), modes.split(","), Path(reranker) if reranker else None, Path(out))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", type=Path, help="folder with products.jsonl and queries.tsv")
    parser.add_argument("--sizes", default="10000,55000,250000,1000000")
    parser.add_argument("--queries", type=int, default=300, help="queries answered per mode")
    parser.add_argument("--reranker", type=Path, help="a cross-encoder folder: adds the rerank mode")
    parser.add_argument("--work", type=Path, help="where catalogues and indexes are written (a temp dir)")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()

    with open(args.data / "products.jsonl", encoding="utf-8") as lines:
        products = [json.loads(line) for line in lines if line.strip()]
    queries = dict(list(read_queries(args.data / "queries.tsv").items())[: args.queries])
    modes = ["bm25", "hybrid"] + (["rerank"] if args.reranker else [])
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores; {len(products)} real products, {len(queries)} queries"
    )
    print(
        "| products | dense | build s | build peak GiB | disk MiB | load s | serving peak GiB | "
        + " | ".join(f"{mode} p50 / p99 ms" for mode in modes)
        + " |"
    )
    print("|---" * (7 + len(modes)) + "|", flush=True)
    with tempfile.TemporaryDirectory(prefix="cost-curve-", dir=args.work) as work:
        work = Path(work)
        (work / "queries.json").write_text(json.dumps(queries), encoding="utf-8")
        for size in (int(size) for size in args.sizes.split(",")):
            catalogue, index = work / f"catalogue-{size}.jsonl", work / f"index-{size}"
            with open(catalogue, "w", encoding="utf-8") as out:
                for record in generated(products, size, args.seed):
                    out.write(json.dumps(record, ensure_ascii=False) + "\n")
            build, build_peak = measured(
                [sys.executable, "-m", "prodsearch", "index", "build", str(catalogue), "--out", str(index)]
            )
            child = [sys.executable, "-m", "benchmarks.cost_curve", "answer", str(index), str(work / "queries.json")]
            _, serve_peak = measured([*child, ",".join(modes), str(args.reranker or ""), str(work / "answer.json")])
            found = json.loads((work / "answer.json").read_text(encoding="utf-8"))
            latencies = " | ".join(f"{found[mode][0]:.1f} / {found[mode][1]:.1f}" for mode in modes)
            print(
                f"| {size:,} | {found['dense']} | {build:.0f} | {build_peak:.2f} | {disk_bytes(index) / 2**20:.0f} | "
                f"{found['load_seconds']:.1f} | {serve_peak:.2f} | {latencies} |",
                flush=True,
            )
            catalogue.unlink()
            shutil.rmtree(index)


if __name__ == "__main__":
    main()
