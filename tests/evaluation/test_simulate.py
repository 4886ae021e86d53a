"""Simulated shoppers: the click model's probabilities, grades on 0..1, and `prodsearch experiment simulate` finding
the better ranker on the sample's judgments and, A against A, declaring a winner about as rarely as it promises."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from evaluation.judgments import load_judgments
from evaluation.simulate import ClickModel, Responses, repeated, scaled, simulate
from search import SearchPipeline
from search.backend import EmbeddedBackend
from search.experiments import arm_of
from search.indexes import open_index
from tests.helpers import JUDGMENTS, SAMPLE, prodsearch


def test_the_click_model_looks_by_position_and_clicks_by_grade() -> None:
    model, rng, tries = ClickModel(eta=1.0, noise=0.05, top=0.9), random.Random(7), 20_000
    shown = ["best", "x", "y", "fourth"]
    grades = {"best": 1.0, "fourth": 1.0}  # x and y unjudged: clicked by noise alone
    counts = {product_id: 0 for product_id in shown}
    for _ in range(tries):
        for product_id in model.clicks(shown, grades, rng):
            counts[product_id] += 1
    assert counts["best"] / tries == pytest.approx(0.9, abs=0.01)  # looked at always, clicked 0.9
    assert counts["fourth"] / tries == pytest.approx(0.9 / 4, abs=0.01)  # looked at 1/4 of the time
    assert counts["x"] / tries == pytest.approx(0.05 / 2, abs=0.005)


def test_grades_are_scaled_over_all_the_judgments() -> None:
    assert scaled({"q1": {"a": 1, "b": 3}, "q2": {"c": 2}}) == {"q1": {"a": 0.0, "b": 1.0}, "q2": {"c": 0.5}}


def test_simulated_shoppers_find_the_better_ranker_and_rarely_a_winner_between_equals(sample_index: Path) -> None:
    # on the sample's judgments dense ranks better than bm25 (nDCG@10 0.815 against 0.717, `prodsearch eval`)
    ran = prodsearch(
        "experiment", "simulate", str(sample_index), *JUDGMENTS, "--json", "--a", "dense", "--b", "bm25",
        "--sessions", "3000", check=True,
    )  # fmt: skip
    better = json.loads(ran.stdout)
    assert better["winner"] == "a" and better["p_value"] < 0.05 and better["sessions"] == 3000
    assert better["preferred"]["a"] > better["preferred"]["b"]
    # the rest in this process: the same library code the command runs
    pipeline = SearchPipeline(EmbeddedBackend(open_index(sample_index)))
    queries, qrels = load_judgments(SAMPLE / "queries.tsv", SAMPLE / "qrels.tsv")
    responses = Responses()
    ab = simulate(pipeline, queries, qrels, arm_of("dense"), arm_of("bm25"), "ab", 3000, responses=responses)
    assert (
        ab.winner == "a" and ab.arms["a"].clicks / ab.arms["a"].searches > ab.arms["b"].clicks / ab.arms["b"].searches
    )
    hybrid = arm_of("hybrid")
    same = repeated(60, lambda seed: simulate(pipeline, queries, qrels, hybrid, hybrid, sessions=300, seed=seed,
                                              responses=responses))  # fmt: skip
    assert same["runs"] == 60 and same["decided_rate"] <= 0.15  # 0.05 promised; 60 runs leave room for chance
    bad = prodsearch("experiment", "simulate", str(sample_index), *JUDGMENTS, "--b", "fastest")
    assert bad.returncode == 2 and "neither a mode" in bad.stderr
