"""Service configuration: defaults in code, then the environment (read once, by from_env), then flags."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from indexer.elastic import ElasticConfig
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
    elastic: ElasticConfig | None = None  # the cluster (ES_*) as from_env read it; None: read when the index opens
    reranker_dir: Path | None = None
    default_mode: str = "hybrid"
    reload_interval: float = 1.0  # seconds between looks at CURRENT, the tuned settings and the ranker
    search: SearchSettings | None = None  # None: the index's tuned settings, else the defaults in code
    # where searches and shoppers' events go: a SQLite path, a postgresql:// URL, or "off"; None: events_location()
    events_db: str | None = None
    events_key: str | None = field(default=None, repr=False)  # hashes session ids; None: events.privacy's default
    events_token: str | None = None  # what POST /api/events wants as its bearer token; None: it takes none
    analytics_token: str | None = None  # what /analytics wants (bearer, or a Basic password); None: the page is off
    admin_token: str | None = field(default=None, repr=False)  # what writes to /api/products want; None: no writes
    state_dir: Path | None = None  # where an alias's events go; None: state_dir() of the environment
    # also-viewed shows a pair of products once this many distinct sessions acted on both (web.also_viewed)
    also_viewed_min_sessions: int = 5

    def __post_init__(self) -> None:
        # a token from an environment file may end in a newline; a short one is guessed
        for name in ("events_token", "analytics_token", "admin_token"):
            token = getattr(self, name)
            if token is None:
                continue
            object.__setattr__(self, name, token.strip())
            if len(token.strip()) < MIN_TOKEN:
                hint = "use a long random string"
                raise ConfigError(f"{PREFIX}{name.upper()} must be at least {MIN_TOKEN} characters; {hint}")
        if self.also_viewed_min_sessions < 1:
            raise _too_few_sessions(str(self.also_viewed_min_sessions))

    def events_location(self) -> str | None:
        """The events database: as configured, else INDEX/events.sqlite beside the index's versions (for an
        Elasticsearch alias, ALIAS-events.sqlite in the state directory); None when events are off."""
        if self.events_db is not None:
            return None if self.events_db.lower() == "off" else self.events_db
        if self.backend == "elasticsearch":
            state = self.state_dir or state_dir(os.environ)
            state.mkdir(parents=True, exist_ok=True)
            return str(state / f"{self.index}-events.sqlite")
        return str(Path(self.index) / "events.sqlite")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> ServiceConfig:
        """The environment, read once at start-up: PRODSEARCH_<FIELD> for the fields in FROM_ENV, and for an
        Elasticsearch alias ES_* and XDG_STATE_HOME; `overrides` (the command's flags) win where not None."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for name in FROM_ENV:
            if raw := environ.get(PREFIX + name.upper()):
                values[name] = PARSERS.get(name, str)(raw)
        values.update({key: value for key, value in overrides.items() if value is not None})
        if "index" not in values:
            raise ConfigError(f"no index: pass one to 'prodsearch serve INDEX' or set {PREFIX}INDEX")
        if values.get("backend") == "elasticsearch":
            values["elastic"] = ElasticConfig.from_env(environ, url=values.get("es_url"))
            values["state_dir"] = state_dir(environ)
        known = {f.name for f in fields(cls)}
        return cls(**{key: value for key, value in values.items() if key in known})

    def location(self) -> IndexLocation:
        if self.backend == "elasticsearch" and self.elastic is not None:
            return IndexLocation(self.index, self.elastic)
        return IndexLocation.of(self.index, self.backend, self.es_url)


@dataclass(frozen=True)
class ServerLimits:
    """What one `prodsearch serve` process takes on at once, and how long it waits for a client.

    See docs/design.md#server-limits.
    """

    connections: int = 1000
    idle_timeout: float = 15.0  # seconds a connection may send and receive nothing, mid-request or between requests
    header_bytes: int = 64 * 1024  # request line and headers: every bounded parameter at its longest fits; else 431
    body_bytes: int = 1024 * 1024  # POST /api/events: 1,000 events with every field at its longest fit; 413 beyond
    write_body_bytes: int = 32 * 1024 * 1024  # with writes on: a batch of products (web.documents), nothing else
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


def state_dir(environ: Mapping[str, str]) -> Path:
    """prodsearch's folder in XDG_STATE_HOME, by default ~/.local/state."""
    return Path(environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state") / "prodsearch"


def _seconds(raw: str) -> float:
    try:
        seconds = float(raw)
    except ValueError:
        seconds = -1.0
    if not seconds > 0:
        raise ConfigError(f"{PREFIX}RELOAD_INTERVAL must be seconds above 0, got {raw!r}")
    return seconds


def _sessions(raw: str) -> int:
    try:
        return int(raw)  # ServiceConfig refuses one below 1
    except ValueError:
        raise _too_few_sessions(raw) from None


def _too_few_sessions(raw: str) -> ConfigError:
    # 1 is allowed, though a pair seen in one session shows that one shopper's trail; the default is 5
    return ConfigError(f"{PREFIX}ALSO_VIEWED_MIN_SESSIONS must be a whole number of sessions, 1 or more, got {raw!r}")


PREFIX = "PRODSEARCH_"
# the fields the environment sets, as PREFIX + the field's name in capitals; each read as a string unless parsed
FROM_ENV = (
    "index",
    "backend",
    "reranker_dir",
    "default_mode",
    "reload_interval",
    "events_db",
    "events_key",
    "events_token",
    "analytics_token",
    "admin_token",
    "also_viewed_min_sessions",
)
PARSERS: dict[str, Callable[[str], Any]] = {
    "reload_interval": _seconds,
    "reranker_dir": Path,
    "also_viewed_min_sessions": _sessions,
}
