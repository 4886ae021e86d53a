"""Session-aware ranking in the service: accepted actions feed each session's interests, kept in memory only, and a
search from that session carries them where the shop's ranking lifts by them. See docs/design.md."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import replace

from flask import current_app

from events import Event, hashed_session
from events.popularity import WEIGHTS
from search.merchandising import Merchandising
from search.request import SearchRequest
from search.sessions import SessionInterests

log = logging.getLogger(__name__)
INTERESTS = "prodsearch.interests"  # the app's SessionInterests, there while events are on


def remember(rows: Iterable[Event]) -> None:
    """Each stored action that names a session: its product's category and brand, with the action's weight
    (click 1, add-to-cart 3, purchase 5); a product the index does not have is skipped."""
    store: SessionInterests | None = current_app.extensions.get(INTERESTS)
    if store is None:
        return
    acted = [(row.session, row.product_id, WEIGHTS[row.type]) for row in rows if row.session and row.type in WEIGHTS]
    if not acted:
        return
    backend = current_app.extensions["prodsearch.live"].pipeline.backend
    try:
        products = backend.products(list({row[1] for row in acted}))
    except Exception as error:  # the events are stored already: a failed look-up must not fail (and repeat) them
        log.warning("session interests not updated: %s", error)
        return
    for session, product_id, weight in acted:
        if product_id in products:
            store.record(session, products[product_id], weight)


def personal(request: SearchRequest, session: str | None, shop: Merchandising) -> SearchRequest:
    """The request with its session's interests, where the shop's ranking (or its running experiment's arm B)
    lifts by them; `session` is the id as the shopper sent it."""
    store: SessionInterests | None = current_app.extensions.get(INTERESTS)
    if store is None or not session or not lifts(shop):
        return request
    interests = store.interests(hashed_session(current_app.extensions["prodsearch.events"].key, session))
    return request if interests is None else replace(request, interests=interests)


def lifts(shop: Merchandising) -> bool:
    experiment = shop.experiment
    tried = experiment.b.ranking if experiment is not None else None
    return shop.ranking.session_boost > 0 or (tried is not None and tried.session_boost > 0)
