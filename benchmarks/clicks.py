"""Shoppers simulated from judgments: searches and position-biased clicks, sent to a running service as real events.

See docs/design.md#simulated-shoppers.
"""

from __future__ import annotations

import argparse
import os
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import requests

from benchmarks.search_latency import start_server
from evaluation.judgments import load_judgments

TOKEN = "click-simulator-token"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("index", type=Path)
    parser.add_argument("--queries", type=Path, required=True)
    parser.add_argument("--qrels", type=Path, required=True)
    parser.add_argument("--part", default="train", choices=["all", "train", "held-out"])
    parser.add_argument("--share", type=float, default=0.7)
    parser.add_argument("--split-seed", type=int, default=13, help="the seed of the train/held-out split")
    parser.add_argument("--events-db", type=Path, required=True, help="SQLite file the service logs to")
    parser.add_argument("--sessions", type=int, default=4, help="shoppers searching each query")
    parser.add_argument("--modes", default="hybrid,bm25", help="rankers the shoppers are split between")
    parser.add_argument("--eta", type=float, default=1.0, help="examination at position k is (1/k)^eta")
    parser.add_argument("--noise", type=float, default=0.1, help="click probability of an irrelevant product seen")
    parser.add_argument("--k", type=int, default=10, help="hits on the first page")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--clients", type=int, default=2, help="queries searched at once")
    args = parser.parse_args()

    queries, qrels = load_judgments(args.queries, args.qrels, args.part, args.share, args.split_seed)
    judged = {qid: text for qid, text in queries.items() if qid in qrels}
    shoppers = Shoppers(qrels, args.modes.split(","), args.eta, args.noise, args.k, args.sessions, args.seed)
    os.environ |= {"PRODSEARCH_EVENTS_DB": str(args.events_db), "PRODSEARCH_EVENTS_TOKEN": TOKEN}
    server, url = start_server(args.index)
    started = time.perf_counter()
    try:
        with ThreadPoolExecutor(args.clients) as pool:
            counts = list(pool.map(lambda item: shoppers.search(url, *item), judged.items()))
    finally:
        server.terminate()  # a clean stop: the service writes what it has queued
        server.wait(timeout=60)
    seconds = time.perf_counter() - started
    shown = np.sum([shown for shown, _ in counts], axis=0)
    clicked = np.sum([clicked for _, clicked in counts], axis=0)
    searches = len(judged) * args.sessions
    print(
        f"{searches} searches of {len(judged)} queries ({args.part}), {sum(clicked)} clicks, modes {args.modes}, "
        f"examination (1/k)^{args.eta:g}, noise {args.noise:g}: {seconds:.0f} s, into {args.events_db}"
    )
    print(
        "click-through rate by position: "
        + ", ".join(f"{k}: {c / s:.3f}" for k, (c, s) in enumerate(zip(clicked, shown, strict=True), start=1) if s)
    )


@dataclass
class Shoppers:
    """Each judged query's shoppers: their searches and position-biased clicks, drawn from a random stream of the
    query's own, so that one seed sends the same events however many clients share the queries."""

    qrels: dict[str, dict[str, int]]
    modes: list[str]
    eta: float
    noise: float
    k: int
    sessions: int
    seed: int
    local: threading.local = field(default_factory=threading.local)

    def __post_init__(self) -> None:
        self.top = max(grade for grades in self.qrels.values() for grade in grades.values())

    def search(self, url: str, qid: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        """(shown, clicked) counts by position, once the query's shoppers have searched and clicked."""
        if not hasattr(self.local, "http"):
            self.local.http = requests.Session()  # one connection per client thread
        http, rng = self.local.http, random.Random(f"{self.seed}-{qid}")
        shown, clicked = np.zeros(self.k, dtype=int), np.zeros(self.k, dtype=int)
        for session in range(self.sessions):
            headers = {"X-Prodsearch-Session": f"{qid}-{session}"}
            params = {"q": text, "k": self.k, "mode": rng.choice(self.modes)}
            body = http.get(url + "/api/search", params=params, headers=headers, timeout=60).json()
            events = []
            for position, hit in enumerate(body["hits"], start=1):
                shown[position - 1] += 1
                grade = max(self.qrels[qid].get(hit["id"], 0), 0)
                looked = rng.random() < (1 / position) ** self.eta
                if looked and rng.random() < self.noise + (1 - self.noise) * grade / self.top:
                    clicked[position - 1] += 1
                    events.append({"type": "click", "search_id": body["search_id"], "product_id": hit["id"]})
            if events:
                answer = http.post(url + "/api/events", json=events, headers={"Authorization": f"Bearer {TOKEN}"})
                answer.raise_for_status()
        return shown, clicked


if __name__ == "__main__":
    main()
