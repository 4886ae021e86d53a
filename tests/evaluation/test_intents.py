"""Judged intents: what a constraint accepts, how a bad intents file is reported, that the shipped sets can be met."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from evaluation.intents import (
    Constraint,
    Intent,
    IntentsError,
    failures,
    format_intents,
    load_intents,
    meets,
    parse_constraint,
    share_met,
)
from evaluation.judgments import JudgmentsError
from indexer.products import Product, validate_record
from tests.helpers import SAMPLE, SAMPLE_ZH

pytestmark = pytest.mark.fast

KETTLE = Product(
    "k1",
    "Edge Electric Kettle 1.7 l - Red",
    category=("Home", "Kitchen", "Kettles"),
    brand="Kettleworth",
    price=49.99,
    attributes={"colour": ("red",), "size": ("1.7 l",), "material": ("glass", "steel")},
)


def constraint(**record) -> Constraint:
    return parse_constraint(record)


def test_prices_are_inclusive_and_a_missing_price_fails() -> None:
    assert meets(KETTLE, constraint(price_max=49.99)) and meets(KETTLE, constraint(price_min=49.99))
    assert meets(KETTLE, constraint(price_min=40, price_max=50))
    assert failures(KETTLE, constraint(price_max=40)) == ["price 49.99 > 40"]
    assert failures(KETTLE, constraint(price_min=50)) == ["price 49.99 < 50"]
    assert failures(Product("p", "no price"), constraint(price_max=40)) == ["no price"]


def test_brands_are_any_of_and_case_insensitive() -> None:
    assert meets(KETTLE, constraint(brand=["Salton", "KETTLEWORTH "]))
    assert failures(KETTLE, constraint(brand=["Salton", "Brevilla"])) == ["brand Kettleworth not Salton/Brevilla"]
    assert not meets(Product("p", "no brand"), constraint(brand=["Salton"]))


def test_category_is_a_prefix_of_whole_parts() -> None:
    assert meets(KETTLE, constraint(category="Home > Kitchen"))
    assert meets(KETTLE, constraint(category="home>kitchen>kettles"))
    assert not meets(KETTLE, constraint(category="Home > Kitch"))  # a part, not a string prefix
    assert not meets(KETTLE, constraint(category="Home > Kitchen > Kettles > Electric"))
    assert failures(KETTLE, constraint(category="Garden")) == ["category Home > Kitchen > Kettles not under Garden"]


def test_attributes_are_any_of_per_key_and_every_key_must_hold() -> None:
    assert meets(KETTLE, constraint(attributes={"Colour": ["crimson", "RED"]}))
    assert meets(KETTLE, constraint(attributes={"material": ["steel"]}))  # any of the product's values
    both = constraint(attributes={"colour": ["red"], "size": ["1.5 l"]})
    assert failures(KETTLE, both) == ["size 1.7 l not 1.5 l"]
    assert failures(KETTLE, constraint(attributes={"pattern": ["striped"]})) == ["pattern (none) not striped"]


def test_every_part_must_hold() -> None:
    everything = constraint(
        price_max=50, brand=["kettleworth"], category="Home", attributes={"colour": ["red"], "size": ["1.7 l"]}
    )
    assert meets(KETTLE, everything)
    assert len(failures(KETTLE, constraint(price_max=10, brand=["x"], category="Garden"))) == 3


def write(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "intents.tsv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_load_reads_lines_and_skips_blank_ones(tmp_path: Path) -> None:
    path = write(
        tmp_path, 'a\tkettle under 50\t{"price_max": 50}', "", 'b\t红色连衣裙\t{"attributes": {"颜色": ["红色"]}}'
    )
    intents = load_intents(path)
    assert intents == [
        Intent("a", "kettle under 50", Constraint(price_max=50.0)),
        Intent("b", "红色连衣裙", Constraint(attributes={"颜色": ("红色",)})),
    ]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("b\tkettle\t{price_max: 50}", "line 2: the constraint is not valid JSON"),
        ('b\tkettle\t{"colour": ["red"]}', "line 2: unknown constraint key 'colour'; use price_min, price_max"),
        (
            'b\tkettle\t{"price_max": "50"}',
            "line 2: 'price_max' must be a number of 0 or more, like 50 or 49.99, got '50'",
        ),
        ('b\tkettle\t{"price_max": true}', "line 2: 'price_max' must be a number"),
        ('b\tkettle\t{"price_min": 80, "price_max": 50}', "line 2: price_min 80 is above price_max 50; swap them"),
        ('b\tkettle\t{"brand": "Salton"}', "line 2: 'brand' must be a non-empty list of names"),
        ('b\tkettle\t{"attributes": {"colour": "red"}}', "line 2: 'attributes.colour' must be a non-empty list"),
        ('b\tkettle\t{"attributes": ["red"]}', "line 2: 'attributes' must be a non-empty object"),
        ('b\tkettle\t{"category": ""}', "line 2: 'category' must be a path like"),
        ('b\tkettle\t["price_max", 50]', "line 2: the constraint must be a JSON object"),
        ("b\tkettle\t{}", "line 2: the constraint is empty, so every product meets it"),
        ('b\tkettle {"price_max": 50}', "line 2: expected 'id<TAB>query<TAB>constraint_json' (3 fields), got 2"),
        ('a\tkettle\t{"price_max": 50}', "line 2: intent id 'a' appears twice"),
    ],
)
def test_load_names_file_line_and_fix(tmp_path: Path, line: str, expected: str) -> None:
    path = write(tmp_path, 'a\tkettle under 50\t{"price_max": 50}', line)
    with pytest.raises(IntentsError) as error:
        load_intents(path)
    assert str(error.value).startswith(f"{path}: {expected}")
    assert isinstance(error.value, JudgmentsError)  # so the command line reports it as bad input, exit 2


def test_load_refuses_an_empty_file(tmp_path: Path) -> None:
    with pytest.raises(IntentsError, match="no intents"):
        load_intents(write(tmp_path, ""))


def test_share_is_met_over_hits_returned_and_no_hits_count_zero() -> None:
    cheap = Intent("cheap", "kettle under 50", constraint(price_max=50))
    red = Intent("red", "red kettle", constraint(attributes={"colour": ["red"]}))
    none = Intent("none", "teapot", constraint(category="Home"))
    dear = Product("k2", "Dear kettle", price=73.99, attributes={"colour": ("silver",)})
    results = {"kettle under 50": [KETTLE, dear, KETTLE, KETTLE], "red kettle": [dear, KETTLE], "teapot": []}
    report = share_met([cheap, red, none], lambda query: results[query])
    assert [result.share for result in report.results] == [3 / 4, 1 / 2, 0.0]
    assert report.mean == pytest.approx((3 / 4 + 1 / 2 + 0.0) / 3)
    assert report.empty == ("none",)
    assert [(miss.rank, miss.product_id, miss.reasons) for miss in report.results[0].misses] == [
        (2, "k2", ("price 73.99 > 50",))
    ]
    text = format_intents(report)
    assert "cheap  0.75   3/4   kettle under 50  | #2 price 73.99 > 50" in text
    assert "none   0.00   0/0   teapot  | no hits" in text
    assert text.endswith("mean share 0.417 over 3 intents (1 with no hits)")


def test_the_command_fails_clearly_when_understanding_is_not_there(monkeypatch: pytest.MonkeyPatch) -> None:
    import click

    from prodsearch.commands import intents

    @dataclass(frozen=True)
    class Plain:
        query: str
        mode: str = "hybrid"
        size: int = 10

    @dataclass(frozen=True)
    class Understood(Plain):
        understand: bool = True

    monkeypatch.setattr(intents, "SearchRequest", Plain)
    assert intents.request_maker("bm25", 5, understand=False)("kettle") == Plain("kettle", "bm25", 5)
    with pytest.raises(click.UsageError, match="no 'understand' field.*--no-understand"):
        intents.request_maker("bm25", 5, understand=True)
    monkeypatch.setattr(intents, "SearchRequest", Understood)
    assert intents.request_maker("bm25", 5, understand=False)("kettle") == Understood("kettle", "bm25", 5, False)


@pytest.mark.parametrize(("folder", "least"), [(SAMPLE, 40), (SAMPLE_ZH, 30)])
def test_every_shipped_intent_is_met_by_a_product_of_its_catalogue(folder: Path, least: int) -> None:
    intents = load_intents(folder / "intents.tsv")
    lines = (folder / "products.jsonl").read_text(encoding="utf-8").splitlines()
    products = [validate_record(json.loads(line)) for line in lines]
    assert len(intents) >= least
    unmet = [intent.id for intent in intents if not any(meets(product, intent.constraint) for product in products)]
    assert not unmet, f"no product of {folder.name} meets {unmet}"
