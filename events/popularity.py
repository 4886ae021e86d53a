"""Popularity learned from shoppers: each product's clicks, add-to-carts and purchases per showing over a window,
shrunk toward the mean so that a product seen a few times is neither a star nor a dud. See docs/design.md.
"""

from __future__ import annotations

from dataclasses import dataclass

from events.store import EventStore

WEIGHTS = {"click": 1.0, "add_to_cart": 3.0, "purchase": 5.0}  # what each action says of a product
PRIOR_SHOWN = 50  # impressions at the mean rate added to every product's own
WINDOW_DAYS = 30


@dataclass(frozen=True)
class Popularity:
    rates: dict[str, float]  # weighted actions per time shown, shrunk toward `mean`, for products with any
    mean: float  # every other product's
    products: int  # with any activity in the window


def popularity(store: EventStore, since_ms: int) -> Popularity:
    """(actions_p + PRIOR_SHOWN x mean) / (shown_p + PRIOR_SHOWN), where mean is all actions over all showings."""
    shown, actions = store.activity(since_ms)
    total_actions = sum(WEIGHTS.get(kind, 0.0) * count for (_, kind), count in actions.items())
    total_shown = sum(shown.values())
    mean = total_actions / total_shown if total_shown else 0.0
    weighted: dict[str, float] = {}
    for (product_id, kind), count in actions.items():
        weighted[product_id] = weighted.get(product_id, 0.0) + WEIGHTS.get(kind, 0.0) * count
    active = set(shown) | set(weighted)
    rates = {
        product_id: (weighted.get(product_id, 0.0) + PRIOR_SHOWN * mean) / (shown.get(product_id, 0) + PRIOR_SHOWN)
        for product_id in active
    }
    return Popularity(rates, mean, len(active))
