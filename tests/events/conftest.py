"""The events tests run each database test twice: on a SQLite file, and on a fresh database of the real PostgreSQL."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.postgres_server import fresh_database

NAMES = itertools.count()


@pytest.fixture(params=["sqlite", "postgresql"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield str(tmp_path / "events.sqlite")
    else:
        yield fresh_database(request.getfixturevalue("postgres"), f"events_{next(NAMES)}")
