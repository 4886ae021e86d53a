"""The shop owner's settings: synonyms, rules and business ranking, one versioned record kept with the index
(beside CURRENT, or in the cluster), read again by every searcher within a second. See docs/design.md#merchandising.
"""

from __future__ import annotations

import copy
import fcntl
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any, Literal, Protocol

from indexer.versions import fsync_directory
from search.errors import ResourceError, SearchError, UnknownResource
from search.experiments import Experiment
from search.ranking import Ranking, ranking_of
from search.rules import Rule, Rules
from search.synonyms import Synonym, Synonyms

log = logging.getLogger(__name__)
FILE = "merchandising.json"
LIMITS = {"synonyms": 100_000, "rules": 10_000, "experiments": 1_000}  # entries a shop may have
POPULARITY = "popularity"  # a weight's name for the popularity learned from shoppers' events
RECHECK = 0.2  # seconds: how long a searcher trusts the record it read before looking again


@dataclass(frozen=True)
class PopularityTable:
    """Each product's popularity learned from shoppers' events (events.popularity), and every other product's."""

    rates: dict[str, float] = field(default_factory=dict)
    default: float = 0.0


@dataclass(frozen=True)
class Merchandising:
    """One version of the shop's settings."""

    version: int = 0
    synonyms: dict[str, Synonym] = field(default_factory=dict)
    rules: dict[str, Rule] = field(default_factory=dict)
    ranking: Ranking = Ranking()
    experiments: dict[str, Experiment] = field(default_factory=dict)  # running and stopped, by name
    updated_at: str | None = None

    @property
    def experiment(self) -> Experiment | None:
        """The running experiment: one at a time, so that each arm is compared with what is served."""
        return next((experiment for experiment in self.experiments.values() if experiment.running), None)

    @cached_property
    def synonym_index(self) -> Synonyms:
        return Synonyms(self.synonyms.values())

    @cached_property
    def rule_index(self) -> Rules:
        return Rules(self.rules.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "updated_at": self.updated_at,
            "synonyms": [entry.to_json() for entry in self.synonyms.values()],
            "rules": [rule.to_json() for rule in self.rules.values()],
            "ranking": self.ranking.model_dump(mode="json"),
            "experiments": [experiment.to_json() for experiment in self.experiments.values()],
        }

    @classmethod
    def from_json(cls, record: dict[str, Any]) -> Merchandising:
        synonyms = [Synonym.from_json(entry["id"], entry) for entry in record.get("synonyms", [])]
        rules = [Rule.from_json(entry["id"], entry) for entry in record.get("rules", [])]
        return cls(
            version=int(record.get("version", 0)),
            synonyms={entry.id: entry for entry in synonyms},
            rules={rule.id: rule for rule in rules},
            ranking=ranking_of(record.get("ranking", {})),
            experiments={entry["name"]: Experiment.from_json(entry) for entry in record.get("experiments", [])},
            updated_at=record.get("updated_at"),
        )

    def with_entries(self, plural: str, entries: Iterable[Any] = (), removed: Iterable[str] = ()) -> Merchandising:
        """These settings with synonym entries or rules (`plural`) put in place of those with their ids, and
        those of `removed` gone."""
        removed = set(removed)
        kept = {key: value for key, value in getattr(self, plural).items() if key not in removed}
        kept.update((entry.id, entry) for entry in entries)
        if len(kept) > LIMITS[plural]:
            raise ResourceError(plural, f"{len(kept):,} {plural}, more than the {LIMITS[plural]:,} a shop may have")
        return replace(self, **{plural: kept})

    def with_synonyms(self, entries: Iterable[Synonym], removed: Iterable[str] = ()) -> Merchandising:
        return self.with_entries("synonyms", entries, removed)

    def with_rules(self, rules: Iterable[Rule], removed: Iterable[str] = ()) -> Merchandising:
        return self.with_entries("rules", rules, removed)

    def without(self, kind: Literal["synonym", "rule"], resource_id: str) -> Merchandising:
        """These settings less one synonym entry or rule; UnknownResource if there is none with that id."""
        if resource_id not in getattr(self, f"{kind}s"):
            raise UnknownResource(kind, resource_id)
        return self.with_entries(f"{kind}s", removed=[resource_id])

    def with_ranking(self, ranking: Ranking) -> Merchandising:
        return replace(self, ranking=ranking)

    def started(self, experiment: Experiment) -> Merchandising:
        """These settings with a new experiment: one runs at a time, and a name is used once until deleted."""
        if self.experiment is not None:
            raise ResourceError("name", f"experiment {self.experiment.name!r} is running; stop it first")
        if experiment.name in self.experiments:
            raise ResourceError("name", f"experiment {experiment.name!r} exists; choose another name, or delete it")
        return self.with_entries("experiments", [experiment])

    def stopped(self, name: str, at: str) -> Merchandising:
        """These settings with the running experiment `name` stopped at `at` (ISO 8601); its report stays."""
        found = self.experiments.get(name)
        if found is None or not found.running:
            raise UnknownResource("running experiment", name)
        return self.with_entries("experiments", [found.model_copy(update={"stopped_at": at})])

    def without_experiment(self, name: str) -> Merchandising:
        """These settings less a stopped experiment (its logged searches stay in the events database)."""
        found = self.experiments.get(name)
        if found is None:
            raise UnknownResource("experiment", name)
        if found.running:
            raise ResourceError("name", f"experiment {name!r} is running; stop it first")
        return self.with_entries("experiments", removed=[name])

    def ranked(self, ranking: Ranking) -> Merchandising:
        """These settings searched with another ranking (an experiment's arm), keeping the synonyms and rules
        compiled once for this version: a copy keeps the cached indexes that `replace` would build again."""
        other = copy.copy(self)
        object.__setattr__(other, "ranking", ranking)
        return other


NONE = Merchandising()


class MerchandisingStore(Protocol):
    where: str

    def current(self) -> Merchandising:
        """The latest version, read again when it may have changed (at most RECHECK seconds stale)."""
        ...

    def change(self, edit: Callable[[Merchandising], Merchandising]) -> Merchandising:
        """Applies `edit` to the latest version and stores the result as the next; returns it."""
        ...


def next_version(edited: Merchandising, previous: Merchandising) -> Merchandising:
    return replace(edited, version=previous.version + 1, updated_at=datetime.now(UTC).isoformat(timespec="seconds"))


class FileMerchandising:
    """merchandising.json beside CURRENT: kept across versions, rebuilds and updates, written atomically."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.path = self.root / FILE
        self.where = str(self.path)
        self._seen: tuple[tuple[int, int, int] | None, Merchandising] = (None, NONE)
        self._checked = 0.0

    def _stamp(self) -> tuple[int, int, int] | None:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return None
        return stat.st_ino, stat.st_mtime_ns, stat.st_size

    def _read(self) -> Merchandising:
        try:
            record = json.loads(self.path.read_text(encoding="utf-8"))
            return Merchandising.from_json(record)
        except FileNotFoundError:
            return NONE
        except (ValueError, KeyError, TypeError) as error:
            raise SearchError(f"{self.path} is not valid merchandising settings ({error}); fix or remove it") from None

    def current(self) -> Merchandising:
        """A damaged file (edited by hand) is logged and the last good version served on: searches go on."""
        now = time.monotonic()
        stamp, seen = self._seen
        if now - self._checked < RECHECK:
            return seen
        self._checked = now
        latest = self._stamp()
        if latest != stamp:
            try:
                self._seen = latest, self._read()
            except SearchError as error:
                log.error("%s; serving version %d of the shop's settings meanwhile", error, seen.version)
                self._seen = latest, seen
        return self._seen[1]

    def change(self, edit: Callable[[Merchandising], Merchandising]) -> Merchandising:
        if not self.root.is_dir():
            raise SearchError(f"no index at {self.root}; build one before adding synonyms or rules")
        with open(self.root / ".merchandising.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            previous = self._read()
            changed = next_version(edit(previous), previous)
            temporary = self.path.with_suffix(".tmp")
            with open(temporary, "w", encoding="utf-8") as out:
                json.dump(changed.to_json(), out, ensure_ascii=False, indent=1)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, self.path)
            fsync_directory(self.root)
            self._seen, self._checked = (self._stamp(), changed), time.monotonic()  # under the lock: no later write
        return changed


class ElasticMerchandising:
    """The document "merchandising" in the alias's settings index, changed with optimistic concurrency."""

    def __init__(self, config: Any, alias: str) -> None:
        self.config, self.alias = config, alias
        self.index = f"{alias}.settings"
        self.where = f"the document 'merchandising' in {self.index}"
        self._seen: tuple[tuple[int, int] | None, Merchandising] = (None, NONE)
        self._checked = -RECHECK
        self._reading = threading.Lock()

    def _get(self, known: tuple[int, int] | None = None) -> tuple[Merchandising | None, dict[str, Any]]:
        """(the settings, the guard of the document read); None for the settings when they are still `known`
        (its seq_no and primary term), read without their body."""
        from elasticsearch import NotFoundError

        from indexer.elastic import reachable

        try:
            with reachable(self.config):
                client = self.config.client()
                found = client.get(index=self.index, id="merchandising", _source=known is None)
                guard = {"if_seq_no": found["_seq_no"], "if_primary_term": found["_primary_term"]}
                if known is not None and (found["_seq_no"], found["_primary_term"]) == known:
                    return None, guard
                if known is not None:
                    found = client.get(index=self.index, id="merchandising")
                    guard = {"if_seq_no": found["_seq_no"], "if_primary_term": found["_primary_term"]}
        except NotFoundError:
            return NONE, {}
        try:
            return Merchandising.from_json(found["_source"]["record"]), guard
        except (ValueError, KeyError, TypeError) as error:
            raise SearchError(f"{self.where} is not valid merchandising settings ({error})") from None

    def current(self) -> Merchandising:
        """Looked at every RECHECK seconds by one searcher (the others serve what was read); parsed and compiled
        again only when the document changed."""
        known, seen = self._seen
        if time.monotonic() - self._checked < RECHECK or not self._reading.acquire(blocking=False):
            return seen
        try:
            latest, guard = self._get(known)
            if latest is not None:
                self._seen = (guard["if_seq_no"], guard["if_primary_term"]) if guard else None, latest
        except SearchError as error:
            log.error("%s; serving version %d of the shop's settings meanwhile", error, seen.version)
        finally:
            self._checked = time.monotonic()
            self._reading.release()
        return self._seen[1]

    def change(self, edit: Callable[[Merchandising], Merchandising]) -> Merchandising:
        from elasticsearch import ConflictError

        from indexer.elastic import reachable

        client = self.config.client()
        for _ in range(5):  # another service changed it between our read and write: read again
            previous, guard = self._get()
            changed = next_version(edit(previous), previous)
            try:
                with reachable(self.config):
                    if not client.indices.exists(index=self.index):
                        mappings = {"properties": {"record": {"type": "object", "enabled": False}}}
                        # another service may create it first: the write below is guarded either way
                        client.options(ignore_status=400).indices.create(index=self.index, mappings=mappings)
                    document = {"record": changed.to_json()}
                    options = guard or {"op_type": "create"}
                    client.index(index=self.index, id="merchandising", document=document, refresh=True, **options)
            except ConflictError:
                continue
            self._checked = -RECHECK  # the next search reads the document written, with its new guard
            return changed
        raise SearchError(f"{self.where} kept changing under this write; retry it")


class FixedMerchandising:
    """Settings that never change: a library user's, or none."""

    where = "memory"

    def __init__(self, merchandising: Merchandising = NONE) -> None:
        self.merchandising = merchandising

    def current(self) -> Merchandising:
        return self.merchandising

    def change(self, edit: Callable[[Merchandising], Merchandising]) -> Merchandising:
        self.merchandising = next_version(edit(self.merchandising), self.merchandising)
        return self.merchandising
