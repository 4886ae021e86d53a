"""The feature ranker on the sample catalogue: trained from judgments and checked against hybrid, saved and loaded
with the same scores, used by the hybrid mode only where it beat hybrid, and trained from the command line."""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from evaluation.judgments import load_judgments
from search import SearchPipeline, SearchRequest
from search.backend import EmbeddedBackend
from search.errors import SearchError
from search.features import NAMES, character_pairs
from search.indexes import open_index
from search.ranker import MODEL, USAGE, FeatureRanker
from tests.helpers import JUDGMENTS, RELEVANCE_ONLY, REPO, SAMPLE, benchmark, prodsearch
from training.errors import TrainingError
from training.ranker import RankerSettings, candidates, gather, refitted, train_ranker


@pytest.fixture(scope="module")
def pipeline(sample_index: Path) -> SearchPipeline:
    return SearchPipeline(EmbeddedBackend(open_index(sample_index)), merchandising=RELEVANCE_ONLY)


@pytest.fixture(scope="module")
def trained(pipeline: SearchPipeline) -> FeatureRanker:
    queries, qrels = load_judgments(SAMPLE / "queries.tsv", SAMPLE / "qrels.tsv")
    return train_ranker(pipeline, queries, qrels, RankerSettings(depth=30))


def test_features_describe_each_candidate(pipeline: SearchPipeline) -> None:
    found = candidates(pipeline, "red kettle", "q", {"SKU-1016": 3}, 30)
    assert found.rows.shape == (len(found.ids), len(NAMES)) and found.grades[found.ids.index("SKU-1016")] == 3
    column = {name: found.rows[:, number] for number, name in enumerate(NAMES)}
    assert column["fused"][0] == pytest.approx(1.0) and np.all(np.diff(column["fused_rank"]) < 0)
    assert set(np.unique(column["both_legs"])) <= {0.0, 1.0} and column["query_words"][0] == 2
    first = pipeline.backend.products([found.ids[0]])[found.ids[0]]
    words = {"red", "kettle"} & set(first.title.lower().replace("-", " ").split())
    assert column["title_coverage"][0] == pytest.approx(len(words) / 2)
    assert column["bigram_dice"].min() >= 0 and column["bigram_coverage"].max() <= 1
    assert column["bigram_coverage"][0] >= column["title_coverage"][0]  # a word in the title brings its pairs


@pytest.mark.fast
def test_character_pairs_match_across_word_forms_and_chinese_segmentation() -> None:
    assert character_pairs("Drills") == {"dr", "ri", "il", "ll", "ls"} and character_pairs("a b") == {"a", "b"}
    assert character_pairs("手机壳 红色") == {"手机", "机壳", "红色"}  # a run whole, whatever a segmenter makes of it
    assert character_pairs("ＲＥＤ") == {"re", "ed"}  # full-width as half-width, as the engine reads text


def test_a_ranker_is_checked_against_hybrid_and_reads_back_the_same(trained: FeatureRanker, tmp_path: Path) -> None:
    usage = trained.usage
    assert usage.features == NAMES and usage.depth == 30 and usage.trained["trees"] >= 1
    assert usage.validation["queries"] >= 5 and -1 <= usage.validation["gain"] <= 1
    assert usage.beats_hybrid == (usage.validation["gain"] > 0 and usage.validation["p_value"] < 0.1)
    trained.save(tmp_path)
    again = FeatureRanker.load(tmp_path)
    rows = np.random.default_rng(3).random((20, len(NAMES)))
    assert again is not None and again.usage == usage
    assert np.allclose(again.score(rows), trained.score(rows))
    assert FeatureRanker.load(tmp_path / "nothing-here") is None
    (tmp_path / USAGE).write_text((tmp_path / USAGE).read_text().replace('"fused"', '"other"'))
    with pytest.raises(SearchError, match="train it again"):
        FeatureRanker.load(tmp_path)
    (tmp_path / MODEL).write_text("not a model")
    with pytest.raises(SearchError, match="cannot be read"):
        FeatureRanker.load(tmp_path)


def test_a_kept_ranker_is_fitted_again_on_every_query_with_as_many_trees(
    pipeline: SearchPipeline, trained: FeatureRanker
) -> None:
    queries, qrels = load_judgments(SAMPLE / "queries.tsv", SAMPLE / "qrels.tsv")
    found = gather(pipeline, queries, qrels, 30)
    again = refitted(trained, found[: len(found) // 2], RankerSettings(depth=30), 3, 0.0)
    assert again.usage.validation == trained.usage.validation and again.booster.num_trees() == 3
    assert again.usage.trained["queries"] == len(found) // 2 and again.usage.trained["trees"] == 3


def test_the_stage_benchmark_times_each_depth(sample_index: Path, trained: FeatureRanker, tmp_path: Path) -> None:
    index = shutil.copytree(sample_index, tmp_path / "shop")
    command = [sys.executable, "-m", "benchmarks.ranker", str(index), str(SAMPLE / "queries.tsv")]
    refused = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    assert refused.returncode != 0 and f"{index} has no ranker" in refused.stderr
    trained.save(index)
    result = benchmark("ranker", str(index), str(SAMPLE / "queries.tsv"), "--queries", "8", "--depth", "20")
    assert f"{trained.booster.num_trees()} trees over {len(NAMES)} features" in result.stdout
    assert "depth  20 (" in result.stdout and "stage p50" in result.stdout


def ids(pipeline: SearchPipeline, query: str, mode: str = "hybrid") -> list[str]:
    return [hit.product.id for hit in pipeline.search(SearchRequest(query, mode=mode, size=20)).hits]


def test_the_hybrid_mode_uses_the_ranker_only_where_it_beat_hybrid(pipeline, trained: FeatureRanker) -> None:
    used = FeatureRanker(trained.booster, replace(trained.usage, beats_hybrid=True))
    unused = FeatureRanker(trained.booster, replace(trained.usage, beats_hybrid=False))
    shop = {"merchandising": RELEVANCE_ONLY}  # no stock demotion after it: the ranker's order shows as it is
    with_ranker, without = (
        SearchPipeline(pipeline.backend, ranker=used, **shop),
        SearchPipeline(pipeline.backend, **shop),
    )
    query = "running shoes"
    assert ids(SearchPipeline(pipeline.backend, ranker=unused, **shop), query) == ids(without, query)
    assert ids(with_ranker, query, "bm25") == ids(without, query, "bm25")  # the hybrid mode's only
    ranked, plain = ids(with_ranker, query), ids(without, query)
    assert set(ranked) == set(plain)  # reordered, not refiltered
    found = candidates(without, query, "q", {}, 30)
    expected = [found.ids[i] for i in np.argsort(-used.score(found.rows), kind="stable")]
    assert ranked == expected[: len(ranked)]
    timings = with_ranker.search(SearchRequest(query)).timings_ms
    assert "ranker" in timings


def test_too_few_judged_queries_say_so(pipeline: SearchPipeline) -> None:
    queries, qrels = load_judgments(SAMPLE / "queries.tsv", SAMPLE / "qrels.tsv")
    few = dict(list(queries.items())[:10])
    with pytest.raises(TrainingError, match="10 judged queries; a ranker needs at least 30"):
        train_ranker(pipeline, few, qrels)


def test_train_ranker_from_the_command_line(sample_index: Path, tmp_path: Path) -> None:
    index = shutil.copytree(sample_index, tmp_path / "shop")
    done = prodsearch("train", "ranker", str(index), *JUDGMENTS, "--depth", "30", check=True)
    assert f"{index / MODEL}: validation nDCG@10" in done.stdout and (index / USAGE).is_file()
    trained = FeatureRanker.load(index)
    assert trained is not None
    from web import ServiceConfig, create_app  # the service reads it with the index, and says so

    app = create_app(ServiceConfig(index=str(index), events_db="off"))
    try:
        health = app.test_client().get("/healthz").get_json()
    finally:
        app.extensions["prodsearch.live"].stop()
    assert health["ranker"] == ("on" if trained.usage.beats_hybrid else "not used")
