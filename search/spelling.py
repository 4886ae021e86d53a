"""Spelling correction of queries against the catalogue's own words.

A query word that no product uses cannot match by keyword, and a misspelled word embeds poorly. So
such a word is replaced by the closest catalogue word: within one edit, or two for words of eight
letters or more (a swap of neighbours counts as one edit). Among equally close words, one that
keeps the typed first letter wins, then the one the most products use. A word with no close match
is split into two catalogue words where it can be ("outdoorfurniture"). Words under four letters
and words with digits are left as typed, because they are codes, sizes and units more often than
typos. Chinese words are never corrected: an edit distance over characters rewrites meaning, not
typos.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import OSA

from indexer import Product
from indexer.analysis import has_chinese

# Runs of word characters, a run of Chinese characters apart from the Latin ones beside it ("苹果airpods")
WORD = re.compile(r"[^\W\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
MIN_LENGTH = 4
LONG_WORD = 8  # from this length on, two edits are allowed
MIN_SPLIT_USES = 3  # each half of a split word must be used by this many products
CACHE = 10_000


def catalogue_words(products: Iterable[Product]) -> Counter[str]:
    """Each lower-cased word of the searched fields, with the number of products that use it."""
    counts: Counter[str] = Counter()
    for product in products:
        text = " ".join((product.title, product.description, product.brand or "", " ".join(product.category)))
        counts.update(set(WORD.findall(text.lower())))
    return counts


class Speller:
    def __init__(self, counts: Mapping[str, int]) -> None:
        self.counts = counts
        self.choices = [word for word in counts if word.isalpha() and not has_chinese(word)]
        self._fix = lru_cache(maxsize=CACHE)(lambda word: self._closest(word) or self._split(word))

    def correct(self, query: str) -> str:
        """The query with each unknown word replaced by its correction; other text kept as typed."""
        return WORD.sub(lambda match: self._replacement(match.group()), query)

    def _replacement(self, typed: str) -> str:
        word = typed.lower()
        if len(word) < MIN_LENGTH or not word.isalpha() or word in self.counts or has_chinese(word):
            return typed
        return self._fix(word) or typed

    def _closest(self, word: str) -> str | None:
        edits = 1 if len(word) < LONG_WORD else 2
        near = process.extract(word, self.choices, scorer=OSA.distance, score_cutoff=edits, limit=None)
        if not near:
            return None
        # Typos rarely hit the first letter: among equally close words, those that keep it come first.
        return min(near, key=lambda match: (match[1], match[0][0] != word[0], -self.counts[match[0]], match[0]))[0]

    def _split(self, word: str) -> str | None:
        uses = self.counts.get
        most, cut = max((min(uses(word[:cut], 0), uses(word[cut:], 0)), cut) for cut in range(2, len(word) - 1))
        return f"{word[:cut]} {word[cut:]}" if most >= MIN_SPLIT_USES else None
