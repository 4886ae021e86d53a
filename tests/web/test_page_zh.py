"""The search page over the Chinese sample, in a real headless Chromium: Chinese words, yuan prices, facets."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.helpers import LiveServer
from tests.web.chromium import launch
from web import ServiceConfig, create_app
from web.labels import CHINESE

QUERY = "红色连衣裙"
BROAD = "百搭"  # 'goes with anything': no constraint, hits in several categories
ALL_IN_CATEGORY = "c => [...document.querySelectorAll('.result .meta')].every(meta => meta.textContent.includes(c))"


def total_in(summary: str) -> int:
    found = re.search(r"共 ([\d,]+) 条结果", summary)
    assert found, f"no result count in {summary!r}"
    return int(found.group(1).replace(",", ""))


@pytest.fixture(scope="module")
def browser() -> Iterator:
    yield from launch()


@pytest.fixture(scope="module")
def zh_server(sample_zh_index: Path) -> Iterator[LiveServer]:
    server = LiveServer(create_app(ServiceConfig(index=str(sample_zh_index))))
    yield server
    server.close()


def test_a_chinese_catalogue_gets_a_chinese_page(browser, zh_server: LiveServer, tmp_path: Path) -> None:
    page = browser.new_page()
    page.goto(zh_server.url + "/")
    assert page.get_attribute("html", "lang") == "zh-CN"
    assert page.title() == CHINESE["title"]
    assert page.get_attribute("#q", "placeholder") == "在 380 件商品中搜索"
    assert page.locator("#mode option").all_inner_texts() == ["综合", "关键词", "语义", "精排"]
    assert page.locator("aside h2").all_inner_texts() == [CHINESE["category"], CHINESE["brand"], CHINESE["price"]]

    page.fill("#q", QUERY)
    page.press("#q", "Enter")
    page.wait_for_selector(".result")
    summary = page.inner_text("#summary")
    assert summary.startswith(f"“{QUERY}”共 ") and "条结果，第 1–" in summary and summary.endswith(" 毫秒")
    titles = page.locator(".result h3").all_inner_texts()
    assert any("连衣裙" in title for title in titles)
    prices = page.locator(".result .price").all_inner_texts()
    assert prices and all(price.startswith("¥") for price in prices), prices
    buckets = page.locator("#facet-price button span:first-child").all_inner_texts()
    assert buckets and all(bucket.startswith("¥") for bucket in buckets), buckets
    if screenshot := os.environ.get("PRODSEARCH_SCREENSHOT"):  # a picture of the Chinese page, on request
        page.screenshot(path=screenshot)

    page.fill("#q", BROAD)
    page.press("#q", "Enter")
    page.wait_for_function("q => document.querySelector('#summary').textContent.startsWith(`“${q}”`)", arg=BROAD)
    total = total_in(page.inner_text("#summary"))
    category_button = page.locator("#facet-category button").first
    category, count = category_button.locator("span").all_inner_texts()
    category_button.click()
    page.wait_for_function("() => document.querySelectorAll('#active-filters .chip').length === 1")
    page.wait_for_function(ALL_IN_CATEGORY, arg=category)
    metas = page.locator(".result .meta").all_inner_texts()
    assert metas and all(category in meta for meta in metas)
    assert total_in(page.inner_text("#summary")) < total and int(count) > 0
    assert "category=" in page.url
    assert page.inner_text("#active-filters .chip").startswith(category)
    assert page.get_attribute("#active-filters .chip button", "aria-label") == f"移除筛选条件：{category}"

    page.locator("#facet-price button").first.click()  # a price bucket: its chip is written in yuan too
    page.wait_for_function("() => document.querySelectorAll('#active-filters .chip').length === 2")
    assert page.locator("#active-filters .chip").nth(1).inner_text().startswith("价格 ¥")
    page.screenshot(path=str(tmp_path / "page.png"), full_page=True)
    page.close()


def test_an_api_error_is_reported_in_chinese(browser, zh_server: LiveServer) -> None:
    page = browser.new_page()
    page.goto(zh_server.url + "/?q=%E8%BF%9E%E8%A1%A3%E8%A3%99&price_min=-5")
    page.wait_for_selector("#summary.error")
    assert page.inner_text("#summary").startswith("搜索出错：")
    page.close()


def test_understood_words_are_chips_in_chinese(browser, zh_server: LiveServer) -> None:
    page = browser.new_page()
    page.goto(zh_server.url + "/")
    page.fill("#q", "红色连衣裙 300元以下")
    page.press("#q", "Enter")
    page.wait_for_selector("#understood .chip")
    chips = [text.removesuffix("×") for text in page.locator("#understood .chip").all_inner_texts()]
    assert "价格 ≤ ¥300" in chips and "颜色：红色" in chips and "分类：连衣裙" in chips, chips
    assert page.inner_text("#understood .words-instead") == "按原词搜索"
    prices = [float(price.lstrip("¥").replace(",", "")) for price in page.locator(".result .price").all_inner_texts()]
    assert prices and all(price <= 300 for price in prices), prices

    page.goto(zh_server.url + "/?q=" + quote("红色连衣裙 10元以下"))  # no red dress that cheap: preferences
    page.wait_for_selector("#understood .chip")
    assert page.inner_text("#relaxed").startswith("没有同时满足“红色”")
    assert page.locator("#understood .chip.boost").first.get_attribute("title") == CHINESE["understood_boost"]

    page.goto(zh_server.url + "/?q=asdfghjkl")
    page.wait_for_function("() => document.querySelector('#summary').textContent !== ''")
    assert page.inner_text("#summary").startswith("没有与“asdfghjkl”匹配的商品。")
    assert page.locator(".result").count() == 0
    page.close()
