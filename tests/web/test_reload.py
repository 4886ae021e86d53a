"""Hot reload: `index update` switches versions under a running service without a failed request."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import requests

from indexer import build_index
from tests.helpers import LiveServer, prodsearch, write_jsonl
from web import ServiceConfig, create_app


def test_update_is_served_within_seconds_without_failures(tmp_path: Path, sample_catalogue: Path) -> None:
    root = tmp_path / "index"
    build_index(sample_catalogue, root)
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
