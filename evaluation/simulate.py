"""Simulated shoppers for experiments: each session searches one judged query, is served by the same code as live
traffic (search.interleaving.serve) and clicks as a position-based click model draws from the judgments; the same
verdict as the live report decides. See docs/design.md#experiments-under-simulated-shoppers.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from events.experiments import ExperimentSearch, Verdict, verdict
from search.experiments import Arm, Experiment
from search.interleaving import arm_pipeline, serve
from search.pipeline import SearchPipeline
from search.ranking import Ranking
from search.request import SearchRequest, SearchSettings
from search.response import SearchResponse


@dataclass(frozen=True)
class ClickModel:
    """A position-based model: the product at rank r is looked at with probability (1 / r) ** eta and, looked at,
    clicked with probability noise + (top - noise) * g, g its grade on 0..1 (unjudged: 0). See docs/design.md."""

    eta: float = 1.0
    noise: float = 0.05
    top: float = 0.9

    def clicks(self, shown: list[str], grades: dict[str, float], rng: random.Random) -> frozenset[str]:
        return frozenset(
            product_id
            for rank, product_id in enumerate(shown, start=1)
            if rng.random() < (1 / rank) ** self.eta
            and rng.random() < self.noise + (self.top - self.noise) * grades.get(product_id, 0.0)
        )


class Responses:
    """Each (query, arm) searched once: sessions that draw a query again reuse its response, as a cache would."""

    def __init__(self) -> None:
        self.cached: dict[tuple[Any, ...], SearchResponse] = {}

    def __call__(self, pipeline: SearchPipeline, request: SearchRequest) -> SearchResponse:
        ranking = None if request.ranking is None else request.ranking.model_dump_json()
        key = (request.query, request.mode, request.size, request.page, ranking, pipeline.settings)
        if key not in self.cached:
            self.cached[key] = pipeline.search(request)
        return self.cached[key]


def scaled(qrels: dict[str, dict[str, int]]) -> dict[str, dict[str, float]]:
    """Grades mapped onto 0..1 over all the judgments: the lowest is 0 (judged irrelevant), the highest 1."""
    grades = [grade for judged in qrels.values() for grade in judged.values()]
    low, high = min(grades), max(grades)
    span = high - low or 1
    return {qid: {pid: (grade - low) / span for pid, grade in judged.items()} for qid, judged in qrels.items()}


def relative(b: Arm, a: Arm, served: SearchSettings, shop: Ranking, default_mode: str) -> Arm:
    """B as it runs over A (serve applies B's changes to the served arm), so that each of A and B is what it says
    over the index's own settings: B puts back what A changed and B leaves as served."""
    undone = {name: getattr(served, name) for name in a.search}
    ranking = None
    if b.ranking is not None or a.ranking is not None:  # every field named: B's over the shop's, not over A's
        ranking = Ranking.model_validate((b.request(SearchRequest("-"), shop).ranking or shop).model_dump())
    return Arm(label=b.label, mode=b.mode or default_mode, search=undone | b.search, ranking=ranking)


def simulate(
    pipeline: SearchPipeline,
    queries: dict[str, str],
    qrels: dict[str, dict[str, int]],
    a: Arm,
    b: Arm,
    method: str = "interleave",
    sessions: int = 1000,
    seed: int = 0,
    model: ClickModel = ClickModel(),
    default_mode: str = "hybrid",
    responses: Responses | None = None,
    size: int = 10,
) -> Verdict:
    """One simulated experiment of `sessions` shoppers: A against B, every session taking part."""
    responses = responses or Responses()
    judged = sorted(qid for qid in queries if qid in qrels)
    if not judged:
        raise ValueError("no judged queries to simulate shoppers with")
    grades = scaled({qid: qrels[qid] for qid in judged})
    shop = pipeline.merchandising.current().ranking
    b = relative(b, a, pipeline.settings, shop, default_mode)
    base = arm_pipeline(a, pipeline)
    started = "2026-01-01T00:00:00+00:00"  # any time: simulated searches are never logged
    experiment = Experiment(name=f"simulated-{seed}", method=method, traffic=1.0, b=b, started_at=started)
    rng = random.Random(seed)
    found: list[ExperimentSearch] = []
    for number in range(sessions):
        session = f"{seed}-{number}"
        qid = rng.choice(judged)
        request = a.request(SearchRequest(queries[qid], mode=a.mode or default_mode, size=size), shop)
        served = serve(base, request, experiment, session, responses)
        shown = [hit.product.id for hit in served.response.hits]
        clicked = model.clicks(shown, grades[qid], rng)
        found.append(ExperimentSearch(session, served.arm, tuple(shown), clicked, served.teams))
    return verdict(method, found, planned=sessions)


def repeated(runs: int, once: Callable[[int], Verdict]) -> dict[str, Any]:
    """`runs` simulated experiments with seeds 0..runs-1: how often each arm won."""
    winners = {"a": 0, "b": 0, "none": 0}
    for seed in range(runs):
        winners[once(seed).winner] += 1
    return {"runs": runs, "winners": winners, "decided_rate": (winners["a"] + winners["b"]) / runs}
