"""Suggestions as you type over a few hand-made products: word starts, typos, Chinese, pinyin, ranking, k."""

from __future__ import annotations

from itertools import accumulate

import pytest
import rjieba

from indexer import Product
from search.errors import RequestError
from search.suggest import MAX_K, Suggester, title_phrase

pytestmark = pytest.mark.fast

KETTLES = ("Home", "Kitchen", "Kettles")
HEADPHONES = ("数码", "耳机")
PRODUCTS = [
    Product(id="1", title="Kettleworth Edge Electric Kettle 1.0 l - Silver", category=KETTLES, brand="Kettleworth"),
    Product(id="2", title="Kettleworth Flex Electric Kettle 1.5 l - Red", category=KETTLES, brand="Kettleworth"),
    Product(id="3", title="Salton Home Pro Electric Kettle 1.5 l - Red", category=KETTLES, brand="Salton Home"),
    Product(id="4", title="Stainless Steel Teapot, 1.2 l", category=("Home", "Kitchen", "Teapots")),
    Product(id="5", title="【办公】声澜 SN-900X5 头戴式蓝牙耳机 灰色", category=HEADPHONES, brand="声澜"),
    Product(id="6", title="可折叠无线藍牙耳機 头戴式", category=HEADPHONES, brand="律动"),
    Product(id="7", title="长城干红葡萄酒 750ml", category=("食品", "酒水"), brand="长城"),
]
WORKED = [
    ("kettle stand", 100, 2),
    ("kettle descaler", 40, 10),
    ("Kettles", 5, 3),  # the category too: suggested once, as the query it is
    ("kettle sale", 30, 10),  # as many clicks as 'kettle descaler', fewer searches
    ("kettle lamp", 1, 1),  # searched once: one shopper's query is not shown to others
    ("kettle noise", 50, 0),  # never clicked: it did not work
]


@pytest.fixture(scope="module")
def suggester() -> Suggester:
    return Suggester(PRODUCTS)


def texts(suggester: Suggester, typed: str, k: int = 8) -> list[str]:
    return [suggestion.text for suggestion in suggester.suggest(typed, k)]


def test_title_phrases_stop_before_details_and_within_the_width() -> None:
    assert title_phrase("Kettleworth Edge Electric Kettle 1.0 l - Silver") == "Kettleworth Edge Electric Kettle 1.0 l"
    assert title_phrase("Stainless Steel Teapot, 1.2 l") == "Stainless Steel Teapot"
    assert title_phrase("Delta Vero 1-Handle Shower Faucet Trim Kit in Chrome (Valve Not Included)") == (
        "Delta Vero 1-Handle Shower Faucet Trim Kit"
    )
    assert title_phrase("Hampton Bay 12 in. x 24 in. Tile") == "Hampton Bay 12 in. x 24 in. Tile"  # 'in.' is inches
    assert title_phrase("【办公】声澜 SN-900X5 头戴式蓝牙耳机 灰色") == "声澜 SN-900X5 头戴式蓝牙耳机 灰色"
    long = "Whirlpool 1.9 cu. ft. Over the Range Convection Microwave Oven Stainless Steel Sensor Cooking"
    cut = title_phrase(long)
    assert long.startswith(cut + " ") and 30 <= len(cut) <= 60, cut
    chinese = "小孩感冒过后久咳嗽该吃什么药育儿问答宝宝树小孩感冒过后久咳嗽该吃什么药"  # no spaces: cut between words
    cut = title_phrase(chinese)
    word_ends = list(accumulate(len(word) for word in rjieba.cut(chinese)))
    assert chinese.startswith(cut) and 15 <= len(cut) <= 30 and len(cut) in word_ends, cut


def test_what_was_typed_begins_a_text_at_any_word_start(suggester: Suggester) -> None:
    found = texts(suggester, "kett")
    assert {"Kettles", "Kettleworth", "Kettleworth Edge Electric Kettle 1.0 l"} <= set(found)
    assert "Salton Home Pro Electric Kettle 1.5 l" in found  # 'Kettle' is its fifth word
    assert texts(suggester, "EDGE el") == ["Kettleworth Edge Electric Kettle 1.0 l"]
    assert texts(suggester, "ettle") == []  # inside a word, not at its start
    assert texts(suggester, "   ") == [] and texts(suggester, "!?") == []


def test_a_space_after_a_word_asks_for_that_word_whole(suggester: Suggester) -> None:
    going_on = texts(suggester, "kettle")
    whole = texts(suggester, "kettle ")
    assert "Kettleworth" in going_on and "Kettles" in going_on
    assert whole and not {"Kettleworth", "Kettles"} & set(whole)
    assert all(" kettle " in f" {text.lower()} " for text in whole)


def test_typed_words_match_in_any_order_after_the_phrase(suggester: Suggester) -> None:
    kettleworth = ["Kettleworth Edge Electric Kettle 1.0 l", "Kettleworth Flex Electric Kettle 1.5 l"]
    assert texts(suggester, "electric kettlew") == kettleworth
    assert texts(suggester, "electric edg") == kettleworth[:1]
    assert texts(suggester, "kettle salton") == ["Salton Home Pro Electric Kettle 1.5 l"]
    assert texts(suggester, "kettle salton teapot") == []  # every word must begin a word of the text


def test_a_latin_typo_finds_what_the_shopper_meant(suggester: Suggester) -> None:
    assert texts(suggester, "kettel")[:3] == texts(suggester, "kettl")[:3]  # a swap is one edit
    assert "Kettleworth" in texts(suggester, "ketlleworth")  # two edits from eight letters on
    assert texts(suggester, "stainles steel") == ["Stainless Steel Teapot"]  # a finished word, corrected whole
    assert texts(suggester, "jettle") == []  # the first letter is kept
    assert texts(suggester, "xqzv") == []


def test_chinese_is_matched_by_characters_from_word_starts_in_either_script(suggester: Suggester) -> None:
    both = {"声澜 SN-900X5 头戴式蓝牙耳机 灰色", "可折叠无线藍牙耳機 头戴式"}
    assert set(texts(suggester, "蓝牙耳")) == both
    assert set(texts(suggester, "藍牙耳")) == both  # Traditional typed, Simplified or Traditional catalogue
    assert set(texts(suggester, "耳机")) == {"耳机", *both}  # the category, and a word inside a run
    assert texts(suggester, "牙耳") == []  # 牙 starts no word of 蓝牙耳机
    found = texts(suggester, "头戴式 蓝牙")  # spaces between Chinese runs do not count, so it is a phrase
    assert found[0] == "声澜 SN-900X5 头戴式蓝牙耳机 灰色" and set(found) == both  # then its words in any order
    assert texts(suggester, "sn-900") == ["声澜 SN-900X5 头戴式蓝牙耳机 灰色"]
    assert texts(suggester, "葡萄酒长城") == ["长城干红葡萄酒 750ml"]  # jieba's words of one run, in any order


def test_pinyin_initials_find_chinese_texts(suggester: Suggester) -> None:
    both = {"声澜 SN-900X5 头戴式蓝牙耳机 灰色", "可折叠无线藍牙耳機 头戴式"}
    assert set(texts(suggester, "lyej")) == both  # every syllable's first letter: lan ya er ji
    assert set(texts(suggester, "lyj")) == both  # the syllables with an initial (er has none)
    assert "长城干红葡萄酒 750ml" in texts(suggester, "ccgh")  # 长 read as chang in 长城, not zhang
    assert "长城干红葡萄酒 750ml" not in texts(suggester, "zcgh")
    assert texts(suggester, "sl")[0] == "声澜"  # brand before the title where it begins a later word


def test_queries_that_worked_come_first_by_clicks_then_searches() -> None:
    suggester = Suggester(PRODUCTS, WORKED)
    found = suggester.suggest("kett", MAX_K)
    best = ["kettle descaler", "kettle sale", "Kettles", "kettle stand"]
    assert [suggestion.text for suggestion in found[:4]] == best
    assert [suggestion.kind for suggestion in found[:4]] == ["query"] * 4
    catalogue = [suggestion.kind for suggestion in found[4:]]
    assert catalogue and "query" not in catalogue
    assert not {"kettle lamp", "kettle noise"} & {suggestion.text for suggestion in found}


def test_texts_are_shown_without_control_or_invisible_characters() -> None:
    queries = [("kettle\x00 des\u200bcaler", 9, 3), ("\t\n", 9, 9)]
    product = Product(id="9", title="Kettle\tPro\u200b 2", brand="\u200b", category=("Home\n", "\x00"))
    found = Suggester([product], queries).suggest("k", MAX_K)
    assert [(s.text, s.kind) for s in found] == [("kettle descaler", "query"), ("Kettle Pro 2", "title")]
    assert Suggester([product]).texts == ["Home", "Kettle Pro 2"]


def test_each_text_is_suggested_once_as_its_best_kind() -> None:
    found = Suggester(PRODUCTS, WORKED).suggest("kett", MAX_K)
    normalised = [suggestion.text.lower() for suggestion in found]
    assert len(normalised) == len(set(normalised))
    assert [suggestion.kind for suggestion in found if suggestion.text.lower() == "kettles"] == ["query"]
    assert sum(suggestion.text == "Kettleworth" for suggestion in found) == 1  # a brand of two products


def test_in_the_catalogue_categories_then_brands_then_titles_and_first_words_first(suggester: Suggester) -> None:
    found = suggester.suggest("kett", MAX_K)
    assert [(s.text, s.kind) for s in found[:2]] == [("Kettles", "category"), ("Kettleworth", "brand")]
    titles = [s.text for s in found if s.kind == "title"]
    assert titles[-1] == "Salton Home Pro Electric Kettle 1.5 l"  # 'kett' begins a later word of it
    assert all(title.startswith("Kettleworth") for title in titles[:-1]) and len(titles) == 3


def test_k_bounds_the_answer_and_is_checked(suggester: Suggester) -> None:
    assert len(suggester.suggest("k", 2)) == 2
    assert len(suggester.suggest("k", MAX_K)) > 2
    for k in (0, MAX_K + 1):
        with pytest.raises(RequestError) as refused:
            suggester.suggest("k", k)
        assert refused.value.parameter == "k"


def test_prefixes_ranked_at_build_time_answer_as_ranking_at_query_time() -> None:
    exact = Suggester(PRODUCTS, WORKED, big=10**9)
    ahead = Suggester(PRODUCTS, WORKED, big=1)  # every prefix of more than one word start is ranked ahead
    assert len(ahead._top) > 50 and not exact._top
    typed = {text[:end] for text in exact.texts for end in range(1, 8)} | {"kettle sta", "electric kett", "k e"}
    for text in sorted(typed):
        assert ahead.suggest(text, MAX_K) == exact.suggest(text, MAX_K), text
