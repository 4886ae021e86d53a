"""How the batch runner cuts texts into batches: full batches for many, an even split over the cores for a few."""

from __future__ import annotations

import pytest

from models.runner import MIN_SPLIT, batched

pytestmark = pytest.mark.fast


def sizes(count: int, batch_size: int = 16, workers: int = 2) -> list[int]:
    batches = batched(list(range(count)), batch_size, workers)
    assert [item for batch in batches for item in batch] == list(range(count))  # every item once, in order
    return [len(batch) for batch in batches]


def test_a_reranked_page_is_split_evenly_over_the_cores() -> None:
    assert sizes(30) == [15, 15] and sizes(20) == [10, 10] and sizes(10) == [5, 5]


def test_a_query_or_a_handful_is_one_batch() -> None:
    assert sizes(1) == [1] and sizes(MIN_SPLIT) == [MIN_SPLIT]


def test_many_cores_get_no_slivers_and_many_texts_full_batches() -> None:
    assert sizes(20, workers=16) == [7, 7, 6]
    assert sizes(100) == [16] * 6 + [4]
    assert sizes(0) == []
