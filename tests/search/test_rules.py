"""Rules: what a rule may say, which rules a query meets, and how rules that disagree are settled."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from search.errors import ResourceError
from search.rules import Outcome, Rule, Rules
from search.understanding import Reading, Span, Understanding

pytestmark = pytest.mark.fast

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
PLAIN = Understanding("q", "q")


def rule(rule_id: str, **body) -> Rule:
    return Rule.from_json(rule_id, {"hide": ["x"], **body} if not set(body) & CONSEQUENCES else body)


CONSEQUENCES = {"pin", "hide", "boost", "filter", "redirect"}


@pytest.mark.parametrize(
    "body, field, words",
    [
        ({"redirect": "javascript:alert(1)"}, "redirect", "not an http or https URL"),
        ({"condition": {"query": "kettle"}}, "body", "no consequence"),
        ({"pin": [{"id": "a", "position": 1}, {"id": "b", "position": 1}]}, "body", "share a position"),
        ({"pin": [{"id": "a", "position": 0}]}, "pin.0.position", "greater than or equal to 1"),
        ({"hide": ["a"], "colour": "red"}, "colour", "Extra inputs"),
        ({"hide": ["a"], "condition": {"match": "fuzzy"}}, "condition.match", "'exact' or 'contains'"),
        ({"boost": [{"filter": {"brand": "A"}, "strength": 0}]}, "boost.0.strength", "does nothing"),
        ({"hide": ["a"], "active_from": "2026-12-08", "active_until": "2026-12-01"}, "body", "before active_until"),
        ({"filter": {"price_min": -1}}, "filter.price_min", "greater than or equal to 0"),
        ({"redirect": "https:///nowhere"}, "redirect", "not an http or https URL"),
        ({"redirect": "http://a b"}, "redirect", "not an http or https URL"),
        ({"pin": [{"id": "a", "position": 1}], "hide": ["a"]}, "body", "'a' is pinned and hidden"),
    ],
)
def test_a_rule_that_cannot_work_is_refused_naming_the_field(body: dict, field: str, words: str) -> None:
    with pytest.raises(ResourceError) as refused:
        Rule.from_json("r1", body)
    assert refused.value.field == field and words in str(refused.value)


def test_an_id_must_be_a_url_segment() -> None:
    with pytest.raises(ResourceError, match="rule id 'a/b' has other characters"):
        Rule.from_json("a/b", {"hide": ["x"]})


def test_exact_queries_match_whole_normalised_queries_and_contained_phrases_match_words() -> None:
    rules = Rules(
        [
            rule("exact", condition={"query": "Red Kettle"}),
            rule("in", condition={"query": "kettle", "match": "contains"}),
        ]
    )
    assert [r.id for r in rules.matching("red  KETTLE!", PLAIN, NOW)] == ["exact", "in"]
    assert [r.id for r in rules.matching("cheap red kettle", PLAIN, NOW)] == ["in"]
    assert rules.matching("kettles", PLAIN, NOW) == ()  # a word, not a part of one


def test_category_and_brand_conditions_read_the_understood_query() -> None:
    rules = Rules([rule("cat", condition={"category": "Home > Kitchen"}), rule("brand", condition={"brand": "acme"})])
    kitchen = Reading("category", None, ("Home > Kitchen > Kettles",))
    acme = Reading("brand", None, ("Acme",))
    understood = Understanding("q", "q", (Span(0, 1, "k", "category", (kitchen,)), Span(2, 3, "a", "brand", (acme,))))
    assert [r.id for r in rules.matching("acme kettle", understood, NOW)] == ["brand", "cat"]
    assert rules.matching("acme kettle", PLAIN, NOW) == ()


def test_understood_category_rules_hold_for_the_categories_below() -> None:
    rules = Rules([rule("home", condition={"category": "Home"}), rule("garden", condition={"category": "Garden"})])
    kettles = Reading("category", None, ("Home > Kitchen > Kettles",))
    understood = Understanding("q", "q", (Span(0, 1, "k", "category", (kettles,)),))
    assert [r.id for r in rules.matching("kettle", understood, NOW)] == ["home"]


def test_a_rules_filter_adds_its_attributes_to_those_of_the_query() -> None:
    from search.filters import Filters
    from search.rules import merged

    asked = Filters(attributes=(("colour", ("red",)),))
    added = merged(asked, Filters(attributes=(("colour", ("blue",)), ("season", ("summer",)))))
    assert added.attributes == (("colour", ("red",)), ("season", ("summer",)))  # the query's colour stands


def test_disabled_and_out_of_window_rules_do_not_apply() -> None:
    rules = Rules(
        [
            rule("off", enabled=False),
            rule("later", active_from="2026-12-24T00:00:00Z"),
            rule("over", active_until="2026-12-01T00:00:00+01:00"),
            rule("now", active_from="2026-12-01", active_until="2026-12-31"),
        ]
    )
    assert [r.id for r in rules.matching("anything", PLAIN, NOW)] == ["now"]


def test_disagreeing_rules_settle_in_rule_order() -> None:
    first = rule(
        "a-first",
        pin=[{"id": "p1", "position": 1}, {"id": "hidden", "position": 2}],
        filter={"brand": ["Acme"]},
        redirect="https://one.example",
    )
    second = rule(
        "b-second",
        pin=[{"id": "p2", "position": 1}, {"id": "p1", "position": 3}, {"id": "p3", "position": 4}],
        hide=["hidden"],
        filter={"brand": ["Brite"], "price_max": 50},
        redirect="https://two.example",
    )
    outcome = Outcome.of((first, second))
    # a position or a product taken by an earlier rule keeps it; a hidden product is never pinned
    assert [(product, position) for _, product, position in outcome.pins] == [("p1", 1), ("p3", 4)]
    assert outcome.hidden == {"hidden"} and outcome.redirect == "https://one.example"
    assert outcome.filters.brands == ("Acme",) and outcome.filters.price_max == 50  # each field: the first to set it
