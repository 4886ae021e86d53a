"""Whether a query is gibberish ("asdfghjkl", "zzzzzzzz"): none of its words could be a word of English.

See docs/design.md#gibberish.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from functools import cache

from search.spelling import english_words

PLAUSIBLE = -4.0  # mean log-probability of a word's letter trigrams, from which it could be a word
MIN_LETTERS = 3  # shorter words say too little either way
LATIN_WORD = re.compile(r"[a-z]+")
SMOOTHING = 0.1


@cache
def _trigrams() -> tuple[Counter[str], Counter[str]]:
    trigrams: Counter[str] = Counter()
    bigrams: Counter[str] = Counter()
    for word in english_words():
        if word.isalpha() and word.isascii():
            padded = f"^{word}$"
            for start in range(len(padded) - 2):
                trigrams[padded[start : start + 3]] += 1
                bigrams[padded[start : start + 2]] += 1
    return trigrams, bigrams


def plausibility(word: str) -> float:
    """Mean log-probability of each letter given the two before it, over the word and its ends."""
    trigrams, bigrams = _trigrams()
    padded = f"^{word}$"
    steps = range(len(padded) - 2)
    return sum(
        math.log((trigrams[padded[i : i + 3]] + SMOOTHING) / (bigrams[padded[i : i + 2]] + 27 * SMOOTHING))
        for i in steps
    ) / len(steps)


def is_gibberish(query: str) -> bool:
    """True when the query has only Latin letters and no word of three letters or more could be a word."""
    text = query.lower()
    if not text.isascii() or any(character.isdigit() for character in text):
        return False
    words = [word for word in LATIN_WORD.findall(text) if len(word) >= MIN_LETTERS]
    return bool(words) and all(len(set(word)) == 1 or plausibility(word) < PLAUSIBLE for word in words)
