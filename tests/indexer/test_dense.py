"""The dense index: HNSW answers unfiltered queries approximately, and filtered ones exactly, as flat does."""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np
import pytest

from indexer.dense import EF_CHOICES, DenseIndex, DenseSettings

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


def test_a_build_searches_its_hnsw_graph_as_wide_as_recall_needs(tmp_path: Path, sample_catalogue: Path) -> None:
    from indexer import BuildSettings, DirectoryWriter, build_from_file, open_index

    root = tmp_path / "hnsw"
    build_from_file(DirectoryWriter(root), sample_catalogue, BuildSettings(dense=DenseSettings(kind="hnsw", hnsw_m=4)))
    version = open_index(root)
    chosen = version.settings.dense.ef_search
    assert chosen in EF_CHOICES and faiss.downcast_index(version.dense.index).hnsw.efSearch == chosen
    assert version.settings.dense.kind == "hnsw" and version.manifest.dense_kind == "hnsw"


def test_tuning_picks_the_smallest_ef_that_reaches_the_target() -> None:
    rng = np.random.default_rng(3)
    vectors = rng.normal(size=(3000, 32)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    sparse = DenseIndex.build(vectors, DenseSettings(kind="hnsw", hnsw_m=4, ef_construction=16))
    chosen = sparse.tune(vectors[:50], k=100)
    assert chosen > EF_CHOICES[0]  # a thin graph over random vectors misses neighbours at the narrowest width
    dense = DenseIndex.build(vectors[:150], DenseSettings(kind="hnsw"))
    assert dense.tune(vectors[:50], k=100) == EF_CHOICES[0]  # 150 vectors: the graph finds them all
