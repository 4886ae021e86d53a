"""The change log: appended records read back in order, a torn tail dropped and logged, a failed write kept out."""

from __future__ import annotations

import errno
import logging
import os
from pathlib import Path

import pytest

from indexer.changelog import ChangeLog, LogCut, LogFull
from indexer.products import Product


def _product(number: int) -> Product:
    return Product(id=f"P-{number}", title=f"product {number}", price=float(number), attributes={"size": ("m",)})


def test_changes_are_read_back_in_order_from_any_position(tmp_path: Path) -> None:
    log = ChangeLog(tmp_path)
    assert log.open_for_writing() == []
    written = [log.append([_product(n)], [f"P-{n - 1}"] if n > 1 else []) for n in range(1, 6)]
    assert [change.sequence for change in written] == [1, 2, 3, 4, 5]
    reader = ChangeLog(tmp_path)
    changes, position = reader.read()
    assert changes == written and reader.last == 5
    assert reader.read(after=3)[0] == written[3:]
    log.append([_product(9)], [])
    later, _ = reader.read(position=position)  # a tailing reader gets only what is new
    assert [change.sequence for change in later] == [6] and later[0].upserts == (_product(9),)
    log.close()


def test_a_torn_tail_is_dropped_and_logged_and_writing_goes_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    log = ChangeLog(tmp_path)
    log.open_for_writing()
    log.append([_product(1)], [])
    log.append([_product(2)], [])
    log.close()
    segment = log.path(log.segments()[-1])
    whole = segment.stat().st_size
    with open(segment, "ab") as handle:  # a kill in the middle of a write: a header and half a payload
        handle.write(b"\x40\x00\x00\x00\x01\x02\x03\x04" + b'{"sequence": 3')
    assert [change.sequence for change in ChangeLog(tmp_path).read()[0]] == [1, 2]  # readers stop before it
    reopened = ChangeLog(tmp_path)
    with caplog.at_level(logging.WARNING, logger="indexer.changelog"):
        assert [change.sequence for change in reopened.open_for_writing()] == [1, 2]
    assert "torn or damaged tail of 22 bytes" in caplog.text
    assert segment.stat().st_size == whole
    assert reopened.append([_product(3)], []).sequence == 3
    assert [change.sequence for change in ChangeLog(tmp_path).read()[0]] == [1, 2, 3]
    reopened.close()


def test_a_damaged_record_ends_the_log_where_it_is(tmp_path: Path) -> None:
    log = ChangeLog(tmp_path)
    log.open_for_writing()
    for number in range(1, 4):
        log.append([_product(number)], [])
    log.close()
    segment = log.path(log.segments()[-1])
    data = bytearray(segment.read_bytes())
    data[-3] ^= 0xFF  # the last record's payload no longer matches its checksum
    segment.write_bytes(bytes(data))
    reopened = ChangeLog(tmp_path)
    assert [change.sequence for change in reopened.open_for_writing()] == [1, 2]
    reopened.close()


def test_a_full_disk_stores_nothing_and_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = ChangeLog(tmp_path)
    log.open_for_writing()
    log.append([_product(1)], [])
    real_write, calls = os.write, []

    def filling(descriptor: int, data: bytes) -> int:  # the disk takes half the record, then is full
        calls.append(len(data))
        if len(calls) == 1:
            return real_write(descriptor, data[: len(data) // 2])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", filling)
    with pytest.raises(LogFull, match="not stored: No space left on device"):
        log.append([_product(2)], [])
    monkeypatch.undo()
    assert len(calls) == 2
    assert [change.sequence for change in ChangeLog(tmp_path).read()[0]] == [1]  # the half record is gone
    assert log.append([_product(3)], []).sequence == 2  # the failed write took no sequence number
    assert [change.upserts[0].id for change in ChangeLog(tmp_path).read()[0]] == ["P-1", "P-3"]
    log.close()


def test_a_write_that_cannot_be_cut_off_stops_the_writer_until_a_restart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = ChangeLog(tmp_path)
    log.open_for_writing()
    log.append([_product(1)], [])

    def failing(*args: object) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(os, "fsync", failing)
    monkeypatch.setattr(os, "ftruncate", failing)
    with pytest.raises(LogFull):
        log.append([_product(2)], [])
    monkeypatch.undo()
    with pytest.raises(LogFull, match="writes are off until the service is restarted"):
        log.append([_product(3)], [])
    log.close()
    again = ChangeLog(tmp_path)  # a restart: the unacknowledged record is read as a whole one or dropped as torn
    assert [change.sequence for change in again.open_for_writing()] in ([1], [1, 2])
    again.close()


def test_a_reader_past_a_cut_is_told_so(tmp_path: Path) -> None:
    log = ChangeLog(tmp_path)
    log.open_for_writing()
    log.append([_product(1)], [])
    log.append([_product(2)], [])
    reader = ChangeLog(tmp_path)
    _, position = reader.read()
    with open(log.path(position.segment), "r+b") as handle:  # as the writer cuts a record that failed
        handle.truncate(position.offset - 10)
    with pytest.raises(LogCut, match="shorter than the .* read: a write was cut"):
        reader.read(position=position)
    log.close()


def test_numbering_goes_on_above_what_the_versions_hold(tmp_path: Path) -> None:
    log = ChangeLog(tmp_path)  # an index copied without its live/ folder: its versions hold changes up to 500
    log.open_for_writing(floor=500)
    assert log.append([_product(1)], []).sequence == 501
    log.close()
    again = ChangeLog(tmp_path)
    again.open_for_writing()
    assert again.append([_product(2)], []).sequence == 502
    again.close()


def test_segments_roll_and_the_folded_ones_are_dropped(tmp_path: Path) -> None:
    log = ChangeLog(tmp_path)
    log.open_for_writing()
    log.append([_product(1)], [])
    log.append([_product(2)], [])
    log.roll()
    log.append([_product(3)], [])
    assert log.segments() == [1, 3]
    assert log.drop_through(1) == []  # the first segment also holds change 2
    assert [path.name for path in log.drop_through(2)] == ["changes-000000000001.log"]
    log.roll()
    log.drop_through(3)
    log.close()
    again = ChangeLog(tmp_path)  # every segment with changes is gone: numbering goes on from the names
    again.open_for_writing()
    assert again.append([_product(4)], []).sequence == 4
    again.close()
