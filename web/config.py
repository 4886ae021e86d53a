"""Service configuration: defaults in code, then PRODSEARCH_* environment variables, then flags."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from search.pipeline import SearchSettings


@dataclass(frozen=True)
class ServiceConfig:
    index_dir: Path
    reranker_dir: Path | None = None
    default_mode: str = "hybrid"
    reload_interval: float = 1.0  # seconds between looks at the index's CURRENT pointer
    search: SearchSettings = field(default_factory=SearchSettings)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: Any) -> ServiceConfig:
        """PRODSEARCH_INDEX_DIR, PRODSEARCH_RERANKER_DIR, PRODSEARCH_DEFAULT_MODE, PRODSEARCH_RELOAD_INTERVAL."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for name in ("index_dir", "reranker_dir", "default_mode", "reload_interval"):
            raw = environ.get(f"PRODSEARCH_{name.upper()}")
            if raw:
                values[name] = float(raw) if name == "reload_interval" else Path(raw) if name.endswith("_dir") else raw
        values.update({key: value for key, value in overrides.items() if value is not None})
        if "index_dir" not in values:
            raise ValueError("no index directory: pass one to 'prodsearch serve DIR' or set PRODSEARCH_INDEX_DIR")
        known = {f.name for f in fields(cls)}
        return cls(**{key: value for key, value in values.items() if key in known})

    def with_search(self, settings: SearchSettings) -> ServiceConfig:
        return replace(self, search=settings)
