"""Text analysis by catalogue language: one per index, recorded in its manifest and rebuilt from it at query time.

English keeps tantivy's own `en_stem` analysis, so English indexes search exactly as before. Chinese
runs of characters carry no spaces, and tantivy's default tokenizer would keep a whole run as one
token; Chinese text is therefore normalised (NFKC turns full-width letters and digits half-width;
lower case; Traditional characters to Simplified) and segmented for search by jieba's search mode
(rjieba), which keeps Latin words, model numbers and quantities whole (`wh-1000xm5`, `1.7l`) and adds
their parts and the shorter words inside long ones. The words are indexed through a whitespace
analyzer, and queries are segmented the same way.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import cache, lru_cache

from indexer.errors import IndexerError

LANGUAGES = ("en", "zh")
AUTO = "auto"
CHINESE_SHARE = 0.2  # of a catalogue's letters, from which it is analysed as Chinese
_WORD = re.compile(r"\w+")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def detect_language(texts: Iterable[str]) -> str:
    """'zh' when at least CHINESE_SHARE of the letters are Chinese characters, else 'en'."""
    letters = chinese = 0
    for text in texts:
        letters += sum(character.isalpha() for character in text)
        chinese += len(_CJK.findall(text))
    return "zh" if letters and chinese / letters >= CHINESE_SHARE else "en"


def has_chinese(text: str) -> bool:
    return _CJK.search(text) is not None


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
        return _WORD.findall(query.lower())


class Chinese:
    language = "zh"
    tokenizer = "zh_words"  # whitespace + lower case over the words `words` made

    def __init__(self) -> None:
        # Loaded when an index opens, not on the first query: the segmenter's dictionary takes 0.1 s, and
        # the converter fills its tables on first use without a lock, which serving threads must not race.
        try:
            import rjieba  # noqa: F401
        except ImportError:
            raise IndexerError("Chinese analysis needs rjieba: pip install 'rjieba>=0.2.2,<0.3'") from None
        _to_simplified()

    def index_text(self, text: str) -> str:
        return " ".join(words(text))

    def query_words(self, query: str) -> list[str]:
        return list(dict.fromkeys(words(query)))


@cache
def _to_simplified():
    try:
        from opencc_purepy import OpenCC
    except ImportError:
        raise IndexerError("Chinese analysis needs opencc-purepy: pip install 'opencc-purepy>=1.5,<2'") from None
    converter = OpenCC("t2s")
    if converter.convert("藍牙") != "蓝牙":  # also fills the converter's tables before any thread shares it
        raise IndexerError("opencc-purepy could not load its Traditional-to-Simplified dictionary; reinstall it")
    return converter


@lru_cache(maxsize=10_000)
def simplified(text: str) -> str:
    """Traditional Chinese characters as Simplified ones; everything else as it is."""
    return _to_simplified().convert(text)


def words(text: str) -> list[str]:
    """Normalised, segmented words of Chinese or mixed text; punctuation, spaces and emoji dropped."""
    import rjieba

    normal = unicodedata.normalize("NFKC", text).lower()
    if _CJK.search(normal):
        normal = simplified(normal)
    return [word for word in rjieba.cut_for_search(normal) if _WORD.search(word)]


def word_bounds(text: str) -> set[int]:
    """The offsets where jieba's words of `text` start and end: a Chinese phrase found inside a longer word
    ("蓝" in 蓝牙, Bluetooth) does not stand for itself."""
    import rjieba

    return {offset for _, start, end in rjieba.tokenize(text) for offset in (start, end)}


def analysis_for(language: str) -> English | Chinese:
    if language == "zh":
        return Chinese()
    if language == "en":
        return English()
    raise IndexerError(f"unknown language {language!r}; use {', '.join(LANGUAGES)}")
