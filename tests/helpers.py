"""Helpers for tests: paths, the console script, small catalogues."""

from __future__ import annotations

import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from uuid import uuid4

import requests

from search.backend import Description
from search.merchandising import FixedMerchandising, Merchandising, Ranking

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "data" / "sample"
SAMPLE_ZH = REPO / "data" / "sample-zh"
# relevance alone, for tests of retrieval, fusion and reranking: the sample catalogue has out-of-stock products,
# which the default ranking moves down
RELEVANCE_ONLY = FixedMerchandising(Merchandising(ranking=Ranking(stock="ignore")))
JUDGMENTS = ["--queries", str(SAMPLE / "queries.tsv"), "--qrels", str(SAMPLE / "qrels.tsv")]


def prodsearch(*arguments: str, check: bool = False) -> subprocess.CompletedProcess:
    """The console script as a user runs it."""
    result = subprocess.run([sys.executable, "-m", "prodsearch", *arguments], capture_output=True, text=True)
    if check and result.returncode != 0:
        raise AssertionError(f"prodsearch {' '.join(arguments)} failed:\n{result.stderr}")
    return result


def benchmark(module: str, *arguments: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """`python -m benchmarks.MODULE ARGUMENTS` from the checkout, as the docs run it; fails the test where it fails."""
    command = [sys.executable, "-m", f"benchmarks.{module}", *arguments]
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return result


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    return path


class LiveServer:
    """A real waitress server on an ephemeral loopback port, in a thread."""

    def __init__(self, app) -> None:
        import threading

        import waitress

        self.app = app
        self.server = waitress.create_server(app, host="127.0.0.1", port=0, threads=4)
        self.url = f"http://127.0.0.1:{self.server.effective_port}"
        self.closing = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            self.server.run()
        except OSError:  # the loop notices its sockets closed under it: that is how it stops
            if not self.closing:
                raise

    def close(self) -> None:
        from waitress import wasyncore

        from web import close_app

        self.closing = True
        self.server.close()
        # every channel too (kept-alive connections, the trigger): with only the listener closed, the loop waits on
        # them and the join ran out its 5 s
        wasyncore.close_all(self.server._map)
        self.thread.join(timeout=5)
        close_app(self.app)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def serving(
    index: Path | str, *flags: str, env: dict[str, str] | None = None
) -> Iterator[tuple[str, subprocess.Popen]]:
    """`prodsearch serve INDEX` as a user runs it, on a free loopback port: (its URL, the process) until the block
    ends, then stopped as a service manager stops it (SIGTERM)."""
    port = free_port()
    command = [sys.executable, "-m", "prodsearch", "serve", str(index), "--port", str(port), *flags]
    with tempfile.TemporaryFile("w+") as log:  # not a pipe: a full pipe would stall the server
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log, env={**os.environ, **(env or {})})
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    if requests.get(url + "/healthz", timeout=5).ok:
                        break
                except requests.ConnectionError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        log.seek(0)
                        raise AssertionError(f"serve did not start: {log.read()}") from None
                    time.sleep(0.2)
            yield url, process
        finally:
            if process.poll() is None:
                process.terminate()
            process.wait(timeout=30)


@contextmanager
def served(index: Path | str, *flags: str) -> Iterator[str]:
    """The URL of `serving(index, *flags)`."""
    with serving(index, *flags) as (url, _):
        yield url


def assert_same_by_id(updated, rebuilt, queries: list[str]) -> None:
    """An updated version (rows kept, appended, emptied) holds what a rebuild of its catalogue holds, by id: the
    products, their vectors, every keyword match (scores within 10 %: BM25 counts replaced documents until their
    segment merges, as Lucene does) and the dense leg's order."""
    import numpy as np

    from indexer import encoder_for

    assert sorted(updated.products, key=lambda product: product.id) == rebuilt.products
    assert updated.settings == rebuilt.settings
    ids = sorted(rebuilt.row_of)
    by_id = [version.dense.matrix()[[version.row_of[i] for i in ids]] for version in (updated, rebuilt)]
    np.testing.assert_allclose(by_id[0], by_id[1], atol=1e-5)
    encoder = encoder_for(rebuilt.manifest)
    for query in queries:
        keyword = [{v.rows[row].id: score for row, score in v.keyword.search(query, 400)} for v in (updated, rebuilt)]
        assert keyword[0].keys() == keyword[1].keys(), query  # every match, and only those
        np.testing.assert_allclose([keyword[0][i] for i in keyword[1]], list(keyword[1].values()), rtol=0.1)
        vector = encoder.encode([query])[0]
        dense = [[v.rows[row].id for row in v.dense.search(vector, 20)[1]] for v in (updated, rebuilt)]
        assert dense[0] == dense[1], query


class EmptyBackend:
    """Stands in for a served backend with no products, complete enough that the service's background work (the
    suggester) succeeds: a background thread that fails logs a traceback, and on Python 3.11 formatting one calls
    ast.parse, which races with Flask compiling its routes in the test's thread (cpython#106905)."""

    label = "v000001"

    def __init__(self, language: str = "en", products: int = 0) -> None:
        self.described = Description(products, language, "fake", "fake")

    def describe(self) -> Description:
        return self.described

    def products(self, ids: Any) -> dict:
        return {}

    def all_products(self, only: Any = ()) -> list:
        return []


@contextmanager
def admin_service(index: Path, copy_to: Path, token: str, **config: object) -> Iterator[str]:
    """A copy of `index` served in this process with the admin token (writes and the shop's settings on): its URL,
    until the block ends."""
    import shutil

    from web import ServiceConfig, create_app

    root = Path(shutil.copytree(index, copy_to))
    app = create_app(ServiceConfig(index=str(root), admin_token=token, events_db="off", **config))
    server = LiveServer(app)
    try:
        yield server.url
    finally:
        server.close()
        app.extensions["prodsearch.live"].stop()


def logged_clicks(
    database: Path, queries: dict[str, str], qrels: dict[str, dict[str, int]], moved: bool = False
) -> None:
    """Four sessions' searches of each query showing its judged products, best first, with clicks on them as a
    service logs them (a product graded g at position k clicked with chance g / 3 / k); `moved`: half the searches
    show the products in reverse, as a second ranker in an A/B test would."""
    from events import Event, EventStore, SearchRecord
    from events.records import NO_FILTERS

    rng = random.Random(11)
    searches, events = [], []
    for qid, text in queries.items():
        shown = sorted(qrels[qid], key=lambda product: -qrels[qid][product])[:10]
        for session in range(4):
            order = shown[::-1] if moved and session % 2 else shown
            record = SearchRecord(
                uuid4().hex,
                session,
                None,
                "api",
                text,
                text,
                "hybrid",
                "v1",
                "[]",
                NO_FILTERS,
                len(order),
                1,
                10,
                tuple(order),
                1.0,
            )
            searches.append(record)
            events += [
                Event(session, None, "api", "click", record.search_id, product, position)
                for position, product in enumerate(order, start=1)
                if rng.random() < qrels[qid][product] / 3 / position
            ]
    store = EventStore(str(database), create=True)
    store.write(searches, events)
    store.close()
