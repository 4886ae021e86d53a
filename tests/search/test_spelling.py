"""Spelling correction against the catalogue's words: pure logic on hand-made word counts and on a large random
vocabulary, then the pipeline on the sample index."""

from __future__ import annotations

import random
import string
from collections import Counter
from pathlib import Path

import pytest
from symspellpy import SymSpell

from indexer import Product, open_index
from search import EmbeddedBackend, SearchPipeline, SearchRequest
from search.spelling import MAX_WORDS, Speller, catalogue_words, english_words

USES = Counter(
    {"red": 40, "kettle": 30, "kettles": 2, "power": 9, "mower": 2, "dishwasher": 5, "outdoor": 6, "furniture": 4}
)


@pytest.mark.fast
def test_an_unknown_word_becomes_the_closest_catalogue_word() -> None:
    speller = Speller(USES)
    assert speller.correct("Red ketle") == "Red kettle"  # one edit; the word the user got right keeps its case
    assert speller.correct("xower") == "power"  # one edit from power and mower: the more used wins
    assert speller.correct("mpower") == "mower"  # one edit from both: keeping the typed first letter beats uses
    assert speller.correct("dishwahsr") == "dishwasher"  # a long word may be two edits off (swap + missing e)


@pytest.mark.fast
def test_short_words_codes_known_words_and_far_words_stay_as_typed() -> None:
    speller = Speller(USES)
    assert speller.correct("ketl") == "ketl"  # two edits from kettle, but only four letters long
    assert speller.correct("red 2x4 kettles") == "red 2x4 kettles"
    assert speller.correct("xylophone") == "xylophone"
    assert speller.correct("rower") == "rower"  # one edit from power, but a real word


@pytest.mark.fast
def test_real_words_stay_as_typed_though_no_product_uses_them() -> None:
    assert {"gift", "dad", "who", "loves", "coffee"} <= english_words()
    speller = Speller(Counter({"lift": 9, "gloves": 9, "coffee": 3}))
    assert speller.correct("gift for dad who loves coffee") == "gift for dad who loves coffee"
    assert speller.correct("gift for dad who loves cofee") == "gift for dad who loves coffee"


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


@pytest.mark.fast
def test_pinyin_and_latin_words_beside_chinese_ones_are_corrected_like_any_latin_word() -> None:
    speller = Speller(catalogue_words([Product("1", "华为 Huawei 手机"), Product("2", "AirPods 保护套")]))
    assert speller.correct("airpodss 保护套") == "airpods 保护套"
    assert speller.correct("huawai手机") == "huawei手机"


@pytest.mark.fast
def test_a_word_over_thirty_letters_stays_as_typed() -> None:
    word = "dishwasher" * 3
    speller = Speller(Counter({word: 5}))
    assert speller.correct(word[:-1] + "x") == word  # thirty letters, one edit off
    assert speller.correct(word + "x") == word + "x"  # thirty-one letters


# A big catalogue's vocabulary: random words share few deletes, so they make the index as large as it gets.
VOCABULARY = 190_000  # building its index takes seconds: these tests are not in the fast tier


@pytest.fixture(scope="module")
def vocabulary() -> list[str]:
    rng = random.Random(7)
    return list(
        dict.fromkeys("".join(rng.choices(string.ascii_lowercase, k=rng.randint(4, 12))) for _ in range(VOCABULARY))
    )


@pytest.fixture(scope="module")
def large(vocabulary: list[str]) -> Speller:
    return Speller(Counter(vocabulary))


def test_a_long_query_looks_up_no_more_than_max_words_words(large: Speller, monkeypatch: pytest.MonkeyPatch) -> None:
    looked_up: list[str] = []
    lookup = SymSpell.lookup

    def counted(self: SymSpell, phrase: str, *args: object, **kwargs: object) -> object:
        looked_up.append(phrase)
        return lookup(self, phrase, *args, **kwargs)

    monkeypatch.setattr(SymSpell, "lookup", counted)
    rng = random.Random(11)
    query = " ".join("".join(rng.choices(string.ascii_lowercase, k=9)) for _ in range(60))  # 599 characters
    large.correct(query)
    assert len(looked_up) == MAX_WORDS and looked_up == query.split()[:MAX_WORDS]


def test_unknown_words_past_the_first_max_words_stay_as_typed(large: Speller, vocabulary: list[str]) -> None:
    known = set(vocabulary) | english_words()
    typos = [word + "q" for word in vocabulary if len(word) <= 10 and word + "q" not in known][: MAX_WORDS + 8]
    corrected = large.correct(" ".join(typos)).split()
    assert [fixed != typo for fixed, typo in zip(corrected, typos, strict=True)] == [True] * MAX_WORDS + [False] * 8
