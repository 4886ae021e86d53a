"""Query understanding on a small hand-made catalogue: prices, units, colours, kinds, and what becomes a filter."""

from __future__ import annotations

import pytest

from indexer import Product
from indexer.text import normal_aligned
from indexer.vocabulary import Vocabulary
from search import Filters
from search.gibberish import is_gibberish
from search.prices import find_prices
from search.understanding import BOOST, FILTER, Understander

pytestmark = pytest.mark.fast


def product(pid: str, category: tuple[str, ...], brand: str, price: float, **attributes: str) -> Product:
    return Product(pid, pid, "", category, brand, price, "EUR", {key: (value,) for key, value in attributes.items()})


PRODUCTS = [
    product("k1", ("Home", "Kitchen", "Kettles"), "Kettleworth", 40.0, colour="red", size="1.7 l", material="glass"),
    product("k2", ("Home", "Kitchen", "Kettles"), "Salton", 80.0, colour="dark red", size="1.0 l", material="copper"),
    product("k3", ("Home", "Kitchen", "Kettles"), "Salton", 30.0, colour="copper", size="1.5 l", material="steel"),
    product("j1", ("Clothing", "Rain Jackets"), "Peak", 120.0, colour="navy", size="M", type="rain jacket"),
    product("j2", ("Clothing", "Rain Jackets"), "Peak", 90.0, colour="blue", size="L", type="rain jacket"),
    product("b1", ("Clothing", "Boots"), "Peak", 150.0, colour="grey", size="UK 9", type="hiking boots"),
    product("z1", ("服饰", "连衣裙"), "素言", 299.0, 颜色="番茄红", 尺码="M", 品类="连衣裙"),
    product("z2", ("服饰", "连衣裙"), "素言", 199.0, 颜色="红色", 尺码="L", 品类="连衣裙"),
    product("z3", ("数码", "耳机"), "声牌", 399.0, 颜色="白色", 连接方式="蓝牙5.3", 品类="蓝牙耳机"),
    product("z4", ("家电", "电水壶"), "暖居", 129.0, 颜色="白色", 容量="1.7L", 品类="电水壶"),
]
UNDERSTANDER = Understander(Vocabulary.of(PRODUCTS))


def spans(query: str) -> list[tuple[str, str, tuple[str, ...], str]]:
    """(text, kind, values of every reading, effect) of each understood span."""
    return [
        (span.text, span.kind, tuple(dict.fromkeys(v for r in span.readings for v in r.values)), span.effect)
        for span in UNDERSTANDER.understand(query).spans
    ]


@pytest.mark.parametrize(
    ("query", "low", "high"),
    [
        ("kettle under 50", None, 50),
        ("below €40", None, 40),
        ("less than 80 eur", None, 80),
        ("50 or less", None, 50),
        ("max 400", None, 400),
        ("cheaper than 60", None, 60),
        ("over 200", 200, None),
        ("more than 150", 150, None),
        ("between 100 and 300", 100, 300),
        ("from 100 to 150", 100, 150),
        ("100-200", 100, 200),
        ("around 50", 40, 60),
        ("50元以下", None, 50),
        ("100到200元", 100, 200),
        ("200块以内", None, 200),
        ("300元左右", 240, 360),
        ("不超过１００元", None, 100),  # full-width digits
        ("200元以上", 200, None),
    ],
)
def test_price_phrases(query: str, low: float | None, high: float | None) -> None:
    (found,) = find_prices(normal_aligned(query))
    assert (found.low, found.high) == (low, high)


@pytest.mark.parametrize(
    "query", ["under 10 cm", "1.7 l kettle", "WH-1000XM5", "2-3 person tent", "120 x 60 cm", "under 5 l", "40码"]
)
def test_numbers_that_are_not_prices(query: str) -> None:
    assert find_prices(normal_aligned(query)) == []


def test_price_words_leave_the_searched_text_other_understood_words_stay() -> None:
    understood = UNDERSTANDER.understand("red kettle under 50")
    assert understood.text == "red kettle"
    assert understood.filters(Filters()).price_max == 50
    assert UNDERSTANDER.understand("under 50").text == "under 50"  # nothing else to search: the words stay


def test_a_catalogue_without_prices_reads_no_price() -> None:
    unpriced = Understander(Vocabulary.of([Product("x", "Kettle")]))
    assert unpriced.understand("kettle under 50").spans == ()


@pytest.mark.parametrize("query", ["1.7 l kettle", "1.7l kettle", "1,7 litre kettle", "1.70 L kettle"])
def test_sizes_with_units_in_any_spelling(query: str) -> None:
    assert spans(query)[0][1:] == ("size", ("1.7 l", "1.7L"), FILTER)  # under either key: "size" or "容量"


def test_letter_and_numbered_sizes_need_a_cue() -> None:
    assert ("size M", "size", ("M",), FILTER) in spans("rain jacket size M")
    assert ("M码", "size", ("M",), FILTER) in spans("M码连衣裙")
    assert ("size 9", "size", ("UK 9",), FILTER) in spans("boots size 9")
    assert ("uk 9", "size", ("UK 9",), FILTER) in spans("boots uk 9")
    assert all(kind != "size" for _, kind, _, _ in spans("m kettle 9"))  # without a cue, a letter is a letter
    assert ("large", "size", ("L",), FILTER) in spans("large rain jacket")


def test_chinese_units() -> None:
    assert ("1.7升", "size", ("1.7 l", "1.7L"), FILTER) in spans("1.7升电水壶")


def test_a_colour_word_stands_for_its_family_and_a_shade_for_itself() -> None:
    assert set(spans("red kettle")[0][2]) == {"red", "dark red", "红色", "番茄红"}  # "red" names 红 too
    assert spans("blue jacket")[0][2] == ("blue", "navy")
    assert spans("navy jacket")[0][2] == ("navy",)
    assert spans("gray boots")[0][2] == ("grey",)
    assert set(spans("红色连衣裙")[0][2]) == set(spans("红 连衣裙")[0][2]) == {"红色", "番茄红", "red", "dark red"}


def test_a_colour_inside_a_longer_chinese_word_is_not_a_colour() -> None:
    assert [kind for _, kind, _, _ in spans("白色蓝牙耳机")].count("colour") == 1  # 蓝牙 is Bluetooth, not blue


def test_a_phrase_of_two_roles_only_boosts() -> None:
    (copper, _) = UNDERSTANDER.understand("copper kettle").spans
    assert copper.effect == BOOST and {reading.kind for reading in copper.readings} == {"colour", "material"}


def test_the_kind_of_product_filters_only_when_nothing_else_is_asked() -> None:
    assert spans("red kettle under 50")[1] == ("kettle", "category", ("Home > Kitchen > Kettles",), FILTER)
    assert spans("kettle descaler")[0][3] == BOOST  # "descaler" is no constraint: kettles only rank higher
    assert spans("红色的连衣裙")[1][3] == FILTER  # 的 only joins


def test_understood_filters_join_the_requests_own_which_win() -> None:
    understood = UNDERSTANDER.understand("glass salton kettle under 50")
    filters = understood.filters(Filters(price_max=70.0))
    assert filters.price_max == 70.0 and filters.brands == ("Salton",)
    assert filters.attributes == (("material", ("glass",)),)
    given = Filters(attributes=(("material", ("steel",)),))
    assert understood.filters(given).attributes == (("material", ("steel",)),)


def test_one_colour_under_two_keys_is_checked_on_the_candidates() -> None:
    understood = UNDERSTANDER.understand("red dress")  # colour and 颜色 both have reds: no single filter says so
    assert [span.text for span in understood.kinds] == ["red"] and understood.filters(Filters()) == Filters()


def test_relaxed_filters_become_boosts() -> None:
    relaxed = UNDERSTANDER.understand("red kettle under 50").relaxed()
    assert {span.effect for span in relaxed.spans} == {BOOST} and all(span.relaxed for span in relaxed.spans)
    assert relaxed.filters(Filters()) == Filters()
    assert relaxed.spans[2].admits(PRODUCTS[0]) and not relaxed.spans[2].admits(PRODUCTS[1])  # price 40 / 80


@pytest.mark.parametrize("query", ["asdfghjkl", "zzzzzzzz", "qnkykmxc vvvv", "xkcd"])
def test_gibberish(query: str) -> None:
    assert is_gibberish(query)


@pytest.mark.parametrize("query", ["dingo", "byefold", "gift for dad", "hdmi 2m", "iphone15", "红色 asdf", "zz"])
def test_words_names_codes_and_chinese_are_not_gibberish(query: str) -> None:
    assert not is_gibberish(query)


NUMERIC = [chr(code) for code in range(0x110000) if chr(code).isnumeric()]  # digits of every script, ⒐ ² ½ 万


@pytest.mark.parametrize("template", ["{} ", "under {}0", "{}.5 l", "{}0元以下", "size {}", "蝴蝶谷-{}公子"])
def test_numerals_of_every_script_are_read_or_left_as_words(template: str) -> None:
    # '⒐' (digit nine full stop) counts as a digit to str.isdigit and crashed the search of 蝴蝶谷-⒐公子
    for character in NUMERIC:
        understanding = UNDERSTANDER.understand(template.format(character))
        assert all(span.price is None or span.price[0] is None or span.price[0] >= 0 for span in understanding.spans)
