"""Text analysis by language: Chinese normalisation and segmentation, detection, and the keyword index over it."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer import Product
from indexer.analysis import Chinese, English, analysis_for, detect_language
from indexer.errors import IndexerError
from indexer.keyword import KeywordIndex, KeywordSettings
from indexer.settings import BuildSettings
from indexer.text import words

pytestmark = pytest.mark.fast


@pytest.mark.parametrize(
    ("text", "expected", "absent"),
    [
        ("索尼WH-1000XM5 降噪耳机", {"索尼", "wh-1000xm5", "降噪", "耳机"}, set()),  # model number whole, and its parts
        ("ＷＨ－１０００ＸＭ５", {"wh-1000xm5"}, set()),  # full-width letters, digits and dash
        ("藍牙耳機", {"蓝牙", "耳机"}, {"藍牙耳機"}),  # Traditional to Simplified
        ("儿童保温杯 500ml", {"儿童", "保温杯", "保温", "500ml"}, set()),  # search mode: the short words too
        ("1.7L 电水壶", {"1.7l", "电水壶"}, set()),
        ("iPhone 15 手机壳 😀！", {"iphone", "15", "手机"}, {"😀", "！", " "}),  # emoji, punctuation, spaces dropped
    ],
)
def test_chinese_words(text: str, expected: set[str], absent: set[str]) -> None:
    found = set(words(text))
    assert expected <= found, found
    assert not absent & found


def test_english_is_left_to_tantivy() -> None:
    assert English().index_text("Red Kettles, 1.7 l") == "Red Kettles, 1.7 l"
    assert English().query_words('Red+Kettle: "1.7"') == ["red", "kettle", "1", "7"]


def test_chinese_queries_keep_each_word_once() -> None:
    assert Chinese().query_words("耳机 耳机 索尼") == ["耳机", "索尼"]


def test_language_is_detected_from_the_share_of_chinese_characters() -> None:
    assert detect_language(["Red electric kettle", "Hiking boots"]) == "en"
    assert detect_language(["索尼 WH-1000XM5 无线降噪耳机", "Kettle"]) == "zh"
    assert detect_language(["Sony WH-1000XM5 wireless noise cancelling headphones 耳机"]) == "en"
    assert detect_language([]) == "en"


def test_settings_resolve_auto_and_old_manifests_are_english() -> None:
    chosen = BuildSettings().for_catalogue(["红色连衣裙 夏季"])
    assert chosen.language == chosen.keyword.language == "zh"
    assert BuildSettings(language="en").for_catalogue(["红色连衣裙"]).keyword.language == "en"
    assert BuildSettings(language="zh").for_catalogue(["Red dress"]).keyword.language == "zh"
    record = BuildSettings().to_dict()
    del record["language"], record["keyword"]["language"]
    assert BuildSettings.from_dict(record).keyword.language == "en"
    record["language"] = "zh"
    assert BuildSettings.from_dict(record).keyword.language == "zh"
    with pytest.raises(IndexerError, match="unknown language 'fr'"):
        BuildSettings(language="fr").for_catalogue([])
    with pytest.raises(IndexerError, match="unknown language"):
        analysis_for("auto")


def test_a_chinese_keyword_index_finds_words_inside_runs(tmp_path: Path) -> None:
    products = [
        Product("1", "美的电水壶 1.7L 304不锈钢", brand="美的", category=("家电", "电水壶")),
        Product("2", "红色连衣裙 夏季新款", brand="花语", category=("服饰", "连衣裙")),
        Product("3", "索尼WH-1000XM5 无线降噪耳机", brand="索尼", category=("数码", "耳机")),
        Product("4", "儿童保温杯 500ml 不锈钢", category=("母婴", "水杯")),
    ]
    index = KeywordIndex.build(products, tmp_path, KeywordSettings(language="zh"))
    assert [row for row, _ in index.search("红色水壶", 10)] in ([0, 1], [1, 0])
    assert [row for row, _ in index.search("耳機", 10)] == [2]  # Traditional query, Simplified title
    assert [row for row, _ in index.search("ＷＨ－１０００ＸＭ５", 10)] == [2]
    assert [row for row, _ in index.search("不锈钢 保温杯", 10)][0] == 3
    assert index.search("😀！", 10) == []
    reopened = KeywordIndex.load(tmp_path, KeywordSettings(language="zh"))
    assert reopened.search("连衣裙", 10) == index.search("连衣裙", 10)
