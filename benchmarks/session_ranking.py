"""Session-aware ranking under simulated shoppers: judged nDCG@10 without a session, after clicks of the same intent
and after those of another, per session_boost; and the stage's latency. `python -m benchmarks.session_ranking`
"""

from __future__ import annotations

import argparse
import platform
import random
import time
from pathlib import Path

import numpy as np

from evaluation.judgments import load_judgments
from evaluation.metrics import evaluate_run, format_p, paired_p_value
from evaluation.simulate import ClickModel, scaled
from indexer import open_index
from search import EmbeddedBackend, SearchPipeline, SearchRequest
from search.merchandising import FixedMerchandising, Merchandising, Ranking
from search.sessions import Interests

BOOSTS = (0.05, 0.1, 0.2, 0.3)
KINDS = ("same", "other")
# the latency probe: a session that acted on five categories and five brands, whatever the catalogue has
PROBE = Interests(
    {("Probe", f"Aisle {n}", f"Shelf {n}"): 0.2 for n in range(5)}, {f"probe brand {n}": 0.2 for n in range(5)}
)
Page = list[tuple[str, float]]


def shop(backend: EmbeddedBackend, boost: float) -> SearchPipeline:
    return SearchPipeline(
        backend, merchandising=FixedMerchandising(Merchandising(ranking=Ranking(session_boost=boost)))
    )


def page(pipeline: SearchPipeline, query: str, mode: str, interests: Interests | None = None) -> Page:
    response = pipeline.search(SearchRequest(query, mode, size=10, interests=interests))
    return [(hit.product.id, hit.score) for hit in response.hits]


def sessions(
    pages: dict[str, Page], grades: dict[str, dict[str, float]], backend: EmbeddedBackend, seed: int
) -> dict[str, dict[str, Interests]]:
    """Per judged query, the interests of a shopper who clicked on its own first page (same intent) and of one who
    clicked on another query's, drawn at random (other intent), as the position-based click model draws clicks."""
    rng, model, chosen = random.Random(seed), ClickModel(), sorted(pages)
    drawn: dict[str, dict[str, frozenset[str]]] = {kind: {} for kind in KINDS}
    for qid in chosen:
        drawn["same"][qid] = model.clicks([pid for pid, _ in pages[qid]], grades[qid], rng)
        other = rng.choice(chosen[:-1])
        other = chosen[-1] if other == qid else other  # any query but this one, evenly
        drawn["other"][qid] = model.clicks([pid for pid, _ in pages[other]], grades[other], rng)
    products = backend.products(sorted({pid for clicks in drawn.values() for ids in clicks.values() for pid in ids}))
    return {
        kind: {
            qid: Interests.of((products[pid], 1.0) for pid in sorted(ids) if pid in products)
            for qid, ids in clicked.items()
        }
        for kind, clicked in drawn.items()
    }


def mean(values: list[float]) -> float:
    return values[0] if len(set(values)) == 1 else float(np.mean(values))


def latency(backend: EmbeddedBackend, queries: list[str], mode: str, boost: float, runs: int) -> dict[str, list[float]]:
    """Milliseconds per search without interests and with PROBE's, interleaved; and the session stage's own."""
    pipeline = shop(backend, boost)
    for query in queries[:30]:  # warm the encoder and caches
        pipeline.search(SearchRequest(query, mode, interests=PROBE))
    spent: dict[str, list[float]] = {"without": [], "with": [], "stage": []}
    for _ in range(runs):
        for query in queries:
            for name, interests in (("without", None), ("with", PROBE)):
                started = time.perf_counter()
                response = pipeline.search(SearchRequest(query, mode, interests=interests))
                spent[name].append((time.perf_counter() - started) * 1000)
                if interests is not None:
                    spent["stage"].append(response.timings_ms.get("session", 0.0))
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("index", type=Path)
    parser.add_argument("--queries", type=Path, required=True)
    parser.add_argument("--qrels", type=Path, required=True)
    parser.add_argument("--part", default="held-out")
    parser.add_argument("--limit", type=int, default=500, help="Judged queries to use.")
    parser.add_argument("--mode", default="hybrid")
    parser.add_argument("--seeds", type=int, default=3, help="Simulated shoppers' seeds: 0..N-1.")
    parser.add_argument("--boosts", default=",".join(map(str, BOOSTS)), help="session_boost values, comma-separated.")
    parser.add_argument("--latency", type=int, default=300, help="Queries to time (0: none).")
    parser.add_argument("--latency-boost", type=float, default=0.1)
    parser.add_argument("--runs", type=int, default=3, help="Timed runs of each, interleaved.")
    arguments = parser.parse_args()

    queries, qrels = load_judgments(arguments.queries, arguments.qrels, arguments.part)
    chosen = sorted(qid for qid in queries if qid in qrels)[: arguments.limit]
    judged = {qid: qrels[qid] for qid in chosen}
    grades = scaled(judged)
    version = open_index(arguments.index)
    backend = EmbeddedBackend(version)
    with_fields = sum(bool(product.category or product.brand) for product in version.products)
    print(f"{arguments.index}: {len(version.products):,} products, {with_fields:,} with a category or brand")
    print(f"{len(chosen)} {arguments.part} judged queries, {arguments.mode}, page of 10; click model {ClickModel()}")
    plain = shop(backend, 0.0)
    pages = {qid: page(plain, queries[qid], arguments.mode) for qid in chosen}
    without = evaluate_run(pages, judged)["ndcg@10"]
    print(f"nDCG@10 without a session: {np.mean(list(without.values())):.4f}")

    boosts = [float(value) for value in arguments.boosts.split(",")]
    pipelines = {boost: shop(backend, boost) for boost in boosts}
    scores = {(boost, kind): {qid: [] for qid in chosen} for boost in boosts for kind in KINDS}
    changed = {(boost, kind): 0 for boost in boosts for kind in KINDS}
    lifting = dict.fromkeys(KINDS, 0)
    for seed in range(arguments.seeds):
        drawn = sessions(pages, grades, backend, seed)
        for kind in KINDS:
            lifting[kind] += sum(not interests.empty for interests in drawn[kind].values())
            for boost in boosts:
                run = {
                    qid: pages[qid]
                    if drawn[kind][qid].empty
                    else page(pipelines[boost], queries[qid], arguments.mode, drawn[kind][qid])
                    for qid in chosen
                }
                changed[boost, kind] += sum(
                    [pid for pid, _ in run[qid]] != [pid for pid, _ in pages[qid]] for qid in chosen
                )
                for qid, value in evaluate_run(run, judged)["ndcg@10"].items():
                    scores[boost, kind][qid].append(value)

    sessions_run = len(chosen) * arguments.seeds
    shares = ", ".join(f"{kind} intent {lifting[kind] / sessions_run:.0%}" for kind in KINDS)
    print(f"{arguments.seeds} seeds x {len(chosen)} queries; sessions with a category or brand to lift by: {shares}")
    print("boost  same intent: nDCG@10  delta    p     top 10 changed  | other intent: nDCG@10  delta    p     changed")
    base = np.mean(list(without.values()))
    for boost in boosts:
        cells = []
        for kind in KINDS:
            # a query no seed moved keeps its value exactly, so that the paired test sees no difference there
            per_query = {qid: mean(values) for qid, values in scores[boost, kind].items()}
            value = np.mean(list(per_query.values()))
            p = format_p(paired_p_value(per_query, without))
            cells.append(f"{value:.4f}  {value - base:+.4f}  {p:>7}  {changed[boost, kind] / sessions_run:6.0%}")
        print(f"{boost:5.2f}  {cells[0]:>44}  | {cells[1]:>40}")

    if arguments.latency:
        timed = [queries[qid] for qid in chosen][: arguments.latency]
        spent = latency(backend, timed, arguments.mode, arguments.latency_boost, arguments.runs)
        machine = platform.processor() or platform.machine()
        print(
            f"latency, {len(timed)} queries x {arguments.runs} runs, session_boost {arguments.latency_boost}, {machine}"
        )
        print("  with: a probe session of 5 categories and 5 brands (no product matches; the stage's full cost)")
        p50 = {name: float(np.percentile(values, 50)) for name, values in spent.items()}
        p95 = {name: float(np.percentile(values, 95)) for name, values in spent.items()}
        print(f"  without interests p50 {p50['without']:.2f} ms  p95 {p95['without']:.2f} ms")
        growth = p50["with"] - p50["without"]
        print(f"  with interests    p50 {p50['with']:.2f} ms  p95 {p95['with']:.2f} ms  (p50 {growth:+.2f} ms)")
        print(f"  the session stage p50 {p50['stage']:.3f} ms  p95 {p95['stage']:.3f} ms")


if __name__ == "__main__":
    main()
