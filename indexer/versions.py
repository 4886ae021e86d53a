"""The index root: version directories side by side and an atomic pointer to the served one.

See docs/design.md#versions-and-the-current-pointer.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from indexer.errors import IndexNotFoundError, JobError

POINTER = "CURRENT"
VERSIONS = "versions"
_VERSION = re.compile(r"^v(\d{6})$")


class IndexRoot:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.versions = self.path / VERSIONS

    def current_name(self) -> str:
        pointer = self.path / POINTER
        try:
            name = pointer.read_text(encoding="utf-8").strip()
        except (FileNotFoundError, NotADirectoryError):
            raise IndexNotFoundError(
                f"no index at {self.path} ({pointer} is missing); "
                f"build one with 'prodsearch index build CATALOG --out {self.path}'"
            ) from None
        if not _VERSION.match(name) or not (self.versions / name).is_dir():
            raise IndexNotFoundError(f"{pointer} names {name!r}, which is not a version under {self.versions}")
        return name

    def current(self) -> Path:
        return self.versions / self.current_name()

    def names(self) -> list[str]:
        if not self.versions.is_dir():
            return []
        return sorted(entry.name for entry in self.versions.iterdir() if _VERSION.match(entry.name))

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Holds the writer lock; a second job fails at once instead of racing the first."""
        self.versions.mkdir(parents=True, exist_ok=True)
        with open(self.path / ".lock", "w") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise JobError(f"another indexing job is running on {self.path}; wait for it to finish") from None
            for leftover in self.versions.glob(".tmp-*"):  # killed jobs; nobody else can be writing now
                shutil.rmtree(leftover, ignore_errors=True)
            yield

    @contextmanager
    def staging(self, serve: bool = True) -> Iterator[tuple[str, Path]]:
        """(name, directory) for the next version; published only if the block completes, and served if `serve`."""
        names = self.names()
        number = int(_VERSION.match(names[-1]).group(1)) + 1 if names else 1
        name = f"v{number:06d}"
        work = Path(tempfile.mkdtemp(prefix=f".tmp-{name}-", dir=self.versions))
        work.chmod(0o755)  # mkdtemp makes it private; a served index is read by other users too
        try:
            yield name, work
            _fsync_tree(work)
            os.replace(work, self.versions / name)
            fsync_directory(self.versions)
            if serve:
                self.point_to(name)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise

    def point_to(self, name: str) -> None:
        if not (self.versions / name).is_dir():
            raise IndexNotFoundError(f"no version {name} under {self.versions}")
        temporary = self.path / f".{POINTER}.tmp"
        with open(temporary, "w", encoding="utf-8") as handle:
            handle.write(name + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self.path / POINTER)
        fsync_directory(self.path)

    def prune(self, keep: int) -> list[str]:
        """Deletes all but the newest `keep` versions, never the served one."""
        current = self.current_name()
        doomed = [name for name in self.names()[: -max(keep, 1)] if name != current]
        for name in doomed:
            # Renamed first, so a kill mid-delete leaves a .tmp leftover rather than half a version.
            trash = self.versions / f".tmp-pruned-{name}"
            os.replace(self.versions / name, trash)
            shutil.rmtree(trash)
        return doomed


def fsync_directory(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _fsync_tree(root: Path) -> None:
    for directory, _, files in os.walk(root):
        for name in files:
            with open(os.path.join(directory, name), "rb") as handle:
                os.fsync(handle.fileno())
        fsync_directory(Path(directory))
