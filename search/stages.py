"""The stages of a search, in the order STAGES runs them; each takes the state so far and returns the next.

A new step (rules, sort, variants, stock) is a new stage in STAGES, not a branch inside an old one.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import replace

from indexer import Product
from search.adaptive import dense_share
from search.controls import business, distinct, merchandise, pins, rules, sort, variants
from search.execution import Execution, Legs, Scored, Stage, State, leg_ranks
from search.filters import Filters
from search.fusion import below, blend, normalise, ranked, reciprocal_rank, spread, weighted_sum
from search.gibberish import is_gibberish
from search.personal import session
from search.ranker import learned
from search.request import SearchSettings
from search.response import Explain, ResultHit
from search.retrievers import Hit
from search.understanding import Span, Understanding

BOOST = 0.2  # of the candidates' score range, added for each understood boost a hit meets


def spelling(state: State, execution: Execution) -> State:
    """The query with words no product uses replaced by the closest catalogue words."""
    if not execution.request.spelling:
        return state
    with execution.clock.time("spelling"):
        query = execution.spell(state.understanding.query)
    return replace(state, understanding=Understanding(query, query))


def understanding(state: State, execution: Execution) -> State:
    """Prices, colours, sizes, materials, brands and kinds read in the query, and the filters they add."""
    understood = state.understanding
    if execution.understand:
        with execution.clock.time("understanding"):
            understood = execution.read(understood.query)
    return replace(state, understanding=understood, filters=understood.filters(state.asked))


def candidates(state: State, execution: Execution) -> State:
    """The legs the mode uses, filtered inside retrieval, fused into one scored list."""
    legs = retrieve(execution, state.understanding.text, state.filters, state.alternatives)
    with execution.clock.time("fusion"):
        scored = fuse(legs, execution.settings)
    return replace(state, legs=legs, scored=scored)


def kinds(state: State, execution: Execution) -> State:
    """Only the candidates of the kind of product the query names. If the understood filters leave nothing,
    retrieve again with the request's filters alone and those as boosts; if still nothing, the kinds too."""
    kept = of_kind(state.scored, state.understanding, execution)
    if not kept and state.filters != state.asked:
        understood = state.understanding
        understood = understood.relaxed(tuple(span for span in understood.spans if span not in understood.kinds))
        legs = retrieve(execution, understood.text, state.asked, state.alternatives)
        state = replace(state, understanding=understood, legs=legs, scored=fuse(legs, execution.settings), relaxed=True)
        kept = of_kind(state.scored, understood, execution)
    if not kept and state.understanding.kinds:  # nothing of that kind at all: it only boosts too
        return replace(state, understanding=state.understanding.relaxed(), relaxed=True)
    return replace(state, scored=kept)


def gibberish(state: State, execution: Execution) -> State:
    """No hits for gibberish that no product has a word of: the nearest products would be noise."""
    text = state.understanding.text
    if not (execution.understand and state.scored and is_gibberish(text)):
        return state
    known = state.legs["keyword"] if "keyword" in state.legs else execution.keyword.search(text, 1, state.filters)
    # the catalogue's words last, as a backend may build them on first use; one finds nothing only under filters
    if known or not is_gibberish(text, execution.backend.words):
        return state
    return replace(state, scored=[], no_match=True)


def boosts(state: State, execution: Execution) -> State:
    """The candidates re-ordered with a bonus for each understood boost a product meets."""
    spans = state.understanding.boosts
    if not spans or not state.scored:
        return state
    products = execution.products.get(product_id for product_id, _ in state.scored)
    return replace(state, scored=boosted(state.scored, products, spans))


def rerank(state: State, execution: Execution) -> State:
    """In the rerank mode, the top candidates reordered by the cross-encoder; the rest follow below them."""
    fused = dict(state.scored) if execution.request.explain else {}
    if not isinstance(execution.rerank, tuple) or execution.reranker is None:
        return replace(state, fused=fused)
    depth, weight = execution.rerank
    head, tail = state.scored[:depth], state.scored[depth:]
    products = execution.products.get(product_id for product_id, _ in head)
    pairs = [(state.understanding.text, product.embedding_text()) for product in products.values()]
    with execution.clock.time("rerank"):
        scores = execution.reranker.score(pairs)
    reranked = {product_id: float(score) for product_id, score in zip(products, scores, strict=True)}
    head = blend(head, reranked, weight)
    return replace(state, scored=head + below(head, tail), fused=fused, reranked=reranked)


def cutoff(state: State, execution: Execution) -> State:
    """Only the candidates whose final score reaches min_score: the request's, else the settings'."""
    least = execution.request.min_score if execution.request.min_score is not None else execution.settings.min_score
    if least is None:
        return state
    return replace(state, scored=[(product_id, score) for product_id, score in state.scored if score >= least])


def facets(state: State, execution: Execution) -> State:
    """Category, brand and price counts over every candidate."""
    ids = [product_id for product_id, _ in state.scored]
    with execution.clock.time("facets"):
        counted = execution.backend.facets(ids, state.filters.category)
    return replace(state, facets=counted)


def page(state: State, execution: Execution) -> State:
    """The hits of the page asked for, with their products and, with explain, how each leg scored them."""
    request = execution.request
    first = (request.page - 1) * request.size
    shown = state.scored[first : first + request.size]
    ids = [product_id for product_id, _ in shown]
    # timed only when the page needs products that no stage fetched, as "products" always was
    fetching = execution.clock.time("products") if execution.products.missing(ids) else nullcontext()
    with fetching:
        products = execution.products.get(ids)
    ranks = leg_ranks(state.legs) if request.explain else {}
    hits = [
        ResultHit(products[product_id], score, explain(product_id, ranks, state) if request.explain else None)
        for product_id, score in shown
        if product_id in products  # a product deleted since it was retrieved is left out
    ]
    return replace(state, hits=hits)


STAGES: tuple[Stage, ...] = (
    spelling,
    understanding,
    merchandise,
    candidates,
    kinds,
    gibberish,
    boosts,
    rerank,
    learned,
    cutoff,
    business,
    session,
    rules,
    sort,
    distinct,
    pins,
    facets,
    page,
    variants,
)


def retrieve(execution: Execution, text: str, filters: Filters, alternatives: tuple[str, ...] = ()) -> Legs:
    """The legs the mode uses, each `depth` deep and filtered inside retrieval; dense hits above the floor. The
    keyword leg also searches the synonyms' alternatives (the dense one finds them by meaning)."""
    depth, mode = execution.settings.depth, execution.request.mode
    legs: Legs = {}
    if mode != "dense":
        with execution.clock.time("keyword"):
            legs["keyword"] = execution.keyword.search(" ".join((text, *alternatives)), depth, filters)
    if mode != "bm25":
        with execution.clock.time("dense"):
            dense = execution.dense.search(text, depth, filters)
        legs["dense"] = above_floor(dense, execution.settings.dense_floor)
    return legs


def fuse(legs: Legs, settings: SearchSettings) -> Scored:
    """(product_id, score) best first: one leg as it is, or both fused as the settings say."""
    if len(legs) == 1:
        (hits,) = legs.values()
        return [(hit.product_id, hit.score) for hit in hits]
    keyword, dense = legs["keyword"], legs["dense"]
    if settings.fusion == "rrf":
        fused = reciprocal_rank([[h.product_id for h in keyword], [h.product_id for h in dense]], settings.rrf_k)
    else:
        lists = [normalise({h.product_id: h.score for h in hits}, settings.normalisation) for hits in (keyword, dense)]
        weight = settings.dense_weight
        if settings.adaptive and dense:
            weight = dense_share(weight, dense[0].score)
        fused = weighted_sum(lists, [1.0 - weight, weight])
    return ranked(fused)


def above_floor(hits: list[Hit], floor: float | None) -> list[Hit]:
    """The dense hits scoring at least `floor` times the best one."""
    if floor is None or not hits or hits[0].score <= 0:
        return hits
    cutoff = hits[0].score * floor
    return [hit for hit in hits if hit.score >= cutoff]


def of_kind(scored: Scored, understood: Understanding, execution: Execution) -> Scored:
    """The candidates of the kind of product the query names, if it names one."""
    if not understood.kinds or not scored:
        return scored
    products = execution.products.get(product_id for product_id, _ in scored)
    return [(pid, score) for pid, score in scored if pid in products and meets(products[pid], understood.kinds)]


def meets(product: Product, spans: tuple[Span, ...]) -> bool:
    return all(span.admits(product) for span in spans)


def boosted(scored: Scored, products: dict[str, Product], boosts: tuple[Span, ...]) -> Scored:
    """The hits re-ordered with a bonus of BOOST of the score range for each understood boost a product meets."""
    step = BOOST * spread(scored)
    bonus = {
        product_id: step * sum(span.admits(products[product_id]) for span in boosts) if product_id in products else 0.0
        for product_id, _ in scored
    }
    return ranked({product_id: score + bonus[product_id] for product_id, score in scored})


def explain(product_id: str, ranks: dict[str, dict[str, tuple[int, float]]], state: State) -> Explain:
    keyword_rank, keyword_score = ranks.get("keyword", {}).get(product_id, (None, None))
    dense_rank, dense_score = ranks.get("dense", {}).get(product_id, (None, None))
    return Explain(
        keyword_score,
        keyword_rank,
        dense_score,
        dense_rank,
        state.fused.get(product_id),
        state.reranked.get(product_id),
        moves=state.moves.get(product_id, {}),
        pinned=next((position for _, pinned, position in state.outcome.pins if pinned == product_id), None),
    )
