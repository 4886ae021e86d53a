"""An experiment on a real service: started and stopped from the command line while it serves, the served default
interleaved for sessions that take part, the assignment logged with each search, clicks credited to the arm that
showed the product, and the report from the command and on the analytics page."""

from __future__ import annotations

import json
import re
import shutil
import time
from pathlib import Path

import requests
from click.testing import CliRunner

from prodsearch.cli import main
from tests.helpers import LiveServer, prodsearch
from web import ServiceConfig, create_app

EVENTS_TOKEN = "shop-backend-token-0123456789"
ANALYTICS_TOKEN = "analytics-token-0123456789"


def search(url: str, query: str, session: str | None, **params: object) -> dict:
    headers = {"X-Prodsearch-Session": session} if session else {}
    response = requests.get(url + "/api/search", params={"q": query, "k": 10, **params}, headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def cli(*arguments: str):
    """The command in this process (the real code, without a second second of start-up for each call)."""
    return CliRunner().invoke(main, list(arguments))


def until(check, what: str, seconds: float = 10.0):
    deadline = time.monotonic() + seconds
    while not (found := check()):
        assert time.monotonic() < deadline, what
        time.sleep(0.1)
    return found


def test_an_interleaving_experiment_from_start_to_report(sample_index: Path, tmp_path: Path) -> None:
    index = shutil.copytree(sample_index, tmp_path / "shop")
    events_db = index / "events.sqlite"  # where the service keeps them by default, and the report looks
    config = ServiceConfig(index=str(index), events_token=EVENTS_TOKEN, analytics_token=ANALYTICS_TOKEN)
    server = LiveServer(create_app(config))
    try:
        assert "experiment" not in search(server.url, "kettle", "before")
        started = prodsearch(
            "experiment", "start", str(index), "bm25-trial", "--b", "bm25", "--traffic", "1", check=True
        )
        assert "bm25-trial started (interleave, 100% of sessions, B: bm25)" in started.stdout
        again = cli("experiment", "start", str(index), "another", "--b", "dense")
        assert again.exit_code == 2 and "'bm25-trial' is running; stop it first" in again.output
        # the running service sees it within its settings' recheck
        body = until(lambda: search(server.url, "kettle", "shopper-0").get("experiment"), "no experiment seen")
        assert body == {"name": "bm25-trial", "arm": "interleaved"}
        assert "experiment" not in search(server.url, "kettle", None)  # no session: cannot be followed
        assert "experiment" not in search(server.url, "kettle", "shopper-0", mode="hybrid")  # a mode named
        headers = {"Authorization": f"Bearer {EVENTS_TOKEN}"}
        for shopper in range(12):  # each clicks the first product B put on the page: B is preferred
            found = search(server.url, "running shoes", f"shopper-{shopper}")
            assert found["experiment"]["arm"] == "interleaved"
            logged = until(lambda sid=found["search_id"]: teams_of(events_db, sid), "search not logged")
            clicked = found["hits"][logged.index("b")]["id"]
            event = {"type": "click", "search_id": found["search_id"], "product_id": clicked}
            assert requests.post(server.url + "/api/events", json=event, headers=headers, timeout=10).status_code == 202
        time.sleep(1.0)  # the writer stores what is queued twice a second
        reported = cli("experiment", "report", str(index), "bm25-trial", "--json")
        result = json.loads(reported.stdout)
        assert result["method"] == "interleave" and result["winner"] == "b"
        assert result["preferred"] == {"a": 0, "b": 12} and result["arms"]["b"]["clicks"] == 12
        assert result["p_value"] == 2 * 0.5**12
        page = requests.get(server.url + "/analytics", headers={"Authorization": f"Bearer {ANALYTICS_TOKEN}"})
        assert 'data-name="bm25-trial"' in page.text and re.search(r'class="winner">B<', page.text)
        text = cli("experiment", "report", str(index), "bm25-trial").stdout
        assert "winner: b" in text and "bm25" in text
        assert cli("experiment", "stop", str(index), "bm25-trial").exit_code == 0
        until(lambda: "experiment" not in search(server.url, "kettle", "shopper-0"), "still in the experiment")
        listed = [json.loads(line) for line in cli("experiment", "list", str(index)).stdout.splitlines()]
        assert listed[0]["name"] == "bm25-trial" and "stopped_at" in listed[0]
        missing = cli("experiment", "report", str(index), "nothing-here")
        assert missing.exit_code == 2 and "nothing-here" in missing.output
        bad = cli("experiment", "start", str(index), "my test", "--b", "bm25")
        assert bad.exit_code == 2 and len(bad.output.splitlines()) == 1 and "name" in bad.output
        off = cli("experiment", "report", str(index), "bm25-trial", "--events", "off")
        assert off.exit_code == 2 and "events are off" in off.output
        assert cli("experiment", "delete", str(index), "bm25-trial").exit_code == 0
        assert cli("experiment", "list", str(index)).stdout == ""
    finally:
        server.close()


def teams_of(events_db: Path, search_id: str) -> str | None:
    from events import EventStore
    from events.schema import SEARCHES

    store = EventStore(str(events_db))
    try:
        with store.transaction() as connection:
            row = connection.execute(
                SEARCHES.select().with_only_columns(SEARCHES.c.teams).where(SEARCHES.c.search_id == search_id)
            ).first()
    finally:
        store.close()
    return None if row is None else row.teams


def test_no_experiment_runs_where_events_are_off(sample_index: Path, tmp_path: Path) -> None:
    from search.experiments import Arm, Experiment
    from search.indexes import IndexLocation
    from tests.helpers import admin_service

    with admin_service(sample_index, tmp_path / "shop", "admin-token-0123456789") as url:  # events off
        trial = Experiment(name="t", b=Arm(label="bm25", mode="bm25"), traffic=1, started_at="2026-12-07T00:00:00Z")
        store = IndexLocation.of(tmp_path / "shop").merchandising()
        version = store.change(lambda now: now.with_entries("experiments", [trial])).version
        bearer = {"Authorization": "Bearer admin-token-0123456789"}
        seen = lambda: requests.get(url + "/api/ranking", headers=bearer, timeout=10).headers.get("ETag")  # noqa: E731
        until(lambda: seen() == f'"{version}"', "the service did not see the experiment")
        assert "experiment" not in search(url, "kettle", "shopper-0")  # nothing could be reported: B costs for nothing
