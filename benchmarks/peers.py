"""prodsearch and txtai on the same products and queries in one run: nDCG@10, speed, build time and memory.

See docs/design.md#peers.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from evaluation.judgments import load_judgments
from evaluation.metrics import evaluate_run, mean

TXTAI = "txtai==9.14.0"
TORCH = "torch==2.13.0"  # the CPU build, as the Makefile installs it: a looser pin pulls CUDA's
REPO = Path(__file__).resolve().parent.parent
GNU_TIME = "/usr/bin/time"


def measured(command: list[str]) -> tuple[float, float]:
    """(wall seconds, peak resident GiB) of a child process that must succeed. GNU time reads the peak: a
    child's own rusage would count this process's memory at the fork as the child's floor."""
    if not Path(GNU_TIME).is_file():
        raise SystemExit(f"{GNU_TIME} is missing: install Debian's 'time' package")
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as peak:
        started = time.perf_counter()
        finished = subprocess.run([GNU_TIME, "-f", "%M", "-o", peak.name, *command])
        seconds = time.perf_counter() - started
        if finished.returncode != 0:
            raise SystemExit(f"{' '.join(command[:4])} ... failed with status {finished.returncode}")
        return seconds, int(peak.read().split()[-1]) / 2**20  # kilobytes


def txtai_python(venv: Path) -> Path:
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    if subprocess.run([str(python), "-c", "import txtai"], capture_output=True).returncode != 0:
        print(f"installing {TXTAI} into {venv} (once)", flush=True)
        pip = [str(python), "-m", "pip", "install", "--quiet"]
        subprocess.run([*pip, TORCH], check=True)
        subprocess.run([*pip, TXTAI], check=True)
    return python


def answer(index: Path, queries_path: Path, out_path: Path, modes: list[str], reranker: Path | None) -> None:
    """In a child process: each mode's top 10 and latency for every query, in process, one at a time."""
    from indexer import open_index
    from models import load_cross_encoder
    from search import EmbeddedBackend, SearchPipeline, SearchRequest

    queries = json.loads(queries_path.read_text(encoding="utf-8"))
    pipeline = SearchPipeline(EmbeddedBackend(open_index(index)), load_cross_encoder(reranker) if reranker else None)
    result = {}
    for mode in modes:
        for text in list(queries.values())[:20]:  # warm up
            pipeline.search(SearchRequest(text, mode))
        runs, latencies = {}, []
        for qid, text in queries.items():
            started = time.perf_counter()
            response = pipeline.search(SearchRequest(text, mode))
            latencies.append((time.perf_counter() - started) * 1000)
            runs[qid] = [[hit.product.id, hit.score] for hit in response.hits]
        result[mode] = {"latencies_ms": latencies, "runs": runs}
    out_path.write_text(json.dumps(result), encoding="utf-8")


def row(name: str, run: dict, latencies: list[float], qrels, build: str, memory: str) -> str:
    ndcg = mean(evaluate_run({qid: [tuple(hit) for hit in hits] for qid, hits in run.items()}, qrels)["ndcg@10"])
    p50, p95 = np.percentile(latencies, [50, 95])
    rate = len(latencies) / (sum(latencies) / 1000)
    return f"| {name} | {ndcg:.4f} | {p50:.1f} / {p95:.1f} | {rate:.1f} | {build} | {memory} |"


def main() -> None:
    if sys.argv[1:2] == ["answer"]:  # the prodsearch child
        _, _, index, queries, out, modes, reranker = sys.argv
        answer(Path(index), Path(queries), Path(out), modes.split(","), Path(reranker) if reranker else None)
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", type=Path, help="folder with products.jsonl, queries.tsv and qrels.tsv")
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--reranker", type=Path, help="a cross-encoder folder: adds prodsearch's rerank mode")
    parser.add_argument("--venv", type=Path, default=REPO / "var" / "peers-txtai", help="txtai's own environment")
    args = parser.parse_args()

    from indexer.catalogue import read_catalogue
    from models.weights import minilm_dir

    queries, qrels = load_judgments(args.data / "queries.tsv", args.data / "qrels.tsv", "held-out")
    queries = dict(list(queries.items())[: args.queries])
    python = txtai_python(args.venv)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores; {len(queries)} held-out queries of {args.data}")
    with tempfile.TemporaryDirectory(prefix="peers-") as work:
        work = Path(work)
        (work / "queries.json").write_text(json.dumps(queries), encoding="utf-8")
        products = read_catalogue(args.data / "products.jsonl").products
        with open(work / "products.jsonl", "w", encoding="utf-8") as out:
            for product in products:
                text = product.embedding_text() + (f" {product.brand}" if product.brand else "")
                out.write(json.dumps({"id": product.id, "text": text}) + "\n")
        print(f"{len(products)} products", flush=True)

        catalogue, index = str(args.data / "products.jsonl"), str(work / "index")
        build, build_peak = measured([sys.executable, "-m", "prodsearch", "index", "build", catalogue, "--out", index])
        manifest = next(Path(index).glob("versions/*/manifest.json"))
        job = json.loads(manifest.read_text(encoding="utf-8"))["build_seconds"]
        modes = ["hybrid"] + (["rerank"] if args.reranker else [])
        answered = [sys.executable, "-m", "benchmarks.peers", "answer", index, str(work / "queries.json")]
        _, serve_peak = measured([*answered, str(work / "ours.json"), ",".join(modes), str(args.reranker or "")])
        ours = json.loads((work / "ours.json").read_text(encoding="utf-8"))

        script = REPO / "benchmarks" / "peer_txtai.py"
        peer = [str(python), str(script), str(work / "products.jsonl"), str(minilm_dir())]
        peer_total, peer_peak = measured([*peer, str(work / "queries.json"), str(work / "txtai.json")])
        theirs = json.loads((work / "txtai.json").read_text(encoding="utf-8"))

    print("| system, mode | nDCG@10 | p50 / p95 ms | queries/s | build s: job (process) | peak memory GiB |")
    print("|---|---|---|---|---|---|")
    memory = f"build {build_peak:.2f}, serving {serve_peak:.2f}"
    for mode in modes:
        built = f"{job:.0f} (process {build:.0f})"
        print(row(f"prodsearch {mode}", ours[mode]["runs"], ours[mode]["latencies_ms"], qrels, built, memory))
    build_theirs = f"{theirs['build_seconds']:.0f} (process {peer_total:.0f})"
    name = f"txtai {theirs['version']} hybrid"
    print(row(name, theirs["runs"], theirs["latencies_ms"], qrels, build_theirs, f"{peer_peak:.2f}"))


if __name__ == "__main__":
    main()
