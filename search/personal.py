"""The session stage: candidates matching the categories and brands the shopper's session acted on lifted by at most
`session_boost` of the candidates' score range. See docs/design.md#session-aware-ranking."""

from __future__ import annotations

from search.controls import moved
from search.execution import Execution, State
from search.fusion import spread


def session(state: State, execution: Execution) -> State:
    """Each candidate moved up by session_boost x the score range x how well it matches the session's interests
    (0..1); nothing at all without interests or with the setting at 0 (the default)."""
    interests, share = execution.request.interests, execution.merchandising.ranking.session_boost
    if interests is None or interests.empty or share <= 0 or not state.scored:
        return state
    with execution.clock.time("session"):
        products = execution.products.get(product_id for product_id, _ in state.scored)
        step = share * spread(state.scored)
        moves = {}
        for product_id, product in products.items():
            lift = interests.lift(product)
            if lift > 0:
                moves[product_id] = {"session": step * lift}
        return moved(state, moves, execution.request.explain) if moves else state
