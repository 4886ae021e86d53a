"""Tuned search settings, kept with an index, the previous ones beside them.

An index directory keeps them in ROOT/search-settings.json (previous: search-settings.previous.json);
an Elasticsearch alias ALIAS in the documents `current` and `previous` of the index ALIAS.settings.
`serve`, `search` and `eval` start from them when present, so a tuning applies to every version of
the index; `prodsearch tune --reset` goes back to the defaults in code.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any, Protocol

from elasticsearch import NotFoundError

from indexer.elastic import ElasticConfig, reachable
from search.errors import SearchError
from search.pipeline import SearchSettings

FILE = "search-settings.json"
PREVIOUS = "search-settings.previous.json"


class SettingsStore(Protocol):
    def load(self) -> SearchSettings: ...

    def save(self, settings: SearchSettings, provenance: dict[str, Any]) -> str:
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
        if "reranker" not in record:
            known -= {"rerank_depth", "rerank_weight"}
        return SearchSettings(**{key: value for key, value in record["settings"].items() if key in known})
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise SearchError(f"{where} is not valid tuned settings ({error}); fix it or run '{reset_command}'") from None


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

    def save(self, settings: SearchSettings, provenance: dict[str, Any]) -> str:
        temporary = self.path.with_suffix(".tmp")
        record = {"settings": asdict(settings), **provenance}
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

    def _get(self, name: str) -> dict[str, Any] | None:
        try:
            with reachable(self.config):
                return self.client.get(index=self.index, id=name)["_source"]["record"]
        except NotFoundError:
            return None

    def _put(self, name: str, record: dict[str, Any] | None) -> None:
        with reachable(self.config):
            if not self.client.indices.exists(index=self.index):
                mappings = {"properties": {"record": {"type": "object", "enabled": False}}}
                self.client.indices.create(index=self.index, mappings=mappings)
            self.client.index(index=self.index, id=name, document={"record": record}, refresh="wait_for")

    def load(self) -> SearchSettings:
        record = self._get("current")
        if record is None:
            return SearchSettings()
        reset = f"prodsearch tune {self.alias} --backend elasticsearch --reset"
        return parse_settings(record, f"the document 'current' in {self.index}", reset)

    def save(self, settings: SearchSettings, provenance: dict[str, Any]) -> str:
        current = self._get("current")
        if current is not None:
            self._put("previous", current)
        self._put("current", {"settings": asdict(settings), **provenance})
        return f"{ElasticConfig.redacted(self.config.url)} index {self.index}"

    def reset(self) -> bool:
        current = self._get("current")
        if current is None:
            return False
        self._put("previous", current)
        with reachable(self.config):
            self.client.delete(index=self.index, id="current", refresh="wait_for")
        return True
