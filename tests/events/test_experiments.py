"""An experiment's verdict from its searches and clicks (numbers worked by hand), what the events database logged of
it, and the migration that gave older databases the columns for it (SQLite and a real PostgreSQL)."""

from __future__ import annotations

import math
import uuid
from dataclasses import replace

import pytest
from sqlalchemy import Column, MetaData, Table, create_engine, insert, inspect, select
from sqlalchemy.engine import make_url

from events import Event, EventStore, SearchRecord
from events.experiments import ExperimentSearch, logged, verdict
from events.records import NO_FILTERS
from events.schema import EVENTS, EXPERIMENT_COLUMNS, META, SEARCHES, VERSION
from events.store import is_postgres


def preferring(arm: str, sessions: int, start: int = 0) -> list[ExperimentSearch]:
    """Sessions whose one click went to `arm`'s product ("none": a click on neither arm... no click at all)."""
    clicked = {"a": frozenset({"p1"}), "b": frozenset({"p2"}), "none": frozenset()}[arm]
    return [ExperimentSearch(f"s{start + n}", "interleaved", ("p1", "p2"), clicked, "ab") for n in range(sessions)]


def test_interleaving_sign_test_worked_by_hand() -> None:
    # 10 sessions prefer B, none A, 5 tie: p = 2 x 0.5^10 = 0.001953125
    result = verdict("interleave", preferring("b", 10) + preferring("none", 5, start=10))
    assert result.winner == "b"
    assert result.p_value == pytest.approx(2 * 0.5**10)
    assert result.arms["b"].clicks == 10 and result.arms["a"].clicks == 0 and result.sessions == 15
    assert result.to_json()["preferred"] == {"a": 0, "b": 10} and result.to_json()["ties"] == 5


def test_interleaving_level_or_too_few_declares_no_winner_and_says_why() -> None:
    level = verdict("interleave", preferring("a", 20) + preferring("b", 20, start=20))
    assert level.winner == "none" and level.p_value == pytest.approx(1.0) and level.sessions_needed is None
    few = verdict("interleave", preferring("b", 9))
    assert few.winner == "none" and few.p_value is None and "at least 10" in few.note


def test_interleaving_sessions_needed_for_the_effect_seen() -> None:
    # 12 of 20 prefer B (share 0.6): n = ((1.95996 x 0.5 + 0.84162 x sqrt(0.24)) / 0.1)^2 = 193.0 preferring
    # sessions; every session here preferred one, so 193 in all
    result = verdict("interleave", preferring("b", 12) + preferring("a", 8, start=12))
    assert result.winner == "none"
    expected = (1.959964 * 0.5 + 0.841621 * math.sqrt(0.24)) ** 2 / 0.01
    assert result.sessions_needed == math.ceil(expected)
    assert result.to_json()["more_sessions_needed"] == math.ceil(expected) - 20


def test_a_planned_size_calls_no_winner_before_it_and_an_unplanned_one_says_so() -> None:
    sessions = preferring("b", 12)
    early = verdict("interleave", sessions, planned=20)
    assert early.winner == "none" and early.p_value == pytest.approx(2 * 0.5**12) and "12 of the 20" in early.note
    assert verdict("interleave", sessions, planned=12).winner == "b"
    unplanned = verdict("interleave", sessions)
    assert unplanned.winner == "b" and "no sample size was planned" in unplanned.note


def test_a_pinned_product_counts_for_neither_arm() -> None:
    search = ExperimentSearch("s", "interleaved", ("pin", "y"), frozenset({"pin", "y"}), "-b")
    assert search.credit() == {"a": 0, "b": 1}


def test_a_click_counts_for_the_team_that_put_the_product_there() -> None:
    search = ExperimentSearch("s", "interleaved", ("x", "y", "z"), frozenset({"x", "z"}), "bab")
    assert search.credit() == {"a": 0, "b": 2}


def ab_sessions(arm: str, clicks: list[int], prefix: str) -> list[ExperimentSearch]:
    return [
        ExperimentSearch(f"{prefix}{n}", arm, ("p1", "p2", "p3"), frozenset(["p1", "p2", "p3"][:count]))
        for n, count in enumerate(clicks)
    ]


def test_ab_welch_t_test_worked_by_hand() -> None:
    a = ab_sessions("a", [0, 1] * 10, "a")  # mean 0.5, variance 20/76 = 0.26316
    b = ab_sessions("b", [1, 2] * 10, "b")  # mean 1.5, the same variance
    result = verdict("ab", a + b)
    # t = 1 / sqrt(2 x 0.26316 / 20) = 6.164, df = 38 (equal variances and sizes): p = 3.3e-7
    assert result.winner == "b"
    assert result.p_value == pytest.approx(3.3e-7, rel=0.05)
    assert result.arms["a"].to_json()["clicks_per_search"] == 0.5 and result.arms["b"].clicks == 30
    # per arm 2 x (1.95996 + 0.84162)^2 x 0.26316 / 1^2 = 4.13 -> 5; both arms 10
    assert result.sessions_needed == 10


def test_ab_with_every_session_alike_is_no_difference() -> None:
    result = verdict("ab", ab_sessions("a", [1] * 12, "a") + ab_sessions("b", [1] * 12, "b"))
    assert result.winner == "none" and result.p_value == 1.0


def record(session: str | None, experiment: str | None, arm: str | None, results: tuple[str, ...],
           teams: str | None = None) -> SearchRecord:  # fmt: skip
    return SearchRecord(
        uuid.uuid4().hex, 1_000, session, "page", "kettle", "kettle", "hybrid", "v1", "[]", NO_FILTERS, 9, 1, 3,
        results, 3.0, experiment, arm, teams,
    )  # fmt: skip


def test_the_logged_searches_of_an_experiment_with_their_clicks(location: str) -> None:
    store = EventStore(location, create=True)
    mine = record("s1", "exp", "interleaved", ("x", "y", "z"), "abb")
    clickless = record("s2", "exp", "interleaved", ("x", "y", "z"), "bab")
    other = record("s1", "another", "b", ("x",))
    no_session = record(None, "exp", "interleaved", ("x",), "a")
    events = [
        Event(1_100, "s1", "page", "click", mine.search_id, "y", 2),
        Event(1_200, "s1", "api", "purchase", mine.search_id, "y", 2),  # the same product: counted once
        Event(1_300, "s1", "api", "click", mine.search_id, "elsewhere", None),  # not shown by it: not its click
        Event(1_400, "s1", "page", "click", other.search_id, "x", 1),
    ]
    store.write([mine, clickless, other, no_session], events)
    found = sorted(logged(store, "exp"), key=lambda search: search.session)
    assert found == [
        ExperimentSearch("s1", "interleaved", ("x", "y", "z"), frozenset({"y"}), "abb"),
        ExperimentSearch("s2", "interleaved", ("x", "y", "z"), frozenset(), "bab"),
    ]
    store.close()


def test_a_database_an_older_release_made_gets_the_experiment_columns(location: str) -> None:
    url = make_url(location).set(drivername="postgresql+psycopg") if is_postgres(location) else f"sqlite:///{location}"
    engine = create_engine(url)
    old = MetaData()
    for table in (VERSION, EVENTS, META):
        table.to_metadata(old)
    Table("searches", old, *(Column(c.name, c.type, primary_key=c.primary_key, nullable=c.nullable)
                             for c in SEARCHES.columns if c.name not in EXPERIMENT_COLUMNS))  # fmt: skip
    old.create_all(engine)
    before = replace(record("s1", None, None, ("x",)))
    row = {
        column: getattr(before, column) for column in before.__dataclass_fields__ if column not in EXPERIMENT_COLUMNS
    }
    with engine.begin() as connection:
        connection.execute(insert(VERSION).values(version=1))
        connection.execute(insert(old.tables["searches"]).values(row | {"results": '["x"]', "shown": 1}))
    engine.dispose()
    store = EventStore(location, create=True)
    assert store.migrated_from == 1
    with store.transaction() as connection:
        columns = {column["name"] for column in inspect(connection).get_columns("searches")}
        assert set(EXPERIMENT_COLUMNS) <= columns
        assert connection.execute(select(SEARCHES.c.query, SEARCHES.c.experiment)).all() == [("kettle", None)]
    store.write([record("s2", "exp", "b", ("y",))], [])
    assert [search.arm for search in logged(store, "exp")] == ["b"]
    store.close()
