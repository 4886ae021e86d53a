"""Build settings: defaults in code, overridden by the command line, recorded in every manifest."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from indexer.analysis import AUTO, check_language, detect_language
from indexer.dense import DenseSettings
from indexer.keyword import KeywordSettings
from models.encoders import DEFAULT_ENCODERS, encoder_reference


@dataclass(frozen=True)
class BuildSettings:
    language: str = AUTO  # en, zh, or auto: from the catalogue's share of Chinese characters
    encoder: str | None = None  # None: the language's default, models.encoders.DEFAULT_ENCODERS
    batch_size: int = 8
    keep_versions: int = 3
    dense: DenseSettings = field(default_factory=DenseSettings)
    keyword: KeywordSettings = field(default_factory=KeywordSettings)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, record: dict[str, Any]) -> BuildSettings:
        record = {"language": "en", **record}  # manifests from before languages were English
        dense = DenseSettings(**record.pop("dense", {}))
        keyword = KeywordSettings(**{"language": record["language"], **record.pop("keyword", {})})
        return cls(**record, dense=dense, keyword=keyword)

    def for_catalogue(self, texts: Iterable[str]) -> BuildSettings:
        """These settings with the language decided, from the catalogue's texts when it is `auto`, and the
        encoder, the language's default unless one was chosen (a model directory by its absolute path)."""
        language = check_language(self.language)
        if language == AUTO:
            language = detect_language(texts)
        encoder = encoder_reference(self.encoder or DEFAULT_ENCODERS[language])
        return replace(self, language=language, encoder=encoder, keyword=replace(self.keyword, language=language))

    def with_overrides(self, **overrides: Any) -> BuildSettings:
        """These settings with every override that is not None (flags the user did not give)."""
        given = {key: value for key, value in overrides.items() if value is not None}
        dense = {key.removeprefix("dense_"): given.pop(key) for key in list(given) if key.startswith("dense_")}
        return replace(self, **given, dense=replace(self.dense, **dense))
