"""manifest.json: what a version directory holds, written last so its presence means complete.

See docs/design.md#manifest-checksums-and-loading.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from indexer.errors import IndexFormatError

FILE = "manifest.json"
FORMAT_VERSION = 3
READABLE_FORMATS = (1, 2, 3)  # 1: no per-file checksums; 3: rows of deleted products may stay (see `rows`)


@dataclass(frozen=True)
class Manifest:
    version: str
    job: str  # "build" or "update"
    parent: str | None
    created_at: str
    build_seconds: float
    products: int
    encoder: str
    encoder_sha256: str
    dimension: int
    dense_kind: str
    catalogue: str
    catalogue_sha256: str
    store_sha256: str
    settings: dict[str, Any]
    changes: dict[str, int] = field(default_factory=dict)
    checksums: dict[str, str] = field(default_factory=dict)  # path inside the version -> sha256; {} in format 1
    live_sequence: int = 0  # the last live change (indexer.changelog) this version holds; later ones replay on it
    rows: int = 0  # rows of the store and dense index, deleted products' included (0: as many as products)
    format_version: int = FORMAT_VERSION

    def write(self, directory: Path) -> None:
        path = directory / FILE
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(asdict(self), handle, indent=2, sort_keys=True)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())

    @classmethod
    def read(cls, directory: Path) -> Manifest:
        path = directory / FILE
        if not path.is_file():
            raise IndexFormatError(f"{path} is missing: {directory} is not a complete index version")
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise IndexFormatError(f"{path} is not valid JSON ({error}); rebuild the index") from None
        if not isinstance(record, dict):
            raise IndexFormatError(f"{path} is not a JSON object; rebuild the index")
        if record.get("format_version") not in READABLE_FORMATS:
            raise IndexFormatError(
                f"{path} has format version {record.get('format_version')!r}, this prodsearch reads "
                f"{', '.join(map(str, READABLE_FORMATS[:-1]))} and {READABLE_FORMATS[-1]}; "
                "rebuild the index with this version"
            )
        names = {f.name for f in fields(cls)}
        optional = {"live_sequence", "rows"} | ({"checksums"} if record["format_version"] == 1 else set())
        missing = sorted(names - optional - record.keys())
        if missing:
            raise IndexFormatError(f"{path} lacks {', '.join(missing)}; rebuild the index")
        return cls(**{key: value for key, value in record.items() if key in names})

    @property
    def row_count(self) -> int:
        return self.rows or self.products

    def check_count(self, path: Path, count: int, rows: bool = False) -> None:
        """Refuses a part holding another number of products (or of rows, deleted products' included)."""
        expected, what = (self.row_count, "rows") if rows else (self.products, "products")
        if count != expected:
            raise IndexFormatError(
                f"{path} holds {count} {what} but {self.version}/{FILE} says {expected}; "
                "the version is damaged: rebuild it or switch to another version"
            )
