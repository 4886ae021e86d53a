"""What the pipeline knows of each candidate, as the numbers a feature ranker weighs: each leg's score and rank, the
fused score, the cross-encoder's where it ran, how much of the query the title and description hold, what
understanding matched, popularity and stock. See docs/design.md#feature-ranker."""

from __future__ import annotations

import math
from functools import lru_cache
from typing import NamedTuple

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
    "title_precision",  # share of the title's words in the query
    "bigram_coverage",  # share of the query's character pairs (within runs of letters) in the title
    "bigram_dice",  # character pairs query and title share, over both's (2|A and B| / (|A| + |B|))
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
    query = _query(state.understanding.text)
    legs = leg_ranks(state.legs)
    keyword, dense = legs.get("keyword", {}), legs.get("dense", {})
    best_keyword = max((score for _, score in keyword.values()), default=0.0) or 1.0
    best_dense = max((score for _, score in dense.values()), default=0.0)
    scores = dict(state.scored)
    best = max(scores.values(), default=0.0) or 1.0
    boosts = state.understanding.boosts
    corrected = float(state.understanding.query != execution.request.query)
    read = len(state.understanding.spans)
    popularity, reranked = execution.popularity, state.reranked
    first, phrase, terms, pairs = query.first, query.phrase, query.terms, query.pairs
    rows = []
    for row, product_id in enumerate(ids):
        product = products.get(product_id)
        if product is None:
            rows.append(_MISSING)
            continue
        title = _texts(product.title, product.description or "")
        shared, shared_pairs = len(terms & title.terms), len(pairs & title.pairs)
        k_rank, k_score = keyword.get(product_id, _UNFOUND)
        d_rank, d_score = dense.get(product_id, _UNFOUND)
        rows.append((
            scores.get(product_id, 0.0) / best,
            1.0 / (row + 1),
            k_score / best_keyword,
            1.0 / k_rank if k_rank else 0.0,
            d_score,
            best_dense - d_score if d_rank else 1.0,
            1.0 / d_rank if d_rank else 0.0,
            float(bool(k_rank and d_rank)),
            reranked.get(product_id, 0.0),
            shared / len(terms) if terms else 0.0,
            shared / len(title.terms) if title.terms else 0.0,
            shared_pairs / len(pairs) if pairs else 0.0,
            2 * shared_pairs / (len(pairs) + len(title.pairs)) if pairs or title.pairs else 0.0,
            float(bool(first) and title.first == first),
            float(bool(phrase) and phrase in title.phrase),
            len(terms & title.described) / len(terms) if terms else 0.0,
            title.size,
            float(not title.described),
            query.count,
            corrected,
            sum(span.admits(product) for span in boosts) / len(boosts) if boosts else 0.0,
            read,
            popularity.rates.get(product_id, popularity.default),
            float(product.in_stock),
        ))  # fmt: skip
    return np.array(rows, dtype=np.float64).reshape(len(ids), len(NAMES))  # float64: what LightGBM reads uncopied


_MISSING = (0.0,) * len(NAMES)
_UNFOUND = (0, 0.0)


class _Texts(NamedTuple):
    """A title (or a query) and its description as the features compare them, worked out once."""

    terms: frozenset[str]  # the title's words, folded
    pairs: frozenset[str]  # its character pairs (character_pairs)
    first: str  # its first word, "" for none
    phrase: str  # its words joined by spaces
    count: int  # how many
    size: float  # log(1 + words)
    described: frozenset[str]  # the description's words, folded


@lru_cache(maxsize=200_000)  # a catalogue's titles and descriptions come back search after search
def _texts(title: str, description: str) -> _Texts:
    return _worked_out(title, description)


@lru_cache(maxsize=20_000)  # queries come and go: in a cache of their own they never push titles out
def _query(text: str) -> _Texts:
    return _worked_out(text, "")


def _worked_out(title: str, description: str) -> _Texts:
    folded = _folded(title)
    first = folded[0] if folded else ""
    pairs, phrase, size = character_pairs(title), " ".join(folded), math.log1p(len(folded))
    return _Texts(frozenset(folded), pairs, first, phrase, len(folded), size, frozenset(_folded(description)))


def _folded(text: str) -> list[str]:
    """Words folded alike in query and product (lower case, a plural's s dropped); English by a pattern, since
    segmenting a hundred titles a search with jieba would cost more than the ranker itself."""
    found = WORD.findall(text.lower()) if text.isascii() else words(normal(text))
    return [word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word for word in found]


def character_pairs(text: str) -> frozenset[str]:
    """Neighbouring characters within each run of letters ("drill": dr ri il ll; 手机壳: 手机 机壳), a Chinese run
    whole whatever the segmenter made of it; a one-letter run as itself."""
    return frozenset(run[at : at + 2] for run in WORD.findall(normal(text)) for at in range(max(1, len(run) - 1)))
