"""Build settings: defaults in code, overridden by the command line, recorded in every manifest."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

from indexer.dense import DenseSettings
from indexer.keyword import KeywordSettings
from models import DEFAULT_ENCODER


@dataclass(frozen=True)
class BuildSettings:
    encoder: str = DEFAULT_ENCODER
    batch_size: int = 8
    keep_versions: int = 3
    dense: DenseSettings = field(default_factory=DenseSettings)
    keyword: KeywordSettings = field(default_factory=KeywordSettings)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, record: dict[str, Any]) -> BuildSettings:
        record = dict(record)
        dense = DenseSettings(**record.pop("dense", {}))
        keyword = KeywordSettings(**record.pop("keyword", {}))
        return cls(**record, dense=dense, keyword=keyword)

    def with_overrides(self, **overrides: Any) -> BuildSettings:
        """These settings with every override that is not None (flags the user did not give)."""
        given = {key: value for key, value in overrides.items() if value is not None}
        dense = {key.removeprefix("dense_"): given.pop(key) for key in list(given) if key.startswith("dense_")}
        return replace(self, **given, dense=replace(self.dense, **dense))
