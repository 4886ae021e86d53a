"""Also viewed: co-occurrence in sessions, against numbers worked out by hand and a from-scratch recount."""

from __future__ import annotations

import math
from itertools import combinations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from events.cooccurrence import CoOccurrence, Pair
from events.popularity import WEIGHTS

pytestmark = pytest.mark.fast
PROPERTY = settings(max_examples=80, derandomize=True, database=None, deadline=None)


def folded(*events: tuple[str, str, str], session_products: int = 50) -> CoOccurrence:
    model = CoOccurrence(session_products)
    for at, (session, product_id, kind) in enumerate(events):
        model.add(session, product_id, kind, at)
    return model


def test_strength_is_the_weaker_action_per_session_and_the_score_is_normalised_like_cosine() -> None:
    model = folded(
        ("s1", "a", "click"),
        ("s1", "b", "purchase"),
        ("s2", "a", "add_to_cart"),
        ("s2", "b", "click"),
        ("s2", "c", "click"),
    )
    # s1: min(1, 5) = 1; s2: min(3, 1) = 1. Totals: a = 1 + 3, b = 5 + 1, c = 1
    assert model.pair("a", "b") == model.pair("b", "a") == Pair(2, 2.0)
    assert model.pair("a", "c") == Pair(1, 1.0) and model.pair("b", "c") == Pair(1, 1.0)
    related = model.related("a", min_sessions=1)
    assert [other for other, _ in related] == ["c", "b"]
    assert related[0][1] == pytest.approx(1 / math.sqrt(4 * 1))  # 0.5
    assert related[1][1] == pytest.approx(2 / math.sqrt(4 * 6))  # 0.408
    assert model.related("a", min_sessions=2) == [("b", pytest.approx(2 / math.sqrt(24)))]
    assert model.related("nothing", min_sessions=1) == [] and model.pair("a", "nothing") is None


def test_a_pair_is_shown_only_once_enough_distinct_sessions_acted_on_both() -> None:
    model = CoOccurrence()
    for session in ("s1", "s2", "s3", "s4"):
        for _ in range(3):  # the same session again and again is still one session
            model.add(session, "kettle", "click", 1)
            model.add(session, "mug", "purchase", 2)
    assert model.pair("kettle", "mug") == Pair(4, 4.0)
    assert model.related("kettle", min_sessions=5) == []
    model.add("s5", "kettle", "click", 3)
    model.add("s5", "mug", "click", 4)
    assert model.related("kettle", min_sessions=5) == [("mug", pytest.approx(5 / math.sqrt(5 * 21)))]
    with pytest.raises(ValueError, match="min_sessions"):
        model.related("kettle", min_sessions=0)


def test_a_rising_action_counts_at_its_strongest_whatever_the_order() -> None:
    rising = folded(("s", "a", "click"), ("s", "b", "click"), ("s", "a", "purchase"), ("s", "b", "add_to_cart"))
    at_once = folded(("s", "a", "purchase"), ("s", "b", "add_to_cart"))
    falling = folded(("s", "a", "purchase"), ("s", "b", "add_to_cart"), ("s", "a", "click"), ("s", "b", "click"))
    for model in (rising, at_once, falling):
        assert model.pair("a", "b") == Pair(1, min(WEIGHTS["purchase"], WEIGHTS["add_to_cart"]))
        assert model.related("a", 1) == [("b", pytest.approx(3 / math.sqrt(5 * 3)))]


def test_a_session_pairs_only_its_most_recent_products_and_each_pair_once() -> None:
    model = folded(
        ("s", "a", "click"),
        ("s", "b", "click"),
        ("s", "c", "click"),
        ("s", "a", "click"),  # a again: now the most recent, so b is the oldest
        ("s", "d", "click"),  # a fourth product: b leaves, with the pairs it made
        session_products=3,
    )
    assert model.pair("a", "b") is None and model.pair("b", "c") is None
    assert {pair: model.pair(*pair) for pair in combinations("acd", 2)} == {
        ("a", "c"): Pair(1, 1.0),
        ("a", "d"): Pair(1, 1.0),
        ("c", "d"): Pair(1, 1.0),
    }
    model.add("s", "b", "purchase", 9)  # back, in place of c: one session still, never two
    assert model.pair("a", "b") == Pair(1, 1.0) and model.pair("c", "d") is None
    assert model.products == 3 and model.related("c", 1) == []
    with pytest.raises(ValueError, match="session_products"):
        CoOccurrence(1)


def test_sessions_quiet_since_before_the_window_are_taken_out_whole() -> None:
    model = CoOccurrence()
    model.add("old", "a", "click", 1_000)
    model.add("old", "b", "click", 1_500)
    model.add("new", "a", "click", 1_200)
    model.add("new", "b", "purchase", 5_000)
    assert model.pair("a", "b") == Pair(2, 2.0)
    assert model.expire(2_000) == 1 and model.sessions == 1
    assert model.pair("a", "b") == Pair(1, 1.0)
    assert model.related("a", 1) == [("b", pytest.approx(1 / math.sqrt(1 * 5)))]
    assert model.expire(10_000) == 1 and model.sessions == 0 and model.products == 0
    assert model.pair("a", "b") is None


def test_actions_without_a_weight_or_a_session_change_nothing() -> None:
    model = folded(("s", "a", "view"), ("", "a", "click"), ("s", "b", "click"))
    assert model.products == 1 and model.related("b", 1) == []


events = st.lists(
    st.tuples(st.sampled_from("stuv"), st.sampled_from("abcdef"), st.sampled_from(sorted(WEIGHTS))), max_size=60
)


@PROPERTY
@given(events, st.integers(2, 6))
def test_folding_one_event_at_a_time_agrees_with_a_recount(stream, cap) -> None:
    model = folded(*stream, session_products=cap)
    # the recount: each session's last `cap` distinct products, each at its strongest action since it last came in
    held: dict[str, dict[str, float]] = {}
    for session, product_id, kind in stream:
        products = held.setdefault(session, {})
        weight = max(products.pop(product_id, 0.0), WEIGHTS[kind])
        if len(products) >= cap:
            products.pop(next(iter(products)))
        products[product_id] = weight
    totals: dict[str, float] = {}
    pairs: dict[tuple[str, str], list[float]] = {}
    for products in held.values():
        for product_id, weight in products.items():
            totals[product_id] = totals.get(product_id, 0.0) + weight
        for (a, wa), (b, wb) in combinations(sorted(products.items()), 2):
            pairs.setdefault((a, b), []).append(min(wa, wb))
    for a, b in combinations("abcdef", 2):
        found = pairs.get((a, b))
        assert model.pair(a, b) == (None if found is None else Pair(len(found), sum(found)))
    for product_id in "abcdef":
        expected = {
            other: sum(found) / math.sqrt(totals[product_id] * totals[other])
            for (a, b), found in pairs.items()
            for other in [b if a == product_id else a]
            if product_id in (a, b)
        }
        assert dict(model.related(product_id, 1)) == pytest.approx(expected)
    assert model.products == len(totals)
