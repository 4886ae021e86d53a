"""Which dense share each query wants, and how well search.adaptive's rule finds it (nDCG@10 per query).

See docs/design.md#fusion-by-query.
"""

from __future__ import annotations

import argparse
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from evaluation.judgments import judged_queries, load_judgments
from evaluation.metrics import MetricSet, Run, evaluate_run
from indexer import open_index
from indexer.text import SPELLED_WORD
from search import EmbeddedBackend, Filters, Hit, SearchPipeline, SearchRequest
from search.adaptive import CENTRE, SLOPE
from search.stages import retrieve

SHARES = tuple(step / 10 for step in range(11))
DEPTH = 100
CENTRES = tuple(round(0.6 + step / 100, 2) for step in range(36))
SLOPES = (0.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 10.0, 12.0)


class Recorded:
    """A retriever that asks the real one once per (text, filters), DEPTH deep, and answers from memory after."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.memory: dict[tuple[str, str], list[Hit]] = {}

    def search(self, query: str, k: int, filters: Filters | None = None) -> list[Hit]:
        key = (query, repr(filters))
        if key not in self.memory:
            self.memory[key] = self.inner.search(query, max(k, DEPTH), filters)
        return self.memory[key][:k]


@dataclass(frozen=True)
class Measured:
    """One judged set: per query its features, nDCG@10 at each fixed share, adaptive and by keyword alone."""

    name: str
    features: dict[str, np.ndarray]  # feature -> value per query
    fixed: np.ndarray  # queries x SHARES
    adaptive: np.ndarray
    keyword: np.ndarray


def features(pipeline: SearchPipeline, text: str) -> dict[str, float]:
    """What the query and its legs offer at search time, from the legs the pipeline fuses."""
    spelled = pipeline.spelled(text)
    understood = pipeline.understander.understand(spelled)
    legs = retrieve(pipeline.execution(SearchRequest(spelled)), understood.text, understood.filters(Filters()))
    keyword, dense = [h.score for h in legs["keyword"]], [h.score for h in legs["dense"]]
    words = SPELLED_WORD.findall(spelled.lower())
    top10 = {h.product_id for h in legs["keyword"][:10]} & {h.product_id for h in legs["dense"][:10]}
    return {
        "words": len(words),
        "unknown_share": sum(word not in pipeline.backend.words for word in words) / len(words) if words else 0.0,
        "number": float(any(re.search(r"\d", word) for word in words)),
        "code": float(any(re.search(r"\d", word) and re.search(r"[^\W\d_]", word) for word in words)),
        "understood": float(bool(understood.spans)),
        "keyword_hits": len(keyword),
        "keyword_top": keyword[0] if keyword else 0.0,
        "keyword_top10_ratio": keyword[min(9, len(keyword) - 1)] / keyword[0] if keyword and keyword[0] > 0 else 0.0,
        "dense_top": dense[0] if dense else 0.0,
        "dense_top10_gap": dense[0] - dense[min(9, len(dense) - 1)] if dense else 0.0,
        "overlap10": len(top10) / 10,
    }


def measure(name: str, index: Path, queries_path: Path, qrels_path: Path, part: str, sample: int) -> Measured:
    queries, qrels = load_judgments(queries_path, qrels_path, part)
    judged = judged_queries(queries, qrels)
    if sample and len(judged) > sample:
        judged = {qid: judged[qid] for qid in sorted(random.Random(13).sample(sorted(judged), sample))}
    backend = EmbeddedBackend(open_index(index))
    backend.keyword, backend.dense = Recorded(backend.keyword), Recorded(backend.dense)
    pipeline = SearchPipeline(backend)
    adaptive = pipeline.settings

    def ndcg(settings, mode: str = "hybrid") -> np.ndarray:
        pipeline.settings = settings
        run: Run = {}
        for qid, text in judged.items():
            run[qid] = [(h.product.id, h.score) for h in pipeline.search(SearchRequest(text, mode, size=DEPTH)).hits]
        per_query = evaluate_run(run, qrels, MetricSet())["ndcg@10"]
        return np.array([per_query[qid] for qid in judged])

    found = [features(pipeline, text) for text in judged.values()]  # retrieves every leg once
    fixed = np.stack([ndcg(replace(adaptive, adaptive=False, dense_weight=share)) for share in SHARES], axis=1)
    return Measured(
        name,
        {key: np.array([row[key] for row in found]) for key in found[0]},
        fixed,
        ndcg(adaptive),
        ndcg(adaptive, "bm25"),
    )


def interpolated(fixed: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """Each query's nDCG@10 at its share, read off between the two nearest fixed shares."""
    position = np.clip(shares, 0.0, 1.0) * (len(SHARES) - 1)
    low = np.minimum(np.floor(position).astype(int), len(SHARES) - 2)
    part = position - low
    rows = np.arange(len(fixed))
    return fixed[rows, low] * (1 - part) + fixed[rows, low + 1] * part


def rule(centre: float, slope: float) -> Callable[[np.ndarray], np.ndarray]:
    return lambda top: 1.0 / (1.0 + np.exp(-slope * (top - centre)))


def fit(sets: list[Measured]) -> list[tuple[float, float, float, float]]:
    """(worst gain, mean, centre, slope) for every grid point, best first: a set's gain is over the better of
    its bm25 and its fixed half-and-half hybrid, and the worst gain over the sets decides, then the mean."""
    scores = []
    for centre in CENTRES:
        for slope in SLOPES:
            share = rule(centre, slope)
            values = [interpolated(s.fixed, share(s.features["dense_top"])).mean() for s in sets]
            gains = [value - max(s.keyword.mean(), s.fixed[:, 5].mean()) for value, s in zip(values, sets, strict=True)]
            scores.append((float(min(gains)), float(np.mean(values)), centre, slope))
    return sorted(scores, reverse=True)


def feature_table(sets: list[Measured]) -> list[str]:
    """Per feature and set: quartile bins, with the fixed share best in each and its gain over 0.5."""
    lines = []
    for key in sets[0].features:
        lines.append(key)
        for s in sets:
            values = s.features[key]
            edges = np.unique(np.quantile(values, [0, 0.25, 0.5, 0.75, 1]))
            bins = np.digitize(values, edges[1:-1], right=True)
            if len(edges) <= 2 or len(np.unique(bins)) == 1:  # quartiles coincide: the lowest value against the rest
                bins = (values > values.min()).astype(int)
            cells = []
            for number in np.unique(bins):
                inside = s.fixed[bins == number].mean(axis=0)
                best = int(inside.argmax())
                low, high = values[bins == number].min(), values[bins == number].max()
                cells.append(f"[{low:.3g},{high:.3g}] n={(bins == number).sum()} w={SHARES[best]:.1f} ")
                cells[-1] += f"{inside[best] - inside[5]:+.3f}"
            lines.append(f"  {s.name:<10} " + " | ".join(cells))
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="+", help="NAME=INDEX,QUERIES.tsv,QRELS.tsv")
    parser.add_argument("--part", default="train", choices=("train", "held-out", "all"))
    parser.add_argument("--sample", type=int, default=3000, help="at most this many queries per set (0: all)")
    parser.add_argument("--features", action="store_true", help="also the best fixed share by feature quartile")
    args = parser.parse_args()
    sets = []
    for spec in args.sets:
        name, _, paths = spec.partition("=")
        index, queries, qrels = (Path(path) for path in paths.split(","))
        sets.append(measure(name, index, queries, qrels, args.part, args.sample))
    print(f"nDCG@10 on the {args.part} part; fixed dense shares, then adaptive (CENTRE {CENTRE}, SLOPE {SLOPE})")
    print(f"{'':<10} {'n':>5} {'bm25':>7} " + " ".join(f"{share:>6.1f}" for share in SHARES) + f" {'adaptive':>9}")
    for s in sets:
        shares = rule(CENTRE, SLOPE)(s.features["dense_top"])
        row = " ".join(f"{value:.4f}" for value in s.fixed.mean(axis=0))
        print(f"{s.name:<10} {len(s.adaptive):>5} {s.keyword.mean():.4f} {row} {s.adaptive.mean():>9.4f}", end="")
        print(f"   (mean share {shares.mean():.2f}, best per query {s.fixed.max(axis=1).mean():.4f})")
    means = np.mean([s.fixed.mean(axis=0) for s in sets], axis=0)
    adaptive = np.mean([s.adaptive.mean() for s in sets])
    print(f"{'mean':<10} {'':>5} {np.mean([s.keyword.mean() for s in sets]):.4f} ", end="")
    print(" ".join(f"{value:.4f}" for value in means) + f" {adaptive:>9.4f}")
    if args.features:
        print("\n".join(["", "best fixed share by feature quartile (gain over 0.5)", *feature_table(sets)]))
    print("\ngrid fit on the top dense cosine, interpolated: worst gain over max(bm25, hybrid 0.5), mean over sets")
    for worst, value, centre, slope in fit(sets)[:8]:
        print(f"  {worst:+.4f}  {value:.4f}  centre {centre:.2f}  slope {slope:g}")


if __name__ == "__main__":
    main()
