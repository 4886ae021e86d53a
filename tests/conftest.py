"""Shared fixtures: the shipped sample catalogue, and one index of it built per run.

Tests marked `fast` are pure logic with small fakes (`make test-fast`); collection refuses one that
asks for a fixture that loads a model, builds an index or starts a server. The suite runs on pytest-xdist's
workers, a file each at a time; the indexes, the sample reranker and the model cache are made once for all of them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from filelock import FileLock

from models.weights import library_defaults
from tests.elastic_server import elasticsearch_url, unique_alias
from tests.helpers import JUDGMENTS, SAMPLE, SAMPLE_ZH

library_defaults()  # as the CLI and the service do before a model loads; the CLI run in subprocesses inherits them

HEAVY_FIXTURES = frozenset(
    {
        "sample_index",
        "sample_zh_index",
        "sample_reranker",
        "pinned_reranker",
        "postgres",
        "elastic",
        "elastic_sample",
        "server",
        "silent_server",
        "browser",
        "reference",
    }
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        heavy = HEAVY_FIXTURES.intersection(getattr(item, "fixturenames", ()))
        if heavy and item.get_closest_marker("fast"):
            raise pytest.UsageError(f"{item.nodeid} is marked fast but uses {', '.join(sorted(heavy))}")


def built_once(factory: pytest.TempPathFactory, name: str, build: Callable[[Path], object]) -> Path:
    """The folder `name` of this run, filled by `build` once for every worker: the first to ask builds it under a
    lock, and a half-built one (its builder failed) is built again."""
    root = factory.getbasetemp()
    root = root.parent if os.environ.get("PYTEST_XDIST_WORKER") else root  # the run's folder, above the workers'
    folder, done = root / name, root / f"{name}.done"
    with FileLock(root / f"{name}.lock"):
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            build(folder)
            done.touch()
    return folder


@pytest.fixture(scope="session", autouse=True)
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The ONNX graphs derived from the models go to a cache of this test run, not the user's (its writes are
    atomic, so the workers share it)."""
    with pytest.MonkeyPatch.context() as patch:
        cache = built_once(tmp_path_factory, "model-cache", lambda folder: None)
        patch.setenv("PRODSEARCH_CACHE", str(cache))  # the CLI run in subprocesses inherits it
        yield cache


@pytest.fixture(scope="session")
def sample_catalogue() -> Path:
    return SAMPLE / "products.jsonl"


@pytest.fixture(scope="session")
def sample_records(sample_catalogue: Path) -> list[dict]:
    return [json.loads(line) for line in sample_catalogue.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="session")
def sample_index(tmp_path_factory: pytest.TempPathFactory, sample_catalogue: Path) -> Path:
    """The sample catalogue built once, through the library, with the default settings."""
    from indexer import DirectoryWriter, build_from_file

    return built_once(
        tmp_path_factory, "sample-index", lambda root: build_from_file(DirectoryWriter(root), sample_catalogue)
    )


@pytest.fixture(scope="session")
def sample_zh_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Chinese sample catalogue built once with the default settings (Chinese analysis, multilingual e5)."""
    from indexer import DirectoryWriter, build_from_file

    catalogue = SAMPLE_ZH / "products.jsonl"
    return built_once(
        tmp_path_factory, "sample-zh-index", lambda root: build_from_file(DirectoryWriter(root), catalogue)
    )


@pytest.fixture(scope="session")
def sample_reranker(
    tmp_path_factory: pytest.TempPathFactory, sample_index: Path
) -> tuple[Path, subprocess.CompletedProcess]:
    """A cross-encoder trained for a few steps on the sample judgments, through the command line, from MiniLM (half
    the layers of e5, the English default: these tests are about what any reranker does)."""
    from tests.helpers import prodsearch

    def train(folder: Path) -> None:
        arguments = ["--max-pairs", "96", "--batch-size", "16", "--max-length", "96", "--base", "all-MiniLM-L6-v2"]
        run = prodsearch("train", "reranker", str(sample_index), *JUDGMENTS, "--out", str(folder / "model"), *arguments)
        fields = {"args": run.args, "returncode": run.returncode, "stdout": run.stdout, "stderr": run.stderr}
        (folder / "run.json").write_text(json.dumps(fields), encoding="utf-8")

    folder = built_once(tmp_path_factory, "reranker", train)
    result = subprocess.CompletedProcess(**json.loads((folder / "run.json").read_text(encoding="utf-8")))
    assert result.returncode == 0, result.stderr[-2000:]
    return folder / "model", result


@pytest.fixture(scope="session")
def pinned_reranker(tmp_path_factory: pytest.TempPathFactory, sample_reranker: tuple[Path, object]) -> Path:
    """The sample reranker told to reorder the fused top 50 by its own score alone, whatever its few training
    steps chose: for tests of how reranked hits are served, not of how good the model is."""
    from models.cross_encoders import USAGE_FILE

    out = tmp_path_factory.mktemp("pinned") / "reranker"
    shutil.copytree(sample_reranker[0], out)
    usage = {"rerank_depth": 50, "rerank_weight": 1.0, "beats_hybrid": True}
    (out / USAGE_FILE).write_text(json.dumps(usage), encoding="utf-8")
    return out


@pytest.fixture(scope="session")
def elastic(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """Connection settings of the test cluster (noida-db, or the real one at ES_URL) with short timeouts."""
    from indexer.elastic import ElasticConfig

    with elasticsearch_url(tmp_path_factory.mktemp("noida")) as url:
        yield ElasticConfig.from_env(url=url)


@pytest.fixture(scope="session")
def elastic_sample(elastic, sample_catalogue: Path) -> Iterator[str]:
    """The sample catalogue built once into the test cluster; its alias."""
    from indexer import build_from_file
    from indexer.elastic import ElasticWriter, physical_indices

    alias = unique_alias("sample")
    build_from_file(ElasticWriter(elastic, alias), sample_catalogue)
    yield alias
    client = elastic.client()
    for index in physical_indices(client, alias):
        client.indices.delete(index=index, ignore_unavailable=True)


@pytest.fixture(scope="session")
def postgres() -> Iterator[str]:
    """A throwaway PostgreSQL server's URL for the session (tests.postgres_server)."""
    from tests.postgres_server import postgres_server

    with postgres_server() as url:
        yield url
