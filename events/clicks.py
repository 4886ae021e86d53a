"""Judgments from shoppers' clicks, corrected for position bias: what `train --events` learns from.

Shoppers click what is on top whatever it is, so a product's click-through rate says as much about
where it was shown as about how good it is. The correction assumes the position-based click model
(PBM; Chuklin, Markov and de Rijke, "Click Models for Web Search", 2015, ch. 3): a shown product is
clicked when its position k is examined, with probability theta[k], and it is found relevant.
theta is estimated from the logs by intervention harvesting (Agarwal, Zaitsev, Wang, Li, Najork
and Joachims, "Estimating Position Bias without Intrusive Interventions", WSDM 2019): wherever one
query showed the same product at two positions (two rankers in an A/B test, rerank beside hybrid,
a new index version, a later page), its click rates there differ by the examination alone. Each
product's relevance is then its clicks over the times it was examined, expected from its positions
(sum of theta[k] over its impressions): the ratio form of the inverse-propensity-weighted click rate
(Joachims, Swaminathan and Schnabel, "Unbiased Learning-to-Rank with Biased Feedback", WSDM 2017),
which is also the position-based model's maximum-likelihood relevance given theta. A product seen a
few times has a rate that is mostly luck, so PRIOR_EXAMINED examinations at a prior rate are added
to its own (a Beta prior, the empirical-Bayes shrinkage of Efron and Morris, JASA 1975): the prior is
the mean relevance, clicks over examinations, of the positions it was shown at. Shrinking towards
zero instead marked every product shown low as irrelevant, which made the logged order look best to
any validation on these grades; theta is floored at 1 / MAX_WEIGHT to bound the variance. Logs where no
product ever moved cannot tell position from relevance, and are left uncorrected. Only searches
without filters are taken (events.store.EventStore.impressions): a shopper who filtered by a brand
moved that brand's products up and chose them, which is not the same relevance at another position.

The result has the shape of graded judgments, `(queries, qrels)` with grades 0..GRADES, so the
trainers, `eval` and `tune` take it as they take a shop's own labels; the rates themselves, unrounded
and uncapped, are what validation on clicks measures with (evaluation.metrics.by_clicks).
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
    """theta[k] / theta[1] of the position-based model for k = 1..positions, harvested from the products that
    one query showed at two positions: their click rates there differ only by the positions' examination.

    For positions k and j, summing each such product's click rate at k over the products shown at both
    gives theta[k] x (their summed relevance), and at j theta[j] x the same sum, so the ratio of the two
    sums estimates theta[k] / theta[j] (Agarwal et al. 2019). A pair of positions counts once at least
    MIN_CLICKS clicks at each end stand behind it; the log ratios of those pairs that connect to the first
    position are fitted by least squares, each weighted by the square root of its clicks. A position not
    connected to the first gets the smallest examination found (its clicks count the most)."""
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
    """Graded judgments from impressions: each (query, product) shown gets its clicks over its examinations,
    shrunk towards the relevance usual at its positions by PRIOR_EXAMINED examinations at that rate, and the
    grade round(GRADES x that rate), capped at GRADES. Examinations are the impressions' theta[k] when
    `debias`, else the impressions themselves (raw click rates); queries without a click are left out."""
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
