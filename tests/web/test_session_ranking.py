"""Session-aware ranking over real HTTP: the shop turns it on (PUT /api/ranking), a session clicks and buys one
brand's products, and its next search ranks that brand higher while another session's same search is unchanged."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.helpers import LiveServer
from web import ServiceConfig, create_app

EVENTS_TOKEN = "shop-backend-token-0123456789"
ADMIN_TOKEN = "session-admin-token-0123456789"
QUERY = "electric kettle"
BRAND = "Morphy & Sons"


@pytest.fixture
def service(sample_index: Path, tmp_path: Path) -> Iterator[str]:
    index = shutil.copytree(sample_index, tmp_path / "index")  # the shop's ranking is written beside it
    config = ServiceConfig(
        index=str(index), events_db=str(tmp_path / "events.sqlite"), events_token=EVENTS_TOKEN, admin_token=ADMIN_TOKEN
    )
    server = LiveServer(create_app(config))
    yield server.url
    server.close()  # and the events log, and the index it follows


def search(url: str, session: str | None, **params) -> dict:
    headers = {"X-Prodsearch-Session": session} if session else {}
    answer = requests.get(url + "/api/search", params={"q": QUERY, "k": 20, **params}, headers=headers, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()


def ranks(body: dict) -> dict[str, int]:
    return {hit["id"]: rank for rank, hit in enumerate(body["hits"])}


def set_boost(url: str, share: float) -> None:
    auth = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    answer = requests.put(url + "/api/ranking", json={"session_boost": share}, headers=auth, timeout=10)
    assert answer.status_code == 200, answer.text
    assert answer.json()["ranking"]["session_boost"] == share


def test_a_sessions_clicks_lift_their_brand_in_its_next_search_only(service: str) -> None:
    url = service
    before = search(url, "shopper-a")
    brand = [hit["id"] for hit in before["hits"] if hit["brand"] == BRAND]
    assert len(brand) >= 2 and min(ranks(before)[pid] for pid in brand) >= 3  # not near the top without a session

    # off (the default): the session's actions change nothing
    click = {"search_id": before["search_id"], "product_id": brand[0], "session": "shopper-a"}
    assert requests.post(url + "/api/beacon", json=click, headers={"Origin": url}, timeout=10).status_code == 202
    assert search(url, "shopper-a")["hits"] == before["hits"]

    set_boost(url, 0.2)
    purchase = {**click, "type": "add_to_cart", "product_id": brand[1]}  # the shop's backend, with its token
    auth = {"Authorization": f"Bearer {EVENTS_TOKEN}"}
    assert requests.post(url + "/api/events", json=purchase, headers=auth, timeout=10).status_code == 202

    after = search(url, "shopper-a", explain=1)
    risen = [ranks(before)[pid] - ranks(after)[pid] for pid in brand]
    assert min(risen) >= 0 and sum(risen) > 0  # none falls; how far each rises depends on the gaps above it
    assert after["hits"][0]["id"] == before["hits"][0]["id"]  # far more relevant: not overtaken by a gentle lift
    lifted = {hit["id"]: hit["explain"]["moves"].get("session") for hit in after["hits"]}
    # every candidate is a kettle, the category the session acted on: the brand's own get twice the others' lift
    (kettles,) = {lifted[hit["id"]] for hit in after["hits"] if hit["brand"] != BRAND}
    assert kettles > 0 and all(lifted[pid] == pytest.approx(2 * kettles) for pid in brand)
    assert "session" in after["timings_ms"]

    for other in ("shopper-b", None):  # another session, and a search without one, as before
        assert [hit["id"] for hit in search(url, other)["hits"]] == [hit["id"] for hit in before["hits"]]
