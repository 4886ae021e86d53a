"""Experiments: arms, which sessions take part, team-draft interleaving, and serving a search as the arm runs it."""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path

import pytest

from search.errors import ResourceError
from search.experiments import Arm, Experiment, arm_of
from search.interleaving import serve, team_draft
from search.merchandising import FixedMerchandising, Merchandising
from search.pipeline import SearchPipeline
from search.ranking import Ranking
from search.request import SearchRequest


def experiment(method: str = "interleave", traffic: float = 1.0, b: Arm = Arm(label="bm25", mode="bm25")) -> Experiment:
    return Experiment(name="exp-1", method=method, traffic=traffic, b=b, started_at="2026-12-07T00:00:00+00:00")


class Coin:
    """A random.Random whose coin flips are given: < 0.5 makes A pick first."""

    def __init__(self, *flips: float) -> None:
        self.flips = list(flips)

    def random(self) -> float:
        return self.flips.pop(0)


def test_team_draft_picks_by_turn_and_coin_worked_by_hand() -> None:
    # coin A: A takes a1, B its best not taken (b1); coin B: B takes a2, A then a3 (a2 is taken); coin A: A has
    # none left, so B goes on alone (b3); then neither has any
    merged, teams = team_draft(["a1", "a2", "a3"], ["b1", "a2", "b3"], 6, Coin(0.1, 0.9, 0.1))  # type: ignore[arg-type]
    assert merged == ["a1", "b1", "a2", "a3", "b3"]
    assert teams == "abbab"


def test_team_draft_of_one_list_with_itself_credits_each_team_half_the_places() -> None:
    ranking = [f"p{i}" for i in range(10)]
    counts = Counter()
    for seed in range(400):
        merged, teams = team_draft(ranking, ranking, 10, random.Random(seed))
        assert merged == ranking  # the shopper sees the list unchanged
        counts.update(teams[:1])
        assert abs(teams.count("a") - teams.count("b")) <= 1
    assert 160 < counts["a"] < 240  # the first place goes to either by the coin


def test_team_draft_goes_on_with_the_other_list_when_one_runs_out() -> None:
    merged, teams = team_draft(["x"], ["y", "z", "w"], 4, random.Random(1))
    assert sorted(merged) == ["w", "x", "y", "z"]
    assert teams.count("a") == 1


def test_team_draft_keeps_pins_in_place_for_neither_arm_and_one_variant_a_group() -> None:
    merged, teams = team_draft(["a1", "a2"], ["b1", "b2"], 4, random.Random(3), fixed={"pin": 2})
    assert len(merged) == 4 and merged[1] == "pin" and teams[1] == "-"
    assert all(product_id[0] == team for product_id, team in zip(merged, teams, strict=True) if team != "-")
    groups = {"red": "kettle", "blue": "kettle"}
    merged, teams = team_draft(["red", "x"], ["blue", "y"], 3, random.Random(1), group=lambda i: groups.get(i, i))
    assert len({groups.get(i, i) for i in merged}) == len(merged) == 3  # red or blue, never both


def test_an_arms_ranking_changes_only_the_fields_it_names() -> None:
    shop = Ranking(weights={"rating": 0.5}, stock="hide", distinct=True)
    arm = Arm.model_validate({"label": "boost", "ranking": {"session_boost": 0.1}})
    ranking = arm.request(SearchRequest("kettle"), shop).ranking
    assert ranking == Ranking(weights={"rating": 0.5}, stock="hide", distinct=True, session_boost=0.1)
    again = Experiment.from_json(experiment(b=arm).to_json())  # kept as it was named, to read back so
    assert again.b.request(SearchRequest("kettle"), shop).ranking == ranking
    assert Arm(label="bm25", mode="bm25").request(SearchRequest("kettle"), shop).ranking is None  # the shop's
    with pytest.raises(ValueError, match="spelling is the service's"):
        Arm.model_validate({"search": {"spelling": False}})


def test_arms_of_sessions_are_stable_and_split_as_the_traffic_says() -> None:
    ab = experiment("ab", traffic=0.5)
    arms = Counter(ab.arm(f"session-{n}") for n in range(4000))
    assert 1800 < arms[None] < 2200
    assert 850 < arms["a"] < 1150 and 850 < arms["b"] < 1150
    assert all(ab.arm(f"session-{n}") == ab.arm(f"session-{n}") for n in range(50))
    assert ab.arm(None) is None and ab.arm("") is None  # no session: no part in it
    assert experiment("interleave").arm("anyone") == "interleaved"


def test_arm_of_a_mode_or_a_settings_file(tmp_path: Path) -> None:
    assert arm_of("rerank") == Arm(label="rerank", mode="rerank")
    settings = tmp_path / "b.json"
    settings.write_text(json.dumps({"mode": "hybrid", "search": {"dense_weight": 0.7}, "ranking": {"stock": "hide"}}))
    arm = arm_of(str(settings))
    assert arm.label == "b.json" and arm.search == {"dense_weight": 0.7} and arm.ranking == Ranking(stock="hide")
    with pytest.raises(ResourceError, match="neither a mode"):
        arm_of("fastest")
    settings.write_text(json.dumps({"search": {"dense_weight": 3}}))
    with pytest.raises(ResourceError, match="dense_weight must be within 0..1"):
        arm_of(str(settings))
    settings.write_text(json.dumps({"search": {"speed": 3}}))
    with pytest.raises(ResourceError, match="unknown search settings speed"):
        arm_of(str(settings))
    settings.write_text("{")
    with pytest.raises(ResourceError, match="is not JSON"):
        arm_of(str(settings))


def test_experiments_are_kept_with_the_shop_settings_one_running_at_a_time() -> None:
    running = experiment()
    stopped = experiment().model_copy(update={"name": "old", "stopped_at": "2026-12-06T00:00:00+00:00"})
    settings = Merchandising().with_entries("experiments", [stopped, running])
    again = Merchandising.from_json(json.loads(json.dumps(settings.to_json())))
    assert again.experiments == settings.experiments
    assert again.experiment == running
    with pytest.raises(ResourceError, match="traffic"):
        Experiment.from_json(running.to_json() | {"traffic": 0})


@pytest.fixture(scope="module")
def pipeline(sample_index: Path) -> SearchPipeline:
    from search.backend import EmbeddedBackend
    from search.indexes import open_index

    return SearchPipeline(EmbeddedBackend(open_index(sample_index)), merchandising=FixedMerchandising())


def ids(response) -> list[str]:
    return [hit.product.id for hit in response.hits]


def test_an_interleaved_page_merges_both_arms_and_says_which_put_each_hit_there(pipeline: SearchPipeline) -> None:
    request = SearchRequest("running shoes", mode="hybrid", size=10)
    a, b = ids(pipeline.search(request)), ids(pipeline.search(SearchRequest("running shoes", mode="bm25", size=10)))
    served = serve(pipeline, request, experiment(), "shopper-1", lambda p, r: p.search(r))
    assert served.arm == "interleaved" and served.experiment == "exp-1"
    shown = ids(served.response)
    assert len(shown) == 10 and len(set(shown)) == 10 and served.teams is not None and len(served.teams) == 10
    for product_id, team in zip(shown, served.teams, strict=True):
        assert product_id in (a if team == "a" else b)
    again = serve(pipeline, request, experiment(), "shopper-1", lambda p, r: p.search(r))
    assert ids(again.response) == shown and again.teams == served.teams  # the same shopper, the same list
    second_page = serve(pipeline, SearchRequest("running shoes", mode="hybrid", size=5, page=2), experiment(),
                        "shopper-1", lambda p, r: p.search(r))  # fmt: skip
    assert ids(second_page.response) == shown[5:] and second_page.teams == served.teams[5:]


def test_ab_serves_each_session_its_arm_and_no_session_the_served_ranking(pipeline: SearchPipeline) -> None:
    ab = experiment("ab")
    request = SearchRequest("running shoes", mode="hybrid", size=10)
    sessions = {ab.arm(f"s{n}"): f"s{n}" for n in range(20)}
    run = lambda p, r: p.search(r)  # noqa: E731
    in_b = serve(pipeline, request, ab, sessions["b"], run)
    assert in_b.arm == "b" and in_b.response.mode == "bm25"
    assert ids(in_b.response) == ids(pipeline.search(SearchRequest("running shoes", mode="bm25", size=10)))
    in_a = serve(pipeline, request, ab, sessions["a"], run)
    assert in_a.arm == "a" and ids(in_a.response) == ids(pipeline.search(request))
    outside = serve(pipeline, request, ab, None, run)
    assert outside.arm is None and outside.experiment is None


def test_an_arm_with_its_own_ranking_and_settings(pipeline: SearchPipeline) -> None:
    hiding = experiment("ab", b=Arm(label="hide", ranking=Ranking(stock="hide"), search={"dense_weight": 0.9}))
    session = next(f"s{n}" for n in range(100) if hiding.arm(f"s{n}") == "b")
    request = SearchRequest("kettle", size=30)
    assert not all(hit.product.in_stock for hit in pipeline.search(request).hits)
    served = serve(pipeline, request, hiding, session, lambda p, r: p.search(r))
    assert served.response.hits and all(hit.product.in_stock for hit in served.response.hits)
    assert pipeline.settings.dense_weight != 0.9  # the arm's settings were a copy's
