"""Service configuration: defaults in code, then PRODSEARCH_* environment variables, then flags."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from search.indexes import IndexLocation
from search.pipeline import SearchSettings


class ConfigError(ValueError):
    """A service setting that is missing or malformed; the message names the variable or flag."""


@dataclass(frozen=True)
class ServiceConfig:
    index: str  # an index directory, or an Elasticsearch alias with backend "elasticsearch"
    backend: str = "embedded"
    es_url: str | None = None  # default: ES_URL
    reranker_dir: Path | None = None
    default_mode: str = "hybrid"
    reload_interval: float = 1.0  # seconds between looks at the index's CURRENT pointer
    search: SearchSettings = field(default_factory=SearchSettings)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: Any) -> ServiceConfig:
        """PRODSEARCH_INDEX, _BACKEND, _RERANKER_DIR, _DEFAULT_MODE, _RELOAD_INTERVAL (and ES_* for the cluster)."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for name in ("index", "backend", "reranker_dir", "default_mode", "reload_interval"):
            raw = environ.get(f"PRODSEARCH_{name.upper()}")
            if raw:
                values[name] = (
                    _seconds(raw) if name == "reload_interval" else Path(raw) if name.endswith("_dir") else raw
                )
        values.update({key: value for key, value in overrides.items() if value is not None})
        if "index" not in values:
            raise ConfigError("no index: pass one to 'prodsearch serve INDEX' or set PRODSEARCH_INDEX")
        known = {f.name for f in fields(cls)}
        return cls(**{key: value for key, value in values.items() if key in known})

    def location(self) -> IndexLocation:
        return IndexLocation.of(self.index, self.backend, self.es_url)

    def with_search(self, settings: SearchSettings) -> ServiceConfig:
        return replace(self, search=settings)


def _seconds(raw: str) -> float:
    try:
        seconds = float(raw)
    except ValueError:
        seconds = -1.0
    if not seconds > 0:
        raise ConfigError(f"PRODSEARCH_RELOAD_INTERVAL must be seconds above 0, got {raw!r}")
    return seconds
