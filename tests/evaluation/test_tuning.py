"""Tuning writes settings that search then uses, and --reset undoes them."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest

from evaluation.metrics import SIGNIFICANCE, by_clicks, by_judgments
from evaluation.tuning import (
    RERANK_DEPTHS,
    RERANK_TOLERANCE,
    cheapest_rerank,
    choose_fusion,
    choose_rerank,
    format_fusion,
    rerank_grid,
)
from models.cross_encoders import RerankUsage
from search import SearchSettings
from search.tuned import FILE, PREVIOUS, FileSettings, Tuning
from tests.helpers import JUDGMENTS, prodsearch


def test_tune_saves_settings_that_search_uses(sample_index: Path, tmp_path: Path) -> None:
    root = tmp_path / "index"
    shutil.copytree(sample_index, root)
    judgments = [*JUDGMENTS]
    result = prodsearch("tune", str(root), *judgments, "--rel-threshold", "3", check=True)
    assert "searched 108 settings" in result.stdout and "saved " in result.stdout
    saved = json.loads((root / FILE).read_text())
    tuned = FileSettings(root).load()
    assert saved["score"] >= saved["default_score"] and saved["queries"] == 35
    assert Tuning.from_json(saved).reranker is None  # tuned without --reranker: the models choose their own
    assert tuned == SearchSettings(**saved["settings"])

    # search and eval pick the tuned settings up: force a visibly different setting and compare rankings
    saved["settings"].update(fusion="weighted", normalisation="minmax", dense_weight=1.0, dense_floor=None)
    (root / FILE).write_text(json.dumps(saved))
    as_dense = json.loads(prodsearch("search", str(root), "gift for a runner", "--json", check=True).stdout)
    dense = json.loads(
        prodsearch("search", str(root), "gift for a runner", "--mode", "dense", "--json", check=True).stdout
    )
    assert [hit["id"] for hit in as_dense["hits"]] == [hit["id"] for hit in dense["hits"]]
    report = json.loads(
        prodsearch("eval", str(root), *judgments, "--modes", "dense,hybrid,hybrid:default", "--json", check=True).stdout
    )
    assert report["modes"]["hybrid"]["ndcg@10"] == report["modes"]["dense"]["ndcg@10"]
    assert report["modes"]["hybrid:default"]["ndcg@10"] != report["modes"]["hybrid"]["ndcg@10"]

    assert "tuned settings removed" in prodsearch("tune", str(root), "--reset", check=True).stdout
    assert FileSettings(root).load() == SearchSettings() and (root / PREVIOUS).exists()


def test_tune_with_a_reranker_chooses_its_depth_and_weight(sample_index: Path, sample_reranker, tmp_path: Path) -> None:
    root = tmp_path / "index"
    shutil.copytree(sample_index, root)
    result = prodsearch("tune", str(root), *JUDGMENTS, "--reranker", str(sample_reranker[0]), check=True)
    assert "rerank_weight by rerank_depth, on 35 queries" in result.stdout
    saved = json.loads((root / FILE).read_text())
    assert saved["settings"]["rerank_weight"] in [step / 10 for step in range(11)]
    assert saved["settings"]["rerank_depth"] in RERANK_DEPTHS
    row = next(
        line for line in result.stdout.splitlines() if line.startswith(f"{saved['settings']['rerank_depth']:>4}  ")
    )
    assert f"{saved['settings']['rerank_weight']:.1f}: {saved['rerank_score']:.4f}" in row  # that cell was kept
    assert saved["reranker"] == str(sample_reranker[0]) and 0 < saved["rerank_score"] <= 1
    assert Tuning.from_json(saved).rerank_score == saved["rerank_score"]


@pytest.mark.fast
def test_a_deeper_rerank_must_win_by_more_than_the_tolerance() -> None:
    steady = lambda score: [score] * 4  # noqa: E731 -- every query alike: no noise
    results = [((100, 0.5), 0.4395), ((30, 0.5), 0.4394), ((50, 0.6), 0.4390), ((30, 0.4), 0.4300)]
    results = [(setting, score, steady(score)) for setting, score in results]
    assert cheapest_rerank(results) == ((30, 0.5), 0.4394)  # depth 100 is better by less than the tolerance
    results = [((100, 0.5), 0.4395 + RERANK_TOLERANCE), ((30, 0.5), 0.4394)]
    results = [(setting, score, steady(score)) for setting, score in results]
    assert cheapest_rerank(results) == ((100, 0.5), 0.4395 + RERANK_TOLERANCE)


@pytest.mark.fast
def test_a_deeper_rerank_must_win_by_more_than_the_noise_of_the_validation_queries() -> None:
    shallow = [0.5, 0.5, 0.5, 0.5]
    lucky = [0.9, 0.1, 0.9, 0.2]  # mean +0.025 over the shallow one, but query by query all over the place
    results = [((30, 0.5), 0.525, lucky), ((15, 0.5), 0.5, shallow)]
    assert cheapest_rerank(results) == ((15, 0.5), 0.5)
    steady = [0.53, 0.52, 0.53, 0.52]  # the same gain on every query
    results = [((30, 0.5), 0.525, steady), ((15, 0.5), 0.5, shallow)]
    assert cheapest_rerank(results) == ((30, 0.5), 0.525)


def _results(best: dict[str, float], default: dict[str, float]) -> list:
    other = SearchSettings(fusion="rrf", rrf_k=10)
    mean = lambda values: sum(values.values()) / len(values)  # noqa: E731
    return sorted([(other, mean(best), best), (SearchSettings(), mean(default), default)], key=lambda r: -r[1])


@pytest.mark.fast
def test_a_setting_replaces_the_defaults_only_when_it_wins_significantly() -> None:
    default = {str(q): 0.5 for q in range(20)}
    noisy = {str(q): 0.5 + (0.2 if q % 2 else -0.18) for q in range(20)}  # +0.01 on average, p far above 0.05
    choice = choose_fusion(_results(noisy, default))
    assert choice.settings == SearchSettings() and choice.overruled
    assert choice.best == SearchSettings(fusion="rrf", rrf_k=10) and choice.p_value > SIGNIFICANCE
    assert "not significantly on 20 queries" in format_fusion(_results(noisy, default), choice, "ndcg@10", 20)

    steady = {str(q): 0.5 + 0.05 + 0.001 * q for q in range(20)}
    choice = choose_fusion(_results(steady, default))
    assert choice.settings == choice.best == SearchSettings(fusion="rrf", rrf_k=10) and not choice.overruled
    assert choice.p_value < SIGNIFICANCE and choice.score == pytest.approx(0.5595)


@pytest.mark.fast
def test_the_defaults_winning_need_no_test() -> None:
    default = {str(q): 0.6 for q in range(5)}
    choice = choose_fusion(_results({str(q): 0.5 for q in range(5)}, default))
    assert choice.settings == choice.best == SearchSettings() and choice.score == pytest.approx(0.6)


def test_choose_rerank_keeps_a_model_only_where_it_beats_hybrid() -> None:
    qrels = {f"q{n}": {"good": 2} for n in range(6)}
    fused = [("bad", 3.0), ("meh", 2.0), ("good", 1.0)]
    helpful = {f"q{n}": (fused, {"bad": 0.1, "meh": 0.2, "good": 0.9}) for n in range(6)}
    choice = choose_rerank(helpful, by_judgments(qrels), max_depth=3)
    assert choice.beats_hybrid and choice.reranked == 1.0 and choice.hybrid == 0.5
    assert choice.depth == 3 and choice.weight > 0 and choice.queries == 6 and choice.step is None
    assert RerankUsage.from_json(json.loads(json.dumps(choice.to_json()))) == choice  # as a model folder keeps it
    harmful = {f"q{n}": (fused, {"bad": 0.9, "meh": 0.5, "good": 0.1}) for n in range(6)}
    choice = choose_rerank(harmful, by_judgments(qrels), max_depth=3)
    assert not choice.beats_hybrid and choice.reranked <= choice.hybrid and choice.weight > 0


@pytest.mark.fast
def test_clicks_judge_a_rerank_only_by_the_products_shoppers_were_shown() -> None:
    # shoppers saw "good" and "bad" (hybrid's top two) and clicked "good"; "unseen" was never shown
    rates = {f"q{n}": {"good": 0.9, "bad": 0.1} for n in range(6)}
    fused = [("bad", 3.0), ("good", 2.0), ("unseen", 1.0)]
    reranked = {f"q{n}": (fused, {"unseen": 0.9, "good": 0.8, "bad": 0.1}) for n in range(6)}
    alone = lambda results: next(score for (_, weight), score, _ in results if weight == 1.0)  # noqa: E731
    qrels = {qid: {pid: round(10 * rate) for pid, rate in rated.items()} for qid, rated in rates.items()}
    assert alone(rerank_grid(reranked, by_judgments(qrels), depths=(3,))) < 1.0  # the unseen product counts as bad
    best = 0.9 + 0.1 / math.log2(3)  # DCG of good then bad: the unseen product is left out, not counted
    assert alone(rerank_grid(reranked, by_clicks(rates), depths=(3,))) == pytest.approx(best)
    choice = choose_rerank(reranked, by_clicks(rates), max_depth=3, metric="click dcg@10")
    assert choice.reranked == pytest.approx(best, abs=1e-4) and choice.hybrid < choice.reranked
    assert choice.beats_hybrid and choice.metric == "click dcg@10"


@pytest.mark.fast
def test_click_dcg_is_linear_in_the_rates_so_their_noise_averages_out() -> None:
    # nDCG divides by an ideal made of the same noisy rates; DCG does not, so the mean difference of two
    # orders over noisy rates is their difference over the true ones
    run = {"q": [("a", 2.0), ("b", 1.0)]}
    swapped = {"q": [("b", 2.0), ("a", 1.0)]}
    truth = {"q": {"a": 0.3, "b": 0.2}}
    noisy = [{"q": {"a": 0.3 + da, "b": 0.2 + db}} for da in (-0.2, 0.2) for db in (-0.15, 0.15)]
    gap = lambda rates: by_clicks(rates)(run)["q"] - by_clicks(rates)(swapped)["q"]  # noqa: E731
    assert sum(gap(rates) for rates in noisy) / len(noisy) == pytest.approx(gap(truth))
    ndcg = lambda rates: (  # noqa: E731
        by_judgments({"q": {p: round(100 * r) for p, r in rates["q"].items()}})(run)["q"]
        - by_judgments({"q": {p: round(100 * r) for p, r in rates["q"].items()}})(swapped)["q"]
    )
    assert sum(ndcg(rates) for rates in noisy) / len(noisy) != pytest.approx(ndcg(truth), abs=1e-3)


def test_rerank_settings_saved_before_models_chose_their_own_are_not_read_as_a_choice(tmp_path) -> None:
    from search.tuned import FileSettings

    old = {"settings": {"fusion": "rrf", "rrf_k": 10, "rerank_depth": 50, "rerank_weight": 1.0}, "metric": "ndcg@10"}
    (tmp_path / "search-settings.json").write_text(json.dumps(old))
    settings = FileSettings(tmp_path).load()
    assert (settings.fusion, settings.rrf_k) == ("rrf", 10)
    assert (settings.rerank_depth, settings.rerank_weight) == (None, None)  # the model's own choice applies
    tuned = old | {"reranker": "/models/rr", "settings": old["settings"] | {"rerank_depth": 30, "rerank_weight": 0.5}}
    (tmp_path / "search-settings.json").write_text(json.dumps(tuned))
    assert (FileSettings(tmp_path).load().rerank_depth, FileSettings(tmp_path).load().rerank_weight) == (30, 0.5)
