"""Text as the whole engine reads it: normal forms, Chinese script, word patterns, segmentation and the typo rule.

Index time and query time call the same functions, so a product's text and the same text typed as a query agree.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import cache, lru_cache
from typing import NamedTuple

from rapidfuzz.distance import OSA

from indexer.errors import IndexerError

# Chinese characters: CJK Unified Ideographs Extension A, the Unified Ideographs, the Compatibility Ideographs
CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
CHINESE = re.compile(f"[{CJK}]")
CHINESE_RUN = re.compile(f"[{CJK}]+")
WORD = re.compile(r"\w+")  # keyword analysis: a query word, or a segmented word worth indexing
# Spelling: runs of word characters, a Chinese run apart from the Latin beside it ("苹果airpods")
SPELLED_WORD = re.compile(rf"[^\W{CJK}]+|[{CJK}]+")
# Suggestions: the same, with "_" between words as a space is
TYPED_WORD = re.compile(rf"[{CJK}]+|[^\W_{CJK}]+")
# Understanding: each Chinese character, each number with its decimals, each run of letters
TOKEN = re.compile(rf"[{CJK}]|\d+(?:[.,]\d+)?|[^\W\d_{CJK}]+")

MIN_TYPO = 4  # shorter words are one edit from too many others: never corrected
LONG_TYPO = 8  # from this many letters on, two edits
typo_distance = OSA.distance  # optimal string alignment: a swap of neighbours is one edit


def has_chinese(text: str) -> bool:
    return CHINESE.search(text) is not None


def chinese_share(texts: Iterable[str]) -> float:
    """Of the letters of `texts`, the share that are Chinese characters; 0 when there are none."""
    letters = chinese = 0
    for text in texts:
        letters += sum(character.isalpha() for character in text)
        chinese += len(CHINESE.findall(text))
    return chinese / letters if letters else 0.0


def normal(text: str) -> str:
    """NFKC (full-width letters and digits half-width, ㎏ as kg), lower case, Traditional Chinese as Simplified."""
    text = unicodedata.normalize("NFKC", text).lower()
    return simplified(text) if has_chinese(text) else text


def normal_aligned(text: str) -> str:
    """`normal`, one character for one, so offsets stay those of `text`: a character whose normal form is longer
    is kept as it is, and Simplified is used only where it keeps the length."""
    if text.isascii():
        return text.lower()
    characters = []
    for character in text:
        form = unicodedata.normalize("NFKC", character).lower()
        characters.append(form if len(form) == 1 else character)
    text = "".join(characters)
    if has_chinese(text):
        converted = simplified(text)
        text = converted if len(converted) == len(text) else text
    return text


def folded(text: str) -> str:
    """NFKC and case-folded, Chinese as written: how queries are grouped in analytics and training."""
    return unicodedata.normalize("NFKC", text).casefold()


@lru_cache(maxsize=10_000)
def simplified(text: str) -> str:
    """Traditional Chinese characters as Simplified ones; everything else as it is."""
    return _to_simplified().convert(text)


def load_chinese() -> None:
    """Checks that the segmenter is installed and fills the converter's tables: call before threads share them."""
    try:
        import rjieba  # noqa: F401
    except ImportError:
        raise IndexerError("Chinese analysis needs rjieba: pip install 'rjieba>=0.2.2,<0.3'") from None
    _to_simplified()


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


def words(text: str) -> list[str]:
    """Normalised words of Chinese or mixed text by jieba's search mode; punctuation, spaces and emoji dropped."""
    import rjieba

    return [word for word in rjieba.cut_for_search(normal(text)) if WORD.search(word)]


def segmented(run: str) -> list[str]:
    """jieba's words of a Chinese run, in order, each character in exactly one."""
    import rjieba

    return rjieba.cut(run)


def word_bounds(text: str) -> set[int]:
    """The offsets where jieba's words of `text` start and end: a Chinese phrase found inside a longer word
    ("蓝" in 蓝牙, Bluetooth) does not stand for itself."""
    import rjieba

    return {offset for _, start, end in rjieba.tokenize(text) for offset in (start, end)}


def search_starts(run: str) -> list[int]:
    """Offsets where jieba's search mode starts a word in a Chinese run: its words and the shorter ones inside."""
    import rjieba

    return sorted({start for _, start, _ in rjieba.tokenize(run, mode="search")})


def word_ends(run: str) -> list[int]:
    """Offsets after each of jieba's words in a Chinese run."""
    ends, at = [], 0
    for word in segmented(run):
        at += len(word)
        ends.append(at)
    return ends


def typo_edits(word: str) -> int:
    """Edits a typed word may be from the word meant: none under MIN_TYPO letters, two from LONG_TYPO on, else one."""
    if len(word) < MIN_TYPO:
        return 0
    return 1 if len(word) < LONG_TYPO else 2


class Correction(NamedTuple):
    word: str
    distance: int  # typo_distance from the typed word
    uses: int  # how often the catalogue uses it, however the caller counts


def ranked_corrections(typed: str, found: Iterable[Correction]) -> list[str]:
    """The closest first; among equally close, those keeping the typed first letter (typos rarely hit it), then
    the most used, then alphabetical."""
    order = sorted(found, key=lambda near: (near.distance, near.word[:1] != typed[:1], -near.uses, near.word))
    return [near.word for near in order]
