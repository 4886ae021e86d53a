"""Text analysis by catalogue language: one per index, recorded in its manifest and rebuilt from it at query time.

See docs/design.md#text-analysis.
"""

from __future__ import annotations

from collections.abc import Iterable

from indexer.errors import IndexerError
from indexer.text import WORD, chinese_share, load_chinese, words

LANGUAGES = ("en", "zh")
AUTO = "auto"
CHINESE_SHARE = 0.2  # of a catalogue's letters, from which it is analysed as Chinese


def detect_language(texts: Iterable[str]) -> str:
    """'zh' when at least CHINESE_SHARE of the letters are Chinese characters, else 'en'."""
    return "zh" if chinese_share(texts) >= CHINESE_SHARE else "en"


def check_language(language: str) -> str:
    if language not in (*LANGUAGES, AUTO):
        raise IndexerError(f"unknown language {language!r}; use {', '.join(LANGUAGES)} or {AUTO}")
    return language


class English:
    language = "en"
    tokenizer = "en_stem"  # tantivy's own: lower case, split on non-letters, English stemmer

    def index_text(self, text: str) -> str:
        return text

    def query_words(self, query: str) -> list[str]:
        """Only word characters reach tantivy's query parser, so no query syntax can come from a shopper."""
        return WORD.findall(query.lower())


class Chinese:
    language = "zh"
    tokenizer = "zh_words"  # whitespace + lower case over the words `words` made

    def __init__(self) -> None:
        # Loaded when an index opens, not on the first query: the segmenter's dictionary takes 0.1 s, and
        # the converter fills its tables on first use without a lock, which serving threads must not race.
        load_chinese()

    def index_text(self, text: str) -> str:
        return " ".join(words(text))

    def query_words(self, query: str) -> list[str]:
        return list(dict.fromkeys(words(query)))


def analysis_for(language: str) -> English | Chinese:
    if language == "zh":
        return Chinese()
    if language == "en":
        return English()
    raise IndexerError(f"unknown language {language!r}; use {', '.join(LANGUAGES)}")
