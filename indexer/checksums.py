"""Checksums of a version's files: written into the manifest by the job, checked before a part is loaded.

See docs/design.md#manifest-checksums-and-loading.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from pathlib import Path

from indexer.errors import IndexFormatError
from indexer.manifest import FILE as MANIFEST

_LEFT_OUT = (".tantivy-meta.lock", ".tantivy-writer.lock", ".managed.json")
DAMAGED = "the version is damaged: rebuild it, or write the name of another version into the index's CURRENT"


def file_sha256(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def version_checksums(directory: Path) -> dict[str, str]:
    """sha256 of every file of a version directory, by its path inside it, in a stable order."""
    checksums = {}
    for path in sorted(directory.rglob("*")):
        if path.is_file() and path.name not in _LEFT_OUT and path.relative_to(directory).as_posix() != MANIFEST:
            checksums[path.relative_to(directory).as_posix()] = file_sha256(path)
    return checksums


def verify(directory: Path, checksums: Mapping[str, str], names: Iterable[str]) -> None:
    """Refuses the first of `names` (paths inside the version) whose content is not what the manifest says."""
    for name in names:
        path = directory / name
        try:
            actual = file_sha256(path)
        except FileNotFoundError:
            raise IndexFormatError(f"{path} is missing, though {directory / MANIFEST} lists it; {DAMAGED}") from None
        check(directory, name, actual, checksums[name])


def check(directory: Path, name: str, actual: str, expected: str) -> None:
    if actual != expected:
        raise IndexFormatError(
            f"{directory / name} has sha256 {actual[:12]}, but {directory / MANIFEST} says {expected[:12]}: "
            f"the file changed after the version was written (disk damage or an edit); {DAMAGED}"
        )
