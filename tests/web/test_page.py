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
    page.wait_for_function("() => document.querySelectorAll('#active-filters .chip').length === 1")
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
    page.wait_for_function("() => document.querySelectorAll('#active-filters .chip').length === 0")
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
    page.wait_for_function("() => document.querySelector('#spelling').textContent === ''")
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


# The prices shown are in ascending order (they are written €1,234.56).
ASCENDING = """() => {
  const prices = [...document.querySelectorAll('.result .price')].map(e => Number(e.innerText.replace(/[^0-9.]/g, "")));
  return prices.length > 0 && prices.every((price, at) => at === 0 || prices[at - 1] <= price);
}"""


def total_in(summary: str) -> int:
    found = re.search(r"([\d,]+) results for", summary)
    assert found, f"no result count in {summary!r}"
    return int(found.group(1).replace(",", ""))


def prices_shown(page) -> list[float]:
    return [float(price.lstrip("€").replace(",", "")) for price in page.locator(".result .price").all_inner_texts()]


def chip_texts(page) -> list[str]:
    return [text.removesuffix("×") for text in page.locator("#understood .chip").all_inner_texts()]


def test_sorting_by_price_orders_the_hits_and_stays_in_the_url(browser, server: LiveServer) -> None:
    page = browser.new_page()
    page.goto(server.url + "/?q=kettle")
    page.wait_for_selector(".result")
    assert page.locator("#sort option").all_inner_texts() == [
        "Relevance",
        "Price: low to high",
        "Price: high to low",
        "Rating",
    ]
    relevance = prices_shown(page)
    assert relevance != sorted(relevance), "the sample's kettles should not come in price order by chance"
    page.select_option("#sort", label="Price: low to high")
    page.wait_for_url("**sort=price%3Aasc**")
    page.wait_for_function("() => document.querySelectorAll('.result').length > 0")
    page.wait_for_function(ASCENDING)  # the answer of the new order has replaced the old one
    prices = prices_shown(page)
    assert prices and prices == sorted(prices), prices
    assert all("kettle" in title.lower() for title in page.locator(".result h3").all_inner_texts())
    page.reload()  # the URL keeps the order: the menu and the hits come back sorted
    page.wait_for_selector(".result")
    assert page.input_value("#sort") == "price:asc" and prices_shown(page) == prices
    page.select_option("#sort", "")  # relevance again: no sort in the URL
    page.wait_for_function("() => !location.search.includes('sort=')")
    page.close()


def test_understood_words_are_chips_and_removing_one_widens_the_search(browser, server: LiveServer) -> None:
    page = browser.new_page()
    page.goto(server.url + "/?mode=bm25")
    page.fill("#q", "red kettle under 90")
    page.press("#q", "Enter")
    page.wait_for_selector("#understood .chip")
    chips = chip_texts(page)
    assert "Price ≤ €90" in chips and "Colour: red" in chips, chips
    prices = prices_shown(page)
    assert prices and all(price <= 90 for price in prices), prices
    assert page.locator(".result h3").all_inner_texts() and page.inner_text("#relaxed") == ""
    total = total_in(page.inner_text("#summary"))

    page.locator("#understood .chip", has_text="Price").locator("button").click()  # drops 'under 90' only
    page.wait_for_function("() => !document.querySelector('#understood').textContent.includes('Price')")
    assert page.input_value("#q") == "red kettle"
    assert "Colour: red" in chip_texts(page)
    assert total_in(page.inner_text("#summary")) > total
    assert max(prices_shown(page)) > 90
    assert "mode=bm25" in page.url and "page=1" in page.url
    page.close()


def test_the_words_instead_of_what_was_understood_survive_the_url_and_history(browser, server: LiveServer) -> None:
    page = browser.new_page()
    page.goto(server.url + "/?q=red+kettle+under+90")
    page.wait_for_selector("#understood .chip")
    page.click("#understood .words-instead")
    page.wait_for_function("() => document.querySelector('#understood').children.length === 0")
    assert "understand=0" in page.url
    titles = page.locator(".result h3").all_inner_texts()
    assert any("red" not in title.lower() for title in titles), titles

    page.go_back()  # understood again
    page.wait_for_selector("#understood .chip")
    assert "understand=0" not in page.url
    page.go_forward()
    page.wait_for_function("() => document.querySelector('#understood').children.length === 0")
    page.reload()
    page.wait_for_selector(".result")
    assert page.locator("#understood .chip").count() == 0

    page.fill("#q", "red kettle under 90")  # a search typed anew is understood again
    page.press("#q", "Enter")
    page.wait_for_selector("#understood .chip")
    assert "understand=0" not in page.url
    page.close()


def test_a_preference_only_ranks_and_says_so_when_the_filters_left_nothing(browser, server: LiveServer) -> None:
    page = browser.new_page()
    page.goto(server.url + "/?q=purple+kettle+under+5")
    page.wait_for_selector("#understood .chip")
    note = page.inner_text("#relaxed")
    assert note.startswith("No products meet all of “purple”") and note.endswith("Showing the closest."), note
    boosts = page.locator("#understood .chip.boost")
    assert boosts.count() >= 1 and boosts.first.get_attribute("title") == "Ranks higher; not a filter"
    assert page.locator(".result").count() > 0
    page.goto(server.url + "/?q=copper+kettle+under+5")  # copper names a colour and a material: a boost anyway
    page.wait_for_selector("#understood .chip")
    assert page.inner_text("#relaxed") == "No products meet all of “under 5”. Showing the closest."
    page.close()


def test_gibberish_gets_advice_instead_of_an_empty_list(browser, server: LiveServer) -> None:
    page = browser.new_page()
    page.goto(server.url + "/?q=%3Cb%3Easdfghjkl%3C%2Fb%3E")  # markup in the query stays text
    page.wait_for_function("() => document.querySelector('#summary').textContent !== ''")
    assert page.inner_text("#summary") == (
        "Nothing matches “<b>asdfghjkl</b>”. Check the spelling, or try fewer or other words."
    )
    assert page.locator("#summary b").count() == 0
    assert page.locator(".result").count() == 0 and page.locator("#understood .chip").count() == 0
    page.close()


def test_opening_a_result_sends_a_click_the_service_stores_at_its_position(browser, sample_index, tmp_path) -> None:
    import sqlite3
    import time

    from web import ServiceConfig, create_app

    database = tmp_path / "events.sqlite"
    server = LiveServer(create_app(ServiceConfig(index=str(sample_index), events_db=str(database))))
    try:
        page = browser.new_page()
        page.goto(server.url + "/?q=kettle")
        page.wait_for_selector(".result")
        third = page.locator(".result").nth(2)
        product = third.get_attribute("data-id")
        with page.expect_navigation():
            third.locator("h3 a").click()  # the product's page here
        assert page.url.endswith("/p/" + product)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with sqlite3.connect(database) as connection:
                clicks = connection.execute("SELECT product_id, position, source, session FROM events").fetchall()
                searches = connection.execute("SELECT source, session FROM searches").fetchall()
            if clicks:
                break
            time.sleep(0.2)
        assert [row[:3] for row in clicks] == [(product, 3, "page")]
        assert searches == [("page", clicks[0][3])] and clicks[0][3]  # one tab, one hashed session
        page.close()
    finally:
        server.close()
