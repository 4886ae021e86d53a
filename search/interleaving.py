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


def team_draft(
    a: list[str],
    b: list[str],
    length: int,
    rng: random.Random,
    fixed: dict[str, int] | None = None,
    group: Callable[[str], str] = str,
) -> tuple[list[str], str]:
    """Team-draft interleaving (Radlinski, Kurup and Joachims 2008): the team with fewer picks, or a coin when
    level, adds its best product (`group`: or variant of a group) not yet shown. `fixed` products keep their
    positions (the rules' pins), credited to neither. Returns the ids and each one's team: "a", "b" or "-"."""
    fixed = fixed or {}
    taken = {group(product_id) for product_id in fixed}
    merged: list[str] = []
    teams: list[str] = []
    rest = {"a": iter(a), "b": iter(b)}
    picks = {"a": 0, "b": 0}
    exhausted: set[str] = set()
    while len(merged) < length - len(fixed) and len(exhausted) < 2:
        if exhausted:  # one list has nothing left to add: the other goes on alone
            team = "b" if "a" in exhausted else "a"
        elif picks["a"] != picks["b"]:
            team = "a" if picks["a"] < picks["b"] else "b"
        else:
            team = "a" if rng.random() < 0.5 else "b"
        chosen = next((product_id for product_id in rest[team] if group(product_id) not in taken), None)
        if chosen is None:
            exhausted.add(team)
            continue
        merged.append(chosen)
        teams.append(team)
        taken.add(group(chosen))
        picks[team] += 1
    for product_id, position in sorted(fixed.items(), key=lambda item: item[1]):  # as the pins stage places them
        merged.insert(min(position - 1, len(merged)), product_id)
        teams.insert(min(position - 1, len(teams)), "-")
    return merged[:length], "".join(teams[:length])


@dataclass(frozen=True)
class Served:
    """A search's response, and its part in the running experiment."""

    response: SearchResponse
    experiment: str | None = None
    arm: str | None = None  # "a", "b" or "interleaved"
    teams: str | None = None  # interleaved: for each hit shown, the arm that put it there ("-": a rule's pin)


def serve(
    pipeline: SearchPipeline, request: SearchRequest, experiment: Experiment | None, session: str | None, run: Run
) -> Served:
    """The search as the session's arm of the experiment runs it (`run` runs one search)."""
    arm = experiment.arm(session) if experiment is not None and experiment.running else None
    if arm is None:
        return Served(run(pipeline, request))
    shop = pipeline.merchandising.current().ranking
    if arm == "b":
        b_request = experiment.b.request(request, shop)
        return Served(run(arm_pipeline(experiment.b, pipeline), b_request), experiment.name, "b")
    if arm == "a" or request.page * request.size > MAX_K or request.sort is not None:
        # a page deeper than one ranking can hold, or an order the shopper chose: the served ranking, untested
        return Served(run(pipeline, request), experiment.name, "a") if arm == "a" else Served(run(pipeline, request))
    depth = request.page * request.size
    first = run(pipeline, replace(request, page=1, size=depth))
    second = run(arm_pipeline(experiment.b, pipeline), experiment.b.request(replace(request, page=1, size=depth), shop))
    # the same shopper searching the same words again sees the same list
    rng = random.Random(unit(f"{experiment.name}\x02{session}\x02{request.query}"))
    hits = {hit.product.id: hit for hit in (*second.hits, *first.hits)}
    pinned = {product_id: position for product_id, position in first.pinned.items() if product_id in hits}
    distinct = request.distinct if request.distinct is not None else shop.distinct
    group = (lambda product_id: hits[product_id].product.group_id or product_id) if distinct else str
    ids, teams = team_draft(
        [hit.product.id for hit in first.hits if hit.product.id not in pinned],
        [hit.product.id for hit in second.hits if hit.product.id not in pinned],
        depth,
        rng,
        pinned,
        group,
    )
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
