"""Load on a served index: well-behaved clients alone, then beside hostile ones, over loopback, bounded in time.

See docs/design.md#load.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import socket
import string
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import requests

from benchmarks.search_latency import start_server

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "data" / "sample"
IDLE_CONNECTIONS = 200  # held by one hostile client, more than waitress's default limit of 100
TIMEOUT = 30.0  # seconds a well-behaved request may take before it counts as an error


@dataclass
class Tally:
    """What one kind of client saw in a phase."""

    latencies: list[float] = field(default_factory=list)  # milliseconds of the answered requests
    statuses: Counter = field(default_factory=Counter)  # status code, or the exception's name
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, started: float, status: int | str) -> None:
        with self.lock:
            self.latencies.append((time.perf_counter() - started) * 1000)
            self.statuses[status] += 1

    def errors(self, expected: int = 200) -> int:
        return sum(count for status, count in self.statuses.items() if status != expected)

    def summary(self, seconds: float) -> str:
        if not self.latencies:
            return "no requests"
        p50, p99 = np.percentile(self.latencies, [50, 99])
        rate = len(self.latencies) / seconds
        return f"{rate:7.1f} req/s  p50 {p50:7.1f}  p99 {p99:7.1f}  max {max(self.latencies):7.1f} ms"


def sample_index() -> Path:
    built = REPO / "var" / "sample-index"
    if (built / "CURRENT").is_file():
        return built
    root = Path(tempfile.mkdtemp(prefix="load-index-")) / "index"
    print(f"building the sample catalogue into {root}")
    subprocess.run(
        [sys.executable, "-m", "prodsearch", "index", "build", str(SAMPLE / "products.jsonl"), "--out", str(root)],
        check=True,
    )
    return root


def well_behaved(url: str, queries: list[str], tally: Tally, stop: threading.Event, seed: int) -> None:
    session, rng = requests.Session(), random.Random(seed)
    while not stop.is_set():
        started = time.perf_counter()
        try:
            response = session.get(url + "/api/search", params={"q": rng.choice(queries)}, timeout=TIMEOUT)
            tally.add(started, response.status_code)
        except requests.RequestException as error:
            tally.add(started, type(error).__name__)
            session = requests.Session()


def unknown_words(rng: random.Random) -> str:
    words = []
    while sum(len(word) + 1 for word in words) < 512:
        words.append("".join(rng.choices(string.ascii_lowercase, k=rng.randint(5, 12))))
    return " ".join(words)[:512]


def many_filters(rng: random.Random) -> list[tuple[str, str]]:
    """Alternately far past the bounds (1,000 attribute names, 100 brands) and at them."""
    if rng.random() < 0.5:
        return [("q", "kettle")] + [(f"attr.a{i}", "x") for i in range(1000)] + [("brand", f"b{i}") for i in range(100)]
    brands = [("brand", f"brand {i}") for i in range(30)]
    return [("q", "kettle"), ("category", "Home > Kitchen"), *brands] + [(f"attr.a{i}", "x") for i in range(20)]


def hostile_requests(url: str, make: Callable[[random.Random], object], tally: Tally, stop: threading.Event) -> None:
    session, rng = requests.Session(), random.Random(7)
    while not stop.is_set():
        params = make(rng)
        started = time.perf_counter()
        try:
            tally.add(started, session.get(url + "/api/search", params=params, timeout=TIMEOUT).status_code)
        except requests.RequestException as error:
            tally.add(started, type(error).__name__)
            session = requests.Session()


def idle_connections(url: str, tally: Tally, stop: threading.Event) -> None:
    """Holds IDLE_CONNECTIONS connections that send nothing, opening a new one for each the server closes."""
    host, port = url.removeprefix("http://").split(":")
    held: list[socket.socket] = []
    while not stop.is_set():
        for connection in list(held):  # readable with nothing to read: the server closed it
            connection.setblocking(False)
            try:
                closed = connection.recv(1) == b""
            except BlockingIOError:
                closed = False
            except OSError:
                closed = True
            if closed:
                held.remove(connection)
                connection.close()
                tally.statuses["closed by the server"] += 1
        while len(held) < IDLE_CONNECTIONS and not stop.is_set():
            started = time.perf_counter()
            try:
                held.append(socket.create_connection((host, int(port)), timeout=5))
                tally.add(started, "opened")
            except OSError as error:
                tally.add(started, type(error).__name__)
                break
        stop.wait(0.5)
    for connection in held:
        connection.close()


def probe(url: str, tally: Tally, stop: threading.Event) -> None:
    while not stop.wait(0.5):
        started = time.perf_counter()
        try:
            tally.add(started, requests.get(url + "/healthz", timeout=10).status_code)  # a fresh connection each
        except requests.RequestException as error:
            tally.add(started, type(error).__name__)


def phase(url: str, queries: list[str], clients: int, hostile: int, seconds: float) -> dict[str, Tally]:
    tallies = {name: Tally() for name in ("well-behaved", "hostile queries", "hostile filters", "idle", "probe")}
    stop = threading.Event()
    workers = [
        threading.Thread(target=well_behaved, args=(url, queries, tallies["well-behaved"], stop, seed))
        for seed in range(clients)
    ]
    for number in range(hostile):  # in turn: long queries, many filters, idle connections, long queries, ...
        kind = number % 3
        if kind == 0:
            make = lambda rng: {"q": unknown_words(rng)}  # noqa: E731
            target, args = hostile_requests, (url, make, tallies["hostile queries"], stop)
        elif kind == 1:
            target, args = hostile_requests, (url, many_filters, tallies["hostile filters"], stop)
        else:
            target, args = idle_connections, (url, tallies["idle"], stop)
        workers.append(threading.Thread(target=target, args=args))
    workers.append(threading.Thread(target=probe, args=(url, tallies["probe"], stop)))
    for worker in workers:
        worker.start()
    time.sleep(seconds)
    stop.set()
    for worker in workers:
        worker.join()
    return tallies


def report(label: str, tallies: dict[str, Tally], seconds: float) -> None:
    print(label)
    good = tallies["well-behaved"]
    print(f"  well-behaved  {good.summary(seconds)}  errors {good.errors()} {dict(good.statuses)}")
    for name in ("hostile queries", "hostile filters", "idle"):
        if tallies[name].statuses:
            print(f"  {name:<13} {tallies[name].summary(seconds)}  {dict(tallies[name].statuses)}")
    health = tallies["probe"]
    print(f"  /healthz      {health.summary(seconds)}  failures {health.errors()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("index", type=Path, nargs="?", help="an index directory [default: the sample's]")
    parser.add_argument("--seconds", type=float, default=15.0, help="length of each phase")
    parser.add_argument("--clients", default="2,8", help="numbers of well-behaved clients, one phase pair each")
    parser.add_argument("--hostile", type=int, default=4, help="hostile clients beside them")
    parser.add_argument("--threads", type=int, default=4, help="the server's request threads")
    args = parser.parse_args()

    index = args.index or sample_index()
    queries = [line.split("\t", 1)[1] for line in (SAMPLE / "queries.tsv").read_text().splitlines() if "\t" in line]
    load = os.getloadavg()[0]
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, load average {load:.2f} at the start")
    server, url = start_server(index, "--threads", str(args.threads))
    print(f"serving {index} at {url} with {args.threads} threads; {args.seconds:g} s a phase")
    ratios = []
    try:
        for clients in (int(count) for count in args.clients.split(",")):
            alone = phase(url, queries, clients, 0, args.seconds)
            report(f"{clients} well-behaved clients alone", alone, args.seconds)
            beside = phase(url, queries, clients, args.hostile, args.seconds)
            report(f"{clients} well-behaved clients beside {args.hostile} hostile", beside, args.seconds)
            p99 = [np.percentile(t["well-behaved"].latencies or [np.nan], 99) for t in (alone, beside)]
            ratios.append((clients, p99[1] / p99[0], beside["well-behaved"].errors()))
    finally:
        server.terminate()
        server.wait()
    for clients, ratio, errors in ratios:
        verdict = "met" if ratio <= 2 and errors == 0 else "missed"
        print(f"{clients} clients: p99 beside hostile / alone {ratio:.2f}, {errors} errors (goal <= 2, 0: {verdict})")


if __name__ == "__main__":
    main()
