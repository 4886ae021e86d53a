"""Judgments from shoppers' clicks, corrected for position bias: what `train --events` learns from.

See docs/design.md#judgments-from-clicks.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from events.records import normalised

POSITIONS = 20  # positions whose examination is modelled; deeper impressions are left out
GRADES = 10  # click judgments are graded 0..GRADES
MAX_WEIGHT = 20.0  # largest inverse propensity a click may count for
MIN_CLICKS = 5  # at each of two positions, for their ratio to count
PRIOR_EXAMINED = 1  # examinations at the prior rate added to each (query, product): shrinks rates seen a few times


@dataclass(frozen=True)
class Impression:
    query: str  # as the shopper typed it
    product_id: str
    position: int  # 1-based, over all pages
    clicked: bool


@dataclass(frozen=True)
class ClickJudgments:
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]
    rates: dict[str, dict[str, float]]  # each graded product's estimated relevance, clicks per examination
    examination: tuple[float, ...]  # theta[k] / theta[1] for k = 1..POSITIONS; 1.0 everywhere without debiasing
    impressions: int
    clicks: int


def examination(impressions: list[Impression], positions: int = POSITIONS) -> np.ndarray:
    """The position-based model's examination theta[k] / theta[1], harvested from products shown at two positions.

    See docs/design.md#judgments-from-clicks.
    """
    seen: defaultdict[tuple[str, str], defaultdict[int, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for impression in impressions:
        if impression.position <= positions:
            counts = seen[(normalised(impression.query), impression.product_id)][impression.position - 1]
            counts[0] += impression.clicked
            counts[1] += 1
    rate_sums = np.zeros((positions, positions))  # [k, j]: summed click rate at k of the products also shown at j
    click_sums = np.zeros((positions, positions))  # [k, j]: their clicks at k
    for at in seen.values():
        for k, (clicks, shown) in at.items():
            for j in at:
                if k != j:
                    rate_sums[k, j] += clicks / shown
                    click_sums[k, j] += clicks
    support = np.minimum(click_sums, click_sums.T)
    edges = [(k, j) for k in range(positions) for j in range(k + 1, positions) if support[k, j] >= MIN_CLICKS]
    linked = _connected(edges, positions)
    edges = [(k, j) for k, j in edges if linked[k]]
    theta = np.ones(positions)
    if not edges:
        return theta
    rows = np.zeros((len(edges), positions))
    for row, (k, j) in enumerate(edges):
        rows[row, k], rows[row, j] = 1.0, -1.0
    targets = np.array([np.log(rate_sums[k, j] / rate_sums[j, k]) for k, j in edges])
    weights = np.sqrt([support[k, j] for k, j in edges])
    fitted, *_ = np.linalg.lstsq(rows[:, 1:] * weights[:, None], targets * weights, rcond=None)  # log theta[1] = 0
    theta[1:] = np.exp(fitted)
    theta[~linked] = theta[linked].min()
    return theta


def _connected(edges: list[tuple[int, int]], positions: int) -> np.ndarray:
    """Which positions the edges join to the first one."""
    linked = np.zeros(positions, dtype=bool)
    linked[0] = True
    grew = True
    while grew:
        grew = False
        for k, j in edges:
            if linked[k] != linked[j]:
                linked[k] = linked[j] = grew = True
    return linked


def click_judgments(impressions: Iterable[Impression], debias: bool = True) -> ClickJudgments:
    """Graded judgments from impressions: clicks over examinations, shrunk to their positions' usual rate.

    See docs/design.md#judgments-from-clicks.
    """
    impressions = [i for i in impressions if i.position <= POSITIONS]
    theta = examination(impressions) if debias else np.ones(POSITIONS)
    looked = np.maximum(theta, 1.0 / MAX_WEIGHT)
    at_position = np.zeros((2, POSITIONS))  # clicks, examinations
    for impression in impressions:
        at_position[:, impression.position - 1] += (impression.clicked, looked[impression.position - 1])
    usual = at_position[0] / np.maximum(at_position[1], 1e-9)  # relevance of what each position showed
    examined: defaultdict[tuple[str, str], float] = defaultdict(float)
    prior: defaultdict[tuple[str, str], list[float]] = defaultdict(list)
    clicked: Counter[tuple[str, str]] = Counter()
    typed: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for impression in impressions:
        key = (normalised(impression.query), impression.product_id)
        examined[key] += float(looked[impression.position - 1])
        prior[key].append(float(usual[impression.position - 1]))
        typed[key[0]][impression.query] += 1
        clicked[key] += impression.clicked
    ids = {query: "c" + hashlib.sha1(query.encode()).hexdigest()[:12] for (query, _), count in clicked.items() if count}
    queries = {ids[query]: typed[query].most_common(1)[0][0] for query in sorted(ids)}
    rates: dict[str, dict[str, float]] = {qid: {} for qid in queries}
    for (query, product_id), times in examined.items():
        if query in ids:
            key = (query, product_id)
            expected = PRIOR_EXAMINED * sum(prior[key]) / len(prior[key])
            rates[ids[query]][product_id] = (clicked[key] + expected) / (times + PRIOR_EXAMINED)
    qrels = {qid: {pid: round(GRADES * min(1.0, rate)) for pid, rate in rated.items()} for qid, rated in rates.items()}
    clicks = sum(i.clicked for i in impressions)
    return ClickJudgments(queries, qrels, rates, tuple(map(float, theta)), len(impressions), clicks)
