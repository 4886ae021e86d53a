"""Shoppers simulated from judgments: searches and position-biased clicks, sent to a running service as real events.

    python -m benchmarks.clicks INDEX --queries Q --qrels R --part train --events-db /tmp/clicks.sqlite

`prodsearch serve INDEX` is started as a child process that logs its searches to --events-db. Each
judged query of the part is searched by --sessions shoppers, each put at random into one of the
--modes (an A/B test between rankers: where they show a product at different positions, the
position bias can be measured from the logs). Each shopper clicks by the position-based model
(Chuklin et al. 2015): position k of the first page is looked at with probability (1/k)^eta, and a
product looked at is clicked with probability noise + (1 - noise) x grade / top grade (0 for a
product nobody judged). Clicks are posted to /api/events with the service's token, as a shop's
backend would. Prints what it sent, the click-through rate by position, and how long it took.
"""

from __future__ import annotations

import argparse
import os
import random
import time
from pathlib import Path

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
    args = parser.parse_args()

    queries, qrels = load_judgments(args.queries, args.qrels, args.part, args.share, args.split_seed)
    judged = {qid: text for qid, text in queries.items() if qid in qrels}
    top = max(grade for grades in qrels.values() for grade in grades.values())
    modes = args.modes.split(",")
    rng = random.Random(args.seed)
    os.environ |= {"PRODSEARCH_EVENTS_DB": str(args.events_db), "PRODSEARCH_EVENTS_TOKEN": TOKEN}
    server, url = start_server(args.index)
    http = requests.Session()
    shown, clicked = [0] * args.k, [0] * args.k
    searches = 0
    started = time.perf_counter()
    try:
        for qid, text in judged.items():
            for session in range(args.sessions):
                mode = rng.choice(modes)
                headers = {"X-Prodsearch-Session": f"{qid}-{session}"}
                params = {"q": text, "k": args.k, "mode": mode}
                body = http.get(url + "/api/search", params=params, headers=headers, timeout=60).json()
                searches += 1
                events = []
                for position, hit in enumerate(body["hits"], start=1):
                    shown[position - 1] += 1
                    grade = max(qrels[qid].get(hit["id"], 0), 0)
                    looked = rng.random() < (1 / position) ** args.eta
                    if looked and rng.random() < args.noise + (1 - args.noise) * grade / top:
                        clicked[position - 1] += 1
                        events.append({"type": "click", "search_id": body["search_id"], "product_id": hit["id"]})
                if events:
                    answer = http.post(url + "/api/events", json=events, headers={"Authorization": f"Bearer {TOKEN}"})
                    answer.raise_for_status()
    finally:
        server.terminate()  # a clean stop: the service writes what it has queued
        server.wait(timeout=60)
    seconds = time.perf_counter() - started
    print(
        f"{searches} searches of {len(judged)} queries ({args.part}), {sum(clicked)} clicks, modes {modes}, "
        f"examination (1/k)^{args.eta:g}, noise {args.noise:g}: {seconds:.0f} s, into {args.events_db}"
    )
    print(
        "click-through rate by position: "
        + ", ".join(f"{k}: {c / s:.3f}" for k, (c, s) in enumerate(zip(clicked, shown, strict=True), start=1) if s)
    )


if __name__ == "__main__":
    main()
