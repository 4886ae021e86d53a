"""The search page in a real headless Chromium: type a query, see results, click a facet, see them filtered."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator

import pytest

from tests.helpers import LiveServer
from tests.web.chromium import launch


@pytest.fixture(scope="module")
def browser() -> Iterator:
    yield from launch()


def test_search_then_filter_by_a_facet(browser, server: LiveServer, tmp_path) -> None:
    page = browser.new_page()
    page.goto(server.url + "/")
    page.fill("#q", "running shoes")
    page.press("#q", "Enter")
    page.wait_for_selector(".result")
    titles = page.locator(".result h3").all_inner_texts()
    assert len(titles) == 10 and sum("Running Shoes" in title for title in titles) >= 8
    assert "results for “running shoes” in" in page.inner_text("#summary")
    if screenshot := os.environ.get("PRODSEARCH_SCREENSHOT"):  # the README's picture of the page, on request
        page.screenshot(path=screenshot)

    brand_button = page.locator("#facet-brand button").first
    brand, count = brand_button.locator("span").all_inner_texts()
    brand_button.click()
    page.wait_for_function("document.querySelectorAll('#active-filters .chip').length === 1")
    page.wait_for_function(
        "brand => [...document.querySelectorAll('.result .meta')].every(meta => meta.textContent.startsWith(brand))",
        arg=brand,
    )
    metas = page.locator(".result .meta").all_inner_texts()
    assert metas and all(meta.startswith(brand) for meta in metas)
    assert f"{count} results" in page.inner_text("#summary") or len(metas) == int(count)
    assert "brand=" in page.url
    page.screenshot(path=str(tmp_path / "page.png"), full_page=True)

    page.locator("#active-filters .chip button").click()  # removing the filter brings the other brands back
    page.wait_for_function("document.querySelectorAll('#active-filters .chip').length === 0")
    page.wait_for_function(
        "brand => [...document.querySelectorAll('.result .meta')].some(meta => !meta.textContent.startsWith(brand))",
        arg=brand,
    )
    page.close()


def test_a_corrected_query_says_so_and_offers_the_words_as_typed(browser, server: LiveServer) -> None:
    page = browser.new_page()
    page.goto(server.url + "/?q=runing+shoes")
    page.wait_for_selector(".result")
    assert "Showing results for running shoes. Search instead for runing shoes." in page.inner_text("#spelling")
    assert "results for “running shoes”" in page.inner_text("#summary")
    page.click("#spelling a")
    page.wait_for_function("document.querySelector('#spelling').textContent === ''")
    assert "spell=0" in page.url and "results for “runing shoes”" in page.inner_text("#summary")
    page.close()


def test_prices_and_buckets_are_written_in_the_english_locale(browser, server: LiveServer) -> None:
    page = browser.new_page()
    page.goto(server.url + "/?q=running+shoes")
    page.wait_for_selector(".result")
    assert page.get_attribute("html", "lang") == "en"
    prices = page.locator(".result .price").all_inner_texts()
    assert prices and all(re.fullmatch(r"€\d{1,3}(,\d{3})*\.\d\d", price) for price in prices), prices
    buckets = page.locator("#facet-price button span:first-child").all_inner_texts()
    assert buckets and all(re.fullmatch(r"€\d+(–€\d+|\+)", bucket) for bucket in buckets), buckets
    page.close()
