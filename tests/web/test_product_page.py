"""Product pages in a real headless Chromium: the product, its similar products, its picture or the placeholder, on
the English and the Chinese sample; search results and suggestions link to them and show the same pictures."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.helpers import LiveServer, admin_service
from tests.web.chromium import launch
from web import ServiceConfig, create_app
from web.labels import CHINESE, ENGLISH

TOKEN = "product-page-token-0123456789"
KETTLE = "SKU-1016"  # Le Crouset Flex Stovetop Kettle 1.6 l - Red: no image, as no product of the samples has one
IMAGES = "https://images.example"  # answered by the browser's route below: nothing leaves the machine
# A 1x1 PNG, what the shop's image host answers for a picture that exists.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
PICTURED = {"title": "Zorvex pictured lantern", "brand": "Zorvex", "price": 30.0, "currency": "EUR"}


@pytest.fixture(scope="module")
def browser() -> Iterator:
    yield from launch()


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory, sample_index: Path) -> Iterator[str]:
    """The sample, served with writes on, and two products written live with images: one the image host has
    (given as http, asked over https), one it answers 404 for."""
    with admin_service(sample_index, tmp_path_factory.mktemp("product-page") / "index", TOKEN) as url:
        for product_id, image in (("IMG-1", "http://images.example/lantern.png"), ("IMG-2", f"{IMAGES}/gone.png")):
            body = {**PICTURED, "title": f"{PICTURED['title']} {product_id[-1]}", "image": image}
            written = requests.put(
                f"{url}/api/products/{product_id}?wait=true",
                json=body,
                headers={"Authorization": f"Bearer {TOKEN}"},
                timeout=30,
            )
            assert written.status_code == 200, written.text
        yield url


@pytest.fixture(scope="module")
def zh_server(sample_zh_index: Path) -> Iterator[LiveServer]:
    server = LiveServer(create_app(ServiceConfig(index=str(sample_zh_index), events_db="off")))
    yield server
    server.close()


def opened(browser, url: str) -> tuple:
    """A page at `url` whose image host answers from here, with what went wrong in it: script errors and what the CSP
    refused."""
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if "Content Security" in message.text else None)
    page.route(
        f"{IMAGES}/**",
        lambda route: (
            route.fulfill(status=200, content_type="image/png", body=PNG)
            if route.request.url == f"{IMAGES}/lantern.png"
            else route.fulfill(status=404, body="not found")
        ),
    )
    page.goto(url)
    return page, errors


def card_ids(page, row: str) -> list[str]:
    return [card.get_attribute("data-id") for card in page.locator(f"#{row} .card").all()]


def test_a_result_opens_the_product_page_with_its_similar_products(browser, shop: str) -> None:
    page, errors = opened(browser, shop + "/?q=red+kettle")
    page.wait_for_selector(".result")
    result = page.locator(f'.result[data-id="{KETTLE}"]')
    assert result.locator("h3 a").get_attribute("href") == f"/p/{KETTLE}"
    placeholder = result.locator(".picture.small.empty")  # no image in the sample: the title's first letter
    assert placeholder.get_attribute("data-letter") == "L" and placeholder.get_attribute("role") == "img"
    assert placeholder.get_attribute("aria-label") == "Le Crouset Flex Stovetop Kettle 1.6 l - Red"
    assert result.locator("img").count() == 0
    with page.expect_navigation():
        result.locator("h3 a").click()
    assert page.url == f"{shop}/p/{KETTLE}"

    assert page.title() == f"Le Crouset Flex Stovetop Kettle 1.6 l - Red · {ENGLISH['title']}"
    assert page.inner_text("#product h1") == "Le Crouset Flex Stovetop Kettle 1.6 l - Red"
    assert page.inner_text("#product .crumbs") == "Home › Kitchen › Kettles"
    assert page.inner_text("#product .brand") == "Le Crouset"
    page.wait_for_function("() => document.querySelector('#product .price').textContent === '€64.99'")
    assert page.inner_text("#product .stock") == "In stock: 16"
    assert page.locator("#product dt").all_inner_texts()[:2] == ["colour", "material"]
    assert page.locator("#product dd").all_inner_texts()[:2] == ["red", "enamel"]
    assert "Stay-cool handle" in page.inner_text("#product .description")
    big = page.locator("#product .picture.large.empty")
    assert big.get_attribute("data-letter") == "L" and big.get_attribute("aria-label").startswith("Le Crouset")
    assert big.bounding_box()["width"] == big.bounding_box()["height"] == 320

    page.wait_for_selector("#similar .card")  # from the dense index: kettles first
    similar = card_ids(page, "similar")
    assert len(similar) == 8 and KETTLE not in similar, similar
    assert page.inner_text("#similar h2") == ENGLISH["similar"]
    titles = page.locator("#similar .card h3").all_inner_texts()
    assert sum("Kettle" in title for title in titles) >= 4, titles
    assert page.locator("#similar .card h3 a").first.get_attribute("href") == f"/p/{similar[0]}"
    assert page.locator("#similar .card .picture.medium.empty").count() == 8
    # also viewed: hidden where the service has no such route or nothing to add, never repeating the row above
    page.wait_for_load_state("networkidle")
    assert not set(card_ids(page, "also-viewed")) & set(similar)
    if not card_ids(page, "also-viewed"):
        assert page.locator("#also-viewed").is_hidden()
    assert errors == []
    page.close()

    missing = requests.get(shop + "/p/NO-SUCH-1", timeout=10)
    assert missing.status_code == 404 and missing.headers["Content-Type"].startswith("text/html")
    assert "This shop has no product with the id “NO-SUCH-1”." in missing.text and 'href="/"' in missing.text
    assert "img-src 'self' https:;" in missing.headers["Content-Security-Policy"]


def test_catalogue_images_show_everywhere_and_a_failed_one_becomes_the_placeholder(browser, shop: str) -> None:
    page, errors = opened(browser, shop + "/p/IMG-1")
    image = page.locator("#product .picture.large img")
    assert image.get_attribute("src") == f"{IMAGES}/lantern.png"  # the catalogue's http URL, asked over https
    assert image.get_attribute("alt") == "Zorvex pictured lantern 1" and image.get_attribute("loading") == "lazy"
    page.wait_for_function("() => document.querySelector('#product .picture img').naturalWidth === 1")
    box = page.locator("#product .picture.large").bounding_box()
    assert box["width"] == box["height"] == 320  # the box, not the 1-pixel image, sets the size

    page.goto(shop + "/p/IMG-2")  # the image host answers 404: the placeholder takes the image's place
    page.wait_for_selector("#product .picture.large.empty")
    placeholder = page.locator("#product .picture.large")
    assert placeholder.locator("img").count() == 0 and placeholder.get_attribute("data-letter") == "Z"
    assert placeholder.get_attribute("aria-label") == "Zorvex pictured lantern 2"

    page.goto(shop + "/?q=zorvex+pictured+lantern")
    page.wait_for_selector('.result[data-id="IMG-2"] .picture.empty')
    assert page.get_attribute('.result[data-id="IMG-1"] .picture.small img', "src") == f"{IMAGES}/lantern.png"
    assert page.locator('.result[data-id="IMG-2"] img').count() == 0

    page.fill("#q", "zorvex pict")  # a product's title suggested with its picture; a brand with none
    page.wait_for_selector('#suggestions li[data-kind="title"] .picture.tiny')
    pictured = page.locator('#suggestions li[data-kind="title"]', has_text="lantern 1")
    assert pictured.locator("img").get_attribute("src") == f"{IMAGES}/lantern.png"
    assert page.locator('#suggestions li[data-kind="brand"] .picture').count() == 0
    assert errors == []
    page.close()


def test_the_chinese_product_page_and_its_not_found_page(browser, zh_server: LiveServer) -> None:
    page, errors = opened(browser, zh_server.url + "/p/ZH-1001")
    assert page.get_attribute("html", "lang") == "zh-CN"
    assert page.inner_text("#product h1") == "律动RHYTHMO RM-H6 超长续航头戴式耳机 白色 蓝牙5.3"
    assert page.inner_text("#product .crumbs") == "数码 › 耳机" and page.inner_text("#product .stock") == "有货"
    page.wait_for_function("() => document.querySelector('#product .price').textContent === '¥1,069.00'")
    assert page.inner_text("#product h2") == CHINESE["details"]
    assert page.locator("#product .shop-link").count() == 0  # the sample's url is a path, not a shop's address
    assert page.locator("#product .picture.empty").get_attribute("data-letter") == "律"
    page.wait_for_selector("#similar .card")
    assert page.inner_text("#similar h2") == CHINESE["similar"] and len(card_ids(page, "similar")) == 8
    assert page.inner_text(".back") == "← " + CHINESE["back_to_search"]
    assert errors == []

    response = page.goto(zh_server.url + "/p/ZH-0000")
    assert response.status == 404
    assert page.inner_text("#not-found h1") == CHINESE["not_found_title"]
    assert page.inner_text("#not-found p") == "本店没有编号为“ZH-0000”的商品。"
    page.click("#not-found a")
    page.wait_for_url(zh_server.url + "/")
    assert page.get_attribute("#q", "placeholder") == "在 380 件商品中搜索" and errors == []
    page.close()


def test_the_write_api_checks_an_image_as_the_catalogue_does(shop: str) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    put = requests.put(
        f"{shop}/api/products/IMG-3", json={"title": "Lamp", "image": "/lamp.jpg"}, headers=auth, timeout=10
    )
    assert put.status_code == 400
    (problem,) = put.json()["items"]
    assert problem["field"] == "image" and problem["message"].startswith("field 'image': is not an absolute URL")
    patch = requests.patch(
        f"{shop}/api/products/IMG-1", json={"image": "ftp://images.example/a.png"}, headers=auth, timeout=10
    )
    assert patch.status_code == 400 and "has the scheme 'ftp:'" in patch.json()["detail"]
    assert requests.get(f"{shop}/api/products/IMG-1", timeout=10).json()["image"] == "http://images.example/lantern.png"
