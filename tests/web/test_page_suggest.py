"""Suggestions under the search box in a real headless Chromium, on the English and the Chinese page: typed, reached
with the arrow keys, searched with Enter or a click, closed with Escape, under the page's strict CSP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import LiveServer
from tests.web.chromium import launch
from web import ServiceConfig, create_app
from web.labels import CHINESE, ENGLISH


@pytest.fixture(scope="module")
def browser() -> Iterator:
    yield from launch()


@pytest.fixture(scope="module")
def zh_server(sample_zh_index: Path) -> Iterator[LiveServer]:
    server = LiveServer(create_app(ServiceConfig(index=str(sample_zh_index), events_db="off")))
    yield server
    server.close()


def opened(browser, url: str) -> tuple:
    """A page at `url`, with what will go wrong in it: script errors, and what the CSP refused."""
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    refused = "Content Security Policy"
    page.on("console", lambda message: errors.append(message.text) if refused in message.text else None)
    page.goto(url)
    return page, errors


def options(page) -> list[str]:
    return page.locator("#suggestions li .text").all_inner_texts()


def closed(page) -> bool:
    return page.locator("#suggestions").is_hidden() and page.get_attribute("#q", "aria-expanded") == "false"


def test_typed_letters_show_suggestions_the_arrows_reach_and_enter_searches(browser, server: LiveServer) -> None:
    page, errors = opened(browser, server.url + "/")
    assert page.get_attribute("#q", "role") == "combobox" and closed(page)
    assert page.get_attribute("#suggestions", "role") == "listbox"
    assert page.get_attribute("#suggestions", "aria-label") == ENGLISH["suggestions"]
    page.locator("#q").press_sequentially("kettlew", delay=40)  # each keystroke asks anew; the last answer shows
    page.wait_for_function("() => document.querySelector('#suggestions li .text')?.textContent === 'Kettleworth'")
    shown = options(page)
    assert len(shown) == 8 and all(text.startswith("Kettleworth") for text in shown), shown
    assert page.get_attribute("#q", "aria-expanded") == "true"
    assert page.inner_text("#suggestion-0 .kind") == ENGLISH["brand"]

    page.press("#q", "ArrowDown")
    page.press("#q", "ArrowDown")
    assert page.get_attribute("#q", "aria-activedescendant") == "suggestion-1"
    assert page.get_attribute("#suggestion-1", "aria-selected") == "true"
    assert page.get_attribute("#suggestion-0", "aria-selected") == "false"
    page.press("#q", "ArrowUp")
    assert page.get_attribute("#q", "aria-activedescendant") == "suggestion-0"
    page.press("#q", "ArrowUp")  # above the first: back to the text as typed
    assert page.get_attribute("#q", "aria-activedescendant") is None
    page.press("#q", "ArrowUp")  # and round to the last
    assert page.get_attribute("#q", "aria-activedescendant") == f"suggestion-{len(shown) - 1}"
    page.press("#q", "ArrowDown")
    page.press("#q", "ArrowDown")
    page.press("#q", "ArrowDown")
    chosen = shown[1]
    page.press("#q", "Enter")
    page.wait_for_function("q => document.querySelector('#summary').textContent.includes(`“${q}”`)", arg=chosen)
    assert page.input_value("#q") == chosen and closed(page)
    assert page.locator(".result").count() > 0 and "q=Kettleworth+" in page.url
    assert errors == []
    page.close()


def test_the_list_the_arrows_moved_into_stays_when_a_later_answer_comes(browser, server: LiveServer) -> None:
    page, errors = opened(browser, server.url + "/")
    page.fill("#q", "kettlew")
    page.wait_for_selector("#suggestions li")
    page.press("#q", "o")  # and at once into the list: the answer for "kettlewo" must not replace it
    page.press("#q", "ArrowDown")
    page.wait_for_timeout(400)  # past the debounce and an answer's time
    assert page.get_attribute("#suggestion-0", "aria-selected") == "true"
    chosen = options(page)[0]
    page.press("#q", "Enter")
    page.wait_for_function("q => document.querySelector('#summary').textContent.includes(`“${q}”`)", arg=chosen)
    assert errors == []
    page.close()


def test_escape_closes_them_and_keeps_the_text_and_a_click_searches_one(browser, server: LiveServer) -> None:
    page, errors = opened(browser, server.url + "/")
    page.fill("#q", "kettel")  # a typo: the suggestions are for what was meant
    page.wait_for_selector("#suggestions li")
    assert options(page)[:2] == ["Kettles", "Kettleworth"]
    page.press("#q", "Escape")
    assert closed(page) and page.input_value("#q") == "kettel"  # Escape closed the list, not cleared the box
    page.press("#q", "Enter")  # with none chosen, Enter searches the text as typed
    page.wait_for_selector(".result")
    assert "q=kettel" in page.url

    page.fill("#q", "yoga")
    page.wait_for_selector("#suggestions li")
    target = page.locator("#suggestions li").nth(2)
    chosen = target.locator(".text").inner_text()
    target.click()
    page.wait_for_function("q => document.querySelector('#summary').textContent.includes(`“${q}”`)", arg=chosen)
    assert page.input_value("#q") == chosen and closed(page)
    page.fill("#q", "")
    page.wait_for_timeout(400)  # past the debounce: an empty box asks for nothing and shows nothing
    assert closed(page)
    assert errors == []
    page.close()


def test_the_chinese_page_suggests_by_characters_and_pinyin_initials(browser, zh_server: LiveServer) -> None:
    page, errors = opened(browser, zh_server.url + "/")
    assert page.get_attribute("#suggestions", "aria-label") == CHINESE["suggestions"]
    page.fill("#q", "蓝牙耳")
    page.wait_for_selector("#suggestions li")
    shown = options(page)
    assert len(shown) == 8 and all("蓝牙耳" in text for text in shown), shown

    page.press("#q", "Escape")  # the list for 蓝牙耳 would also answer the wait below
    assert closed(page)
    page.fill("#q", "lyej")  # lan ya er ji
    page.wait_for_function("() => document.querySelector('#suggestions li .text')?.textContent.includes('蓝牙耳机')")
    assert all("蓝牙耳机" in text for text in options(page))
    page.press("#q", "ArrowDown")
    chosen = options(page)[0]
    page.press("#q", "Enter")
    page.wait_for_function("q => document.querySelector('#summary').textContent.startsWith(`“${q}”`)", arg=chosen)
    assert page.input_value("#q") == chosen and closed(page)

    page.fill("#q", "数")
    page.wait_for_selector("#suggestions li")
    assert options(page)[0] == "数码" and page.inner_text("#suggestion-0 .kind") == CHINESE["category"]
    page.press("#q", "Escape")
    assert closed(page) and page.input_value("#q") == "数"
    assert errors == []
    page.close()
