"""The change log: appended records read back in order, a torn tail dropped and logged, a failed write kept out."""

from __future__ import annotations

import errno
import logging
import os
from pathlib import Path

import pytest

from indexer.changelog import ChangeLog, LogFull
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
    real_fsync = os.fsync

    def full(descriptor: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(LogFull, match="No space left on device.*nothing|not stored"):
        log.append([_product(2)], [])
    monkeypatch.setattr(os, "fsync", real_fsync)
    assert [change.sequence for change in ChangeLog(tmp_path).read()[0]] == [1]  # the half-written record is gone
    assert log.append([_product(3)], []).sequence == 2  # the failed write took no sequence number
    log.close()


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
