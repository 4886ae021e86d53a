"""Popularity from shoppers' actions per showing, shrunk toward the mean, over SQLite and PostgreSQL."""

from __future__ import annotations

import uuid

import pytest

from events import Event, EventStore, SearchRecord
from events.popularity import PRIOR_SHOWN, WEIGHTS, popularity
from events.records import NO_FILTERS


def shown(at: int, results: tuple[str, ...]) -> SearchRecord:
    return SearchRecord(
        uuid.uuid4().hex, at, None, "api", "kettle", "kettle", "hybrid", "v1", "[]", NO_FILTERS, 3, 1, 3, results, 1.0
    )


def test_rates_are_actions_per_showing_shrunk_toward_the_mean(location: str) -> None:
    store = EventStore(location, create=True)
    searches = [shown(1_000, ("a", "b", "c")) for _ in range(100)] + [shown(10, ("old",))]
    events = [Event(2_000, None, "api", "click", searches[i].search_id, "a", 1) for i in range(30)]
    events += [Event(2_000, None, "api", "purchase", searches[0].search_id, "b", 2)]
    events += [Event(5, None, "api", "purchase", searches[-1].search_id, "old", 1)]  # before the window
    store.write(searches, events)
    found = popularity(store, since_ms=500)
    mean = (30 * WEIGHTS["click"] + WEIGHTS["purchase"]) / 300
    assert found.mean == pytest.approx(mean) and found.products == 3
    assert found.rates["a"] == pytest.approx((30 + PRIOR_SHOWN * mean) / (100 + PRIOR_SHOWN))
    assert found.rates["b"] == pytest.approx((5 + PRIOR_SHOWN * mean) / (100 + PRIOR_SHOWN))
    assert found.rates["c"] == pytest.approx(PRIOR_SHOWN * mean / (100 + PRIOR_SHOWN))
    assert found.rates["a"] > found.mean > found.rates["b"] > found.rates["c"]
    assert "old" not in found.rates
    store.close()
