"""Which queries are gibberish, and that the pipeline gives them no hits while real queries keep theirs."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer import open_index
from search import EmbeddedBackend, Filters, SearchPipeline, SearchRequest
from search.gibberish import is_gibberish, keyboard_run


@pytest.fixture(scope="module")
def pipeline(sample_index: Path) -> SearchPipeline:
    return SearchPipeline(EmbeddedBackend(open_index(sample_index)))


@pytest.mark.parametrize(
    "query",
    [
        "vrsrpg decod",  # one odd word beside a word-like one that is no word either
        "jsed rwgpjgh",
        "ebem rmpgm bpks",
        "blorf xkcdq",
        "qwert",  # keyboard runs that read like words by their letters
        "xcvb",
        "qwer poiuy",
        "lkjh",
        "zzzzzzzz",
    ],
)
def test_nonsense_of_one_or_several_made_up_words(query: str) -> None:
    assert is_gibberish(query)


@pytest.mark.parametrize(
    "query",
    [
        "blorf quizzle",  # every word could be a word: a name the catalogue lacks, perhaps
        "rwgpjgh secateurs",  # an English word, even one no product uses
        "qwerty",  # English, though a keyboard run
        "wert",
        "rwgpjgh 3000",  # digits: a model number
        "xkcd-9",
        "红色 rwgpjgh",  # Chinese
        "zz xq",  # too short to tell
        "",
    ],
)
def test_english_words_names_digits_and_chinese_are_not_nonsense(query: str) -> None:
    assert not is_gibberish(query)


def test_a_catalogue_word_is_never_nonsense() -> None:
    assert is_gibberish("audiq xkcdq")  # "audiq" reads as no English word could
    assert not is_gibberish("audiq xkcdq", {"audiq"})  # but it is a brand the catalogue has


def test_keyboard_runs_are_four_neighbouring_keys_of_one_row_either_way() -> None:
    assert all(keyboard_run(word) for word in ("asdf", "fdsa", "uiop", "mnbvc", "qwertyuiop"))
    assert not any(keyboard_run(word) for word in ("sdf", "asdg", "qwas", "property", "trews"))


def test_made_up_words_get_no_hits_and_real_queries_keep_theirs(pipeline: SearchPipeline) -> None:
    for query in ("vrsrpg decod", "jsed rwgpjgh", "blorf xkcdq", "qwert"):
        response = pipeline.search(SearchRequest(query))
        assert response.no_match and response.total == 0 and response.hits == [], query
        assert pipeline.search(SearchRequest(query, understand=False)).total > 0  # the dense leg's noise
    for query in ("red kettle", "secateurs", "audiq", "audiq headphones", "fiskor hozelock", "kx-3000 kettle"):
        response = pipeline.search(SearchRequest(query))
        assert not response.no_match and response.total > 0, query


def test_a_catalogue_word_that_the_filters_leave_out_is_not_nonsense(pipeline: SearchPipeline) -> None:
    response = pipeline.search(SearchRequest("audiq", filters=Filters(category=("Garden",))))  # a headphones brand
    assert not response.no_match and response.total > 0
