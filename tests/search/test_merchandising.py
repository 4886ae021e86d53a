"""The shop's settings on disk: versioned, written whole or not at all, seen by another reader within a second."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from search.errors import ResourceError, SearchError, UnknownResource
from search.merchandising import RECHECK, FileMerchandising, Merchandising, ranking_of
from search.rules import Rule
from search.synonyms import Synonym

pytestmark = pytest.mark.fast


def test_each_change_is_a_new_version_that_another_reader_sees_within_a_second(tmp_path: Path) -> None:
    writer, reader = FileMerchandising(tmp_path), FileMerchandising(tmp_path)
    assert reader.current().version == 0 and not reader.current().synonyms
    entry = Synonym("couch", ("couch", "sofa"))
    changed = writer.change(lambda current: current.with_synonyms([entry]))
    assert changed.version == 1 and writer.current() is changed
    time.sleep(RECHECK)
    assert reader.current().synonyms == {"couch": entry} and reader.current().version == 1
    promo = Rule.from_json("promo", {"condition": {"query": "kettle"}, "hide": ["a"]})
    writer.change(lambda current: current.with_rules([promo]))
    writer.change(lambda current: current.with_ranking(ranking_of({"weights": {"rating": 0.5}})))
    time.sleep(RECHECK)
    seen = reader.current()
    assert seen.version == 3 and seen.rules == {"promo": promo} and seen.ranking.weights == {"rating": 0.5}
    assert Merchandising.from_json(seen.to_json()) == seen


def test_a_change_that_fails_stores_nothing(tmp_path: Path) -> None:
    store = FileMerchandising(tmp_path)
    store.change(lambda current: current.with_synonyms([Synonym("a", ("a", "b"))]))
    with pytest.raises(UnknownResource, match="no rule with id 'nope'"):
        store.change(lambda current: current.without("rule", "nope"))
    assert FileMerchandising(tmp_path).current().version == 1
    assert not list(tmp_path.glob("*.tmp"))


def test_a_damaged_file_is_logged_and_the_last_good_version_served(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = FileMerchandising(tmp_path)
    store.change(lambda current: current.with_synonyms([Synonym("a", ("a", "b"))]))
    time.sleep(RECHECK)
    (tmp_path / "merchandising.json").write_text('{"synonyms": [{"id": "x", "synonyms": ["only one"]}]}')
    assert store.current().synonyms.keys() == {"a"}  # searches go on with version 1
    assert "merchandising.json is not valid merchandising settings" in caplog.text and "fix or remove it" in caplog.text
    with pytest.raises(SearchError, match="fix or remove it"):  # a change is refused rather than built on it
        store.change(lambda current: current)


@pytest.mark.parametrize(
    "body, field",
    [
        ({"weights": {"rating": 2}}, "weights"),
        ({"weights": {"bad name": 1}}, "weights"),
        ({"stock": "sell"}, "stock"),
        ({"business_share": 1.5}, "business_share"),
        ({"sort_relevance": -0.1}, "sort_relevance"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_ranking_settings_out_of_range_are_refused(body: dict, field: str) -> None:
    with pytest.raises(ResourceError) as refused:
        ranking_of(body)
    assert refused.value.field == field
