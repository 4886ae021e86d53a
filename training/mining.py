"""What both trainers draw from the index: the seeded split of judged queries, hybrid candidates, hard negatives."""

from __future__ import annotations

import random
from collections.abc import Container
from typing import NamedTuple, TypeVar

from evaluation.judgments import Qrels, split_queries
from indexer import Product
from search import SearchPipeline, SearchRequest
from training.errors import TrainingError

NEGATIVE_POOL = 50  # hybrid hits that hard negatives are drawn from
T = TypeVar("T")


def check_negatives_from_rank(rank: int) -> None:
    if not 0 <= rank < NEGATIVE_POOL:
        raise TrainingError(f"negatives_from_rank must be within 0..{NEGATIVE_POOL - 1}, got {rank}")


def split_for_training(
    queries: dict[str, str], qrels: Qrels, validation_share: float, seed: int
) -> tuple[list[str], list[str]]:
    """(fit, validation) query ids among the judged ones, split by query."""
    judged = sorted(qid for qid in queries if qid in qrels)
    if len(judged) < 4:
        raise TrainingError(
            f"only {len(judged)} judged queries; training needs at least 4 (some are held out for validation)"
        )
    return split_queries(judged, 1 - validation_share, seed)


def unjudged_hits(
    pipeline: SearchPipeline, text: str, judged: Container[str], from_rank: int
) -> tuple[str, list[Product]]:
    """(query as searched, its hybrid top-NEGATIVE_POOL hits from `from_rank` on that are not in `judged`):
    where hard negatives come from."""
    response = pipeline.search(SearchRequest(text, "hybrid", size=NEGATIVE_POOL))
    return response.searched, [hit.product for hit in response.hits[from_rank:] if hit.product.id not in judged]


def sample_up_to(items: list[T], count: int, rng: random.Random) -> list[T]:
    """`count` of `items` drawn at random, or all of them when there are fewer."""
    return rng.sample(items, min(count, len(items)))


class Candidates(NamedTuple):
    query: str  # as searched
    items: list[tuple[str, str]]  # (product_id, text) of the hybrid top hits, best first
    fused: list[tuple[str, float]]  # (product_id, fused score) of the same hits


def hybrid_candidates(pipeline: SearchPipeline, queries: dict[str, str], depth: int) -> dict[str, Candidates]:
    """qid -> its hybrid top `depth`, computed once."""
    candidates = {}
    for qid, text in queries.items():
        response = pipeline.search(SearchRequest(text, "hybrid", size=depth))
        items = [(hit.product.id, hit.product.embedding_text()) for hit in response.hits]
        candidates[qid] = Candidates(response.searched, items, [(hit.product.id, hit.score) for hit in response.hits])
    return candidates


def base_model(pipeline: SearchPipeline, chosen: str | None, defaults: dict[str, str]) -> str:
    """The backbone a training starts from: the one chosen, else `defaults` for the index's language."""
    return chosen or defaults[pipeline.backend.describe().language]
