"""Full build, then an update of 100 changed and 10 deleted products, timed as a user runs them.

See docs/design.md#index-build.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from indexer import encoder_for, open_index
from models.encoders import REFERENCE, load_encoder

PRODSEARCH = [sys.executable, "-m", "prodsearch"]


# A fresh parent per job: RUSAGE_CHILDREN keeps the largest child so far, so each job needs its own.
MEASURE = (
    "import resource, subprocess, sys\n"
    "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)


def run_job(arguments: list[str]) -> tuple[float, float]:
    """(wall seconds, peak RSS in MiB) of one prodsearch command in a fresh child process."""
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", MEASURE, *PRODSEARCH, *arguments], check=True, capture_output=True, text=True
    )
    return time.perf_counter() - started, int(result.stdout.split()[-1]) / 1024


def make_update(
    catalogue: Path, workdir: Path, changed: int, deleted: int, seed: int
) -> tuple[Path, Path, list[dict], list[str]]:
    records = [json.loads(line) for line in catalogue.read_text(encoding="utf-8").splitlines() if line.strip()]
    picked = random.Random(seed).sample(records, changed + deleted)
    upserts = []
    for number, record in enumerate(picked[:changed]):
        record = dict(record, title=f"{record['title']} zqxbench{number}")
        upserts.append(record)
    deletes = [record["id"] for record in picked[changed:]]
    upsert_path, delete_path = workdir / "delta.jsonl", workdir / "deletes.txt"
    upsert_path.write_text("".join(json.dumps(record) + "\n" for record in upserts), encoding="utf-8")
    delete_path.write_text("\n".join(deletes) + "\n", encoding="utf-8")
    return upsert_path, delete_path, upserts, deletes


def fidelity(root: Path, sample: int) -> tuple[float, float, float]:
    """Cosine between the index's encoder and the reference model on stored products: min, 1st percentile, mean."""
    version = open_index(root)
    texts = [
        product.embedding_text()
        for product in random.Random(0).sample(version.products, min(sample, len(version.products)))
    ]
    ours = encoder_for(version.manifest).encode(texts)
    reference = load_encoder(REFERENCE).encode(texts)
    cosine = (ours * reference).sum(axis=1)
    return float(cosine.min()), float(np.percentile(cosine, 1)), float(cosine.mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("catalogue", type=Path)
    parser.add_argument("--workdir", type=Path, required=True, help="emptied first")
    parser.add_argument("--encoder", help="encoder name (default: the build default)")
    parser.add_argument("--batch-size", type=int, help="texts per encoder batch (default: the build default)")
    parser.add_argument("--changed", type=int, default=100)
    parser.add_argument("--deleted", type=int, default=10)
    parser.add_argument("--fidelity-sample", type=int, default=1000)
    parser.add_argument("--from-index", type=Path, help="copy this index of the catalogue instead of building one")
    args = parser.parse_args()

    shutil.rmtree(args.workdir, ignore_errors=True)
    args.workdir.mkdir(parents=True)
    root = args.workdir / "index"
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, python {platform.python_version()}")
    build = (
        ["index", "build", str(args.catalogue), "--out", str(root)]
        + (["--encoder", args.encoder] if args.encoder else [])
        + (["--batch-size", str(args.batch_size)] if args.batch_size else [])
    )
    if args.from_index:
        shutil.copytree(args.from_index, root)
        version = open_index(root)
        print(f"copied {args.from_index}: {version.manifest.products} products, dense {version.manifest.dense_kind}")
    else:
        wall, peak = run_job(build)
        version = open_index(root)
        print(
            f"full build: {version.manifest.products} products, {wall:.1f} s wall, peak RSS {peak:.0f} MiB, "
            f"encoder {version.manifest.encoder}, dense {version.manifest.dense_kind}"
        )

    upsert, delete, upserts, deletes = make_update(args.catalogue, args.workdir, args.changed, args.deleted, seed=7)
    wall, peak = run_job(["index", "update", str(root), "--upsert", str(upsert), "--delete", str(delete)])
    version = open_index(root)
    print(
        f"update: {args.changed} changed + {args.deleted} deleted, {wall:.1f} s wall, peak RSS {peak:.0f} MiB, "
        f"changes {version.manifest.changes}"
    )

    probe = upserts[0]
    found = [version.rows[row].id for row, _ in version.keyword.search("zqxbench0", 3)]
    seen = found[:1] == [probe["id"]]
    gone = not any(product_id in version.row_of for product_id in deletes)
    print(f"search sees the update: changed product found by its new word: {seen}; deleted products gone: {gone}")

    low, p1, mean = fidelity(root, args.fidelity_sample)
    print(
        f"encoder fidelity vs {REFERENCE} on {args.fidelity_sample} products: "
        f"cosine min {low:.4f}, p1 {p1:.4f}, mean {mean:.4f}"
    )


if __name__ == "__main__":
    main()
