"""New products applied live in process, against the encoder alone on the same texts (no HTTP, no compaction).

Run: python -m benchmarks.live_apply INDEX [--batches 5] [--batch 100]; INDEX is copied, never written.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from indexer import Product, encoder_for, open_index
from indexer.changelog import Change
from indexer.writes import embed_products
from models.weights import library_defaults
from search.live_index import LiveIndex


def new_products(products: list[Product], number: int, size: int) -> list[Product]:
    """`size` products with new ids and texts: stored titles and descriptions with a word added."""
    start = number * size
    picked = [products[(start + offset) % len(products)] for offset in range(size)]
    return [
        Product(id=f"NEW-{number}-{i}", title=p.title + " deluxe", description=p.description)
        for i, p in enumerate(picked)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("index", type=Path)
    parser.add_argument("--batches", type=int, default=5, help="timed applies")
    parser.add_argument("--batch", type=int, default=100, help="new products an apply")
    args = parser.parse_args()
    library_defaults()
    with tempfile.TemporaryDirectory() as work:
        root = Path(shutil.copytree(args.index, Path(work) / "index"))
        version = open_index(root)
        encoder = encoder_for(version.manifest)
        live = LiveIndex(version, encoder, root / "live" / "work" / "benchmark")
        live.apply([Change(1, tuple(new_products(version.products, 0, args.batch)))])  # warm: the keyword copy
        batches = [new_products(version.products, number, args.batch) for number in range(1, args.batches + 1)]
        started = time.perf_counter()
        for number, batch in enumerate(batches, start=2):
            live.apply([Change(number, tuple(batch))])
        applied = time.perf_counter() - started
        texts = [product for batch in batches for product in batch]
        started = time.perf_counter()
        for batch in batches:
            embed_products(encoder, batch, version.settings.batch_size, progress=False)
        alone = time.perf_counter() - started
        live.close()
    total = len(texts)
    print(f"index: {version.manifest.products:,} products ({version.manifest.dense_kind}), encoder {encoder.name}")
    print(f"applied live: {total:,} new products in {args.batches} applies of {args.batch}: {total / applied:,.0f}/s")
    print(f"encoder alone, same batches: {total / alone:,.0f}/s; live is {alone / applied:.0%} of it")


if __name__ == "__main__":
    main()
