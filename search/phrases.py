"""Phrases found in a query: whole words in order, Chinese character by character (it has no spaces); synonyms and
rules look theirs up here in time that grows with the query, not with the number of phrases.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Generic, TypeVar

from indexer.text import CJK, normal

TOKEN = re.compile(rf"[{CJK}]|[^\W{CJK}]+")  # a Chinese character, or a run of other word characters
T = TypeVar("T")


def tokens(text: str) -> tuple[str, ...]:
    """The normal form's words, each Chinese character a word of its own."""
    return tuple(TOKEN.findall(normal(text)))


def phrase_key(text: str) -> str:
    """Two texts with the same key are the same phrase: case, width, spacing, punctuation and Traditional or
    Simplified Chinese aside."""
    return " ".join(tokens(text))


class PhraseIndex(Generic[T]):
    """Values by phrase; `found(text)` gives those whose phrase is in the text, as whole consecutive words."""

    def __init__(self, entries: Iterable[tuple[str, T]] = ()) -> None:
        self.values: dict[tuple[str, ...], list[T]] = {}
        for phrase, value in entries:
            key = tokens(phrase)
            if key:
                self.values.setdefault(key, []).append(value)
        self.longest = max(map(len, self.values), default=0)

    def __len__(self) -> int:
        return len(self.values)

    def found(self, text: str) -> list[T]:
        """The values of every phrase in `text`, in the order the phrases start, longer first at one start."""
        if not self.values:
            return []
        words = tokens(text)
        found: list[T] = []
        for start in range(len(words)):
            for end in range(min(len(words), start + self.longest), start, -1):
                found.extend(self.values.get(words[start:end], ()))
        return found
