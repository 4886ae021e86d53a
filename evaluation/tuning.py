"""Fusion and rerank tuning: every query's legs are retrieved once, then each setting is fused and scored in memory.

See docs/design.md#tuning.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from itertools import product

import numpy as np

from evaluation.judgments import Qrels, judged_queries
from evaluation.metrics import (
    SIGNIFICANCE,
    Judge,
    MetricSet,
    Run,
    by_judgments,
    evaluate_run,
    format_p,
    mean,
    paired_p_value,
)
from models.cross_encoders import RerankUsage
from models.progress import bar
from search import SearchPipeline, SearchRequest, SearchSettings
from search.fusion import below, blend
from search.retrievers import Hit
from search.stages import above_floor, fuse
from search.tuned import Tuning

DEPTHS = (50, 100, 200)
FLOORS = (None, 0.6)
RRF_KS = (10, 30, 60, 100)
WEIGHTS = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)
TOP = 100
RERANK_WEIGHTS = tuple(step / 10 for step in range(11))
RERANK_DEPTHS = (10, 15, 20, 30, 50, 100)
# Rerank time grows with its depth: a deeper setting is chosen only if it wins by more than this, and by
# more than one standard error of its per-query difference (cheapest_rerank).
RERANK_TOLERANCE = 0.002
RERANK_QUERIES = 500  # the cross-encoder is slow: weights are chosen on a seeded sample this large

FusionResults = list[tuple[SearchSettings, float, dict[str, float]]]  # (settings, mean, per query), best first
# ((rerank_depth, rerank_weight), mean, per-query values in one query order), best first
RerankResults = list[tuple[tuple[int, float], float, list[float]]]
RerankList = tuple[list[tuple[str, float]], dict[str, float]]  # (fused hits, cross-encoder score of the top ones)


def candidate_settings(base: SearchSettings) -> list[SearchSettings]:
    grid = []
    for depth, floor in product(DEPTHS, FLOORS):
        grid += [replace(base, fusion="rrf", rrf_k=k, depth=depth, dense_floor=floor) for k in RRF_KS]
        grid += [
            replace(base, fusion="weighted", normalisation=norm, dense_weight=weight, depth=depth, dense_floor=floor)
            for norm, weight in product(("minmax", "zscore"), WEIGHTS)
        ]
    return grid


def tune_fusion(
    pipeline: SearchPipeline,
    queries: dict[str, str],
    qrels: Qrels,
    metric: str = "ndcg@10",
    metrics: MetricSet = MetricSet(),
    progress: bool = False,
) -> FusionResults:
    """Every candidate setting with its mean `metric` on the judged queries and the per-query
    values behind it (for a paired test against the defaults), best first."""
    judged = judged_queries(queries, qrels)
    legs = {
        qid: retrieved(pipeline, text)
        for qid, text in bar(judged.items(), desc="retrieving", unit="query", disable=not progress)
    }
    results = []
    for settings in bar(candidate_settings(pipeline.settings), desc="fusing", unit="setting", disable=not progress):
        per_query = evaluate_run(fused_run(legs, settings), qrels, metrics)[metric]
        results.append((settings, mean(per_query), per_query))
    return sorted(results, key=lambda item: -item[1])


Legs = tuple[list[Hit], list[Hit]]  # a query's keyword and dense hits


def retrieved(pipeline: SearchPipeline, text: str) -> Legs:
    """A query's two legs as deep as the grid goes, spelled as the pipeline spells it: what every setting fuses."""
    spelled = pipeline.spelled(text)
    return pipeline.keyword.search(spelled, max(DEPTHS)), pipeline.dense.search(spelled, max(DEPTHS))


def fused_run(legs: dict[str, Legs], settings: SearchSettings) -> Run:
    """The top TOP of each query's legs fused by `settings`."""
    return {
        qid: fuse(
            {"keyword": keyword[: settings.depth], "dense": above_floor(dense[: settings.depth], settings.dense_floor)},
            settings,
        )[:TOP]
        for qid, (keyword, dense) in legs.items()
    }


@dataclass(frozen=True)
class FusionChoice:
    """The fusion to save: the best setting, or the defaults when the best does not beat them significantly."""

    settings: SearchSettings
    score: float
    defaults: SearchSettings
    default_score: float
    best: SearchSettings  # the best setting found, chosen or not
    best_score: float
    p_value: float | None  # paired, best against the defaults; None where undefined (identical runs)

    @property
    def overruled(self) -> bool:
        """Whether the best setting lost to the defaults for want of significance."""
        return self.settings != self.best


def choose_fusion(results: FusionResults, defaults: SearchSettings = SearchSettings()) -> FusionChoice:
    """The best of `tune_fusion`'s results if it beats `defaults` with paired p < SIGNIFICANCE, else the defaults."""
    default_score, default_values = next((score, values) for settings, score, values in results if settings == defaults)
    best, best_score, best_values = results[0]
    p_value = paired_p_value(default_values, best_values)
    significant = p_value is not None and p_value < SIGNIFICANCE
    chosen, score = (best, best_score) if best == defaults or significant else (defaults, default_score)
    return FusionChoice(chosen, score, defaults, default_score, best, best_score, p_value)


def tuning_record(choice: FusionChoice, metric: str, queries: int, part: str, index_version: str) -> Tuning:
    """What is saved beside the tuned settings: how they were chosen, on what, and when."""
    return Tuning(
        metric=metric,
        score=round(choice.score, 4),
        default_score=round(choice.default_score, 4),
        queries=queries,
        part=part,
        index_version=index_version,
        tuned_at=datetime.now(UTC).isoformat(timespec="seconds"),
        p_value_against_defaults=None if choice.p_value is None else round(choice.p_value, 6),
    )


def tune_rerank(
    pipeline: SearchPipeline,
    queries: dict[str, str],
    qrels: Qrels,
    metric: str = "ndcg@10",
    metrics: MetricSet = MetricSet(),
    most: int = RERANK_QUERIES,
    seed: int = 13,
    progress: bool = False,
) -> RerankResults:
    """((rerank_depth, rerank_weight), mean metric, per query) best first: each query's fused top hits are
    reranked once, as deep as the deepest setting, then cut and mixed at every depth and weight."""
    if pipeline.reranker is None:
        raise ValueError("tuning the rerank weight needs a reranker")
    judged = sorted(judged_queries(queries, qrels))
    sample = random.Random(seed).sample(judged, min(most, len(judged)))
    lists = {}
    for qid in bar(sample, desc="reranking", unit="query", disable=not progress):
        response = pipeline.search(SearchRequest(queries[qid], "hybrid", size=TOP))
        fused = [(hit.product.id, hit.score) for hit in response.hits]
        deepest = response.hits[: max(RERANK_DEPTHS)]
        scores = pipeline.reranker.score([(response.searched, hit.product.embedding_text()) for hit in deepest])
        lists[qid] = (fused, {hit.product.id: float(score) for hit, score in zip(deepest, scores, strict=True)})
    return rerank_grid(lists, by_judgments(qrels, metric, metrics))


def rerank_grid(lists: dict[str, RerankList], judge: Judge, depths: tuple[int, ...] = RERANK_DEPTHS) -> RerankResults:
    """((rerank_depth, rerank_weight), mean value, per query) best first, for each query's fused hits and the
    cross-encoder's scores of its top ones: every depth and weight mixed in memory and judged by `judge`
    (evaluation.metrics.by_judgments or by_clicks)."""
    results = []
    for depth, weight in product(depths, RERANK_WEIGHTS):
        values = judge(reranked_run(lists, depth, weight))
        results.append(((depth, weight), mean(values), [values[qid] for qid in sorted(values)]))
    return sorted(results, key=lambda item: (-item[1], item[0][0], -item[0][1]))


def reranked_run(lists: dict[str, RerankList], depth: int, weight: float) -> Run:
    """Each query's fused hits with the top `depth` reordered by the cross-encoder's scores mixed in at `weight`."""
    run: Run = {}
    for qid, (fused, reranked) in lists.items():
        head = blend(fused[:depth], {pid: reranked[pid] for pid, _ in fused[:depth]}, weight)
        run[qid] = head + below(head, fused[depth:])
    return run


def cheapest_rerank(results: RerankResults) -> tuple[tuple[int, float], float]:
    """The shallowest rerank depth within tolerance of the best setting: the one-standard-error rule.

    See docs/design.md#tuning.
    """
    best = max(results, key=lambda item: item[1])

    def margin(values: list[float]) -> float:
        differences = np.subtract(best[2], values)
        error = differences.std(ddof=1) / np.sqrt(len(differences)) if len(differences) > 1 else 0.0
        return max(RERANK_TOLERANCE, float(error))

    close = [item for item in results if item[1] >= best[1] - margin(item[2])]
    (depth, weight), score, _ = min(close, key=lambda item: (item[0][0], -item[1]))
    return (depth, weight), score


def choose_rerank(lists: dict[str, RerankList], judge: Judge, max_depth: int, metric: str = "ndcg@10") -> RerankUsage:
    """How a cross-encoder is best used on these queries, and whether it beats hybrid's order significantly.

    See docs/design.md#tuning.
    """
    depths = tuple(depth for depth in RERANK_DEPTHS if depth < max_depth) + (max_depth,)
    grid = rerank_grid(lists, judge, depths)
    (depth, weight), score = cheapest_rerank([item for item in grid if item[0][1] > 0])
    hybrid = judge({qid: fused for qid, (fused, _) in lists.items()})
    p_value = paired_p_value(judge(reranked_run(lists, depth, weight)), hybrid)
    significant = p_value is not None and p_value < SIGNIFICANCE
    return RerankUsage(
        depth=depth,
        weight=weight,
        beats_hybrid=score >= mean(hybrid) + RERANK_TOLERANCE and significant,
        metric=metric,
        queries=len(lists),
        hybrid=round(mean(hybrid), 4),
        reranked=round(score, 4),
        p_value=p_value,
    )


def describe(settings: SearchSettings) -> str:
    if settings.fusion == "rrf":
        method = f"rrf k={settings.rrf_k:g}"
    else:
        method = f"{settings.normalisation} dense={settings.dense_weight:.1f}"
    floor = "none" if settings.dense_floor is None else f"{settings.dense_floor:.1f}"
    return f"{method:<20} depth={settings.depth:<4} floor={floor}"


def format_fusion(results: FusionResults, choice: FusionChoice, metric: str, queries: int, top: int = 15) -> str:
    """The best settings with their scores, the defaults' line, and why the defaults were kept if they were."""
    lines = [f"{'':>4} {'setting':<42} {metric}"]
    lines += [f"{rank:>4} {describe(s):<42} {score:.4f}" for rank, (s, score, _) in enumerate(results[:top], start=1)]
    defaults = "(defaults) " + describe(choice.defaults)
    lines.append(f"{'':>4} {defaults:<42} {choice.default_score:.4f}   searched {len(results)} settings")
    if choice.overruled:
        lines.append(
            f"the best setting beats the defaults by {choice.best_score - choice.default_score:+.4f}, "
            f"not significantly on {queries} queries (paired p {format_p(choice.p_value)}): keeping the default fusion"
        )
    return "\n".join(lines)


def format_rerank(results: RerankResults, queries: int) -> str:
    """rerank_weight by rerank_depth, one row a depth."""
    lines = [f"rerank_weight by rerank_depth, on {queries} queries"]
    for depth in RERANK_DEPTHS:
        row = sorted((weight, value) for (at, weight), value, _ in results if at == depth)
        lines.append(f"{depth:>4}  " + "  ".join(f"{weight:.1f}: {value:.4f}" for weight, value in row))
    return "\n".join(lines)
