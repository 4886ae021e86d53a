"""Live writes on a served copy of an index: upserts/s (field-only, new), search latency idle and under a write
stream, and the time from a write's 2xx to its product being found. See docs/design.md#live-writes.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import random
import shutil
import string
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import requests

from benchmarks.search_latency import free_port, over_http, read_queries

TOKEN = "live-writes-benchmark-token"
TIMEOUT = 60.0  # seconds one request may take
FOUND_WITHIN = 30.0  # seconds a probe's product may take to be found before it counts as never
SUFFIXES = ("bundle", "refurbished", "kit", "pack", "edition")  # new titles: an existing one and one of these


class Service:
    """`prodsearch serve` on a copy of the index with writes on; remembers the last task it acknowledged."""

    def __init__(self, root: Path) -> None:
        port = free_port()
        self.url, self.last_task, self.lock = f"http://127.0.0.1:{port}", 0, threading.Lock()
        self.stderr_path, self.versions, self.compactions = root.parent / "server.stderr", root / "versions", {}
        environment = {"PRODSEARCH_EVENTS_DB": "off"} | os.environ | {"PRODSEARCH_ADMIN_TOKEN": TOKEN}
        command = [sys.executable, "-m", "prodsearch", "serve", str(root), "--port", str(port)]
        with self.stderr_path.open("w") as stderr:
            self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr, env=environment)
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                if requests.get(self.url + "/healthz", timeout=1).ok:
                    threading.Thread(target=self.watch, daemon=True).start()
                    self.since = time.perf_counter()
                    return
            except requests.RequestException:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"the server did not answer /healthz: {self.stderr_path.read_text()[-2000:]}")

    def watch(self) -> None:
        """Notes when each compaction's temporary version folder (versions/.tmp-vNNNNNN-*) is there."""
        while self.process.poll() is None:
            now = time.perf_counter()
            for folder in self.versions.glob(".tmp-v*"):
                self.compactions.setdefault(folder.name, [now, now])[1] = now
            time.sleep(0.25)

    def compacting(self) -> str:
        """How long a compaction ran in the server since the last call, if at all: the phase just measured."""
        since, self.since, seen = self.since, time.perf_counter(), list(self.compactions.values())
        ran = sum(max(0.0, min(self.since, last) - max(since, first)) for first, last in seen)
        return f" [a compaction ran {ran:.1f} of these {self.since - since:.0f} s]" if ran >= 0.1 else ""

    def settle(self, limit: float = 120.0) -> str:
        """Waits until no compaction runs and the newest version (CURRENT) is served, so that idle is idle."""
        started = time.perf_counter()
        while time.perf_counter() - started < limit and self.busy():
            time.sleep(0.2)
        self.since, waited = time.perf_counter(), time.perf_counter() - started  # `compacting` speaks of what follows
        return f" (after {waited:.0f} s waiting for a compaction to end and its version to be served)" * (waited > 0.5)

    def busy(self) -> bool:
        served = requests.get(self.url + "/healthz", timeout=TIMEOUT).json()["index_version"]
        return any(self.versions.glob(".tmp-v*")) or served != (self.versions.parent / "CURRENT").read_text().strip()

    def write(self, session: requests.Session, method: str, path: str, body: object) -> int:
        """One write; its task number, or RuntimeError unless the answer is 2xx."""
        response = session.request(method, self.url + path, json=body, timeout=TIMEOUT)
        if response.status_code not in (200, 202):
            raise RuntimeError(f"{method} {path}: HTTP {response.status_code} {response.text[:300]}")
        with self.lock:
            self.last_task = max(self.last_task, response.json()["task"])
        return response.json()["task"]

    def applied_at(self, task: int, limit: float) -> float | None:
        """perf_counter() once /healthz says `task` is searchable (polled every 20 ms); None after `limit` s."""
        session, deadline = requests.Session(), time.perf_counter() + limit
        while session.get(self.url + "/healthz", timeout=TIMEOUT).json()["live_sequence"] < task:
            if time.perf_counter() > deadline:
                return None
            time.sleep(0.02)
        return time.perf_counter()

    def stop(self) -> int:
        self.process.terminate()  # SIGTERM, as a service manager stops it
        try:
            return self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()


def authorised() -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {TOKEN}"
    return session


def upserts(service: Service, batches: Iterator[list[dict]], seconds: float, limit: float, unapplied: int) -> tuple:
    """Products sent and products/s acknowledged and applied (first POST to last applied), POSTing `batches` for
    `seconds` with at most `unapplied` POSTs not yet applied (0: no limit)."""
    session, sent, tasks = authorised(), 0, []
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        if unapplied and len(tasks) >= unapplied and service.applied_at(tasks[-unapplied], limit) is None:
            raise RuntimeError(f"task {tasks[-unapplied]} was not applied within {limit:g} s")
        tasks.append(service.write(session, "POST", "/api/products", batch := next(batches)))
        sent += len(batch)
    acknowledged, applied = time.perf_counter(), service.applied_at(tasks[-1], limit)
    return sent, sent / (acknowledged - started), sent / (applied - started) if applied else None


def repriced(products: list[dict], size: int) -> Iterator[list[dict]]:
    """Batches of whole products as stored, each with a new price: field-only changes."""
    rng = random.Random(1)
    for start in itertools.count(0, size):
        chosen = (products[n % len(products)] for n in range(start, start + size))
        yield [product | {"price": rng.randint(100, 99999) / 100} for product in chosen]


def renamed(products: list[dict], size: int) -> Iterator[list[dict]]:
    """Batches of new products: new ids, and stored titles with a word added."""
    for start in itertools.count(0, size):
        batch = [(n, products[n % len(products)]) for n in range(start, start + size)]
        yield [base | {"id": f"live-new-{n}", "title": f"{base['title'][:900]} {SUFFIXES[n % 5]}"} for n, base in batch]


class Stream:
    """A thread PATCHing the price of a random product, one write at a time, while the `with` block runs."""

    def __init__(self, service: Service, ids: list[str]) -> None:
        self.service, self.ids, self.writes, self.errors, self.problem = service, ids, 0, 0, ""
        self.stopping, self.thread = threading.Event(), threading.Thread(target=self.run)

    def __enter__(self) -> Stream:
        self.started = time.perf_counter()
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self.thread.join()
        self.rate = self.writes / (time.perf_counter() - self.started)
        print(f"  write stream: {self.rate:.1f} PATCH/s acknowledged, {self.errors} errors {self.problem}")

    def run(self) -> None:
        session, rng = authorised(), random.Random(2)
        while not self.stopping.is_set():
            path = "/api/products/" + urllib.parse.quote(rng.choice(self.ids), safe="/")
            try:
                self.service.write(session, "PATCH", path, {"price": rng.randint(100, 99999) / 100})
                self.writes += 1
            except (RuntimeError, requests.RequestException) as error:
                self.errors, self.problem = self.errors + 1, f"(last: {str(error)[:300]})"


def searches(service: Service, queries: list[str], clients: int = 2) -> list[float]:
    """Milliseconds of each hybrid search, `clients` threads sharing `queries`."""

    def client(share: list[str]) -> list[float]:
        session = requests.Session()
        return [over_http(session, service.url, query, "hybrid") for query in share]

    with ThreadPoolExecutor(clients) as pool:
        return [ms for timings in pool.map(client, [queries[i::clients] for i in range(clients)]) for ms in timings]


def to_searchable(service: Service, products: list[dict], count: int) -> tuple[list[float], int]:
    """Milliseconds from a PUT's 2xx to a bm25 search for its unique word finding it; and how many never were."""
    session, searcher, rng = authorised(), requests.Session(), random.Random()
    timings, missing = [], 0
    for _ in range(count):
        word = "zq" + "".join(rng.choices(string.ascii_lowercase, k=8))
        product = rng.choice(products) | {"id": f"live-probe-{word}"}
        product["title"] = f"{word} {product['title']}"
        service.write(session, "PUT", f"/api/products/{product['id']}", product)
        acknowledged = time.perf_counter()
        while time.perf_counter() - acknowledged < FOUND_WITHIN:
            response = searcher.get(service.url + "/api/search", params={"q": word, "mode": "bm25"}, timeout=TIMEOUT)
            if any(hit["id"] == product["id"] for hit in response.json().get("hits", [])):
                timings.append((time.perf_counter() - acknowledged) * 1000)
                break
            time.sleep(0.01)
        else:
            missing += 1
    return timings, missing


def spread(label: str, milliseconds: list[float], rows: list[tuple], note: str = "") -> None:
    """Prints p50, p99 and max and adds them to the table's rows."""
    figures = dict(zip(("p50", "p99"), np.percentile(milliseconds or [np.nan], [50, 99]), strict=True))
    figures["max"] = max(milliseconds, default=np.nan)
    rows.extend((f"{label} {key}", value, "ms") for key, value in figures.items())
    print(f"  {label}: " + "  ".join(f"{key} {value:.1f}" for key, value in figures.items()) + " ms" + note)


def measure(service: Service, products: list[dict], queries: list[str], args: argparse.Namespace) -> list[tuple]:
    """The four phases in turn; the table's rows (figure, value, unit)."""
    limit, batch = max(120.0, 20 * args.seconds), min(args.batch, len(products))  # limit: a write never applied
    sent, acknowledged, applied = upserts(service, repriced(products, batch), args.seconds, limit, 0)
    print(f"field-only upserts: {sent:,} products in POSTs of {batch:,}, {args.seconds:g} s" + service.compacting())
    rows = [("field-only upserts acknowledged (2xx)", acknowledged, "products/s")]
    rows += [("field-only upserts applied (searchable)", applied, "products/s")]
    sent, _, applied = upserts(service, renamed(products, args.new_batch), args.seconds, limit, 2)
    note = service.compacting()
    print(f"new products: {sent:,} in POSTs of {args.new_batch}, {args.seconds:g} s, at most 2 unapplied" + note)
    rows += [("new products, first POST to last applied", applied, "products/s")]

    ids = [product["id"] for product in products]
    searches(service, queries[:20])  # warm caches and lazy initialisation
    print(f"{len(queries)} hybrid searches from 2 client threads, idle then under a write stream" + service.settle())
    spread("search idle", idle := searches(service, queries), rows, service.compacting())
    with Stream(service, ids) as stream:
        during = searches(service, queries)
    spread("search during writes", during, rows, service.compacting())
    rows += [("search p99 during writes / idle (goal <= 2)", np.percentile(during, 99) / np.percentile(idle, 99), "x")]
    rows += [("write stream during the searches", stream.rate, "PATCH/s")]

    note = service.settle()
    print(f"2xx to searchable: {args.probes} PUTs of a new product with a unique word, bm25 polled every 10 ms{note}")
    timings, missing = to_searchable(service, products, args.probes)
    spread("to searchable idle", timings, rows, service.compacting())
    with Stream(service, ids):
        timings, missing_during = to_searchable(service, products, args.probes)
    spread("to searchable during writes", timings, rows, service.compacting())
    rows += [(f"probes not found within {FOUND_WITHIN:g} s (idle, during)", f"{missing}, {missing_during}", "writes")]
    settled = service.applied_at(service.last_task, limit)
    end = requests.get(service.url + "/healthz", timeout=TIMEOUT).json()
    print(
        f"after: live_sequence {end['live_sequence']} of {service.last_task} tasks acknowledged "
        f"({'all applied' if settled else 'NOT ALL APPLIED'}); {end['products']:,} products "
        f"({len(products) + sent + 2 * args.probes:,} expected); serving {end['index_version']}"
    )
    rows += [("compactions the server ran (versions/.tmp-v* seen)", f"{len(service.compactions)}", "count")]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("index", type=Path, help="an index directory; a temporary copy of it is served and written")
    parser.add_argument("--queries", type=Path, help="qid<TAB>query lines [default: titles' first two words]")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each throughput phase")
    parser.add_argument("--batch", type=int, default=1000, help="products a POST of field-only changes")
    parser.add_argument("--new-batch", type=int, default=100, help="products a POST of new products")
    parser.add_argument("--searches", type=int, default=300, help="hybrid searches, idle and under writes")
    parser.add_argument("--probes", type=int, default=100, help="writes timed to searchable, idle and under writes")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="live-writes-"))
    try:
        shutil.copytree(args.index, work / "index")
        current = (work / "index" / "CURRENT").read_text(encoding="utf-8").strip()
        store = (work / "index" / "versions" / current / "products.jsonl").read_text(encoding="utf-8")
        products = [json.loads(line) for line in store.splitlines() if line.strip()]
        titles = [" ".join(product["title"].split()[:2]) for product in products]  # queries unless --queries
        pool = read_queries(args.queries, 10**9) if args.queries else titles
        queries = random.Random(0).choices(pool, k=args.searches)
        service = Service(work / "index")
        try:
            print(f"serving a copy of {args.index} at {service.url}; load average {os.getloadavg()[0]:.2f}")
            rows = measure(service, products, queries, args)
        finally:
            code = service.stop()
            logged = service.stderr_path.read_text(errors="replace").splitlines()  # warnings and errors only
            print(f"server stopped with SIGTERM: exit code {code}; {len(logged)} lines in its stderr")
            print("".join(f"  | {line[:200]}\n" for line in logged[-15:]), end="")  # the last 15
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"\n{'figure':<50} {'value':>12}  unit")
    for figure, value, unit in rows:
        shown = "never" if value is None else value if isinstance(value, str) else f"{value:,.2f}"
        print(f"{figure:<50} {shown:>12}  {unit}")
    print(f"machine: {os.cpu_count()} CPUs ({platform.machine()}); index: {len(products):,} products")


if __name__ == "__main__":
    main()
