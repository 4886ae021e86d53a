"""Position-bias correction on clicks simulated from a known position-based model: the fitted examination
matches the simulated one, and the corrected judgments rank relevant products above merely well-placed ones."""

from __future__ import annotations

import random
from hashlib import sha1

import numpy as np
import pytest

from events.clicks import GRADES, Impression, click_judgments, examination
from events.records import normalised

pytestmark = pytest.mark.fast

THETA = [1 / k for k in range(1, 11)]  # examination falls as 1/k, as eye-tracking studies of result lists found


def simulate(rankers: int, sessions: int = 20, queries: int = 150, seed: int = 5):
    """Impressions of `queries` queries over 10 products each, shown in the orders of `rankers` rankers (an
    A/B test), and each product's true relevance."""
    rng = random.Random(seed)
    relevance, impressions = {}, []
    for q in range(queries):
        products = [f"q{q}-p{n}" for n in range(10)]
        for product in products:
            relevance[(f"query {q}", product)] = rng.choice([0.05, 0.05, 0.3, 0.8])
        orders = [rng.sample(products, len(products)) for _ in range(rankers)]
        for session in range(sessions):
            for position, product in enumerate(orders[session % rankers], start=1):
                seen = rng.random() < THETA[position - 1]
                clicked = seen and rng.random() < relevance[(f"query {q}", product)]
                impressions.append(
                    Impression(f"Query {q}" if session % 2 else f"query  {q}", product, position, clicked)
                )
    return impressions, relevance


def test_examination_is_recovered_where_rankers_disagree() -> None:
    impressions, _ = simulate(rankers=2, sessions=100)
    theta = examination(impressions, positions=10)
    assert np.allclose(theta, THETA, atol=0.03), theta.round(3)
    one_ranker, _ = simulate(rankers=1, sessions=100)  # nothing to harvest: no product moves
    assert examination(one_ranker, positions=10).tolist() == [1.0] * 10


def test_positions_not_linked_to_the_first_get_the_smallest_examination() -> None:
    # swaps between 1 and 2 and between 5 and 6 only: 5 and 6 cannot be put on the first position's scale
    impressions = []
    for n in range(400):
        for first, second in ((1, 2), (5, 6)):
            product = f"p{n}-{first}"
            for position in (first, second):
                clicked = n % 10 < (8 if position == first else 4)
                impressions.append(Impression(f"q{n}", product, position, clicked))
    theta = examination(impressions, positions=6)
    assert theta[0] == 1.0 and abs(theta[1] - 0.5) < 0.01
    assert theta[4] == theta[5] == theta[1]  # unknown: the smallest found, so their clicks count the most


def test_corrected_judgments_follow_relevance_not_position() -> None:
    impressions, relevance = simulate(rankers=2)
    corrected, raw = click_judgments(impressions), click_judgments(impressions, debias=False)
    assert corrected.examination[0] == 1.0 and corrected.examination[4] < 0.4
    assert raw.examination == (1.0,) * 20 and corrected.clicks == raw.clicks == sum(i.clicked for i in impressions)

    def agreement(judgments) -> float:
        """Correlation of the grades with the true relevance over every judged product."""
        by_text = {normalised(text): qid for qid, text in judgments.queries.items()}
        grades = [(judgments.qrels[by_text[q]][p], truth) for (q, p), truth in relevance.items() if q in by_text]
        return float(np.corrcoef(*zip(*grades, strict=True))[0, 1])

    assert agreement(corrected) > agreement(raw) + 0.05
    assert all(0 <= grade <= GRADES for judged in corrected.qrels.values() for grade in judged.values())


def test_typed_variants_are_one_query_and_queries_without_a_click_are_left_out() -> None:
    impressions = [
        Impression("Red Kettle", "a", 1, True),
        Impression("red  kettle", "b", 2, False),
        Impression("blue hose", "c", 1, False),
    ]
    judged = click_judgments(impressions, debias=False)
    assert list(judged.queries.values()) in (["Red Kettle"], ["red  kettle"])
    # "a": one click in one examination, and one more at what position 1 usually gets (1 click in 2): 1.5 / 2
    assert list(judged.rates.values()) == [{"a": 0.75, "b": 0.0}]
    assert list(judged.qrels.values()) == [{"a": round(0.75 * GRADES), "b": 0}]


def test_a_product_seen_a_few_times_is_shrunk_towards_what_its_positions_usually_get() -> None:
    # position 1 is clicked half the time, position 9 a tenth; two products shown once there, neither clicked
    impressions = [Impression(f"q{n}", f"p{n}", 1, n % 2 == 0) for n in range(40)]
    impressions += [Impression(f"q{n}", f"low{n}", 9, n % 10 == 0) for n in range(40)]
    impressions += [Impression("q0", "rare-top", 1, False), Impression("q0", "rare-low", 9, False)]
    rates = click_judgments(impressions, debias=False).rates["c" + sha1(b"q0").hexdigest()[:12]]
    usual_top, usual_low = 20 / 41, 4 / 41
    assert rates["rare-top"] == pytest.approx(usual_top / 2) and rates["rare-low"] == pytest.approx(usual_low / 2)
    assert rates["rare-top"] > rates["rare-low"] > 0  # unclicked, but not taken for irrelevant after one look
