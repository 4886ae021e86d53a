"""Suggestions as a shopper types: queries that worked, then the catalogue's own phrases, that go on from the text.

See docs/design.md#suggestions.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate

import numpy as np
from rapidfuzz import process

from indexer import Product
from indexer.text import (
    CHINESE_RUN,
    MIN_TYPO,
    TYPED_WORD,
    Correction,
    normal,
    ranked_corrections,
    search_starts,
    segmented,
    typo_distance,
    typo_edits,
    word_ends,
)
from search.backend import Backend
from search.errors import RequestError

KINDS = ("query", "title", "brand", "category")
MAX_K = 20
MAX_TYPED = 100  # characters of what was typed that are read; no suggestion is longer
MAX_TEXT = 80  # a longer query or name is not suggested; also keeps a word start within one byte
TITLE_WIDTH = 60  # of a title phrase, a Chinese character counting twice
MIN_PHRASE = 8  # characters a title phrase keeps before its first detail
MIN_SEARCHES = 2
MIN_CLICKS = 1
BIG = 2048  # word starts of a prefix above which its best texts are ranked at build time
TOP = 64  # texts kept for each such prefix
MAX_TERMS = 8  # typed words matched in any order
LONGEST_STEM = 16  # longer words being typed are not corrected
CORRECTIONS = 3  # stand-ins tried for a word being typed
CACHE = 10_000
TAGS = re.compile(r"【[^】]*】|\[[^\]]*\]")
# Where a title's details start: a dash or bar between spaces, a comma or bracket, or " in Chrome", " with Timer"
DETAIL = re.compile(r"\s[-–—|]\s|[,，;；(（]|\s(?:in|with)\s(?=[A-Z])")
LAST = "\U0010ffff"  # sorts after every character a text holds
START_BITS, FORM_BITS = 8, 2  # a word start is entry << 10 | form << 8 | offset
OFFSET_MASK, FORM_MASK = (1 << START_BITS) - 1, (1 << FORM_BITS) - 1
ZERO_INITIAL = "aeo"  # pinyin syllables that start with these have no initial


@dataclass(frozen=True)
class Suggestion:
    text: str
    kind: str  # one of KINDS
    image: str | None = None  # a title's: the picture of a product with that title, where one has a picture


class Suggester:
    """Suggestions for an index's catalogue and the queries that worked on it; built once, then read-only."""

    def __init__(
        self, products: Iterable[Product], queries: Iterable[tuple[str, int, int]] = (), *, big: int = BIG
    ) -> None:
        """`queries`: (text, searches, clicks). `big`: see BIG; tests make it small."""
        self.big = big
        worked = [(text, "query") for text in worked_queries(queries)]
        self.texts: list[str] = []
        self.kinds: list[int] = []
        forms: list[tuple[str, ...]] = []
        starts: list[int] = []
        seen: set[str] = set()
        pictures: dict[str, str] = {}  # title phrase: the image of its first product that has one
        self._images: dict[int, str] = {}  # by entry; few catalogues picture every product, so a dict, not a list
        for text, kind in [*worked, *catalogue_phrases(products, pictures)]:
            found = matched_forms(text) if len(text) <= MAX_TEXT else []
            if not found or found[0][0] in seen:
                continue
            seen.add(found[0][0])
            entry = len(self.texts)
            self.texts.append(text)
            self.kinds.append(KINDS.index(kind))
            if kind == "title" and text in pictures:
                self._images[entry] = pictures[text]
            forms.append(tuple(form for form, _ in found))
            for number, (_, offsets) in enumerate(found):
                base = entry << (FORM_BITS + START_BITS) | number << START_BITS
                starts.extend(base | offset for offset in offsets)
        self.queries = sum(kind == 0 for kind in self.kinds)
        self._forms = forms
        starts.sort(key=self._key)
        self._starts = np.array(starts, dtype=np.int64)
        self._entries = (self._starts >> (FORM_BITS + START_BITS)).astype(np.int32)
        later = (self._starts & ~(-1 << (FORM_BITS + START_BITS))) > 0  # another form, or not the text's first word
        tier = 2 * (self._entries >= self.queries) + later
        self._rank = (tier * max(len(self.texts), 1) + self._entries).astype(np.int32)  # < 4 x texts
        self._top = self._rank_big_prefixes()
        self._words = sorted({word for form in forms for word in form[0].split() if _correctable(word)})
        self._stems = {
            length: sorted({word[:length] for word in self._words if len(word) >= length})
            for length in range(MIN_TYPO - 1, LONGEST_STEM + 3)
        }
        self._found = lru_cache(maxsize=CACHE)(self._find)

    def __len__(self) -> int:
        return len(self.texts)

    @property
    def starts(self) -> int:
        """Word starts indexed, each text's and its pinyin forms'."""
        return len(self._starts)

    @property
    def ranked_ahead(self) -> int:
        """Prefixes of more than `big` word starts, whose best texts were ranked when the suggester was built."""
        return len(self._top)

    @classmethod
    def of(cls, backend: Backend, queries: Iterable[tuple[str, int, int]] = ()) -> Suggester:
        return cls(backend.all_products(only=("brand", "category", "image")), queries)

    def suggest(self, typed: str, k: int = 8) -> list[Suggestion]:
        """At most k suggestions for what was typed, best first; none for blank text."""
        if not 1 <= k <= MAX_K:
            raise RequestError("k", f"k must be within 1..{MAX_K}, got {k}")
        text = normal(typed[:MAX_TYPED])
        words = tuple(TYPED_WORD.findall(text))
        if not words:
            return []
        going_on = TYPED_WORD.fullmatch(text[-1]) is not None  # no space or punctuation after the last word
        return [
            Suggestion(self.texts[entry], KINDS[self.kinds[entry]], self._images.get(entry))
            for entry in self._found(words, going_on, k)
        ]

    def _find(self, words: tuple[str, ...], going_on: bool, k: int) -> tuple[int, ...]:
        found = dict.fromkeys(self._phrase(typed_key(words, going_on), k))
        if len(found) < k:
            found.update(dict.fromkeys(self._every(typed_terms(words, going_on), k)))
        if len(found) < k:
            for corrected in self._corrected(words, going_on):
                found.update(dict.fromkeys(self._phrase(typed_key(corrected, going_on), k)))
                if len(found) < k:
                    found.update(dict.fromkeys(self._every(typed_terms(corrected, going_on), k)))
        return tuple(found)[:k]

    def _key(self, start: int) -> str:
        """The text from a word start on: what the word starts are sorted by."""
        return self._forms[start >> (FORM_BITS + START_BITS)][(start >> START_BITS) & FORM_MASK][start & OFFSET_MASK :]

    def _range(self, prefix: str) -> tuple[int, int]:
        low = bisect.bisect_left(self._starts, prefix, key=self._key)
        return low, bisect.bisect_left(self._starts, prefix + LAST, low, key=self._key)

    def _best(self, low: int, high: int, limit: int) -> list[int]:
        """The best `limit` texts among the word starts low..high."""
        # a text has at most two ranks (first word, later word), so 2 * limit ranks hold `limit` texts
        ranks = np.unique(self._rank[low:high])[: 2 * limit] % max(len(self.texts), 1)
        return list(dict.fromkeys(ranks.tolist()))[:limit]

    def _phrase(self, prefix: str, limit: int) -> list[int]:
        low, high = self._range(prefix)
        top = self._top.get(prefix) if high - low > self.big else None
        return top[:limit].tolist() if top is not None else self._best(low, high, limit)

    def _every(self, terms: list[str], limit: int) -> list[int]:
        """Texts where each term begins a word, in any order, best first; none for one term (the phrase was that)."""
        if len(terms) < 2:
            return []
        spans = sorted(((self._range(term), term) for term in terms), key=lambda span: span[0][1] - span[0][0])
        (low, high), term = spans[0]
        top = self._top.get(term) if high - low > self.big else None
        # every word common: only the best texts of the rarest are looked at
        candidates = top.astype(np.int64) if top is not None else np.unique(self._entries[low:high])
        for (low, high), _ in spans[1:]:
            present = np.zeros(len(self.texts), dtype=bool)
            present[self._entries[low:high]] = True
            candidates = candidates[present[candidates]]
        return candidates[:limit].tolist()

    def _corrected(self, words: tuple[str, ...], going_on: bool) -> Iterator[tuple[str, ...]]:
        """The typed words with each typo replaced: the best stand-in for each, up to CORRECTIONS for the last."""
        fixes: dict[int, list[str]] = {}
        for at, word in enumerate(words[:MAX_TERMS]):
            whole = at < len(words) - 1 or not going_on
            if _correctable(word) and len(word) >= MIN_TYPO:
                low, high = self._range(word + " " if whole else word)
                if low == high and (stand_ins := self._stand_ins(word, whole)):
                    fixes[at] = stand_ins
        if not fixes:
            return
        last = max(fixes)
        for stand_in in fixes[last][:CORRECTIONS]:
            corrected = [fixes[at][0] if at in fixes else word for at, word in enumerate(words)]
            corrected[last] = stand_in
            yield tuple(corrected)

    def _stand_ins(self, word: str, whole: bool) -> list[str]:
        """Catalogue words (whole) or word beginnings (being typed) within the edits a word of its length may have."""
        edits = typo_edits(word)
        if whole:
            lists = [self._words]
        elif len(word) <= LONGEST_STEM:
            lists = [self._stems.get(length, []) for length in range(len(word) - edits, len(word) + edits + 1)]
        else:
            return []
        near: dict[str, int] = {}
        for choices in lists:
            low = bisect.bisect_left(choices, word[0])
            high = bisect.bisect_left(choices, word[0] + LAST, low)
            for choice, distance, _ in process.extract(
                word, choices[low:high], scorer=typo_distance, score_cutoff=edits, limit=None
            ):
                near[choice] = min(distance, near.get(choice, edits))
        closest = sorted(near, key=lambda choice: (near[choice], choice))[: 4 * CORRECTIONS]
        uses = {choice: self._uses(choice + " " if whole else choice) for choice in closest}
        return ranked_corrections(word, (Correction(choice, near[choice], uses[choice]) for choice in closest))

    def _uses(self, prefix: str) -> int:
        low, high = self._range(prefix)
        return high - low

    def _rank_big_prefixes(self) -> dict[str, np.ndarray]:
        """The best TOP texts of every prefix that begins more than `big` word starts, by walking down from ""."""
        top: dict[str, np.ndarray] = {}
        pending = [("", 0, len(self._starts))]
        while pending:
            prefix, low, high = pending.pop()
            if prefix:
                top[prefix] = np.array(self._best(low, high, TOP), dtype=np.int32)
            at = bisect.bisect_right(self._starts, prefix, low, high, key=self._key)  # texts that end here
            while at < high:
                longer = self._key(self._starts[at])[: len(prefix) + 1]
                end = bisect.bisect_left(self._starts, longer + LAST, at, high, key=self._key)
                if end - at > self.big:
                    pending.append((longer, at, end))
                at = end
        return top


def worked_queries(queries: Iterable[tuple[str, int, int]]) -> list[str]:
    """The queries searched and clicked often enough, as typed (spaces tidied), most clicked first."""
    kept = [
        (-clicks, -searches, tidy(text))
        for text, searches, clicks in queries
        if searches >= MIN_SEARCHES and clicks >= MIN_CLICKS
    ]
    return [text for *_, text in sorted(kept) if text]


def catalogue_phrases(products: Iterable[Product], pictures: dict[str, str] | None = None) -> list[tuple[str, str]]:
    """(text, kind) of category names, brands and title phrases, used by the most products first; `pictures`, when
    given, gets the image of each title phrase's first product that has one."""
    counts: Counter[tuple[str, str]] = Counter()
    for product in products:
        found = {(tidy(name), "category") for name in product.category}
        found.add((tidy(product.brand or ""), "brand"))
        phrase = title_phrase(product.title)
        found.add((phrase, "title"))
        if pictures is not None and product.image is not None:
            pictures.setdefault(phrase, product.image)
        counts.update(item for item in found if item[0])
    order = {"category": 0, "brand": 1, "title": 2}
    return sorted(counts, key=lambda item: (-counts[item], order[item[1]], len(item[0]), item[0]))


def title_phrase(title: str) -> str:
    """The title without bracketed tags, up to its first detail, cut at a word end within TITLE_WIDTH."""
    text = tidy(TAGS.sub(" ", title))
    detail = next((match.start() for match in DETAIL.finditer(text) if match.start() >= MIN_PHRASE), len(text))
    text = text[:detail].rstrip(" -–—|/:")
    width = [0, *accumulate(2 if CHINESE_RUN.match(character) else 1 for character in text)]  # of text[:end]
    if width[-1] <= TITLE_WIDTH:
        return text
    # between words where the title has a space, else between jieba's words of a Chinese run
    spaces = [match.start() for match in re.finditer(r"\s", text) if width[match.start()] <= TITLE_WIDTH]
    if spaces and width[spaces[-1]] >= TITLE_WIDTH // 2:
        return text[: spaces[-1]].rstrip(" -–—|/:,")
    ends = set(spaces)
    for run in CHINESE_RUN.finditer(text):
        ends.update(run.start() + end for end in word_ends(run.group()))
    fitting = [end for end in ends if end > 0 and width[end] <= TITLE_WIDTH]
    return text[: max(fitting)].rstrip(" -–—|/:,") if fitting else ""


def tidy(text: str) -> str:
    """The text as it is shown: control characters as spaces, invisible ones (zero-width space) dropped, runs of
    spaces as one."""
    if not text.isprintable():  # rare: the character by character pass only where it is needed
        text = "".join(_shown(character) for character in text)
    return " ".join(text.split())


def _shown(character: str) -> str:
    category = unicodedata.category(character)
    if category == "Cc":  # tab, newline, NUL
        return " "
    return "" if category[0] == "C" else character


def matched_forms(text: str) -> list[tuple[str, list[int]]]:
    """The text as it is matched, with the offsets where its words start; for Chinese, also its pinyin forms.

    Each form ends with a space, so a word typed with a space after it matches a text's last word too."""
    key, starts, chinese = "", [], []
    previous = ""
    for word in TYPED_WORD.findall(normal(text)):
        if key and not (CHINESE_RUN.match(word) and CHINESE_RUN.match(previous)):
            key += " "
        if CHINESE_RUN.match(word):
            offsets = [len(key) + offset for offset in search_starts(word)]
            starts.extend(offsets)
            chinese.extend(offsets)
        else:
            starts.append(len(key))
        key += word
        previous = word
    if not key or len(key) >= 1 << START_BITS:
        return []
    return [(key + " ", starts), *pinyin_forms(key, chinese)]


def pinyin_forms(key: str, chinese: list[int]) -> list[tuple[str, list[int]]]:
    """The key with each Chinese character as its pinyin's first letter, from the Chinese word starts; then, where
    some syllable has no initial, the key without those letters."""
    if not chinese:
        return []
    letters = list(key)
    spoken: list[int] = []  # offsets of the letters that stand for characters
    for run in CHINESE_RUN.finditer(key):
        at = run.start()
        for word in segmented(run.group()):
            letters[at : at + len(word)] = _first_letters(word)
            at += len(word)
        spoken.extend(range(run.start(), run.end()))
    first = "".join(letters)
    forms = [(first + " ", chinese)]
    silent = {offset for offset in spoken if first[offset] in ZERO_INITIAL}
    if silent:
        kept = [offset for offset in range(len(first)) if offset not in silent]
        initials = "".join(first[offset] for offset in kept)
        moved = sorted({bisect.bisect_left(kept, offset) for offset in chinese} - {len(initials)})
        forms.append((initials + " ", moved))
    return forms


def typed_key(words: tuple[str, ...], going_on: bool) -> str:
    """What was typed as a prefix of the matched forms: a finished last word ends with a space."""
    key = ""
    for at, word in enumerate(words):
        if at and not (CHINESE_RUN.match(word) and CHINESE_RUN.match(words[at - 1])):
            key += " "
        key += word
    return key if going_on or CHINESE_RUN.match(words[-1]) else key + " "


def typed_terms(words: tuple[str, ...], going_on: bool) -> list[str]:
    """The typed words as prefixes to match in any order: Chinese runs as jieba's words, finished Latin words whole."""
    terms = []
    for at, word in enumerate(words[:MAX_TERMS]):
        if CHINESE_RUN.match(word):
            terms.extend(segmented(word))
        else:
            terms.append(word if going_on and at == len(words) - 1 else word + " ")
    return terms[:MAX_TERMS]


def _correctable(word: str) -> bool:
    return word.isascii() and word.isalpha() and len(word) >= MIN_TYPO - 1


@lru_cache(maxsize=100_000)
def _first_letters(word: str) -> str:
    """One letter per character: its pinyin's first, read in the word (长城 cc, 长大 zd); the character where it has
    none."""
    from pypinyin import Style, lazy_pinyin

    syllables = lazy_pinyin(word, style=Style.NORMAL, errors=lambda characters: list(characters))
    if len(syllables) != len(word):  # read a character at a time instead
        syllables = [lazy_pinyin(character, errors=lambda found: [found])[0] for character in word]
    return "".join(
        syllable[0].lower() if syllable else character for syllable, character in zip(syllables, word, strict=True)
    )
