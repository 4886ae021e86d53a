"""`train all` and the feature ranker over an Elasticsearch alias (noida-db, or the cluster at ES_URL): fusion and the
ranker kept in the alias's settings index and served by a running service within a poll, the encoder step refused
plainly."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import requests

from indexer import build_from_file
from indexer.elastic import ElasticConfig, ElasticWriter, physical_indices
from search.errors import SearchError
from search.features import NAMES
from search.indexes import IndexLocation
from search.pipeline import SearchSettings
from search.ranker import FeatureRanker
from tests.elastic_server import unique_alias
from tests.helpers import JUDGMENTS, LiveServer, prodsearch
from tests.training.test_train_all import known_items
from training.all import REPORT, train_all
from web import ServiceConfig, create_app


@pytest.fixture
def shop(elastic: ElasticConfig, sample_catalogue: Path) -> Iterator[IndexLocation]:
    """The sample in an alias of its own: what is trained here is kept in the cluster, beside no other test's."""
    alias = unique_alias("train")
    build_from_file(ElasticWriter(elastic, alias), sample_catalogue)
    yield IndexLocation(alias, elastic)
    client = elastic.client()
    for index in [*physical_indices(client, alias), f"{alias}.settings"]:
        client.indices.delete(index=index, ignore_unavailable=True)


def test_a_ranker_kept_in_the_cluster_is_read_back_and_served(
    shop: IndexLocation, sample_index: Path, elastic: ElasticConfig
) -> None:
    assert shop.ranker() is None
    over = ["--backend", "elasticsearch", "--es-url", elastic.url]
    trained = prodsearch("train", "ranker", shop.name, *over, *JUDGMENTS, "--depth", "30", check=True)
    assert f"{shop.name}.settings, document 'ranker': validation nDCG@10" in trained.stdout
    kept = shop.ranker()
    assert kept is not None and kept.usage.depth == 30 and kept.usage.trained["queries"] == 35
    used = FeatureRanker(kept.booster, replace(kept.usage, beats_hybrid=True))  # whatever its check said
    shop.keep_ranker(FeatureRanker(kept.booster, replace(kept.usage, beats_hybrid=False)))
    app = create_app(ServiceConfig(index=shop.name, backend="elasticsearch", es_url=elastic.url, reload_interval=0.1))
    server, live = LiveServer(app), app.extensions["prodsearch.live"]

    def served(condition: Callable[[], bool]) -> bool:
        deadline = time.monotonic() + 10
        while not condition() and time.monotonic() < deadline:
            time.sleep(0.1)
        return condition()

    try:
        assert requests.get(server.url + "/healthz", timeout=30).json()["ranker"] == "not used"
        assert f"{shop.name}.settings" in shop.keep_ranker(used)  # under the running service: served, no restart
        assert served(lambda: requests.get(server.url + "/healthz", timeout=30).json()["ranker"] == "on")
        body = requests.get(server.url + "/api/search", params={"q": "electric kettle"}, timeout=30).json()
        assert body["hits"] and "ranker" in body["timings_ms"]
        tuned = SearchSettings(fusion="rrf", rrf_k=20.0)
        shop.settings().save(tuned)
        assert served(lambda: live.pipeline.settings == tuned)
    finally:
        server.close()
    again = shop.ranker()
    rows = np.random.default_rng(5).random((20, len(NAMES)))
    assert again is not None and again.usage == used.usage and np.allclose(again.score(rows), used.score(rows))

    client = elastic.client()
    client.index(index=f"{shop.name}.settings", id="ranker", document={"record": {"model": "no"}}, refresh=True)
    with pytest.raises(SearchError, match="cannot be read.*delete the document 'ranker'"):
        shop.ranker()


def test_train_all_over_an_alias_runs_fusion_and_the_ranker_and_refuses_the_encoder(
    shop: IndexLocation, sample_index: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    over = ["--backend", "elasticsearch", "--es-url", shop.elastic.url]
    refused = prodsearch("train", "all", shop.name, *over, *JUDGMENTS, "--steps", "encoder,ranker")
    assert refused.returncode == 2 and refused.stderr.startswith("error: the encoder step: it serves its vectors")
    queries, qrels = known_items(sample_index)
    said: list[str] = []
    results = train_all(shop, queries, qrels, say=said.append)
    assert [result.name for result in results] == ["fusion", "ranker"] and any("ETA" in line for line in said)
    report = json.loads((tmp_path / f"{shop.name}.train-all" / f"{REPORT}.json").read_text())
    assert [step["name"] for step in report["steps"]] == ["fusion", "ranker"] and "encoder" in report["not_run"]
    ranker = shop.ranker()
    assert (ranker is not None and ranker.usage.beats_hybrid) == results[1].kept  # installed only if kept
    assert (shop.settings().read("current") is not None) == results[0].kept
