"""`train all` on a copy of the sample index: each step checked on held-back queries and kept only where it helped,
a report, a run that goes on where a killed one stopped, a budget, and too few judgments said plainly."""

from __future__ import annotations

import json
import re
import shutil
import time
from dataclasses import replace
from pathlib import Path

import pytest

from indexer import open_index
from indexer.versions import IndexRoot
from search import SearchPipeline, SearchRequest
from search.indexes import IndexLocation
from search.ranker import MODEL, USAGE, FeatureRanker
from tests.helpers import JUDGMENTS, logged_clicks, prodsearch
from training.all import ENCODERS, REPORT, STAGED, STATE, STEPS, StepResult, train_all
from training.encoder import EncoderTrainingSettings
from training.errors import TrainingError

SHORT = EncoderTrainingSettings(negatives=1, max_length=32, checks_per_epoch=1)  # the sample needs no more


def known_items(index: Path, count: int = 90) -> tuple[dict[str, str], dict[str, dict[str, int]]]:
    """Queries a shopper who knows the product would type (its title's words after the brand), each judged to find
    that product: judgments made here from the sample catalogue, enough of them to check a step."""
    products = open_index(index).products[::3][:count]
    queries = {
        f"k{n}": " ".join(product.title.lower().split(" - ")[0].split()[1:4]) for n, product in enumerate(products)
    }
    return queries, {f"k{n}": {product.id: 2} for n, product in enumerate(products)}


def test_every_step_is_checked_reported_and_resumed(sample_index: Path, tmp_path: Path) -> None:
    index = shutil.copytree(sample_index, tmp_path / "shop")
    queries, qrels = known_items(index)
    said: list[str] = []
    served = (index / "CURRENT").read_text().strip()
    results = train_all(IndexLocation.of(index), queries, qrels, say=said.append, encoder=SHORT)
    assert [result.name for result in results] == list(STEPS)
    for result in results:
        assert 0 <= result.before <= 1 and 0 <= result.after <= 1
        assert result.kept == (result.after > result.before and result.p_value is not None and result.p_value < 0.1)
    assert any("ETA" in line for line in said)
    report = json.loads((index / f"{REPORT}.json").read_text())
    assert [step["name"] for step in report["steps"]] == list(STEPS) and report[
        "check_queries"
    ] == 90 - 68  # a quarter held back
    markdown = (index / f"{REPORT}.md").read_text()
    assert "| ranker |" in markdown
    undecided = [step["name"] for step in report["steps"] if step["undecided"]]
    assert undecided == [r.name for r in results if not r.kept and r.gain_95[1] >= 0.01]
    assert ("Not kept, and not ruled out" in markdown) == bool(undecided)
    encoder, ranker = results[0], FeatureRanker.load(index)
    assert (ranker is not None and ranker.usage.beats_hybrid) == results[2].kept  # installed only if kept
    serving = open_index(index).manifest
    if encoder.kept:  # as the test below
        assert serving.job == "reembed" and Path(serving.encoder).parent == (index / ENCODERS).resolve()
    else:  # the version it embedded is gone, and so is the model
        assert serving.version == served and not any((index / ENCODERS).iterdir())
    again: list[str] = []
    assert train_all(IndexLocation.of(index), queries, qrels, say=again.append) == results  # nothing to redo
    assert again[0].startswith(f"going on from {index / STATE}: encoder, fusion, ranker done already")


def test_a_kept_encoder_is_served_and_the_old_vectors_ranker_goes(
    sample_index: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import training.all

    index = shutil.copytree(sample_index, tmp_path / "shop")
    for name in (MODEL, USAGE):  # a ranker fitted to the vectors served now
        (index / name).write_text("fitted to the old vectors", encoding="utf-8")
    killed = index / ENCODERS / "from-v000001-killed"  # a killed run's model, which no version names
    killed.mkdir(parents=True)
    checked, compared = training.all._compared, {}

    def kept(name: str, before: SearchPipeline, after: SearchPipeline, *rest) -> StepResult:
        compared[name] = (before, after)  # the sample's few queries rarely show a gain: the check says kept
        return replace(checked(name, before, after, *rest), kept=True)

    monkeypatch.setattr(training.all, "_compared", kept)
    result, ranker = train_all(IndexLocation.of(index), *known_items(index), encoder=SHORT, steps=("encoder", "ranker"))
    old, new = compared["encoder"]  # each version judged with a ranker fitted to it, as the ranker step leaves it
    assert old.ranker and new.ranker and old.ranker.booster is not new.ranker.booster and old.backend is not new.backend
    serving = open_index(index).manifest
    assert result.kept and result.note == f"serving {serving.version}; the ranker fitted to the old vectors is removed"
    assert serving.job == "reembed" and Path(serving.encoder).parent == (index / ENCODERS).resolve()
    assert not killed.exists() and not (index / STAGED).exists()
    assert ranker.kept == (index / MODEL).exists()  # fitted again to the new vectors, or none: never the old one
    assert ranker.kept or not (index / USAGE).exists()
    assert SearchPipeline(IndexLocation.of(index).open()).search(SearchRequest("yoga mat", "dense")).hits


def test_a_killed_runs_staged_version_and_model_go_and_nothing_else(sample_index: Path, tmp_path: Path) -> None:
    from training.all import _remove_leftovers

    index = shutil.copytree(sample_index, tmp_path / "shop")
    root = IndexRoot(index)
    served = root.current_name()
    for name in ("v000008", "v000009"):  # a rollback target the shop keeps, and the version a killed run staged
        shutil.copytree(root.versions / served, root.versions / name)
    (index / STAGED).write_text("v000009", encoding="utf-8")
    killed = index / ENCODERS / "from-v000001-killed"
    killed.mkdir(parents=True)
    _remove_leftovers(root)
    assert root.names() == [served, "v000008"] and root.current_name() == served
    assert not (index / STAGED).exists() and not killed.exists()


def test_a_kept_step_runs_the_later_ones_done_before_it_again(
    sample_index: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import training.all

    ran: list[str] = []

    def step(name: str):
        def run(context) -> StepResult:
            ran.append(name)
            return StepResult(name, True, 0.5, 0.6, (0.05, 0.15), 0.001, 1.0, (1.0, 1.0))

        return run

    monkeypatch.setattr(training.all, "STEP", {name: step(name) for name in STEPS})
    monkeypatch.setattr(training.all, "_estimate", lambda *arguments: 0.0)
    index = shutil.copytree(sample_index, tmp_path / "shop")
    location, judgments = IndexLocation.of(index), known_items(index)
    train_all(location, *judgments, steps=("fusion", "ranker"))
    results = train_all(location, *judgments)  # the encoder, kept, was not there when fusion and ranker were fitted
    assert ran == ["fusion", "ranker", "encoder", "fusion", "ranker"]
    assert [result.name for result in results] == list(STEPS)
    assert train_all(location, *judgments) == results and len(ran) == 5  # all done now


def test_a_budget_spent_starts_no_more_steps(sample_index: Path, tmp_path: Path) -> None:
    index = shutil.copytree(sample_index, tmp_path / "shop")
    queries, qrels = known_items(index)
    said: list[str] = []
    results = train_all(  # fusion takes longer
        IndexLocation.of(index), queries, qrels, budget_s=1.0, say=said.append, steps=("ranker", "fusion")
    )
    assert [result.name for result in results] == ["fusion"]
    assert any("ranker: not run, the budget" in line for line in said)


@pytest.mark.parametrize("encoder_kept", [True, False])
def test_a_kept_encoder_gets_its_ranker_even_past_the_budget(
    sample_index: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, encoder_kept: bool
) -> None:
    import training.all

    ran: list[str] = []

    def step(name: str):
        def run(context) -> StepResult:
            ran.append(name)
            time.sleep(0.2)  # each step outlasts the budget
            return StepResult(name, encoder_kept, 0.5, 0.6, (0.05, 0.15), 0.001, 1.0, (1.0, 1.0))

        return run

    monkeypatch.setattr(training.all, "STEP", {name: step(name) for name in STEPS})
    monkeypatch.setattr(training.all, "_estimate", lambda *arguments: 0.0)
    index = shutil.copytree(sample_index, tmp_path / "shop")
    said: list[str] = []
    train_all(IndexLocation.of(index), *known_items(index), budget_s=0.1, say=said.append)
    assert ran == (["encoder", "ranker"] if encoder_kept else ["encoder"])  # the new vectors never go without one
    assert any("fusion: not run, the budget" in line for line in said)
    assert any("ranker (" in line and "past the budget" in line for line in said) == encoder_kept


@pytest.mark.fast
def test_a_step_not_kept_says_whether_more_judgments_could_tell() -> None:
    wide = StepResult("ranker", False, 0.7062, 0.6722, (-0.081, 0.013), 0.17, 24.0, (12.1, 18.2))  # CrowdFlower's
    said = wide.undecided(22)
    assert said.startswith("too few judged queries to tell: a gain up to +0.013 is not ruled out")
    narrower = replace(wide, gain_95=(-0.02, 0.012)).undecided(22)
    needed = [int(re.search(r"about (\d+) judged queries", text).group(1)) for text in (said, narrower)]
    assert needed[0] > needed[1] > 22 / 0.25  # a wider interval needs more queries, each more than were given
    assert replace(wide, gain_95=(-0.03, 0.004)).undecided(22) == ""  # a worthwhile gain is ruled out
    assert replace(wide, kept=True).undecided(22) == ""
    assert replace(wide, after=0.72, p_value=0.05).undecided(22) == ""  # the check told; its own validation did not
    assert replace(wide, gain_95=(-0.004, 0.012)).undecided(1020) == ""  # more judged queries would not tell more


def test_too_few_judgments_are_said_plainly(sample_index: Path, tmp_path: Path) -> None:
    queries, qrels = known_items(sample_index, 40)
    with pytest.raises(TrainingError, match="40 judged queries: too few to tell a gain from chance"):
        train_all(IndexLocation.of(sample_index), queries, qrels)
    refused = prodsearch("train", "all", str(sample_index), *JUDGMENTS, "--budget", "5m")
    assert refused.returncode == 2 and "35 judged queries: too few" in refused.stderr
    bad = prodsearch("train", "all", str(sample_index), *JUDGMENTS, "--budget", "soon")
    assert bad.returncode == 2 and "give a time such as 90m" in bad.stderr


def test_shoppers_clicks_train_it_too(sample_index: Path, tmp_path: Path) -> None:
    index = shutil.copytree(sample_index, tmp_path / "shop")
    logged_clicks(tmp_path / "clicks.sqlite", *known_items(index))
    result = prodsearch("train", "all", str(index), "--events", str(tmp_path / "clicks.sqlite"), "--steps", "fusion")
    assert result.returncode == 0, result.stderr[-2000:]
    clicked = int(re.search(r"(\d+) queries with a click", result.stdout).group(1))
    report = json.loads((index / f"{REPORT}.json").read_text())
    assert clicked >= 80 and report["fit_queries"] + report["check_queries"] == clicked
    assert [step["name"] for step in report["steps"]] == ["fusion"] and "kept: " in result.stdout
    unknown = prodsearch("train", "all", str(index), *JUDGMENTS, "--steps", "fusion,reranker")
    assert unknown.returncode == 2 and "steps reranker: choose among encoder, fusion, ranker" in unknown.stderr
