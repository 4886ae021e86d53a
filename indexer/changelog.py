"""The live write-ahead log: each write is a framed record appended and fsync'd before it is acknowledged.

See docs/design.md#the-live-write-ahead-log.
"""

from __future__ import annotations

import json
import logging
import os
import re
import struct
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from indexer.errors import IndexerError, JobError
from indexer.products import Product
from indexer.versions import fsync_directory

log = logging.getLogger(__name__)

DIRECTORY = "live"  # under the index root, beside versions/
FRAME = struct.Struct("<II")  # payload length, crc32 of the payload
MAX_RECORD = 256 * 1024 * 1024  # a length above this is a torn or damaged header, not a record
SEGMENT_BYTES = 64 * 1024 * 1024  # a segment is closed past this size and a new one begun
_SEGMENT = re.compile(r"^changes-(\d{12})\.log$")


class LogFull(JobError):
    """The log could not store a write (disk full, no permission); nothing of it was acknowledged."""


@dataclass(frozen=True)
class Change:
    """One acknowledged write: products upserted whole and ids deleted, under one sequence number."""

    sequence: int
    upserts: tuple[Product, ...] = ()
    deletes: tuple[str, ...] = ()
    at: str = ""

    def to_bytes(self) -> bytes:
        record = {
            "sequence": self.sequence,
            "at": self.at,
            "upserts": [product.to_record() for product in self.upserts],
            "deletes": list(self.deletes),
        }
        return json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    @classmethod
    def from_bytes(cls, data: bytes) -> Change:
        record = json.loads(data.decode("utf-8"))
        upserts = tuple(Product.from_record(item) for item in record["upserts"])
        return cls(int(record["sequence"]), upserts, tuple(record["deletes"]), record.get("at", ""))


@dataclass(frozen=True)
class Position:
    """Where a reader of the log has read to: a segment and the byte offset after its last whole record."""

    segment: int = 0  # the first sequence number of the segment (its name); 0: before the first segment
    offset: int = 0


class ChangeLog:
    """The segments of ROOT/live, read by every process that serves the index and appended to by one writer."""

    def __init__(self, root: Path) -> None:
        self.directory = Path(root) / DIRECTORY
        self.last = 0  # the last sequence number written or read
        self._handle = None  # the open segment of the writer

    def segments(self) -> list[int]:
        if not self.directory.is_dir():
            return []
        return sorted(
            int(match.group(1)) for entry in self.directory.iterdir() if (match := _SEGMENT.match(entry.name))
        )

    def path(self, segment: int) -> Path:
        return self.directory / f"changes-{segment:012d}.log"

    def read(self, after: int = 0, position: Position = Position()) -> tuple[list[Change], Position]:
        """The whole records past `position` with a sequence above `after`, and where reading stopped. A torn
        or damaged record ends the reading: the writer drops it when it opens the log (`open_for_writing`)."""
        changes: list[Change] = []
        for segment in self.segments():
            if segment < position.segment:
                continue
            offset = position.offset if segment == position.segment else 0
            self.last = max(self.last, segment - 1)  # its name: the sequence after the last of dropped segments
            for change, end in self._records(segment, offset):
                offset = end
                if change.sequence > after:
                    changes.append(change)
                self.last = max(self.last, change.sequence)
            position = Position(segment, offset)
        return changes, position

    def _records(self, segment: int, offset: int) -> Iterator[tuple[Change, int]]:
        with open(self.path(segment), "rb") as handle:
            handle.seek(offset)
            data = handle.read()
        at = 0
        while at + FRAME.size <= len(data):
            length, checksum = FRAME.unpack_from(data, at)
            payload = data[at + FRAME.size : at + FRAME.size + length]
            if length > MAX_RECORD or len(payload) < length or zlib.crc32(payload) != checksum:
                return
            try:
                change = Change.from_bytes(payload)
            except (ValueError, KeyError, TypeError) as error:
                log.error(
                    "%s at byte %d holds a record that is not a change (%s)", self.path(segment), offset + at, error
                )
                return
            at += FRAME.size + length
            yield change, offset + at

    def open_for_writing(self) -> list[Change]:
        """Opens the newest segment for appending, after dropping a torn tail (logged), and returns every whole
        change the log holds. Only the process holding the live writer lock may call it."""
        self.directory.mkdir(parents=True, exist_ok=True)
        changes, position = self.read()
        if position.segment:
            path = self.path(position.segment)
            size = path.stat().st_size
            if size > position.offset:
                log.warning(
                    "%s: dropped a torn or damaged tail of %d bytes after the last whole change (%d); "
                    "it was never acknowledged",
                    path,
                    size - position.offset,
                    self.last,
                )
                with open(path, "r+b") as handle:
                    handle.truncate(position.offset)
                    os.fsync(handle.fileno())
        self._open_segment(position.segment or self.last + 1)
        return changes

    def _open_segment(self, segment: int) -> None:
        if self._handle is not None:
            self._handle.close()
        self._handle = open(self.path(segment), "ab")  # noqa: SIM115 (open while this process writes)
        fsync_directory(self.directory)

    def append(self, upserts: Sequence[Product], deletes: Sequence[str]) -> Change:
        """Writes one change and fsyncs it; returns it once it is on disk. On any failure the segment is cut
        back to where it was, and LogFull says what failed: nothing of the write is kept."""
        if self._handle is None:
            raise IndexerError("the change log is not open for writing; call open_for_writing first")
        at = datetime.now(UTC).isoformat(timespec="milliseconds")
        change = Change(self.last + 1, tuple(upserts), tuple(deletes), at)
        payload = change.to_bytes()
        handle = self._handle
        start = handle.tell()
        try:
            handle.write(FRAME.pack(len(payload), zlib.crc32(payload)) + payload)
            handle.flush()
            os.fsync(handle.fileno())
        except OSError as error:
            self._cut(start)
            raise LogFull(
                f"the write was not stored: {error.strerror or error} ({self.directory}); free space "
                "or fix the permissions, then send it again"
            ) from None
        self.last = change.sequence
        if handle.tell() > SEGMENT_BYTES:
            self._open_segment(self.last + 1)
        return change

    def _cut(self, size: int) -> None:
        """Cuts the open segment back to `size` bytes after a failed append (a partial record would be torn)."""
        handle = self._handle
        try:
            handle.truncate(size)
            handle.seek(size)
            os.fsync(handle.fileno())
        except OSError as error:  # then the tail is torn on disk, and dropped when the log is next opened
            log.error("could not cut %s back after a failed write: %s", handle.name, error)
        handle.close()
        self._handle = open(handle.name, "ab")  # noqa: SIM115

    def roll(self) -> None:
        """Starts a new segment, so the changes up to now can be dropped once folded into kept versions."""
        if self._handle is not None and self._handle.tell() > 0:
            self._open_segment(self.last + 1)

    def drop_through(self, sequence: int) -> list[Path]:
        """Deletes the segments whose every change is at or below `sequence` (folded into every kept version)."""
        segments = self.segments()
        dropped = []
        for segment, following in zip(segments, segments[1:], strict=False):
            if following - 1 <= sequence:
                self.path(segment).unlink()
                dropped.append(self.path(segment))
        return dropped

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None
