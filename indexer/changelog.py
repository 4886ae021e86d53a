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


class LogCut(IndexerError):
    """The log is shorter than where a reader had read to: a write that failed was cut off after it was read."""


class ChangeLog:
    """The segments of ROOT/live, read by every process that serves the index and appended to by one writer."""

    def __init__(self, root: Path) -> None:
        self.directory = Path(root) / DIRECTORY
        self.seen = 0  # the last sequence number read
        self.appended = 0  # the writer's: the last sequence number on disk (fsync'd)
        self._fd: int | None = None  # the writer's open segment, unbuffered: a failed write leaves nothing behind
        self._segment = 0
        self._size = 0  # bytes of the open segment that are on disk
        self._broken = ""  # why the writer takes no more writes (a failed write could not be cut off)

    @property
    def last(self) -> int:
        """The last sequence number this process knows is in the log."""
        return max(self.seen, self.appended)

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
        or damaged record ends the reading; in the writer, so does the end of what is fsync'd. LogCut: see it."""
        changes: list[Change] = []
        seen = self.seen
        for segment in self.segments():
            if segment < position.segment:
                continue
            offset = position.offset if segment == position.segment else 0
            seen = max(seen, segment - 1)  # its name: the sequence after the last of dropped segments
            end = self._size if self._fd is not None and segment == self._segment else None
            for change, at in self._records(segment, offset, end):
                offset = at
                if change.sequence > after:
                    changes.append(change)
                seen = max(seen, change.sequence)
            position = Position(segment, offset)
        self.seen = seen
        return changes, position

    def _records(self, segment: int, offset: int, end: int | None) -> Iterator[tuple[Change, int]]:
        with open(self.path(segment), "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if offset > size:
                raise LogCut(f"{self.path(segment)} is {size} bytes, shorter than the {offset} read: a write was cut")
            handle.seek(offset)
            data = handle.read() if end is None else handle.read(max(end - offset, 0))
        at = 0
        while at + FRAME.size <= len(data):
            length, checksum = FRAME.unpack_from(data, at)
            payload = data[at + FRAME.size : at + FRAME.size + length]
            if length > MAX_RECORD or len(payload) < length or zlib.crc32(payload) != checksum:
                return
            try:
                change = Change.from_bytes(payload)
            except (ValueError, KeyError, TypeError) as error:
                where = f"{self.path(segment)} at byte {offset + at}"
                log.error("%s holds a record that is not a change (%s)", where, error)
                return
            at += FRAME.size + length
            yield change, offset + at

    def open_for_writing(self, floor: int = 0) -> list[Change]:
        """Opens the newest segment for appending, after dropping a torn tail (logged), and returns every whole
        change the log holds; numbering goes on above `floor` (the versions' live_sequence) too. Only the process
        holding the live writer lock may call it."""
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
                    self.seen,
                )
                with open(path, "r+b") as handle:
                    handle.truncate(position.offset)
                    os.fsync(handle.fileno())
        self.appended = max(self.seen, floor)
        self._open_segment(position.segment if position.segment and self.appended == self.seen else self.appended + 1)
        return changes

    def _open_segment(self, segment: int) -> None:
        fd = os.open(self.path(segment), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        fsync_directory(self.directory)
        if self._fd is not None:
            os.close(self._fd)
        self._fd, self._segment, self._size = fd, segment, os.fstat(fd).st_size

    def append(self, upserts: Sequence[Product], deletes: Sequence[str]) -> Change:
        """Writes one change and fsyncs it; returns it once it is on disk. On any failure the segment is cut
        back to where it was, and LogFull says what failed: nothing of the write is kept."""
        if self._fd is None:
            raise IndexerError("the change log is not open for writing; call open_for_writing first")
        if self._broken:
            raise LogFull(self._broken)
        at = datetime.now(UTC).isoformat(timespec="milliseconds")
        change = Change(self.appended + 1, tuple(upserts), tuple(deletes), at)
        payload = change.to_bytes()
        frame = FRAME.pack(len(payload), zlib.crc32(payload)) + payload
        try:
            written = 0
            while written < len(frame):  # a full disk may take part of it
                written += os.write(self._fd, frame[written:])
            os.fsync(self._fd)
        except OSError as error:
            self._cut()
            self._roll_quietly()  # a reader that read past the cut sees its segment shrink (LogCut) and reloads
            raise LogFull(
                f"the write was not stored: {error.strerror or error} ({self.directory}); free space or fix the "
                "permissions, then send it again"
            ) from None
        self._size += len(frame)
        self.appended = change.sequence
        if self._size > SEGMENT_BYTES:
            self._roll_quietly()
        return change

    def _cut(self) -> None:
        """Cuts the open segment back to its last whole record after a failed append; if even that fails, the
        writer takes no more writes (a restart drops the torn tail) rather than write after a torn record."""
        try:
            os.ftruncate(self._fd, self._size)
            os.fsync(self._fd)
        except OSError as error:
            self._broken = (
                f"a failed write could not be cut off {self.path(self._segment)} ({error.strerror or error}); "
                "writes are off until the service is restarted"
            )
            log.error("%s", self._broken)

    def roll(self) -> None:
        """Starts a new segment, so the changes up to now can be dropped once folded into kept versions."""
        if self._fd is not None and self._size > 0:
            self._open_segment(self.appended + 1)

    def _roll_quietly(self) -> None:
        try:
            self.roll()
        except OSError as error:  # the write is stored: the segment grows on, and is rolled at the next chance
            log.warning("could not start a new log segment (%s); the current one goes on", error)

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
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
