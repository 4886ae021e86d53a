"""Hot reload: `index update` switches versions under a running service without a failed request, and a
CURRENT that names nothing servable leaves the service on its version, saying why in /healthz."""

from __future__ import annotations

import logging
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest
import requests

from indexer import DirectoryWriter, build_from_file
from indexer.versions import IndexRoot
from tests.helpers import LiveServer, prodsearch, write_jsonl
from web import ServiceConfig, create_app


def test_update_is_served_within_seconds_without_failures(tmp_path: Path, sample_catalogue: Path) -> None:
    root = tmp_path / "index"
    build_from_file(DirectoryWriter(root), sample_catalogue)
    app = create_app(ServiceConfig(index=str(root), reload_interval=0.2))
    live = app.extensions["prodsearch.live"]
    live.start()
    server = LiveServer(app)
    statuses: list[int] = []
    stop = threading.Event()

    def traffic() -> None:
        while not stop.is_set() and len(statuses) < 5000:
            for mode in ("bm25", "hybrid"):
                statuses.append(
                    requests.get(
                        server.url + "/api/search", params={"q": "camping stove", "mode": mode}, timeout=30
                    ).status_code
                )

    clients = [threading.Thread(target=traffic) for _ in range(2)]
    try:
        for client in clients:
            client.start()
        delta = write_jsonl(
            tmp_path / "delta.jsonl", [{"id": "NEW-1", "title": "Alpenware Trek Camping Stove", "price": 39}]
        )
        prodsearch("index", "update", str(root), "--upsert", str(delta), check=True)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            body = requests.get(
                server.url + "/api/search", params={"q": "camping stove", "mode": "bm25"}, timeout=30
            ).json()
            if body["hits"] and body["hits"][0]["id"] == "NEW-1":
                break
            time.sleep(0.1)
        switched = time.monotonic() - (deadline - 10)
        assert body["index_version"] == "v000002" and body["hits"][0]["id"] == "NEW-1", (
            "the update was not served within 10 s"
        )
        assert switched < 5
        time.sleep(0.5)  # traffic continues on the new version
    finally:
        stop.set()
        for client in clients:
            client.join()
        live.stop()
        server.close()
    assert len(statuses) > 20 and set(statuses) == {200}


def _until(condition: Callable[[dict], bool], server: LiveServer, seconds: float = 10) -> dict:
    """/healthz once it meets the condition; fails after `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        health = requests.get(server.url + "/healthz", timeout=30).json()
        if condition(health) or time.monotonic() > deadline:
            assert condition(health), health
            return health
        time.sleep(0.05)


def test_a_bad_current_keeps_the_served_version_and_is_reported_once(
    tmp_path: Path, sample_index: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    import search.live

    loads: list[Path] = []
    opened = search.live.open_version
    monkeypatch.setattr(search.live, "open_version", lambda path: loads.append(path) or opened(path))
    root = Path(shutil.copytree(sample_index, tmp_path / "index"))
    app = create_app(ServiceConfig(index=str(root), reload_interval=0.05))
    live = app.extensions["prodsearch.live"]
    live.start()
    server = LiveServer(app)
    document = requests.get(server.url + "/api/openapi.json", timeout=30).json()
    schema = {"$ref": "#/components/schemas/Health", "components": document["components"]}

    def errors() -> int:
        return sum(record.levelno >= logging.ERROR for record in caplog.records)

    try:
        with caplog.at_level(logging.INFO, logger="search.live"):
            assert _until(lambda health: True, server)["problem"] is None
            # a hand edit naming no version, by rename as CURRENT is always replaced (written in place, a poll
            # can read it empty, half-written)
            (root / "CURRENT.new").write_text("v000042\n")
            (root / "CURRENT.new").replace(root / "CURRENT")
            health = _until(lambda health: health["status"] == "degraded", server)
            jsonschema.Draft202012Validator(schema).validate(health)
            assert health["index_version"] == "v000001" and health["products"] == 300
            assert "CURRENT names 'v000042', which is not a version" in health["problem"]
            assert health["problem"].endswith("still serving v000001")
            search = requests.get(server.url + "/api/search", params={"q": "kettle", "mode": "bm25"}, timeout=30)
            assert search.status_code == 200 and search.json()["hits"]
            time.sleep(1)  # twenty more polls: still one line in the log
            assert errors() == 1 and "Traceback" not in caplog.text

            # a version that fails its checksums is not served either, whether at start-up or now
            versions = root / "versions"
            shutil.copytree(versions / "v000001", versions / "v000002")
            dense = versions / "v000002" / "dense.faiss"
            dense.write_bytes(dense.read_bytes()[:-1] + bytes([dense.read_bytes()[-1] ^ 1]))
            IndexRoot(root).point_to("v000002")
            health = _until(lambda health: "dense.faiss has sha256" in (health["problem"] or ""), server)
            assert health["status"] == "degraded" and health["index_version"] == "v000001"
            assert "v000002/dense.faiss" in health["problem"] and "rebuild it" in health["problem"]
            time.sleep(1)  # it is not loaded (hashed) again at every poll, nor logged again
            assert errors() == 2 and [path.name for path in loads] == ["v000001", "v000002"]

            IndexRoot(root).point_to("v000001")
            health = _until(lambda health: health["status"] == "ok", server)
            assert health["problem"] is None and errors() == 2
            assert "index problem resolved; serving v000001" in caplog.text
    finally:
        live.stop()
        server.close()


def test_what_tuning_and_training_install_is_served_without_a_new_version(
    tmp_path: Path, sample_index: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import lightgbm
    import numpy as np

    from search.features import NAMES
    from search.pipeline import SearchSettings
    from search.ranker import FeatureRanker, RankerUsage
    from search.tuned import FILE, FileSettings

    root = Path(shutil.copytree(sample_index, tmp_path / "index"))
    live = create_app(ServiceConfig(index=str(root), reload_interval=0.05)).extensions["prodsearch.live"]

    def served(condition: Callable[[], bool]) -> bool:
        deadline = time.monotonic() + 10
        while not condition() and time.monotonic() < deadline:
            time.sleep(0.05)
        return condition()

    rng = np.random.default_rng(7)
    rows = rng.random((200, len(NAMES)))
    data = lightgbm.Dataset(rows, label=rng.integers(0, 3, 200), group=[20] * 10)
    booster = lightgbm.train({"objective": "lambdarank", "verbosity": -1}, data, num_boost_round=2)
    ranker = FeatureRanker(booster, RankerUsage(30, True, NAMES, {}, {"trees": 2}))
    try:
        assert live.pipeline.settings == SearchSettings() and live.pipeline.ranker is None
        tuned = SearchSettings(fusion="rrf", rrf_k=20.0)
        FileSettings(root).save(tuned)  # as `prodsearch tune` and `train all` keep them
        assert served(lambda: live.pipeline.settings == tuned)
        ranker.save(root)  # as `train ranker` and `train all` keep it
        assert served(lambda: live.pipeline.ranker is not None and live.pipeline.ranker.usage == ranker.usage)
        assert live.pipeline.settings == tuned and live.version == "v000001"

        kept = live.pipeline
        with caplog.at_level(logging.INFO, logger="search.live"):
            (root / FILE).write_text("{ half written", encoding="utf-8")
            assert served(lambda: "cannot serve the index's tuned settings and ranker" in caplog.text)
            time.sleep(0.5)  # ten more polls: the same file is not read again, nor logged again
        assert live.pipeline is kept and caplog.text.count("cannot serve") == 1
        assert "not valid tuned settings" in caplog.text and "Traceback" not in caplog.text
    finally:
        live.stop()
