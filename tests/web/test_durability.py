"""Live writes are durable: acknowledged writes survive SIGKILL, a torn log tail is dropped, a reader follows them."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest
import requests

from tests.helpers import free_port

TOKEN = "durability-admin-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
ENVIRONMENT = {"PRODSEARCH_ADMIN_TOKEN": TOKEN, "PRODSEARCH_EVENTS_DB": "off"}
ROUNDS = 4  # kill and restart this many times over one index directory
TORN = b"\x10\x00\x00\x00\xde\xad"  # a frame header promising 16 bytes, then 2 of them: a write cut short

State = dict[str, Any] | None  # the fields a write set, as GET /api/products/<id> must show them; None: absent


class Served(NamedTuple):
    url: str
    process: subprocess.Popen
    log: Path  # its stderr


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[[Path], Served]]:
    """Starts `prodsearch serve INDEX` with writes on, until it answers /healthz; kills what is left at the end."""
    started: list[Served] = []

    def start(index: Path) -> Served:
        port, log = free_port(), tmp_path / f"serve-{len(started)}.log"
        command = [sys.executable, "-m", "prodsearch", "serve", str(index), "--port", str(port)]
        with open(log, "w") as stderr:  # a file, not a pipe: a full pipe would stall the server
            process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr, env=os.environ | ENVIRONMENT)
        started.append(served := Served(f"http://127.0.0.1:{port}", process, log))
        deadline = time.monotonic() + 120
        while True:
            try:
                if requests.get(served.url + "/healthz", timeout=5).ok:
                    return served
            except requests.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"serve did not start:\n{log.read_text()}") from None
                time.sleep(0.1)

    yield start
    for served in started:
        if served.process.poll() is None:
            served.process.kill()
        served.process.wait(timeout=30)


def kill(served: Served) -> None:
    served.process.send_signal(signal.SIGKILL)
    served.process.wait(timeout=30)


def shown(url: str, product_id: str) -> dict[str, Any] | None:
    response = requests.get(f"{url}/api/products/{product_id}", timeout=10)
    assert response.status_code in (200, 404), response.text
    return response.json() if response.ok else None


def matches(state: State, product: dict[str, Any] | None) -> bool:
    if state is None or product is None:
        return state is None and product is None
    return all(product[field] == value for field, value in state.items())


class Writer:
    """One client streaming writes over ids of its own: what it was acknowledged, and the write left unanswered."""

    def __init__(self, number: int, sample: dict[str, float]) -> None:
        self.number, self.rng, self.count = number, random.Random(number), 0
        self.sample = sorted(sample)[:40]  # the catalogue's products it patches
        self.state: dict[str, State] = {sku: {"price": price} for sku, price in sample.items()}
        self.unanswered: dict[str, State] = {}  # the write the kill cut off: it may be there, whole, or not at all
        self.tasks: list[int] = []
        self.created: list[tuple[int, str, str]] = []  # (task, id, the word only its title has)
        self.error, self.cut = "", []  # cut: for each unanswered write, whether it was there after the restart

    def product(self, product_id: str | None = None) -> dict[str, Any]:
        self.count += 1
        word = "zx" + "".join(chr(ord("a") + int(digit)) for digit in f"{self.number}{self.count:05d}")
        return {
            "id": product_id or f"DUR-{self.number}-{self.count}",
            "title": f"Durable {word} kettle",
            "description": f"Written by writer {self.number} as write {self.count}.",
            "category": "Home > Kitchen > Kettles",
            "brand": "Durable",
            "price": round(self.rng.uniform(5, 500), 2),
            "currency": "EUR",
            "attributes": {"colour": self.rng.choice(["red", "silver", "black"]), "word": word},
        }

    def next_write(self) -> tuple[str, str, Any, dict[str, State]]:
        """(method, path, body, the state of each id it writes)."""
        mine = [key for key, state in self.state.items() if key.startswith("DUR") and state is not None]
        roll = self.rng.random()
        if roll < 0.3:
            sku, price = self.rng.choice(self.sample), round(self.rng.uniform(1, 999), 2)
            return "PATCH", f"/api/products/{sku}", {"price": price}, {sku: {"price": price}}
        if roll < 0.45 and mine:
            victim = self.rng.choice(mine)
            return "DELETE", f"/api/products/{victim}", None, {victim: None}
        if roll < 0.6:
            batch = [self.product() for _ in range(self.rng.randint(3, 5))]
            return "POST", "/api/products", batch, {p["id"]: {"title": p["title"], "price": p["price"]} for p in batch}
        product = self.product(self.rng.choice(mine) if mine and self.rng.random() < 0.3 else None)
        state = {"title": product["title"], "price": product["price"]}
        return "PUT", f"/api/products/{product['id']}", product, {product["id"]: state}

    def run(self, url: str) -> None:
        while True:
            method, path, body, states = self.next_write()
            try:
                response = requests.request(method, url + path, json=body, headers=AUTH, timeout=30)
            except requests.RequestException:  # the server died under it
                self.unanswered = states
                return
            if response.status_code != 202:
                self.error = f"{method} {path}: {response.status_code} {response.text}"
                return
            task = response.json()["task"]
            self.tasks.append(task)
            self.state.update(states)
            if method in ("PUT", "POST"):
                self.created += [(task, key, state["title"].split()[1]) for key, state in states.items()]

    def holds(self, product_id: str, word: str) -> bool:
        return (state := self.state.get(product_id)) is not None and word in state.get("title", "")

    def settle(self, url: str) -> list[str]:
        """Checks every id against its acknowledged state (or the unanswered write), then takes what is served."""
        problems, outcome = [], set()
        for key in self.state.keys() | self.unanswered.keys():
            product, acknowledged, sent = shown(url, key), self.state.get(key), self.unanswered.get(key, False)
            landed, kept = sent is not False and matches(sent, product), matches(acknowledged, product)
            if not (landed or kept):
                problems.append(f"{key}: acknowledged {acknowledged}, unanswered {sent}, served {product}")
            elif sent is not False and landed != kept:  # both: it set what was there already
                outcome.add(landed)
                self.state[key] = sent if landed else acknowledged
        if len(outcome) > 1:
            problems.append(f"the unanswered write {self.unanswered} was applied in part")
        self.unanswered, self.cut = {}, self.cut + sorted(outcome)
        return problems


def test_acknowledged_writes_survive_sigkill(
    tmp_path: Path, sample_index: Path, sample_records: list[dict], serve: Callable[[Path], Served]
) -> None:
    """Writes stream from two clients while the service is SIGKILLed at random moments, four times; after each
    restart every acknowledged write is served (and the one cut off is whole or absent), and searchable."""
    index = shutil.copytree(sample_index, tmp_path / "index")
    prices = {record["id"]: record.get("price") for record in sample_records}
    writers = [Writer(number, {sku: prices[sku] for sku in sorted(prices)[number::2]}) for number in (0, 1)]
    started, served = time.monotonic(), serve(index)
    for round_number in range(ROUNDS):
        threads = [threading.Thread(target=writer.run, args=(served.url,)) for writer in writers]
        for thread in threads:
            thread.start()
        delay = random.uniform(0.2, 1.5)
        time.sleep(delay)
        kill(served)
        for thread in threads:
            thread.join(timeout=60)
        assert not any(writer.error for writer in writers), [writer.error for writer in writers]
        served = serve(index)
        problems = [problem for writer in writers for problem in writer.settle(served.url)]
        assert not problems, f"round {round_number}, killed after {delay:.2f} s:\n" + "\n".join(problems[:20])
        health = requests.get(served.url + "/healthz", timeout=10).json()
        acknowledged = max(task for writer in writers for task in writer.tasks)
        assert health["writes"] == "on" and health["live_sequence"] >= acknowledged, (health, acknowledged)
        created = {key for writer in writers for key, state in writer.state.items() if key[:3] == "DUR" and state}
        assert health["products"] == len(prices) + len(created)
        task, last, word = max(item for writer in writers for item in writer.created if writer.holds(*item[1:]))
        hits = requests.get(served.url + "/api/search", params={"q": word, "mode": "bm25"}, timeout=30).json()["hits"]
        assert last in [hit["id"] for hit in hits], f"{last} (task {task}, '{word}') is not found after the restart"
        print(f"round {round_number}: killed after {delay:.2f} s; acknowledged through task {acknowledged}")
    cut = [landed for writer in writers for landed in writer.cut]
    print(
        f"{ROUNDS} rounds in {time.monotonic() - started:.1f} s; of {len(cut)} unanswered writes {sum(cut)} were kept"
    )


def test_a_torn_tail_is_dropped_and_logged(tmp_path: Path, sample_index: Path, serve: Callable[[Path], Served]) -> None:
    """A partial record after the last acknowledged write is cut off, and said so, when the service restarts;
    every acknowledged write is served and new writes are taken."""
    index = shutil.copytree(sample_index, tmp_path / "index")
    first = serve(index)
    sent = {f"TORN-{n}": {"title": f"Torn tail kettle {n}", "price": float(n + 10)} for n in range(8)}
    for key, state in sent.items():
        assert requests.put(f"{first.url}/api/products/{key}", json=state, headers=AUTH, timeout=30).status_code == 202
    patched = requests.patch(f"{first.url}/api/products/SKU-1001", json={"price": 12.5}, headers=AUTH, timeout=30)
    assert patched.status_code == 202
    sent["SKU-1001"] = {"price": 12.5}
    kill(first)
    newest = max((index / "live").glob("changes-*.log"))
    whole = newest.stat().st_size
    with open(newest, "ab") as log:
        log.write(TORN)

    second = serve(index)
    for key, state in sent.items():
        assert matches(state, shown(second.url, key)), (key, state, shown(second.url, key))
    assert "torn or damaged tail" in second.log.read_text()
    assert newest.stat().st_size == whole
    after = {"title": "After the tear", "price": 3.0}
    written = requests.put(f"{second.url}/api/products/TORN-NEW?wait=true", json=after, headers=AUTH, timeout=30)
    assert written.status_code == 200 and written.json()["status"] == "applied", written.text
    assert matches(after, shown(second.url, "TORN-NEW"))


def test_a_second_process_reads_the_writers_writes_and_refuses_writes(
    tmp_path: Path, sample_index: Path, serve: Callable[[Path], Served]
) -> None:
    """The second service over an index answers writes 409 naming the writer's pid, and serves the writer's writes
    within a second."""
    index = shutil.copytree(sample_index, tmp_path / "index")
    writer, reader = serve(index), serve(index)
    product = {"title": "Second process kettle", "price": 42.0}
    refused = requests.put(f"{reader.url}/api/products/TWO-1", json=product, headers=AUTH, timeout=30)
    assert refused.status_code == 409 and refused.json()["error"] == "not the writer", refused.text
    assert f"process {writer.process.pid} on " in refused.json()["detail"]
    assert shown(reader.url, "TWO-1") is None

    written = requests.put(f"{writer.url}/api/products/TWO-1?wait=true", json=product, headers=AUTH, timeout=30)
    assert written.status_code == 200 and written.json()["status"] == "applied", written.text
    started = time.monotonic()
    while (seen := shown(reader.url, "TWO-1")) is None and time.monotonic() - started < 10:
        time.sleep(0.02)
    took = time.monotonic() - started
    print(f"the reader served the writer's write after {took:.3f} s")
    assert matches(product, seen) and took < 1.5, (seen, took)
    assert requests.get(writer.url + "/healthz", timeout=10).json()["writes"] == "on"
    assert requests.get(reader.url + "/healthz", timeout=10).json()["writes"] == "elsewhere"
