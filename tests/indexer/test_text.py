"""The one owner of text: a product's text and the same text typed as a query normalise alike, in English and
Chinese (hypothesis, derandomized); then the pieces by hand: Chinese script, normal forms, segmentation, typo rule."""

from __future__ import annotations

import string

import pytest
import tantivy
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer import Product
from indexer.analysis import Chinese, English
from indexer.text import (
    Correction,
    chinese_share,
    folded,
    has_chinese,
    normal,
    normal_aligned,
    ranked_corrections,
    search_starts,
    typo_edits,
    word_bounds,
    word_ends,
    words,
)
from search.spelling import Speller, catalogue_words
from search.understanding import tokens

pytestmark = pytest.mark.fast

# Fixed examples, the same on every run and machine, and nothing written to a .hypothesis folder
PROPERTY = settings(max_examples=60, derandomize=True, database=None, deadline=None)

# Each piece as a product writes it and as a shopper may type it: Traditional characters, full-width, upper case
CHINESE_WORDS = [
    ("蓝牙", "藍牙"), ("耳机", "耳機"), ("电视机", "電視機"), ("红色", "紅色"), ("连衣裙", "連衣裙"), ("无线", "無線"),
    ("降噪", "降噪"), ("电水壶", "電水壺"), ("保温杯", "保溫杯"), ("不锈钢", "不鏽鋼"), ("手机壳", "手機殼"),
    ("书", "書"), ("头戴式", "頭戴式"), ("长城", "長城"), ("葡萄酒", "葡萄酒"), ("儿童", "兒童"),
]  # fmt: skip
SEPARATORS = [(" ", " "), (" ", "\u3000"), ("-", "－"), ("/", "／"), (",", "，"), (".", "．"), ("", "")]
LATIN = string.ascii_letters + string.digits + "éüñçÉÜ"
# The characters the generated texts are made of: none whose normal form is longer than itself (ﬁ, ㎏)
CHARACTERS = LATIN + "".join(chinese for pair in CHINESE_WORDS for chinese in pair) + " -/.,'()&+!？，。😀"


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else "\u3000" if c == " " else c for c in text)


latin_words = st.text(string.ascii_letters + string.digits, min_size=1, max_size=8).map(
    lambda word: (word, full_width(word.swapcase()))
)
pieces = st.lists(
    st.one_of(latin_words, st.sampled_from(CHINESE_WORDS), st.sampled_from(SEPARATORS)), min_size=1, max_size=12
)
texts = st.text(st.sampled_from(CHARACTERS), max_size=40)

# How the keyword index reads its fields: tantivy's en_stem (as tantivy defines it), and the analyzer Chinese
# fields are registered with (indexer.keyword): whitespace and lower case over the words the analysis made
EN_STEM = (
    tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
    .filter(tantivy.Filter.remove_long(40))
    .filter(tantivy.Filter.lowercase())
    .filter(tantivy.Filter.stemmer("english"))
    .build()
)
ZH_WORDS = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace()).filter(tantivy.Filter.lowercase()).build()


@PROPERTY
@given(texts)
def test_english_index_terms_are_the_query_terms(text: str) -> None:
    analysis = English()
    assert EN_STEM.analyze(analysis.index_text(text)) == EN_STEM.analyze(" ".join(analysis.query_words(text)))


@PROPERTY
@given(texts)
def test_chinese_index_terms_are_the_query_terms(text: str) -> None:
    analysis = Chinese()
    # query words are term queries, not analysed again: they must be the index's terms as they are
    assert list(dict.fromkeys(ZH_WORDS.analyze(analysis.index_text(text)))) == analysis.query_words(text)


@PROPERTY
@given(pieces)
def test_text_typed_in_traditional_full_width_or_upper_case_reads_as_the_product_does(
    pieces: list[tuple[str, str]],
) -> None:
    written = "".join(product for product, _ in pieces)
    typed = "".join(query for _, query in pieces)
    assert normal(typed) == normal(written)
    assert normal_aligned(typed) == normal_aligned(written)
    assert Chinese().query_words(typed) == Chinese().query_words(written)
    assert [word for *_, word in tokens(typed)] == [word for *_, word in tokens(written)]
    assert folded(typed) == folded(written) or has_chinese(written)  # grouping keeps Traditional as typed


@PROPERTY
@given(texts)
def test_the_offset_keeping_normal_form_is_the_normal_form(text: str) -> None:
    assert normal_aligned(text) == normal(text)


@PROPERTY
@given(texts)
def test_the_speller_never_corrects_a_products_own_words(text: str) -> None:
    speller = Speller(catalogue_words([Product("1", text)]))
    assert speller.correct(text) == text


def test_the_english_analyzer_above_is_tantivys_en_stem() -> None:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("title", tokenizer_name="en_stem")
    index = tantivy.Index(builder.build())
    writer = index.writer(heap_size=15_000_000, num_threads=1)
    text = "Red Kettles, ＫＥＴＴＬＥ café a_b 1.7l Running"
    writer.add_document(tantivy.Document(title=text))
    writer.commit()
    index.reload()
    for term in EN_STEM.analyze(text):
        assert index.searcher().search(tantivy.Query.term_query(index.schema, "title", term)).count == 1, term


def test_chinese_script() -> None:
    assert has_chinese("iPhone 手机壳") and has_chinese("藍牙") and has_chinese("\u3400") and has_chinese("\uf900")
    assert not has_chinese("Kettle ｋｅｔｔｌｅ 〇 。")  # full-width Latin and CJK punctuation are not Chinese
    assert chinese_share(["ab", "蓝牙"]) == 0.5
    assert chinese_share(["1 2", ""]) == 0.0


def test_normal_forms() -> None:
    assert normal("ＷＨ－１０００ＸＭ５ 藍牙耳機 3㎏") == "wh-1000xm5 蓝牙耳机 3kg"
    assert normal_aligned("ＷＨ 藍牙 3㎏") == "wh 蓝牙 3㎏"  # ㎏ would be two characters: kept, offsets stay
    assert folded("ＴＯＡＳＴＥＲ Straße 藍牙") == "toaster strasse 藍牙"  # grouping: case-folded, Chinese as typed


def test_segmentation() -> None:
    assert {"蓝牙", "耳机", "wh-1000xm5"} <= set(words("索尼WH-1000XM5 藍牙耳機！"))
    assert search_starts("蓝牙耳机") == [0, 2]
    assert word_ends("蓝牙耳机") == [2, 4]
    assert word_bounds("蓝牙耳机") == {0, 2, 4}


def test_the_typo_rule() -> None:
    assert [typo_edits(word) for word in ("tea", "ketl", "kettlez", "dishwahsr")] == [0, 1, 1, 2]
    found = [Correction("power", 1, 9), Correction("mower", 1, 2), Correction("tower", 2, 50)]
    assert ranked_corrections("xower", found) == ["power", "mower", "tower"]  # closest, then most used
    assert ranked_corrections("mpower", found) == ["mower", "power", "tower"]  # keeping the first letter beats uses
    assert ranked_corrections("ab", []) == []
