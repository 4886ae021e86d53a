"""Fusion arithmetic against numbers worked out by hand."""

from __future__ import annotations

import pytest

from search.fusion import below, blend, normalise, ranked, reciprocal_rank, weighted_sum

pytestmark = pytest.mark.fast


def test_reciprocal_rank_sums_one_over_k_plus_rank() -> None:
    fused = reciprocal_rank([["a", "b", "c"], ["c", "a"]], k=60)
    assert fused["a"] == pytest.approx(1 / 61 + 1 / 62)
    assert fused["b"] == pytest.approx(1 / 62)
    assert fused["c"] == pytest.approx(1 / 63 + 1 / 61)
    assert [key for key, _ in ranked(fused)] == ["a", "c", "b"]


def test_reciprocal_rank_constant_is_a_parameter() -> None:
    assert reciprocal_rank([["a"]], k=1)["a"] == pytest.approx(0.5)


def test_minmax_and_its_zero_denominator() -> None:
    assert normalise({"a": 10.0, "b": 5.0, "c": 0.0}) == {"a": 1.0, "b": 0.5, "c": 0.0}
    assert normalise({"a": 3.0, "b": 3.0}) == {"a": 1.0, "b": 1.0}
    assert normalise({}) == {}


def test_zscore_and_its_zero_denominator() -> None:
    scores = normalise({"a": 4.0, "b": 2.0, "c": 0.0}, "zscore")  # mean 2, population std sqrt(8/3)
    assert (
        scores["a"] == pytest.approx(2 / (8 / 3) ** 0.5)
        and scores["b"] == 0.0
        and scores["c"] == pytest.approx(-scores["a"])
    )
    assert normalise({"a": 1.0, "b": 1.0}, "zscore") == {"a": 0.0, "b": 0.0}
    with pytest.raises(ValueError, match="unknown normalisation"):
        normalise({"a": 1.0}, "softmax")


def test_weighted_sum_counts_an_absent_key_at_the_lists_floor() -> None:
    keyword = normalise({"a": 8.0, "b": 4.0, "c": 0.0})  # a 1, b 0.5, c 0
    dense = normalise({"b": 0.9, "d": 0.5})  # b 1, d 0
    fused = weighted_sum([keyword, dense], [0.7, 0.3])
    assert fused["a"] == pytest.approx(0.7 * 1.0 + 0.3 * 0.0)
    assert fused["b"] == pytest.approx(0.7 * 0.5 + 0.3 * 1.0)
    assert fused["d"] == pytest.approx(0.7 * 0.0 + 0.3 * 0.0)
    assert [key for key, _ in ranked(fused)] == ["a", "b", "c", "d"]  # ties break by key


def test_weights_must_match_the_lists() -> None:
    with pytest.raises(ValueError):
        weighted_sum([{"a": 1.0}], [0.5, 0.5])


def test_blend_mixes_normalised_fused_and_cross_encoder_scores() -> None:
    fused = [("a", 0.9), ("b", 0.5), ("c", 0.1)]
    cross = {"a": -2.0, "b": 4.0, "c": 0.0}
    assert [key for key, _ in blend(fused, cross, 1.0)] == ["b", "c", "a"]
    assert [key for key, _ in blend(fused, cross, 0.0)] == ["a", "b", "c"]
    # min-max: fused a 1, b 0.5, c 0; cross a 0, b 1, c 1/3; at 0.25: a .75, b .625, c .0833
    mixed = blend(fused, cross, 0.25)
    assert [key for key, _ in mixed] == ["a", "b", "c"]
    assert dict(mixed) == pytest.approx({"a": 0.75, "b": 0.625, "c": 1 / 12})
    assert [key for key, _ in blend(fused, {"a": 1.0, "c": 2.0}, 0.5)] == ["a", "c"]  # b was not reranked


def test_below_shifts_the_tail_to_start_one_point_under_the_head() -> None:
    head, tail = [("a", 3.0), ("b", 2.5)], [("c", 10.0), ("d", 9.25)]
    assert below(head, tail) == [("c", 1.5), ("d", 0.75)]  # shift 2.5 - 1 - 10 = -8.5; the gaps stay
    assert below([], tail) == tail and below(head, []) == []


def test_spread_is_the_score_range_or_the_top_scores_size() -> None:
    from search.fusion import spread

    assert spread([("a", 10.0), ("b", 6.0), ("c", 2.0)]) == 8.0
    assert spread([("a", 0.4), ("b", 0.4)]) == 1.0  # equal scores: at least 1
    assert spread([("a", -3.0)]) == 3.0
