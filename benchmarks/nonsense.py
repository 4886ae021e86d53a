"""Nonsense gets no hits, judged queries keep theirs: both counted through the pipeline on one index.

See docs/design.md#nonsense-queries.
"""

from __future__ import annotations

import argparse
import random
import re
import string
from collections import Counter
from collections.abc import Container
from pathlib import Path

import numpy as np

from indexer import open_index, read_catalogue
from search import EmbeddedBackend, SearchPipeline, SearchRequest
from search.gibberish import is_gibberish
from search.spelling import english_words

KEYBOARD = ["qwertyuiop", "asdfghjkl", "zxcvbnm"]
KINDS = ("keyboard", "repeat", "random", "pronounceable")
CONSONANTS, VOWELS = "bcdfghjklmnprstvwz", "aeiou"


def nonsense(count: int, seed: int = 13) -> list[tuple[str, str]]:
    """(kind, query), the KINDS by turns: runs from a keyboard row, repeats, and one to three made-up words of random
    letters or of consonant-vowel syllables ("bolamu tiresa"), which look like words."""
    chance = random.Random(seed)
    made = []
    for number in range(count):
        kind = KINDS[number % len(KINDS)]
        if kind == "keyboard":
            row = chance.choice(KEYBOARD)
            start = chance.randrange(len(row) - 3)
            made.append((kind, row[start : start + chance.randint(4, len(row) - start)]))
        elif kind == "repeat":
            made.append((kind, chance.choice(string.ascii_lowercase) * chance.randint(4, 10)))
        else:
            made.append((kind, " ".join(made_up(chance, kind) for _ in range(chance.randint(1, 3)))))
    return made


def made_up(chance: random.Random, kind: str) -> str:
    """One made-up word: 4 to 9 random letters, or 2 to 4 consonant-vowel syllables."""
    if kind == "random":
        return "".join(chance.choices(string.ascii_lowercase, k=chance.randint(4, 9)))
    return "".join(chance.choice(CONSONANTS) + chance.choice(VOWELS) for _ in range(chance.randint(2, 4)))


def absent(words: Container[str], count: int, seed: int) -> list[str]:
    """Queries of one or two English words that the catalogue does not use: real words it has no product for."""
    chance = random.Random(seed)
    unused = sorted(word for word in english_words() if word.isalpha() and len(word) >= 4 and word not in words)
    return [" ".join(chance.sample(unused, 1 + number % 2)) for number in range(count)]


def foreign(catalogue: Path, words: Container[str], count: int, seed: int) -> list[str]:
    """The first one or two words of another catalogue's titles, mostly brands and product names, that use a word
    this catalogue does not: real names it has no product for."""
    names = set()
    for product in read_catalogue(catalogue, skip_invalid=True).products:
        for length in (1, 2):
            name = " ".join(product.title.split()[:length])
            lacking = [word for word in re.findall("[a-z]+", name.lower()) if word not in words]
            if lacking and re.fullmatch("[A-Za-z' -]+", name):
                names.add(name)
    return random.Random(seed).sample(sorted(names), min(count, len(names)))


def queries_of(path: Path) -> list[str]:
    """The queries of a `qid<TAB>query[<TAB>...]` file."""
    return [line.split("\t")[1] for line in path.read_text(encoding="utf-8").splitlines() if "\t" in line]


def answered(pipeline: SearchPipeline, queries: list[str]) -> list[bool]:
    """Per query, whether its search in hybrid mode has any hit."""
    return [bool(pipeline.search(SearchRequest(query)).hits) for query in queries]


def best_scores(pipeline: SearchPipeline, queries: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Per query: whether its keyword leg found anything, and its best dense score."""
    keyword, dense = [], []
    for query in queries:
        spelled = pipeline.spelled(query)
        keyword.append(bool(pipeline.keyword.search(spelled, 1)))
        hits = pipeline.dense.search(spelled, 1)
        dense.append(hits[0].score if hits else -1.0)
    return np.array(keyword), np.array(dense)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("index", type=Path)
    parser.add_argument("queries", type=Path, nargs="+", help="judged queries, then others that must keep their hits")
    parser.add_argument("--nonsense", type=int, default=300)
    parser.add_argument("--seed", type=int, default=13, help="of the made-up queries: tune on one, report on another")
    parser.add_argument("--foreign", type=Path, help="another catalogue, for real names that this one lacks")
    args = parser.parse_args()
    version = open_index(args.index)
    pipeline = SearchPipeline(EmbeddedBackend(version))
    words = pipeline.backend.words
    judged = queries_of(args.queries[0])
    found, scores = best_scores(pipeline, judged)
    orphans = scores[~found]
    print(f"{args.index}: {version.manifest.products} products, encoder {version.manifest.encoder}")
    print(f"judged queries: {len(judged)}, with no keyword hit: {len(orphans)}")
    if len(orphans):
        print(
            "  their best dense score: min {:.3f}  p5 {:.3f}  median {:.3f}".format(*np.percentile(orphans, [0, 5, 50]))
        )
        for query, score in sorted(zip(np.array(judged)[~found], orphans, strict=True), key=lambda pair: pair[1])[:5]:
            print(f"    {score:.3f}  {query}")
    made = nonsense(args.nonsense, args.seed)
    typed = [query for _, query in made]
    found, scores = best_scores(pipeline, typed)
    print(f"nonsense queries (seed {args.seed}): {len(made)}, with a keyword hit (after spelling): {int(found.sum())}")
    print(
        "  their best dense score: median {:.3f}  p95 {:.3f}  max {:.3f}".format(*np.percentile(scores, [50, 95, 100]))
    )
    for query, score in sorted(zip(typed, scores, strict=True), key=lambda pair: -pair[1])[:5]:
        print(f"    {score:.3f}  {query}")
    gibberish = [query for query in judged if is_gibberish(query, words)]
    print(f"judged queries read as gibberish: {len(gibberish)} {gibberish[:10]}")
    real = {path.name: queries_of(path) for path in args.queries}
    real["English words the catalogue does not use"] = absent(words, 200, args.seed)
    if args.foreign:
        real[f"names from {args.foreign}"] = foreign(args.foreign, words, 400, args.seed)
    for label, queries in real.items():
        lost = [query for query, hit in zip(queries, answered(pipeline, queries), strict=True) if not hit]
        print(f"{label}: {len(queries)}, with no hits in hybrid mode: {len(lost)} {lost[:10]}")
    hit = answered(pipeline, typed)
    groups: Counter[str] = Counter()
    empty: Counter[str] = Counter()
    for (kind, query), any_hit in zip(made, hit, strict=True):
        count = len(query.split())
        group = kind if kind in KINDS[:2] else f"{kind}, {count} word{'s' if count > 1 else ''}"
        groups[group] += 1
        empty[group] += not any_hit
    print(f"nonsense queries with no hits: {empty.total()} of {len(made)} ({empty.total() / len(made):.1%})")
    for group in sorted(groups, key=lambda group: (KINDS.index(group.split(",")[0]), group)):
        print(f"  {group:24} {empty[group]:4} of {groups[group]}")
    still = [query for query, any_hit in zip(typed, hit, strict=True) if any_hit]
    spelled = [query for query in still if pipeline.keyword.search(pipeline.spelled(query), 1)]
    print(f"  still answered: {len(still)}, {len(spelled)} of them with a keyword hit after spelling")
    print(f"    with one: {spelled[:8]}")
    print(f"    without: {[query for query in still if query not in spelled][:8]}")


if __name__ == "__main__":
    main()
