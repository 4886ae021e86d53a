"""Training the feature ranker (search.ranker) on a shop's judgments: the hybrid mode's top candidates of each judged
query with their features, LightGBM lambdarank fitted on most queries and checked on the rest against hybrid's own
order with a paired test, then fitted again on all of them. See docs/design.md#feature-ranker."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import numpy as np

from evaluation.judgments import Qrels, split_queries
from evaluation.metrics import evaluate_run, interval_95, mean, paired_p_value
from models.progress import bar
from search import SearchPipeline, SearchRequest
from search.execution import Execution, State
from search.features import NAMES, features
from search.ranker import FeatureRanker, RankerUsage, learned
from search.understanding import Understanding
from training.errors import TrainingError

MIN_QUERIES = 30  # judged queries below which a ranker's gain cannot be told from chance


@dataclass(frozen=True)
class RankerSettings:
    depth: int = 50  # the hybrid candidates it reorders: 100 ranked no better on Home Depot and cost twice
    validation_share: float = 0.2
    seed: int = 13
    trees: int = 60  # at most, early stopping picks how many: more ranked no better, and each costs prediction time
    learning_rate: float = 0.15  # ranks as 0.1 and 0.05 did with fewer trees (docs/relevance.md)
    leaves: int = 15
    min_rows_in_leaf: int = 20
    significance: float = 0.1  # the paired test's p below which a gain counts


@dataclass(frozen=True)
class Candidates:
    """One query's candidates in hybrid's order, their features and grades (0: not judged)."""

    qid: str
    ids: list[str]
    rows: np.ndarray
    grades: np.ndarray


def before_ranker(pipeline: SearchPipeline, query: str) -> tuple[State, Execution]:
    """The query as the learned stage sees it: every stage before it run, in the hybrid mode."""
    execution = pipeline.execution(SearchRequest(query, mode="hybrid"))
    state = State(Understanding(query, query), execution.request.filters, asked=execution.request.filters)
    for stage in pipeline.stages:
        if stage is learned:
            break
        state = stage(state, execution)
    return state, execution


def candidates(pipeline: SearchPipeline, query: str, qid: str, judged: dict[str, int], depth: int) -> Candidates:
    """The query's top `depth` candidates before the ranker, their features and grades."""
    state, execution = before_ranker(pipeline, query)
    ids = [product_id for product_id, _ in state.scored[:depth]]
    rows = features(state, execution, ids, execution.products.get(ids))
    return Candidates(qid, ids, rows, np.array([judged.get(product_id, 0) for product_id in ids], dtype=np.float32))


def gather(pipeline: SearchPipeline, queries: dict[str, str], qrels: Qrels, depth: int) -> list[Candidates]:
    """The candidates of each judged query of `queries` that has two or more: what a ranker learns from."""
    judged = sorted(qid for qid in queries if qid in qrels)
    found = [
        candidates(pipeline, queries[qid], qid, qrels[qid], depth) for qid in bar(judged, desc="features", unit="query")
    ]
    return [each for each in found if len(each.ids) > 1]


def train_ranker(
    pipeline: SearchPipeline, queries: dict[str, str], qrels: Qrels, settings: RankerSettings = RankerSettings()
) -> FeatureRanker:
    """A ranker from the judged queries of `queries`; its usage says whether it beat hybrid on the validation part."""
    judged = sum(qid in qrels for qid in queries)
    if judged < MIN_QUERIES:
        raise TrainingError(f"{judged} judged queries; a ranker needs at least {MIN_QUERIES} to be checked")
    started = time.monotonic()
    return fit_and_check(gather(pipeline, queries, qrels, settings.depth), qrels, settings, started)


def fit_and_check(found: list[Candidates], qrels: Qrels, settings: RankerSettings, started: float) -> FeatureRanker:
    """Fitted on most of `found` with early stopping on the rest, checked there against hybrid, then fitted again
    on all of `found` with as many trees."""
    fit_ids, check_ids = split_queries([each.qid for each in found], 1 - settings.validation_share, settings.seed)
    fit = [each for each in found if each.qid in set(fit_ids)]
    check = [each for each in found if each.qid in set(check_ids)]
    if not check or not fit:
        raise TrainingError("too few judged queries with candidates to both fit and check a ranker")
    first = _boosted(fit, settings, settings.trees, check)
    trees = max(1, first.best_iteration or settings.trees)
    before, after = _ndcg(check, qrels, None), _ndcg(check, qrels, first)
    gain = {qid: after[qid] - before[qid] for qid in before}
    p_value = paired_p_value(after, before)
    spread = interval_95(list(gain.values()))
    usage = RankerUsage(
        depth=settings.depth,
        beats_hybrid=mean(gain) > 0 and p_value is not None and p_value < settings.significance,
        features=NAMES,
        validation={
            "queries": len(check),
            "hybrid_ndcg@10": round(mean(before), 4),
            "ranker_ndcg@10": round(mean(after), 4),
            "gain": round(mean(gain), 4),
            "gain_95": [round(spread[0], 4), round(spread[1], 4)],
            "p_value": p_value,
        },
        trained={},
    )
    return refitted(FeatureRanker(first, usage), found, settings, trees, started)


def refitted(
    ranker: FeatureRanker,
    found: list[Candidates],
    settings: RankerSettings,
    trees: int,
    started: float,  # time.monotonic() when the training began: its seconds go in the record
) -> FeatureRanker:
    """`ranker` fitted again on all of `found` with `trees` trees, its validation record kept: once a check has
    chosen the trees and kept the ranker, the queries it was checked on teach it too."""
    final = _boosted(found, settings, trees)
    trained = {
        "queries": len(found),
        "rows": int(sum(len(each.ids) for each in found)),
        "trees": trees,
        "seconds": round(time.monotonic() - started, 1),
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "importance": dict(zip(NAMES, (round(float(v), 1) for v in final.feature_importance("gain")), strict=True)),
    }
    return FeatureRanker(final, replace(ranker.usage, trained=trained))


def _boosted(part: list[Candidates], settings: RankerSettings, trees: int, check: list[Candidates] | None = None):
    """LightGBM lambdarank on `part`; with `check`, stopping early once nDCG@10 there stops rising for 30 trees."""
    import lightgbm

    labels = _labels(part + (check or []))
    parameters = {
        "objective": "lambdarank",
        "learning_rate": settings.learning_rate,
        "num_leaves": settings.leaves,
        "min_data_in_leaf": settings.min_rows_in_leaf,
        "lambdarank_truncation_level": 20,
        "eval_at": [10],
        "verbosity": -1,
        "seed": settings.seed,
        "deterministic": True,
        "num_threads": 2,
    }
    if check is None:
        return lightgbm.train(parameters, _dataset(lightgbm, part, labels), num_boost_round=trees)
    return lightgbm.train(
        parameters,
        _dataset(lightgbm, part, labels),
        num_boost_round=trees,
        valid_sets=[_dataset(lightgbm, check, labels)],
        callbacks=[lightgbm.early_stopping(30, verbose=False)],
    )


def _labels(found: list[Candidates]) -> dict[float, int]:
    """Grades as lambdarank's whole-number labels, in order: unjudged products 0, the lowest grade 1 and so on."""
    grades = sorted({float(grade) for each in found for grade in each.grades if grade > 0})
    return {0.0: 0} | {grade: number for number, grade in enumerate(grades, start=1)}


def _dataset(lightgbm, part: list[Candidates], labels: dict[float, int]):
    rows = np.vstack([each.rows for each in part])
    label = np.concatenate([[labels[float(grade)] for grade in each.grades] for each in part])
    return lightgbm.Dataset(rows, label=label, group=[len(each.ids) for each in part], feature_name=list(NAMES))


def _ndcg(part: list[Candidates], qrels: Qrels, booster) -> dict[str, float]:
    """nDCG@10 per query of hybrid's order (`booster` None) or of the booster's."""
    run = {}
    for each in part:
        order = range(len(each.ids)) if booster is None else np.argsort(-booster.predict(each.rows), kind="stable")
        run[each.qid] = [(each.ids[i], float(len(each.ids) - rank)) for rank, i in enumerate(order)]
    return evaluate_run(run, {each.qid: qrels[each.qid] for each in part})["ndcg@10"]
