"""What the pipeline knows of each candidate, as the numbers a feature ranker weighs: each leg's score and rank, the
fused score, the cross-encoder's where it ran, how much of the query the title and description hold, what
understanding matched, popularity and stock. See docs/design.md#feature-ranker."""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from indexer import Product
from indexer.text import WORD, normal, words
from search.execution import Execution, State, leg_ranks

NAMES = (
    "fused",  # the candidate's score so far, over the best one's
    "fused_rank",  # 1 / rank
    "keyword",  # BM25 over the best BM25 of the query (0: not found by the keyword leg)
    "keyword_rank",
    "dense",  # cosine similarity of query and product
    "dense_gap",  # the best cosine less this one
    "dense_rank",
    "both_legs",  # found by the keyword and the dense leg
    "cross_encoder",  # its score where the rerank mode ran it, else 0
    "title_coverage",  # share of the query's words in the title
    "title_first",  # the title starts with the query's first word
    "title_phrase",  # the query as written is in the title
    "description_coverage",
    "title_words",  # log(1 + words in the title)
    "description_empty",
    "query_words",
    "corrected",  # spelling changed the query
    "understood_met",  # understood boosts (colour, size, material...) the product meets, over those read
    "understood_read",  # how many constraints were read in the query
    "popularity",  # from shoppers' events (0 where none)
    "in_stock",
)


def features(state: State, execution: Execution, ids: list[str], products: dict[str, Product]) -> np.ndarray:
    """One row per id of `ids` (candidates best first), one column per name of NAMES."""
    ordered = _words(state.understanding.text)
    terms = set(ordered)
    legs = leg_ranks(state.legs)
    keyword, dense = legs.get("keyword", {}), legs.get("dense", {})
    best_keyword = max((score for _, score in keyword.values()), default=0.0) or 1.0
    best_dense = max((score for _, score in dense.values()), default=0.0)
    scores = dict(state.scored)
    best = max(scores.values(), default=0.0) or 1.0
    boosts = state.understanding.boosts
    corrected = float(state.understanding.query != execution.request.query)
    rows = np.zeros((len(ids), len(NAMES)))  # float64: what LightGBM predicts on without a copy
    popularity = execution.popularity
    for row, product_id in enumerate(ids):
        product = products.get(product_id)
        if product is None:
            continue
        title = _words(product.title)
        description = _words(product.description) if product.description else []
        k_rank, k_score = keyword.get(product_id, (0, 0.0))
        d_rank, d_score = dense.get(product_id, (0, 0.0))
        rows[row] = (
            scores.get(product_id, 0.0) / best,
            1.0 / (row + 1),
            k_score / best_keyword,
            1.0 / k_rank if k_rank else 0.0,
            d_score,
            best_dense - d_score if d_rank else 1.0,
            1.0 / d_rank if d_rank else 0.0,
            float(bool(k_rank and d_rank)),
            state.reranked.get(product_id, 0.0),
            _coverage(terms, title),
            float(bool(ordered and title and title[0] == ordered[0])),
            float(bool(ordered) and " ".join(ordered) in " ".join(title)),
            _coverage(terms, description),
            math.log1p(len(title)),
            float(not description),
            len(ordered),
            corrected,
            sum(span.admits(product) for span in boosts) / len(boosts) if boosts else 0.0,
            len(state.understanding.spans),
            popularity.rates.get(product_id, popularity.default),
            float(product.in_stock),
        )
    return rows


def _coverage(terms: set[str], text: list[str]) -> float:
    return len(terms & set(text)) / len(terms) if terms else 0.0


@lru_cache(maxsize=200_000)  # a catalogue's titles and descriptions come back search after search
def _words(text: str) -> list[str]:
    """Words folded alike in query and product (lower case, a plural's s dropped); English by a pattern, since
    segmenting a hundred titles a search with jieba would cost more than the ranker itself."""
    found = WORD.findall(text.lower()) if text.isascii() else words(normal(text))
    return [word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word for word in found]
