"""Whether a query is gibberish ("asdfghjkl", "vrsrpg decod"): no word of it is English or the catalogue's, one odd.

See docs/design.md#gibberish.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Container
from functools import cache

from search.spelling import english_words

PLAUSIBLE = -4.0  # mean log-probability of a word's letter trigrams, from which it could be a word
MIN_LETTERS = 3  # shorter words say too little either way
LATIN_WORD = re.compile(r"[a-z]+")
SMOOTHING = 0.1
KEYBOARD_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
KEYBOARD_RUN = 4  # keys in a row, either way; "wert" and "qwerty" are English words, so they are spared before this


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


def keyboard_run(word: str) -> bool:
    """True when the word is KEYBOARD_RUN or more neighbouring keys of one keyboard row, either way ("xcvb", "lkjh")."""
    return len(word) >= KEYBOARD_RUN and any(word in row or word in row[::-1] for row in KEYBOARD_ROWS)


def is_gibberish(query: str, catalogue: Container[str] = frozenset()) -> bool:
    """True when the query has only Latin letters, none of its words of three letters or more is an English or a
    `catalogue` word, and one of them could not be a word (or repeats one letter, or runs along a keyboard row)."""
    text = query.lower()
    if not text.isascii() or any(character.isdigit() for character in text):
        return False
    words = [word for word in LATIN_WORD.findall(text) if len(word) >= MIN_LETTERS]
    if not words or any(word in english_words() or word in catalogue for word in words):
        return False
    # one odd word is enough when no word beside it is a word either ("vrsrpg decod"); word-like words alone may
    # name a product the catalogue lacks ("madera falsa"), which the dense leg can still place
    return any(len(set(word)) == 1 or keyboard_run(word) or plausibility(word) < PLAUSIBLE for word in words)
