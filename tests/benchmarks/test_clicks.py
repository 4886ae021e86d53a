"""The click simulator's shoppers: what they click depends on the seed and the query, not on how many
clients share the queries, and follows the judgments."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from benchmarks.clicks import Shoppers

pytestmark = pytest.mark.fast

HITS = [f"p{n}" for n in range(10)]
QRELS = {f"q{n}": {"p0": 6, "p3": 6, "p9": 2} for n in range(8)}


class Service(BaseHTTPRequestHandler):
    """A service's two routes as the simulator uses them: every search shows HITS; events are kept."""

    events: list[tuple[str, str]] = []
    lock = threading.Lock()

    def do_GET(self) -> None:
        session = self.headers["X-Prodsearch-Session"]
        self.answer({"search_id": session, "hits": [{"id": product} for product in HITS]})

    def do_POST(self) -> None:
        events = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with self.lock:
            Service.events += [(event["search_id"], event["product_id"]) for event in events]
        self.answer({"accepted": len(events)})

    def answer(self, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def url():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Service)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def simulate(url: str, clients: int, seed: int = 7, sessions: int = 30) -> list[tuple[str, str]]:
    Service.events = []
    shoppers = Shoppers(QRELS, ["hybrid"], eta=1.0, noise=0.1, k=10, sessions=sessions, seed=seed)
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(lambda qid: shoppers.search(url, qid, f"query {qid}"), sorted(QRELS)))
    return sorted(Service.events)


def test_a_seed_sends_the_same_clicks_at_any_number_of_clients(url) -> None:
    alone = simulate(url, clients=1, sessions=5)
    assert alone and simulate(url, clients=4, sessions=5) == alone
    assert simulate(url, clients=1, seed=8, sessions=5) != alone


def test_shoppers_click_judged_products_and_the_top_the_most(url) -> None:
    clicks = [product for _, product in simulate(url, clients=2)]
    # p0 is judged and on top; p3 judged at position 4; p1 unjudged at position 2 (noise only)
    assert clicks.count("p0") > clicks.count("p3") > clicks.count("p1")
    assert clicks.count("p9") > clicks.count("p8")  # grade 2 beats unjudged at the same depth
