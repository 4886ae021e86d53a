"""Shoppers also viewed and bought, over real HTTP from a real events database: a pair shows once five sessions made
it, first and marked, never the product or its variants, filtered and stock-aware, similar products filling the rest."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import jsonschema
import pytest
import requests

from tests.helpers import LiveServer
from web import ServiceConfig, create_app

TOKEN = "shop-backend-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
PRODUCT, VARIANT = "SKU-1002", "SKU-1011"  # a red kettle and its cream variant (one group_id)
MAT = "SKU-1245"  # an Asix yoga mat, in stock
MUG = "SKU-1279"  # a Hydroflux travel mug at 9.99, in stock
PAN = "SKU-1036"  # an Alpenware frying pan, out of stock
UNKNOWN_SEARCH = "0" * 32  # the shop's backend may name a search this service did not answer: stored all the same


@pytest.fixture
def service(sample_index: Path, tmp_path: Path) -> Iterator[LiveServer]:
    database = tmp_path / "events.sqlite"
    server = LiveServer(create_app(ServiceConfig(index=str(sample_index), events_db=str(database), events_token=TOKEN)))
    yield server
    server.close()


def acted(server: LiveServer, *actions: tuple[str, str, str]) -> None:
    """Shoppers' (session, event type, product id) actions, posted by the shop's backend in one request: stored in
    one transaction, in this order."""
    events = [
        {"type": kind, "search_id": UNKNOWN_SEARCH, "product_id": product_id, "session": session}
        for session, kind, product_id in actions
    ]
    assert requests.post(server.url + "/api/events", json=events, headers=AUTH, timeout=10).status_code == 202


def also_viewed(server: LiveServer, product_id: str = PRODUCT, **params) -> requests.Response:
    return requests.get(f"{server.url}/api/products/{product_id}/also-viewed", params=params, timeout=30)


def hits(server: LiveServer, **params) -> list[tuple[str, str]]:
    response = also_viewed(server, **params)
    assert response.status_code == 200, response.text
    return [(hit["id"], hit["source"]) for hit in response.json()["hits"]]


def eventually(found: Callable[[], list[tuple[str, str]]], wanted: Callable[[list[tuple[str, str]]], bool]) -> list:
    """What `found` answers once `wanted` holds, asked again and again; fails after 10 s: the events writer takes
    what is queued twice a second, the service reads the new events a second after its last read."""
    deadline = time.monotonic() + 10
    while True:
        answer = found()
        if wanted(answer):
            return answer
        assert time.monotonic() < deadline, f"not within 10 s: {answer}"
        time.sleep(0.1)


def test_pairs_show_once_five_sessions_made_them_first_and_marked_and_new_events_follow(service) -> None:
    similar = requests.get(f"{service.url}/api/products/{PRODUCT}/similar", params={"k": 8}, timeout=30).json()
    cold = hits(service, k=8)  # nothing learnt yet (and the first call starts the first read)
    assert cold == [(hit["id"], "similar") for hit in similar["hits"]]
    assert not {MAT, MUG, PAN} & {product_id for product_id, _ in cold}  # not similar to a kettle: only shoppers
    bought = [
        (f"buyer-{n}", kind, product)
        for n in range(4)
        for kind, product in (("add_to_cart", PRODUCT), ("purchase", MUG))
    ]
    again = bought[:2] * 3  # one of those shoppers, three times over: still one session
    viewed = [(f"viewer-{n}", "click", product) for n in range(5) for product in (PRODUCT, MAT, VARIANT, PAN)]
    acted(service, *bought, *again, *viewed)  # read in this order: once the mat shows, the mug's four are in

    learnt = eventually(lambda: hits(service, k=8), lambda answer: answer[0] == (MAT, "also_viewed"))
    ids = [product_id for product_id, _ in learnt]
    assert MUG not in ids  # four sessions are not enough: a pair that few shoppers made stays private
    assert PRODUCT not in ids and VARIANT not in ids and len(ids) == len(set(ids)) == 8
    assert [source for _, source in learnt[1:]] == ["similar"] * 7  # the pan is out of stock: after these
    out_of_stock = hits(service, k=3, in_stock=0)
    assert out_of_stock[0] == (PAN, "also_viewed") and [source for _, source in out_of_stock[1:]] == ["similar"] * 2

    acted(service, ("buyer-4", "add_to_cart", PRODUCT), ("buyer-4", "purchase", MUG))  # after the first calls
    learnt = eventually(lambda: hits(service, k=8), lambda answer: answer[0] == (MUG, "also_viewed"))
    # the mug: 5 sessions x min(cart 3, purchase 5) / sqrt(kettle 5 x 1 + 5 x 3, mug 5 x 5) = 15 / sqrt(20 x 25) = 0.67;
    # the mat: 5 x min(1, 1) / sqrt(20 x 5) = 0.5
    assert learnt[1] == (MAT, "also_viewed") and {source for _, source in learnt[2:]} == {"similar"}
    body = also_viewed(service, k=8).json()
    document = requests.get(service.url + "/api/openapi.json", timeout=30).json()
    schema = {"$ref": "#/components/schemas/AlsoViewedProducts", "components": document["components"]}
    jsonschema.Draft202012Validator(schema).validate(body)
    assert body["product"]["id"] == PRODUCT and body["hits"][0]["score"] == round(
        15 / 500**0.5, 2
    )  # two decimals: no one purchase shows
    in_stock = [hit["in_stock"] for hit in body["hits"]]
    assert in_stock == sorted(in_stock, reverse=True)  # the shop's default stock setting: out of stock after

    # filters apply to both sources
    assert hits(service, k=4, brand="Hydroflux")[0] == (MUG, "also_viewed")
    assert {hit["brand"] for hit in also_viewed(service, k=4, brand="Hydroflux").json()["hits"]} == {"Hydroflux"}
    priced = hits(service, k=4, price_min=10)  # the mug is 9.99
    assert MUG not in {product_id for product_id, _ in priced} and priced[0] == (MAT, "also_viewed")
    sports = also_viewed(service, k=4, category="Sports").json()["hits"]
    assert (sports[0]["id"], sports[0]["source"]) == (MAT, "also_viewed")
    assert all(hit["category"].startswith("Sports") for hit in sports)


def test_an_unknown_product_or_parameter_is_refused_as_for_similar_products(service) -> None:
    missing = also_viewed(service, "NO-SUCH")
    assert missing.status_code == 404 and "NO-SUCH" in missing.json()["detail"]
    refused = also_viewed(service, q="kettle")
    assert refused.status_code == 400 and refused.json()["parameter"] == "q"


def test_without_events_the_answer_is_similar_products(sample_index: Path) -> None:
    server = LiveServer(create_app(ServiceConfig(index=str(sample_index), events_db="off")))
    try:
        similar = requests.get(f"{server.url}/api/products/{PRODUCT}/similar", params={"k": 5}, timeout=30).json()
        assert hits(server, k=5) == [(hit["id"], "similar") for hit in similar["hits"]]
    finally:
        server.close()
