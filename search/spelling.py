"""Spelling correction: a query word that is neither a catalogue word nor an English word becomes a catalogue word.

See docs/design.md#spelling-correction.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from functools import cache, lru_cache
from importlib.resources import files

from symspellpy import SymSpell, Verbosity
from symspellpy.abstract_distance_comparer import AbstractDistanceComparer
from symspellpy.editdistance import DistanceAlgorithm, EditDistance

from indexer import Product
from indexer.text import MIN_TYPO, SPELLED_WORD, Correction, has_chinese, ranked_corrections, typo_distance, typo_edits

MAX_LENGTH = 30  # longer runs are codes, links or glued text, not typos
MAX_WORDS = 32  # unknown words looked up per query; the rest stay as typed
MIN_SPLIT_USES = 3  # each half of a split word must be used by this many products
PREFIX = 7  # SymSpell indexes deletes of each word's first letters only: fewer entries, the same answers
CACHE = 10_000
ENGLISH = "frequency_dictionary_en_82_765.txt"  # shipped inside the symspellpy package


def catalogue_words(products: Iterable[Product]) -> Counter[str]:
    """Each lower-cased word of the searched fields, with the number of products that use it."""
    counts: Counter[str] = Counter()
    for product in products:
        text = " ".join((product.title, product.description, product.brand or "", " ".join(product.category)))
        counts.update(set(SPELLED_WORD.findall(text.lower())))
    return counts


@cache
def english_words() -> frozenset[str]:
    """The words of symspellpy's English frequency dictionary, lower-cased."""
    text = (files("symspellpy") / ENGLISH).read_text(encoding="utf-8")
    return frozenset(line.split(" ", 1)[0] for line in text.splitlines() if line)


class _Osa(AbstractDistanceComparer):
    # symspellpy's own OSA is pure Python and its fast one needs editdistpy; rapidfuzz's is in C and already here
    def distance(self, string_1: str | None, string_2: str | None, max_distance: int) -> int:
        distance = typo_distance(string_1 or "", string_2 or "", score_cutoff=max_distance)
        return distance if distance <= max_distance else -1


class Speller:
    def __init__(self, counts: Mapping[str, int]) -> None:
        self.counts = counts
        self.english = english_words()
        self.index = SymSpell(2, PREFIX, distance_comparer=EditDistance(DistanceAlgorithm.USER_PROVIDED, _Osa()))
        self._add(counts)
        self._fix = lru_cache(maxsize=CACHE)(lambda word: self._closest(word) or self._split(word))

    def _add(self, counts: Mapping[str, int]) -> None:
        for word, uses in counts.items():
            # Only words one or two edits from a correctable word can be its correction.
            if MIN_TYPO - 1 <= len(word) <= MAX_LENGTH + 2 and word.isalpha() and not has_chinese(word):
                self.index.create_dictionary_entry(word, uses)

    def learn(self, counts: Mapping[str, int]) -> None:
        """Takes `counts` (a superset of the words it knows: live changes add words) as its catalogue's words."""
        if counts is self.counts or len(counts) == len(self.counts):
            return
        self._add({word: uses for word, uses in counts.items() if word not in self.counts})
        self.counts = counts
        self._fix.cache_clear()  # a word the catalogue now uses is no longer a typo

    def correct(self, query: str) -> str:
        """The query with each unknown non-word replaced by its correction; other text kept as typed."""
        unknown = [word for word in dict.fromkeys(SPELLED_WORD.findall(query.lower())) if self._unknown(word)]
        fixes = {word: fix for word in unknown[:MAX_WORDS] if (fix := self._fix(word))}
        return (
            SPELLED_WORD.sub(lambda match: fixes.get(match.group().lower(), match.group()), query) if fixes else query
        )

    def _unknown(self, word: str) -> bool:
        return (
            MIN_TYPO <= len(word) <= MAX_LENGTH
            and word.isalpha()
            and word not in self.counts
            and word not in self.english
            and not has_chinese(word)
        )

    def _closest(self, word: str) -> str | None:
        near = self.index.lookup(word, Verbosity.CLOSEST, max_edit_distance=typo_edits(word))
        ranked = ranked_corrections(word, (Correction(match.term, match.distance, match.count) for match in near))
        return ranked[0] if ranked else None

    def _split(self, word: str) -> str | None:
        uses = self.counts.get
        most, cut = max((min(uses(word[:cut], 0), uses(word[cut:], 0)), cut) for cut in range(2, len(word) - 1))
        return f"{word[:cut]} {word[cut:]}" if most >= MIN_SPLIT_USES else None
