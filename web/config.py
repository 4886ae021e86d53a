"""Service configuration: defaults in code, then PRODSEARCH_* environment variables, then flags."""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from search.indexes import IndexLocation
from search.pipeline import SearchSettings

MIN_TOKEN = 16  # characters of a token that guards shoppers' data (events in, analytics out)


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
    search: SearchSettings | None = None  # None: the index's tuned settings, else the defaults in code
    # where searches and shoppers' events go: a SQLite path, a postgresql:// URL, or "off"; None: events_location()
    events_db: str | None = None
    events_token: str | None = None  # what POST /api/events wants as its bearer token; None: it takes none
    analytics_token: str | None = None  # what /analytics wants (bearer, or a Basic password); None: the page is off

    def __post_init__(self) -> None:
        # a token from an environment file may end in a newline; a short one is guessed
        for name in ("events_token", "analytics_token"):
            token = getattr(self, name)
            if token is None:
                continue
            object.__setattr__(self, name, token.strip())
            if len(token.strip()) < MIN_TOKEN:
                hint = "use a long random string"
                raise ConfigError(f"PRODSEARCH_{name.upper()} must be at least {MIN_TOKEN} characters; {hint}")

    def events_location(self) -> str | None:
        """The events database: as configured, else INDEX/events.sqlite beside the index's versions (for an
        Elasticsearch alias, ALIAS-events.sqlite in ~/.local/state/prodsearch); None when events are off."""
        if self.events_db is not None:
            return None if self.events_db.lower() == "off" else self.events_db
        if self.backend == "elasticsearch":
            state = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state") / "prodsearch"
            state.mkdir(parents=True, exist_ok=True)
            return str(state / f"{self.index}-events.sqlite")
        return str(Path(self.index) / "events.sqlite")

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: Any) -> ServiceConfig:
        """PRODSEARCH_INDEX, _BACKEND, _RERANKER_DIR, _DEFAULT_MODE, _RELOAD_INTERVAL, _EVENTS_DB, _EVENTS_TOKEN,
        _ANALYTICS_TOKEN (and ES_* for the cluster)."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        names = (
            "index",
            "backend",
            "reranker_dir",
            "default_mode",
            "reload_interval",
            "events_db",
            "events_token",
            "analytics_token",
        )
        for name in names:
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

    def with_tuned_settings(self) -> ServiceConfig:
        """Search settings as given, else those tuned for the index (`prodsearch tune`), else the defaults."""
        return self if self.search is not None else replace(self, search=self.location().settings().load())


@dataclass(frozen=True)
class ServerLimits:
    """What one `prodsearch serve` process takes on at once, and how long it waits for a client (docs/performance.md).

    An idle connection costs a few kilobytes and no thread, so the limit is high and idle ones are closed soon; a
    connection beyond the limit is answered 503 with Retry-After at once rather than left waiting in the backlog."""

    connections: int = 1000
    idle_timeout: float = 15.0  # seconds a connection may send and receive nothing, mid-request or between requests
    header_bytes: int = 64 * 1024  # request line and headers: every bounded parameter at its longest fits; else 431
    body_bytes: int = 1024 * 1024  # POST /api/events: 1,000 events with every field at its longest fit; 413 beyond
    retry_after: int = 1  # seconds a client refused at the limit is asked to wait

    def waitress(self) -> dict[str, Any]:
        """The limits as waitress adjustments; `spare` connections past the limit are accepted only to be refused."""
        return {
            "connection_limit": self.connections + SPARE_CONNECTIONS,
            "channel_timeout": self.idle_timeout,
            "cleanup_interval": min(1.0, self.idle_timeout),  # how often idle connections are looked for
            "max_request_header_size": self.header_bytes,
            "max_request_body_size": self.body_bytes,
            "asyncore_use_poll": True,  # select() cannot watch file descriptors above 1023
        }


# connections past the limit that are accepted to be told 503; past these too, waitress stops accepting
SPARE_CONNECTIONS = 100


def _seconds(raw: str) -> float:
    try:
        seconds = float(raw)
    except ValueError:
        seconds = -1.0
    if not seconds > 0:
        raise ConfigError(f"PRODSEARCH_RELOAD_INTERVAL must be seconds above 0, got {raw!r}")
    return seconds
