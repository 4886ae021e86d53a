"""A session's interests: shares of its weighted actions, how category paths and brands match, and the in-memory
store's idle expiry (an injected clock), its cap on sessions and its thread safety."""

from __future__ import annotations

import threading

import pytest

from indexer import Product
from search.errors import SearchError
from search.sessions import MAX_KEYS, Interests, SessionInterests

pytestmark = pytest.mark.fast

KETTLE = Product("k", "Kettle", category=("Home", "Kitchen", "Kettles"), brand="Acme")
TOASTER = Product("t", "Toaster", category=("Home", "Kitchen", "Toasters"), brand=" BRITE ")
CHAIR = Product("c", "Chair", category=("Home", "Furniture", "Chairs"), brand="Acme")
SHOE = Product("s", "Shoe", category=("Clothing", "Footwear"))
PLAIN = Product("p", "Plain")  # no category, no brand: the public catalogues' products


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_weights_are_shares_of_the_sessions_weighted_actions() -> None:
    # a click (1) on the kettle, a purchase (5) of the toaster; the plain product's click counts in the total
    interests = Interests.of([(KETTLE, 1.0), (TOASTER, 5.0), (PLAIN, 1.0), (SHOE, 0.0)])
    assert interests.categories == {
        ("Home", "Kitchen", "Kettles"): pytest.approx(1 / 7),
        ("Home", "Kitchen", "Toasters"): pytest.approx(5 / 7),
    }
    assert interests.brands == {"acme": pytest.approx(1 / 7), "brite": pytest.approx(5 / 7)}  # as filters compare
    assert Interests.of([(PLAIN, 3.0)]).empty and Interests.of([]).empty


def test_a_category_path_matches_by_the_levels_it_shares_deeper_ones_counting_more() -> None:
    only = Interests(categories={("Home", "Kitchen", "Kettles"): 1.0})
    # level i of 3 counts i / 6: sharing k levels matches k(k+1) / 12
    assert only.lift(KETTLE) == 1.0
    assert only.lift(TOASTER) == pytest.approx(3 / 6)  # Home > Kitchen
    assert only.lift(CHAIR) == pytest.approx(1 / 6)  # Home
    assert only.lift(SHOE) == 0.0 and only.lift(PLAIN) == 0.0
    assert only.lift(Product("d", "Deeper", category=("Home", "Kitchen", "Kettles", "Travel"))) == 1.0  # inside it
    assert only.lift(Product("u", "Up", category=("Home", "Kitchen"))) == pytest.approx(3 / 6)
    shared = Interests(categories={("Home", "Kitchen", "Kettles"): 0.5, ("Home", "Kitchen", "Toasters"): 0.5})
    assert shared.lift(KETTLE) == pytest.approx(0.5 + 0.5 * 3 / 6)


def test_the_lift_is_the_mean_of_category_and_brand_over_those_the_session_has() -> None:
    both = Interests.of([(KETTLE, 1.0)])  # Home > Kitchen > Kettles, acme
    assert both.lift(KETTLE) == 1.0
    assert both.lift(CHAIR) == pytest.approx((1 / 6 + 1.0) / 2)  # another category of the brand
    assert both.lift(TOASTER) == pytest.approx((3 / 6 + 0.0) / 2)
    brand_only = Interests(brands={"Acme": 1.0})
    assert brand_only.lift(CHAIR) == 1.0 and brand_only.lift(TOASTER) == 0.0 and brand_only.lift(PLAIN) == 0.0
    assert Interests().lift(KETTLE) == 0.0


def test_shares_out_of_bounds_are_refused_with_the_fix() -> None:
    with pytest.raises(SearchError, match=r"brands.*at most 1.*Interests.of"):
        Interests(brands={"acme": 0.7, "ACME ": 0.6})  # the same brand once trimmed and lower-cased
    with pytest.raises(SearchError, match="categories"):
        Interests(categories={("Home",): -0.1})
    with pytest.raises(SearchError, match="categories"):
        Interests(categories={("Home",): float("nan")})


def test_the_store_adds_each_action_with_its_weight_per_session() -> None:
    store = SessionInterests(clock=Clock())
    store.record("s1", KETTLE, 1.0)
    store.record("s1", TOASTER, 3.0)
    store.record("s2", CHAIR, 5.0)
    first = store.interests("s1")
    assert first is not None and first.brands == {"acme": 0.25, "brite": 0.75}
    assert store.interests("s2") == Interests({("Home", "Furniture", "Chairs"): 1.0}, {"acme": 1.0})
    assert store.interests("never") is None
    store.record("s3", PLAIN, 1.0)  # nothing to lift by: no session kept
    assert store.interests("s3") is None and len(store) == 2
    store.record("s1", PLAIN, 4.0)  # in a kept session, it weighs in the total
    assert store.interests("s1").brands == {"acme": 0.125, "brite": 0.375}


def test_a_session_idle_for_the_expiry_forgets_its_interests() -> None:
    clock = Clock()
    store = SessionInterests(idle_s=1800, clock=clock)
    store.record("s1", KETTLE, 1.0)
    store.record("s2", KETTLE, 1.0)
    clock.now += 1000
    store.record("s2", TOASTER, 1.0)  # s2's last action is now
    clock.now += 799
    assert store.interests("s1") is not None
    clock.now += 1
    assert store.interests("s1") is None and store.interests("s2") is not None  # 1800 s after s1's last action
    clock.now += 1000
    assert store.interests("s2") is None and len(store) == 0


def test_the_least_recently_active_session_goes_past_the_cap() -> None:
    clock = Clock()
    store = SessionInterests(capacity=2, clock=clock)
    for session in ("s1", "s2"):
        store.record(session, KETTLE, 1.0)
        clock.now += 1
    store.record("s1", KETTLE, 1.0)  # s1 acted again: s2 is now the oldest
    store.record("s3", KETTLE, 1.0)
    assert store.interests("s2") is None and store.interests("s1") is not None and store.interests("s3") is not None
    assert len(store) == 2


def test_a_session_keeps_its_strongest_categories_and_brands_only() -> None:
    store = SessionInterests(clock=Clock())
    store.record("s", KETTLE, 5.0)
    for number in range(MAX_KEYS + 10):
        store.record("s", Product(f"p{number}", "P", category=(f"c{number}",), brand=f"b{number}"), 1.0)
    interests = store.interests("s")
    assert len(interests.categories) == MAX_KEYS and len(interests.brands) == MAX_KEYS
    assert interests.brands["acme"] == pytest.approx(5 / (5 + MAX_KEYS + 10))  # the dropped ones still weigh


def test_the_store_is_safe_under_threads() -> None:
    store = SessionInterests(capacity=50, clock=Clock())

    def act(worker: int) -> None:
        for number in range(500):
            store.record(f"s{(worker * 7 + number) % 80}", KETTLE if number % 2 else TOASTER, 1.0)
            store.interests(f"s{number % 80}")

    threads = [threading.Thread(target=act, args=(worker,)) for worker in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(store) == 50


def test_bad_store_settings_are_refused() -> None:
    with pytest.raises(SearchError, match="idle_s > 0"):
        SessionInterests(idle_s=0)
