"""The stages of the shop owner's controls: rules and synonyms before retrieval; business ranking, stock, rules,
sort, variants and pins after it. See docs/design.md#merchandising.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from indexer import Product
from search.execution import Execution, State
from search.fusion import ranked, spread
from search.merchandising import POPULARITY
from search.response import Variant, Variants
from search.rules import Outcome, Rules, boosted, merged

MAX_VARIANTS = 50  # described per hit; `count` says how many there are


def merchandise(state: State, execution: Execution) -> State:
    """The rules the query meets (and what they filter), the stock filter when out-of-stock products are hidden,
    and the synonyms of the query's phrases for the keyword leg."""
    merchandising, request = execution.merchandising, execution.request
    rules = merchandising.rule_index.matching(request.query, state.understanding, now()) if request.rules else ()
    if request.preview:
        previewed = Rules(request.preview).matching(request.query, state.understanding, now())
        rules = tuple(sorted({rule.id: rule for rule in (*rules, *previewed)}.values(), key=lambda rule: rule.order))
    outcome = Outcome.of(rules)
    asked = merged(state.asked, outcome.filters)
    if merchandising.ranking.stock == "hide" and asked.in_stock is None:
        asked = replace(asked, in_stock=True)
    alternatives = merchandising.synonym_index.expand(state.understanding.text)
    filters = merged(state.filters, asked) if asked != state.asked else state.filters
    return replace(state, asked=asked, filters=filters, outcome=outcome, alternatives=alternatives)


def now() -> datetime:
    return datetime.now(UTC)


def business(state: State, execution: Execution) -> State:
    """Relevance moved by the weighted numeric fields (together at most `business_share` of the score range) and
    out-of-stock products moved down by `stock_demotion` of it."""
    ranking = execution.merchandising.ranking
    weights = {name: weight for name, weight in ranking.weights.items() if weight}
    demote = ranking.stock == "demote" and ranking.stock_demotion > 0 and execution.backend.out_of_stock
    if not state.scored or not (weights and ranking.business_share > 0 or demote):
        return state
    with execution.clock.time("business"):
        return business_moves(state, execution, weights, demote)


def business_moves(state: State, execution: Execution, weights: dict[str, float], demote: bool) -> State:
    ranking = execution.merchandising.ranking
    products = execution.products.get(product_id for product_id, _ in state.scored)
    span = spread(state.scored)
    moves: dict[str, dict[str, float]] = {product_id: {} for product_id, _ in state.scored}
    total = sum(abs(weight) for weight in weights.values())
    for name, weight in weights.items():
        if name == POPULARITY:
            table = execution.popularity
            values = {product_id: table.rates.get(product_id, table.default) for product_id in products}
        else:
            values = {product_id: product.number(name) for product_id, product in products.items()}
        for product_id, value in scaled(values).items():
            moves[product_id][name] = ranking.business_share * span * weight / total * value
    if demote:
        for product_id, product in products.items():
            if not product.in_stock:
                moves[product_id]["out_of_stock"] = -ranking.stock_demotion * span
    return moved(state, moves, execution.request.explain)


def rules(state: State, execution: Execution) -> State:
    """The rules' hidden products left out, and their boosts and buries applied."""
    outcome = state.outcome
    scored = [(product_id, score) for product_id, score in state.scored if product_id not in outcome.hidden]
    if not outcome.boosts or not scored:
        return replace(state, scored=scored)
    products = execution.products.get(product_id for product_id, _ in scored)
    moves = {product_id: {"rules": move} for product_id, move in boosted(scored, products, outcome).items()}
    return moved(replace(state, scored=scored), moves, execution.request.explain)


def sort(state: State, execution: Execution) -> State:
    """With a sort, the relevant candidates only (scoring at least `sort_relevance` of the best), by the field;
    ties and products without it (last) by relevance."""
    order = execution.request.sort
    if order is None or not state.scored:
        return state
    share = execution.merchandising.ranking.sort_relevance
    top = state.scored[0][1]
    relevant = [(pid, score) for pid, score in state.scored if top <= 0 or score >= share * top]
    products = execution.products.get(product_id for product_id, _ in relevant)
    sign = -1.0 if order.descending else 1.0
    keyed = []
    for rank, (product_id, score) in enumerate(relevant):
        value = products[product_id].number(order.field) if product_id in products else None
        keyed.append((value is None, sign * value if value is not None else 0.0, rank, product_id, score))
    keyed.sort()
    return replace(state, scored=[(product_id, score) for *_, product_id, score in keyed])


def distinct(state: State, execution: Execution) -> State:
    """With distinct, each group's best variant only (a product without a group_id is a group of its own): the
    total and the facets count groups."""
    if not wants_distinct(execution) or not state.scored:
        return state
    products = execution.products.get(product_id for product_id, _ in state.scored)
    seen: set[str] = set()
    kept = []
    for product_id, score in state.scored:
        product = products.get(product_id)
        group = product.group_id if product is not None and product.group_id is not None else f"id:{product_id}"
        if group not in seen:
            seen.add(group)
            kept.append((product_id, score))
    return replace(state, scored=kept)


def variants(state: State, execution: Execution) -> State:
    """With distinct, each shown hit's variants: how many, the attributes they differ in and each one's values."""
    if not wants_distinct(execution) or not state.hits:
        return state
    group_ids = {hit.product.group_id for hit in state.hits if hit.product.group_id is not None}
    groups = execution.backend.variants(group_ids) if group_ids else {}
    hits = [
        replace(hit, variants=described(groups[hit.product.group_id])) if hit.product.group_id in groups else hit
        for hit in state.hits
    ]
    return replace(state, hits=hits)


def wants_distinct(execution: Execution) -> bool:
    asked = execution.request.distinct
    return execution.merchandising.ranking.distinct if asked is None else asked


def described(group: list[Product]) -> Variants:
    """The attributes whose values differ across the group (colour, size), and each variant's values of them."""
    count, group = len(group), sorted(group, key=lambda product: product.id)[:MAX_VARIANTS]
    keys = sorted({key for product in group for key in product.attributes})
    differ = tuple(key for key in keys if len({product.attributes.get(key) for product in group}) > 1)
    items = tuple(
        Variant(
            product.id,
            {key: ", ".join(product.attributes.get(key, ())) for key in differ},
            product.price,
            product.in_stock,
        )
        for product in group
    )
    return Variants(count, differ, items)


def pins(state: State, execution: Execution) -> State:
    """The rules' pinned products at their positions (from 1), whether or not the query retrieved them."""
    pinned = state.outcome.pins
    if not pinned:
        return state
    found = execution.products.get(product_id for _, product_id, _ in pinned)
    placed = {product_id: position for _, product_id, position in pinned if product_id in found}
    rest = [(product_id, score) for product_id, score in state.scored if product_id not in placed]
    if wants_distinct(execution):  # a pinned variant stands for its group: the group's other variant goes
        groups = {found[product_id].group_id for product_id in placed} - {None}
        shown = execution.products.get(product_id for product_id, _ in rest)
        rest = [(pid, score) for pid, score in rest if pid not in shown or shown[pid].group_id not in groups]
    scores = dict(state.scored)
    top = state.scored[0][1] if state.scored else 1.0
    for product_id, position in sorted(placed.items(), key=lambda item: item[1]):
        rest.insert(min(position - 1, len(rest)), (product_id, scores.get(product_id, top)))
    return replace(state, scored=rest)


def scaled(values: dict[str, float | None]) -> dict[str, float]:
    """Each candidate's value, min-max scaled to 0..1 over the candidates that have one."""
    known = {product_id: value for product_id, value in values.items() if value is not None}
    if not known:
        return {}
    low, high = min(known.values()), max(known.values())
    if high == low:
        return dict.fromkeys(known, 1.0)
    return {product_id: (value - low) / (high - low) for product_id, value in known.items()}


def moved(state: State, moves: dict[str, dict[str, float]], explain: bool) -> State:
    """The candidates with each one's moves added to its score, in the new order; with explain, the moves kept."""
    scores = {product_id: score + sum(moves.get(product_id, {}).values()) for product_id, score in state.scored}
    kept = state.moves
    if explain:
        kept = dict(kept)
        for product_id, parts in moves.items():
            if parts:
                kept[product_id] = {**kept.get(product_id, {}), **parts}
    return replace(state, scored=ranked(scores), moves=kept)
