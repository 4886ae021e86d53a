"""How relevant a sorted page is, for each share of the best score a hit must reach to be sorted in: the first 10
by a field unrelated to the query (a hash of the id, as price is), judged. `python -m benchmarks.sort_relevance`
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

import numpy as np

from evaluation.judgments import load_judgments
from indexer import open_index
from search import EmbeddedBackend, SearchPipeline, SearchRequest
from search.merchandising import FixedMerchandising, Merchandising, Ranking
from search.request import Sort

SHARES = (0.0, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("index", type=Path)
    parser.add_argument("--queries", type=Path, required=True)
    parser.add_argument("--qrels", type=Path, required=True)
    parser.add_argument("--part", default="held-out")
    parser.add_argument("--limit", type=int, default=500, help="Judged queries to use.")
    parser.add_argument("--relevant", type=int, default=1, help="Lowest grade counted relevant.")
    arguments = parser.parse_args()

    queries, qrels = load_judgments(arguments.queries, arguments.qrels, arguments.part)
    chosen = sorted(queries)[: arguments.limit]
    backend = EmbeddedBackend(open_index(arguments.index))
    print(f"{arguments.index}: {len(chosen)} {arguments.part} queries, hybrid, sorted by a hash of the id, page 1,")
    print(f"relevant: grade >= {arguments.relevant}")
    print("share  judged-relevant@10  judged@10  hits kept (median)")
    for share in SHARES:
        shop = FixedMerchandising(Merchandising(ranking=Ranking(stock="ignore", sort_relevance=share)))
        pipeline = SearchPipeline(backend, merchandising=shop)
        precision, judged, kept = [], [], []
        for qid in chosen:
            # the judged catalogues have no prices: every hit lacks the field, so the kept ones come in relevance
            # order, and are put in the order of a field that knows nothing of the query here
            response = pipeline.search(SearchRequest(queries[qid], "hybrid", size=100, sort=Sort("price")))
            page = sorted(response.hits, key=lambda hit: hashlib.sha256(hit.product.id.encode()).digest())[:10]
            grades = [qrels[qid].get(hit.product.id) for hit in page]
            known = [grade for grade in grades if grade is not None]
            judged.append(len(known))
            kept.append(response.total)
            if known:
                precision.append(sum(grade >= arguments.relevant for grade in known) / len(known))
        print(f"{share:5.1f}  {np.mean(precision):18.3f}  {np.mean(judged):9.2f}  {np.median(kept):18.0f}")


if __name__ == "__main__":
    main()
