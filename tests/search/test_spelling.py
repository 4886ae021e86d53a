"""Spelling correction against the catalogue's words: pure logic on hand-made word counts, then the
pipeline on the sample index."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from indexer import Product, open_index
from search import EmbeddedBackend, SearchPipeline, SearchRequest
from search.spelling import Speller, catalogue_words

USES = Counter(
    {"red": 40, "kettle": 30, "kettles": 2, "power": 9, "mower": 2, "dishwasher": 5, "outdoor": 6, "furniture": 4}
)


@pytest.mark.fast
def test_an_unknown_word_becomes_the_closest_catalogue_word() -> None:
    speller = Speller(USES)
    assert speller.correct("Red ketle") == "Red kettle"  # one edit; the word the user got right keeps its case
    assert speller.correct("rower") == "power"  # one edit from power and mower: the more used wins
    assert speller.correct("dishwahsr") == "dishwasher"  # a long word may be two edits off (swap + missing e)


@pytest.mark.fast
def test_short_words_codes_known_words_and_far_words_stay_as_typed() -> None:
    speller = Speller(USES)
    assert speller.correct("ketl") == "ketl"  # two edits from kettle, but only four letters long
    assert speller.correct("red 2x4 kettles") == "red 2x4 kettles"
    assert speller.correct("xylophone") == "xylophone"


@pytest.mark.fast
def test_a_glued_word_is_split_into_two_catalogue_words() -> None:
    assert Speller(USES).correct("outdoorfurniture") == "outdoor furniture"
    assert Speller(USES | {"furniture": 1}).correct("outdoorfurniture") == "outdoorfurniture"  # too rare a half


@pytest.mark.fast
def test_words_are_counted_once_per_product() -> None:
    products = [
        Product(id="a", title="Red kettle", description="A red kettle", brand="Kettleworth", category=("Home",)),
        Product(id="b", title="Blue kettle", description=""),
    ]
    assert catalogue_words(products) == Counter({"red": 1, "kettle": 2, "a": 1, "kettleworth": 1, "home": 1, "blue": 1})


@pytest.fixture(scope="module")
def pipeline(sample_index: Path) -> SearchPipeline:
    return SearchPipeline(EmbeddedBackend(open_index(sample_index)))


def test_the_pipeline_searches_the_corrected_words_and_says_so(pipeline: SearchPipeline) -> None:
    spelled = pipeline.search(SearchRequest("electrik ketle", "bm25"))
    assert spelled.corrected_query == "electric kettle" and spelled.query == "electrik ketle"
    assert spelled.hits and all("Electric Kettle" in hit.product.title for hit in spelled.hits[:5])
    as_typed = pipeline.search(SearchRequest("electrik ketle", "bm25", spelling=False))
    assert as_typed.corrected_query is None and as_typed.total == 0
    assert pipeline.search(SearchRequest("electric kettle")).corrected_query is None


@pytest.mark.fast
def test_latin_words_written_against_chinese_ones_are_catalogue_words() -> None:
    products = [Product("1", "苹果AirPods耳机"), Product("2", "AirPod 保护套")]
    counts = catalogue_words(products)
    assert counts["airpods"] == 1 and counts["苹果"] == 1 and counts["耳机"] == 1
    assert Speller(counts).correct("airpods 保护套") == "airpods 保护套"
    assert Speller(counts).correct("airpodss") == "airpods"
