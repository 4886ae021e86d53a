"""Team-draft interleaving, and one search served as the session's arm of the running experiment runs it.
See docs/design.md#experiments.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable
from dataclasses import dataclass, replace

from search.experiments import Arm, Experiment, unit
from search.pipeline import SearchPipeline
from search.request import MAX_K, SearchRequest
from search.response import SearchResponse

Run = Callable[[SearchPipeline, SearchRequest], SearchResponse]


def team_draft(a: list[str], b: list[str], length: int, rng: random.Random) -> tuple[list[str], str]:
    """Team-draft interleaving (Radlinski, Kurup and Joachims 2008): the team with fewer picks, or a coin when
    level, adds its best product not yet shown. Returns the merged ids and, for each, the team ("a" or "b")
    that put it there."""
    merged: list[str] = []
    teams: list[str] = []
    taken: set[str] = set()
    rest = {"a": iter(a), "b": iter(b)}
    picks = {"a": 0, "b": 0}
    exhausted: set[str] = set()
    while len(merged) < length and len(exhausted) < 2:
        if exhausted:  # one list has nothing left to add: the other goes on alone
            team = "b" if "a" in exhausted else "a"
        elif picks["a"] != picks["b"]:
            team = "a" if picks["a"] < picks["b"] else "b"
        else:
            team = "a" if rng.random() < 0.5 else "b"
        chosen = next((product_id for product_id in rest[team] if product_id not in taken), None)
        if chosen is None:
            exhausted.add(team)
            continue
        merged.append(chosen)
        teams.append(team)
        taken.add(chosen)
        picks[team] += 1
    return merged, "".join(teams)


@dataclass(frozen=True)
class Served:
    """A search's response, and its part in the running experiment."""

    response: SearchResponse
    experiment: str | None = None
    arm: str | None = None  # "a", "b" or "interleaved"
    teams: str | None = None  # interleaved: for each hit shown, the arm that put it there


def serve(
    pipeline: SearchPipeline, request: SearchRequest, experiment: Experiment | None, session: str | None, run: Run
) -> Served:
    """The search as the session's arm of the experiment runs it (`run` runs one search)."""
    arm = experiment.arm(session) if experiment is not None and experiment.running else None
    if arm is None:
        return Served(run(pipeline, request))
    if arm == "b":
        return Served(run(arm_pipeline(experiment.b, pipeline), experiment.b.request(request)), experiment.name, "b")
    if arm == "a" or request.page * request.size > MAX_K or request.sort is not None:
        # a page deeper than one ranking can hold, or an order the shopper chose: the served ranking, untested
        return Served(run(pipeline, request), experiment.name, "a") if arm == "a" else Served(run(pipeline, request))
    depth = request.page * request.size
    first = run(pipeline, replace(request, page=1, size=depth))
    second = run(arm_pipeline(experiment.b, pipeline), experiment.b.request(replace(request, page=1, size=depth)))
    # the same shopper searching the same words again sees the same list
    rng = random.Random(unit(f"{experiment.name}\x02{session}\x02{request.query}"))
    ids, teams = team_draft([hit.product.id for hit in first.hits], [hit.product.id for hit in second.hits], depth, rng)
    hits = {hit.product.id: hit for hit in (*second.hits, *first.hits)}
    start = (request.page - 1) * request.size
    shown = [hits[product_id] for product_id in ids[start:]]
    response = replace(first, page=request.page, size=request.size, hits=shown, total=max(first.total, second.total))
    return Served(response, experiment.name, "interleaved", teams[start:])


def arm_pipeline(arm: Arm, pipeline: SearchPipeline) -> SearchPipeline:
    """`pipeline` with the arm's search settings: the same index and models."""
    if not arm.search:
        return pipeline
    changed = copy.copy(pipeline)
    changed.settings = arm.settings(pipeline.settings)
    return changed
