"""`prodsearch analytics` as a shop runs it: tables, one JSON document, a chart, and errors as one line."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import pytest

from events import Event, EventStore, SearchRecord
from tests.helpers import prodsearch

DAY_MS = 86_400_000


def search(at: int, query: str, total: int, session: str) -> SearchRecord:
    results = ("a", "b", "c") if total else ()
    return SearchRecord(
        uuid.uuid4().hex, at, session, "page", query, query, "hybrid", "v1", "[]", "{}", total, 1, 10, results, 2.0
    )


@pytest.fixture
def database(tmp_path: Path) -> Path:
    """Today: 3 searches for kettle (1 clicked at 2), 1 for 蓝牙耳机 that found nothing; 40 days ago: 1 for toaster."""
    now = int(time.time() * 1000)
    kettles = [search(now - n * 1000, "kettle" if n else "Kettle", 5, f"s{n}") for n in range(3)]
    rows = [*kettles, search(now, "蓝牙耳机", 0, "s9"), search(now - 40 * DAY_MS, "toaster", 7, "s1")]
    path = tmp_path / "events.sqlite"
    store = EventStore(str(path), create=True)
    store.write(rows, [Event(now, "s1", "page", "click", kettles[1].search_id, "b", 2)])
    store.close()
    return path


def test_tables_of_the_last_30_days(database: Path) -> None:
    result = prodsearch("analytics", str(database), check=True)
    lines = result.stdout.splitlines()
    assert "4 searches, 4 sessions, click-through 25.0%, zero results 25.0%" in lines[1]  # not the toaster
    top = lines.index("Top queries")
    assert lines[top + 2].split() == ["kettle", "3", "3", "1", "33.3%", "0", "0", "0.0%"]
    assert lines[top + 3].split() == ["蓝牙耳机", "1", "1", "0", "0.0%", "0", "0", "100.0%"]
    # four Chinese characters fill eight columns, so the numbers after them stand under the others
    assert lines[top + 3].index(" 1 ") + 4 == lines[top + 2].index(" 3 ")
    assert "  (none)" in lines[lines.index("Unclicked queries: showed products 3 times or more, never clicked") + 2]
    position_2 = next(line for line in lines if line.startswith("    2 "))
    assert position_2.split()[:4] == ["2", "33.3%", "1", "/"] and position_2.endswith("█" * 30)


def test_json_since_all_from_the_environment_and_a_chart(database: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PRODSEARCH_EVENTS_DB", str(database))
    chart = tmp_path / "analytics.png"
    result = prodsearch("analytics", "--since", "all", "--json", "--limit", "1", "--chart", str(chart), check=True)
    report = json.loads(result.stdout)
    assert report["database"] == str(database) and report["since"] is None
    assert report["totals"]["searches"] == 5 and [q["query"] for q in report["top"]] == ["kettle"]
    assert report["top"][0]["click_through"] == pytest.approx(1 / 3)
    assert len(report["days"]) == 41 and report["days"][0]["searches"] == 1  # the toaster's day, 40 days ago
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and chart.stat().st_size > 20_000
    assert f"chart: {chart}" in result.stderr


@pytest.mark.parametrize(
    ("arguments", "code", "message"),
    [
        (["--since", "yesterday"], 2, "error: since: 'yesterday' is neither an age"),
        (["--limit", "0"], 2, "Invalid value for '--limit'"),
    ],
)
def test_bad_flags_are_bad_input(database: Path, arguments: list[str], code: int, message: str) -> None:
    result = prodsearch("analytics", str(database), *arguments)
    assert result.returncode == code and message in result.stderr and "Traceback" not in result.stderr


def test_a_missing_database_is_bad_input_and_a_broken_one_a_failed_job(tmp_path: Path) -> None:
    missing = prodsearch("analytics", str(tmp_path / "typo.sqlite"))
    assert missing.returncode == 2 and missing.stderr.startswith(f"error: no events database at {tmp_path}")
    assert not (tmp_path / "typo.sqlite").exists()  # not made empty by the look
    broken = tmp_path / "broken.sqlite"
    broken.write_text("not a database")
    result = prodsearch("analytics", str(broken))
    assert result.returncode == 1  # the database did not answer: EventsUnavailable
    assert result.stderr.strip() == f"error: events database {broken}: file is not a database"
