"""Simulated shoppers: the click model's probabilities, grades on 0..1, and `prodsearch experiment simulate` finding
the better ranker on the sample's judgments and, A against A, declaring a winner about as rarely as it promises."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from evaluation.simulate import ClickModel, scaled
from tests.helpers import JUDGMENTS, prodsearch


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


def simulate(index: Path, *arguments: str) -> dict:
    result = prodsearch("experiment", "simulate", str(index), *JUDGMENTS, "--json", *arguments, check=True)
    return json.loads(result.stdout)


def test_simulated_shoppers_find_the_better_ranker_and_rarely_a_winner_between_equals(sample_index: Path) -> None:
    # on the sample's judgments dense ranks better than bm25 (nDCG@10 0.815 against 0.717, `prodsearch eval`)
    better = simulate(sample_index, "--a", "dense", "--b", "bm25", "--sessions", "3000")
    assert better["winner"] == "a" and better["p_value"] < 0.05 and better["sessions"] == 3000
    assert better["preferred"]["a"] > better["preferred"]["b"]
    ab = simulate(sample_index, "--a", "dense", "--b", "bm25", "--method", "ab", "--sessions", "3000")
    assert ab["winner"] == "a" and ab["arms"]["a"]["clicks_per_search"] > ab["arms"]["b"]["clicks_per_search"]
    same = simulate(sample_index, "--a", "hybrid", "--b", "hybrid", "--sessions", "300", "--runs", "60")
    assert same["repeated"]["runs"] == 60
    assert same["repeated"]["decided_rate"] <= 0.15  # 0.05 promised; 60 runs leave room for chance
    bad = prodsearch("experiment", "simulate", str(sample_index), *JUDGMENTS, "--b", "fastest")
    assert bad.returncode == 2 and "neither a mode" in bad.stderr
