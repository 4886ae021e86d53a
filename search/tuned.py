"""Tuned search settings, kept with an index, the previous ones beside them.

See docs/design.md#tuned-settings.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, Protocol

from elasticsearch import NotFoundError

from indexer.elastic import ElasticConfig, reachable
from search.errors import SearchError
from search.pipeline import SearchSettings

FILE = "search-settings.json"
PREVIOUS = "search-settings.previous.json"


@dataclass(frozen=True)
class Tuning:
    """How tuned settings were chosen (`prodsearch tune`), saved beside them."""

    metric: str
    score: float  # of the settings chosen
    default_score: float
    queries: int
    part: str  # of the judged queries
    index_version: str
    tuned_at: str  # ISO 8601, UTC
    p_value_against_defaults: float | None  # paired, the best setting against the defaults; None where undefined
    reranker: str | None = None  # the model `tune --reranker` chose rerank_depth and rerank_weight for
    rerank_score: float | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, record: dict[str, Any]) -> Tuning:
        """The tuning a saved record names; records without `reranker` came from `tune` without --reranker."""
        names = {field.name for field in fields(cls)}
        return cls(**{key: value for key, value in record.items() if key in names})


class SettingsStore(Protocol):
    def load(self) -> SearchSettings: ...

    def save(self, settings: SearchSettings, tuning: Tuning | None = None) -> str:
        """Keeps the current settings as the previous ones, then writes these; returns where."""
        ...

    def reset(self) -> bool:
        """Back to the defaults in code, the removed settings kept as the previous ones; True if any were set."""
        ...


def parse_settings(record: dict[str, Any], where: str, reset_command: str) -> SearchSettings:
    """The settings a record holds. Rerank depth and weight count only where `tune --reranker` chose them (the
    record names the reranker): before models chose their own, every tuning wrote the defaults of the day."""
    try:
        known = {f.name for f in fields(SearchSettings)}
        if record.get("reranker") is None:
            known -= {"rerank_depth", "rerank_weight"}
        return SearchSettings(**{key: value for key, value in record["settings"].items() if key in known})
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise SearchError(f"{where} is not valid tuned settings ({error}); fix it or run '{reset_command}'") from None


def record_of(settings: SearchSettings, tuning: Tuning | None) -> dict[str, Any]:
    """What a store keeps: the settings, and how they were chosen beside them (None: set by hand)."""
    return {"settings": asdict(settings), **(tuning.to_json() if tuning else {})}


class FileSettings:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.path = self.root / FILE

    def load(self) -> SearchSettings:
        if not self.path.is_file():
            return SearchSettings()
        reset = f"prodsearch tune {self.root} --reset"
        try:
            record = json.loads(self.path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as error:
            raise SearchError(f"{self.path} is not valid tuned settings ({error}); fix it or run '{reset}'") from None
        return parse_settings(record, str(self.path), reset)

    def save(self, settings: SearchSettings, tuning: Tuning | None = None) -> str:
        temporary = self.path.with_suffix(".tmp")
        record = record_of(settings, tuning)
        temporary.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        if self.path.exists():
            os.replace(self.path, self.root / PREVIOUS)
        os.replace(temporary, self.path)
        return str(self.path)

    def reset(self) -> bool:
        if not self.path.exists():
            return False
        os.replace(self.path, self.root / PREVIOUS)
        return True


class ElasticSettings:
    def __init__(self, config: ElasticConfig, alias: str) -> None:
        self.config = config
        self.alias = alias
        self.index = f"{alias}.settings"
        self.client = config.client()

    def read(self, name: str) -> dict[str, Any] | None:
        """The record kept as document `name` of the settings index, None where there is none."""
        try:
            with reachable(self.config):
                return self.client.get(index=self.index, id=name)["_source"]["record"]
        except NotFoundError:
            return None

    def stamp(self, names: tuple[str, ...]) -> tuple[tuple[int, int] | None, ...]:
        """(sequence number, primary term) of each document of `names`, None where there is none: a write changes
        it, and reading it costs no document body."""
        stamps = []
        with reachable(self.config):
            for name in names:
                try:
                    found = self.client.get(index=self.index, id=name, _source=False)
                    stamps.append((found["_seq_no"], found["_primary_term"]))
                except NotFoundError:
                    stamps.append(None)
        return tuple(stamps)

    def write(self, name: str, record: dict[str, Any] | None) -> None:
        with reachable(self.config):
            if not self.client.indices.exists(index=self.index):
                mappings = {"properties": {"record": {"type": "object", "enabled": False}}}
                self.client.indices.create(index=self.index, mappings=mappings)
            self.client.index(index=self.index, id=name, document={"record": record}, refresh="wait_for")

    def load(self) -> SearchSettings:
        record = self.read("current")
        if record is None:
            return SearchSettings()
        reset = f"prodsearch tune {self.alias} --backend elasticsearch --reset"
        return parse_settings(record, f"the document 'current' in {self.index}", reset)

    def save(self, settings: SearchSettings, tuning: Tuning | None = None) -> str:
        current = self.read("current")
        if current is not None:
            self.write("previous", current)
        self.write("current", record_of(settings, tuning))
        return f"{ElasticConfig.redacted(self.config.url)} index {self.index}"

    def reset(self) -> bool:
        current = self.read("current")
        if current is None:
            return False
        self.write("previous", current)
        with reachable(self.config):
            self.client.delete(index=self.index, id="current", refresh="wait_for")
        return True
