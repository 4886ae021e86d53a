"""Experiments on live traffic, as the shop's settings keep them: what arm B runs, and which sessions take part
in which arm. See docs/design.md#experiments.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import fields, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from search.errors import ResourceError, SearchError, validated
from search.ranking import Ranking
from search.request import MODES, SearchRequest, SearchSettings

METHODS = ("interleave", "ab")
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
SETTINGS_FIELDS = {item.name for item in fields(SearchSettings)}


class Arm(BaseModel):
    """What one side of an experiment searches with; every part left out is the service's own."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    label: str = Field(default="served", max_length=200)  # as it was named: a mode, or the settings file
    mode: Literal[MODES] | None = None  # None: the service's default mode
    search: dict[str, Any] = Field(default_factory=dict)  # SearchSettings fields, as `prodsearch tune` writes them
    ranking: Ranking | None = None  # the fields it names change the shop's business ranking; None: the shop's

    @field_validator("search")
    @classmethod
    def _settings(cls, value: dict[str, Any]) -> dict[str, Any]:
        if "spelling" in value:
            raise ValueError("spelling is the service's, built with its index; compare it with --b a mode instead")
        unknown = sorted(set(value) - SETTINGS_FIELDS)
        if unknown:
            raise ValueError(f"unknown search settings {', '.join(unknown)}; use {', '.join(sorted(SETTINGS_FIELDS))}")
        try:
            SearchSettings(**value)
        except (SearchError, TypeError) as error:
            raise ValueError(str(error)) from None
        return value

    def settings(self, settings: SearchSettings) -> SearchSettings:
        """The service's search settings as this arm changes them."""
        return replace(settings, **self.search) if self.search else settings

    def request(self, request: SearchRequest, shop: Ranking) -> SearchRequest:
        """`request` as this arm runs it: its ranking is the request's (else the shop's `shop`) with the fields the
        arm names changed, so that B differs from what is served only where it says."""
        ranking = request.ranking
        if self.ranking is not None:
            named = {name: getattr(self.ranking, name) for name in self.ranking.model_fields_set}
            ranking = Ranking.model_validate((ranking or shop).model_dump() | named)
        return replace(request, mode=self.mode or request.mode, ranking=ranking)


def arm_of(named: str) -> Arm:
    """A mode (bm25, dense, hybrid, rerank), or a JSON settings file: {"mode", "search": {...}, "ranking": {...}}."""
    if named in MODES:
        return Arm(label=named, mode=named)
    path = Path(named)
    if not path.is_file():
        raise ResourceError("b", f"{named!r} is neither a mode ({', '.join(MODES)}) nor a settings file")
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as error:
        raise ResourceError("b", f"{named} is not JSON ({error})") from None
    if not isinstance(record, dict):
        raise ResourceError("b", f'{named}: give a JSON object such as {{"mode": "rerank", "search": {{...}}}}')
    return validated(Arm, {"label": path.name} | record, named)


class Experiment(BaseModel):
    """One experiment: arm A is what the service serves, arm B differs as `b` says."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=NAME.pattern)
    method: Literal[METHODS] = "interleave"
    traffic: float = Field(default=0.5, gt=0, le=1, allow_inf_nan=False)  # the share of sessions taking part
    # the sessions to decide at, fixed before it starts: looking every day and stopping at the first p < 0.05 would
    # declare winners that are not; None: the report declares one whenever p < 0.05, and says so
    sessions: int | None = Field(default=None, ge=10, le=100_000_000)
    b: Arm
    started_at: str
    stopped_at: str | None = None

    @field_validator("started_at", "stopped_at")
    @classmethod
    def _moment(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                datetime.fromisoformat(value)
            except ValueError:
                raise ValueError(f"{value[:40]!r} is not an ISO 8601 time such as 2026-12-07T09:30:00+00:00") from None
        return value

    @property
    def id(self) -> str:  # as the shop's other settings are keyed
        return self.name

    @property
    def started_ms(self) -> int:
        """When it started, as the events log keeps time (a name deleted and used again counts anew)."""
        return int(datetime.fromisoformat(self.started_at).timestamp() * 1000)

    @property
    def running(self) -> bool:
        return self.stopped_at is None

    def arm(self, session: str | None) -> str | None:
        """The arm a session is in ("a", "b", or "interleaved"), the same on every search; None: not taking part.
        Without a session id a shopper cannot be followed from search to click, so takes no part."""
        if not session or unit(f"{self.name}\x00{session}") >= self.traffic:
            return None
        if self.method == "interleave":
            return "interleaved"
        return "b" if unit(f"{self.name}\x01{session}") < 0.5 else "a"

    def to_json(self) -> dict[str, Any]:
        # unset fields stay out: an arm's ranking names only what it changes, and must read back so
        return self.model_dump(mode="json", exclude_unset=True)

    @classmethod
    def from_json(cls, record: Any) -> Experiment:
        return validated(cls, record, "experiment")


def unit(text: str) -> float:
    """A number in [0, 1) that the text alone decides, spread evenly."""
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big") / 2**64
