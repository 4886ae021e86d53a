"""Synonym entries (multi-way and one-way), their JSON and Solr forms, and the phrases a query should also match."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from indexer.text import normal
from search.errors import ResourceError, check_id
from search.phrases import PhraseIndex, phrase_key

MAX_PHRASES = 100
MAX_PHRASE_CHARS = 200
KEYS = ("id", "root", "synonyms")  # "id" is allowed so that to_json's output can be sent back as it is


class SynonymError(ResourceError):
    """A bad synonym entry or synonyms file; `field` names the part that was wrong ("synonyms", "root", "line 3")."""


_key = phrase_key  # a phrase as it is matched: "手機" and "手机", "Smart-Phone" and "smart phone" are one


def _short(text: str, chars: int = 40) -> str:
    return repr(text if len(text) <= chars else text[:chars] + "…")


def _check_phrase(field: str, label: str, phrase: object) -> None:
    if not isinstance(phrase, str):
        why = f"is {type(phrase).__name__} {phrase!r}: give each phrase as a string"
    elif not phrase.strip():
        why = f"is blank ({phrase!r}): give it some words, or remove it"
    elif len(phrase.strip()) > MAX_PHRASE_CHARS:
        why = f"is {len(phrase.strip())} characters long ({_short(phrase)}): shorten it to {MAX_PHRASE_CHARS} or fewer"
    elif not _key(phrase):
        why = f"({phrase!r}) has no letters or digits, so it never matches: remove it"
    else:
        return
    raise SynonymError(field, f"{label} {why}")


def _distinct(phrases: Iterable[str]) -> tuple[str, ...]:
    """Stripped phrases, a later one dropped when it normalises as an earlier one does."""
    kept: dict[tuple[str, ...], str] = {}
    for phrase in phrases:
        kept.setdefault(_key(phrase), phrase.strip())
    return tuple(kept.values())


@dataclass(frozen=True)
class Synonym:
    """Multi-way when `root` is None: each phrase finds the others. One-way otherwise: the root finds `synonyms`."""

    id: str
    synonyms: tuple[str, ...]
    root: str | None = None

    def __post_init__(self) -> None:
        check_id(self.id, "synonym")
        if not isinstance(self.synonyms, tuple):
            raise SynonymError("synonyms", f"synonyms is a {type(self.synonyms).__name__}: pass a tuple of strings")
        for at, phrase in enumerate(self.synonyms):
            _check_phrase("synonyms", f"synonyms[{at}]", phrase)
        least = 2 if self.root is None else 1
        if len(self.synonyms) < least or len(self.synonyms) > MAX_PHRASES:
            kind = "a multi-way entry (no root)" if self.root is None else "a one-way entry (with a root)"
            raise SynonymError(
                "synonyms",
                f"{kind} needs {least} to {MAX_PHRASES} distinct phrases, got {len(self.synonyms)} "
                f"({_short(', '.join(self.synonyms))}): add phrases, or split a long list into several entries",
            )
        keys = [_key(phrase) for phrase in self.synonyms]
        if len(set(keys)) < len(keys):
            raise SynonymError("synonyms", f"synonyms {list(self.synonyms)!r} repeat a phrase: list each once")
        if self.root is not None:
            _check_phrase("root", "root", self.root)
            if _key(self.root) in keys:
                raise SynonymError(
                    "root",
                    f"root {self.root!r} is also one of its synonyms: remove it from synonyms, since "
                    "a query for the root matches the root anyway",
                )

    @classmethod
    def from_json(cls, id: str, body: dict) -> Synonym:
        """An entry from a request body such as {"synonyms": ["couch", "sofa"]} or {"root": .., "synonyms": [..]}."""
        if not isinstance(body, dict):
            raise SynonymError("body", f"the body is {type(body).__name__}: send a JSON object with 'synonyms'")
        for name in body:
            if name not in KEYS:
                raise SynonymError(name, f"unknown key {name!r}: an entry has only {', '.join(KEYS)}")
        if "id" in body and body["id"] != id:
            raise SynonymError("id", f"the body's id {body['id']!r} is not {id!r}, the entry's id: drop it or match")
        phrases = body.get("synonyms")
        if not isinstance(phrases, list):
            seen = "missing" if phrases is None else f"{type(phrases).__name__} {_short(repr(phrases))}"
            raise SynonymError("synonyms", f"synonyms is {seen}: send a list of phrases, e.g. ['couch', 'sofa']")
        for at, phrase in enumerate(phrases):
            _check_phrase("synonyms", f"synonyms[{at}]", phrase)
        root = body.get("root")
        if root is not None:
            _check_phrase("root", "root", root)
            root = root.strip()
        return cls(id=id, synonyms=_distinct(phrases), root=root)

    def to_json(self) -> dict:
        body: dict = {"id": self.id, "synonyms": list(self.synonyms)}
        if self.root is not None:
            body["root"] = self.root
        return body


class Synonyms:
    """Entries compiled once into a PhraseIndex of every phrase: a trigger (a multi-way entry's phrases, a one-way
    entry's root) names its entry; every phrase is there so that one already in the query is not added."""

    def __init__(self, entries: Iterable[Synonym] = ()) -> None:
        self.entries = tuple(entries)
        self._outputs: list[tuple[tuple[str, str], ...]] = []
        phrases: list[tuple[str, tuple[str, int | None]]] = []
        ids: set[str] = set()
        for at, entry in enumerate(self.entries):
            if entry.id in ids:
                raise SynonymError("id", f"two entries have the id {entry.id!r}: give each entry its own id")
            ids.add(entry.id)
            self._outputs.append(tuple((_key(phrase), " ".join(normal(phrase).split())) for phrase in entry.synonyms))
            for phrase in entry.synonyms:
                phrases.append((phrase, (_key(phrase), at if entry.root is None else None)))
            if entry.root is not None:
                phrases.append((entry.root, (_key(entry.root), at)))
        self._phrases = PhraseIndex(phrases)

    def __len__(self) -> int:
        return len(self.entries)

    def expand(self, text: str) -> tuple[str, ...]:
        """Normalised phrases the query should also match, in entry then phrase order, none already in the query.
        Whole words only: "sofa" does not match "sofas" (plurals belong to stemming, not to synonyms); Chinese
        phrases match inside a run of Chinese ("手机" in "新手机壳"), which has no spaces."""
        found = self._phrases.found(text)
        if not found:
            return ()
        present = {key for key, _ in found}
        phrases: list[str] = []
        for at in sorted({at for _, at in found if at is not None}):
            for key, shown in self._outputs[at]:
                if key not in present:
                    present.add(key)
                    phrases.append(shown)
        return tuple(phrases)


def _split(line: str) -> list[list[str]]:
    r"""A Solr rule's sides (split at "=>") and their phrases (split at ","); "\," "\\" "\=" escape a character."""
    sides: list[list[str]] = [[]]
    phrase: list[str] = []
    at = 0
    while at < len(line):
        char = line[at]
        if char == "\\" and line[at + 1 : at + 2] in (",", "\\", "="):
            phrase.append(line[at + 1])
            at += 2
            continue
        if char == "," or line.startswith("=>", at):
            sides[-1].append("".join(phrase).strip())
            phrase = []
            if char == "=":
                sides.append([])
                at += 1
        else:
            phrase.append(char)  # any other backslash is kept as written
        at += 1
    sides[-1].append("".join(phrase).strip())
    return [[phrase for phrase in side if phrase] for side in sides]  # Solr skips empty phrases: "a,,b" is "a,b"


def read_solr(text: str) -> list[Synonym]:
    """Entries from Solr's synonyms.txt ("solr" format, expand=true): "a, b, c" is multi-way, "a, b => c, d" one-way."""
    entries: list[Synonym] = []
    for number, line in enumerate(text.removeprefix("\ufeff").splitlines(), start=1):
        # Solr takes only a "#" at the start of a line as a comment; we also allow spaces before it
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        field, where = f"line {number}", f"line {number} ({_short(line.strip(), 60)})"
        sides = _split(line)
        if len(sides) > 2:
            raise SynonymError(field, f"{where} has {len(sides) - 1} '=>': write one mapping per line, a, b => c")
        if len(sides) == 2 and not all(sides):
            raise SynonymError(field, f"{where} has an empty side of '=>': put phrases on both sides, a, b => c")
        if len(sides) == 1 and len(sides[0]) < 2:
            raise SynonymError(field, f"{where} has one phrase and no '=>': list synonyms (a, b) or map it (a => b)")
        try:
            for phrase in (phrase for side in sides for phrase in side):
                _check_phrase(field, "a phrase", phrase)
            if len(sides) == 1:
                entries.append(Synonym(f"solr-{number}", _distinct(sides[0])))
                continue
            # Solr replaces the left phrases with the right ones; we keep each left phrase as the root of a one-way
            # entry, so a query for it still matches itself too. "a => a, b" (Solr's way to keep a) is "a => b".
            lefts = _distinct(sides[0])
            for count, left in enumerate(lefts, start=1):
                rights = tuple(right for right in _distinct(sides[1]) if _key(right) != _key(left))
                id = f"solr-{number}" if len(lefts) == 1 else f"solr-{number}-{count}"
                entries.append(Synonym(id, rights, root=left))
        except SynonymError as error:
            raise SynonymError(field, f"{where}: {error}") from None
    return entries
