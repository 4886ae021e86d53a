"""The dense index: HNSW answers unfiltered queries approximately, and filtered ones exactly, as flat does."""

from __future__ import annotations

import numpy as np
import pytest

from indexer.dense import DenseIndex, DenseSettings

pytestmark = pytest.mark.fast


def unit_rows(count: int, seed: int) -> np.ndarray:
    vectors = np.random.default_rng(seed).standard_normal((count, 32)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


@pytest.fixture(scope="module")
def indexes() -> tuple[DenseIndex, DenseIndex]:
    vectors = unit_rows(3000, 1)
    return DenseIndex.build(vectors, DenseSettings(kind="hnsw")), DenseIndex.build(vectors, DenseSettings(kind="flat"))


def test_auto_is_exact_for_small_catalogues_and_hnsw_above_the_threshold() -> None:
    settings = DenseSettings()
    assert settings.resolve(settings.hnsw_threshold) == "flat"
    assert settings.resolve(settings.hnsw_threshold + 1) == "hnsw"


def test_filtered_queries_on_hnsw_are_exact(indexes: tuple[DenseIndex, DenseIndex]) -> None:
    approximate, exact = indexes
    rng = np.random.default_rng(2)
    for query in unit_rows(20, 3):
        for share in (0.01, 0.3, 0.9):  # a narrow filter, and broad ones
            rows = np.sort(rng.choice(3000, int(3000 * share), replace=False))
            scores, found = approximate.search(query, 10, rows)
            assert set(found) <= set(rows)
            np.testing.assert_array_equal(found, exact.search(query, 10, rows)[1])
            np.testing.assert_allclose(scores, exact.search(query, 10, rows)[0], rtol=1e-5)


def test_unfiltered_queries_on_hnsw_find_nearly_the_exact_neighbours(indexes: tuple[DenseIndex, DenseIndex]) -> None:
    approximate, exact = indexes
    queries = unit_rows(50, 4)
    recall = np.mean([len(set(approximate.search(q, 100)[1]) & set(exact.search(q, 100)[1])) / 100 for q in queries])
    assert recall >= 0.9
