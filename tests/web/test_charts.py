"""The analytics page's SVG charts: round axes, no bar or line where there is no value, nothing a CSP would block."""

from __future__ import annotations

import re
from xml.etree import ElementTree

import pytest

from web.charts import _scale, bar_chart, line_chart

pytestmark = pytest.mark.fast

SVG = "{http://www.w3.org/2000/svg}"


def parsed(svg: str) -> ElementTree.Element:
    return ElementTree.fromstring(svg)  # well-formed, or this raises


@pytest.mark.parametrize(
    ("values", "percent", "expected"),
    [
        ([59], False, (60, 20)),  # rough step 14.75 -> 20
        ([3], False, (3, 1)),  # counts step by whole numbers
        ([0.134], True, (0.15, 0.05)),  # rough 0.0335 -> 0.05
        ([0.9], True, (1.0, 0.25)),
        ([1.0], True, (1.0, 0.25)),
        ([], True, (0.1, 0.025)),  # no values: an empty axis still has a scale
    ],
)
def test_axes_end_on_a_round_number_above_the_largest_value(values, percent, expected) -> None:
    top, step = _scale(values, percent)
    assert (top, step) == pytest.approx(expected)


def test_a_bar_chart_has_a_bar_per_value_and_none_for_missing_ones() -> None:
    svg = bar_chart("Click-through by position", ["1", "2", "3", "4"], [0.5, None, 0.25, 0.0], "#1f6fb2", True, "")
    root = parsed(svg)
    bars = [rect for rect in root.iter(f"{SVG}rect") if rect.find(f"{SVG}title") is not None]
    assert [bar.find(f"{SVG}title").text for bar in bars] == ["1: 50.0%", "3: 25.0%", "4: 0.0%"]
    heights = [float(bar.get("height")) for bar in bars]
    assert heights[0] == pytest.approx(2 * heights[1], abs=0.2) and heights[2] == 2  # 0: a stub, unlike None
    assert {float(bar.get("y")) + height for bar, height in zip(bars, heights, strict=True)} == {232.0}  # on the axis
    ticks = [text.text for text in root.iter(f"{SVG}text")]
    assert ticks == ["0%", "20%", "40%", "60%", "1", "2", "3", "4"]  # rough step 0.5 / 4 -> 0.2
    assert root.find(f"{SVG}title").text == "Click-through by position"


def test_a_line_breaks_where_a_day_has_no_rate() -> None:
    values = [0.2, 0.3, None, 0.1, 0.4]
    svg = line_chart("Rates", ["a", "b", "c", "d", "e"], [("Click-through", "#1f6fb2", values)], "no data")
    root = parsed(svg)
    lines = [line.get("points").split() for line in root.iter(f"{SVG}polyline")]
    assert [len(points) for points in lines] == [2, 2]  # a-b and d-e, nothing drawn through c
    assert len(list(root.iter(f"{SVG}circle"))) == 4 and "no data" not in svg


def test_text_is_escaped_and_nothing_needs_a_style_or_a_script() -> None:
    svg = bar_chart("<b>&", ["<script>", "x"], [1, 2], "#000", False, "")
    parsed(svg)
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "&lt;b&gt;&amp;" in svg
    assert not re.search(r"<style|style=|<script|href=", svg)


def test_an_empty_chart_says_so() -> None:
    svg = line_chart("Rates", [], [("Click-through", "#1f6fb2", [])], "No searches in this period")
    assert "No searches in this period" in svg and "<polyline" not in svg
    parsed(svg)
