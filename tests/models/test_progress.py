import io

import pytest

from models import progress

pytestmark = pytest.mark.fast


def test_a_log_gets_whole_lines_not_carriage_returns(monkeypatch):
    monkeypatch.setattr(progress, "LOG_INTERVAL", 0.0)  # a line at every update
    log = io.StringIO()
    with progress.bar(total=3, desc="embedding", unit="text", file=log) as bar:
        for _ in range(3):
            bar.update(1)
    text = log.getvalue()
    assert "\r" not in text
    lines = text.splitlines()
    assert lines[-1].startswith("embedding: 100%") and "3/3" in lines[-1]
    assert len(lines) == len(set(lines)) >= 2  # the final state once, not again on close
    assert text.endswith("\n") and "\n\n" not in text


def test_a_log_is_not_written_between_intervals(monkeypatch):
    monkeypatch.setattr(progress, "LOG_INTERVAL", 3600.0)
    log = io.StringIO()
    for _ in progress.bar(range(1000), desc="mining", file=log):
        pass
    assert len(log.getvalue().splitlines()) == 2  # the start and the end


def test_disabled_writes_nothing():
    log = io.StringIO()
    for _ in progress.bar(range(10), disable=True, file=log):
        pass
    assert log.getvalue() == ""
